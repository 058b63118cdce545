"""Child-process bodies for the multi-process and crash tests of PostgresStore.

Each function runs in a process started with the "spawn" context: it opens its own
`PostgresStore` on the given schema, plays through `JobSlots` and reports through a queue or a
pipe. Children wait on barriers, never on sleeps.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
from typing import Any, Protocol

from jobslot_core.clock import ManualClock
from jobslot_core.errors import JobSlotError
from jobslot_core.serialization import to_dict
from jobslot_core.service import JobSlots
from jobslot_core.storage.postgres import PostgresStore
from jobslot_core.storage.protocol import MEKS
from jobslot_core.testing.commands import machine_catalog

SECRET = b"process secret 0123"
SECRET_ID = "s1"
BARRIER_TIMEOUT_S = 60.0


class _Barrier(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...


class _Queue(Protocol):
    def put(self, obj: Any) -> None: ...


def open_game(
    dsn: str, schema: str, start_ms: int = 0
) -> tuple[PostgresStore, JobSlots, ManualClock]:
    store = PostgresStore(dsn, schema=schema, max_size=2)
    clock = ManualClock(start_ms)
    game = JobSlots(store, machine_catalog(), secret=SECRET, secret_id=SECRET_ID, clock=clock)
    return store, game, clock


def start_mek(game: JobSlots, wallet: str, mek_id: str, gold: int = 1000) -> None:
    """Register `mek_id` to `wallet`, fund it, unlock slot 1, buy `quick` there, assign the Mek."""
    game.register_mek(wallet, mek_id)
    game.deposit(wallet, "gold", gold)
    game.unlock_slot(wallet, 1)
    game.purchase_job(wallet, 1, "quick")
    game.assign_mek(wallet, 1, mek_id)


def _call(game: JobSlots, command: str, args: dict[str, Any]) -> tuple[str, Any]:
    try:
        result = getattr(game, command)(**args)
    except JobSlotError as err:
        return ("error", type(err).__name__)
    return ("ok", to_dict(result))


def race(
    dsn: str,
    schema: str,
    start_ms: int,
    rounds: list[tuple[str, dict[str, Any]]],
    barrier: _Barrier,
    results: _Queue,
) -> None:
    """For each round: wait for every racer, run this child's command, report its outcome."""
    store, game, _ = open_game(dsn, schema, start_ms)
    outcomes = []
    try:
        for command, args in rounds:
            barrier.wait(BARRIER_TIMEOUT_S)
            outcomes.append(_call(game, command, args))
        results.put(outcomes)
    finally:
        store.close()


def play_cycles(
    dsn: str, schema: str, worker: int, steps: int, barrier: _Barrier, results: _Queue
) -> None:
    """Play `steps` rounds on the worker's own wallet and Mek; report what was done."""
    wallet, mek = f"pw{worker}", f"pm{worker}"
    store, game, clock = open_game(dsn, schema)
    try:
        barrier.wait(BARRIER_TIMEOUT_S)
        start_mek(game, wallet, mek)
        selections = prestiges = 0
        for step in range(steps):
            clock.advance(seconds=40)
            if game.progression(mek, "quick").pit_stop_ready:
                offer = game.open_pit_stop(wallet, mek, "quick")
                game.select_buff(wallet, offer.offer_id, step % len(offer.choices))
                selections += 1
            else:
                game.prestige(wallet, mek, "quick")
                prestiges += 1
        results.put(("ok", worker, selections, prestiges))
    except JobSlotError as err:
        results.put(("error", worker, repr(err)))
    finally:
        store.close()


def crash_loop(dsn: str, schema: str, iteration: int, progress: Connection, steps: int) -> None:
    """Keyed commands in a loop until killed; each key is sent once its command returned.

    Wallets w1, w2 with Meks m1, m2 working `quick` and a spare Mek m3 exist. Keys are
    `"{iteration}:{n}"`, so the parent finds every acknowledged command after the kill.
    """
    store, game, clock = open_game(dsn, schema, start_ms=iteration * 10**9)
    n = 0

    def key() -> str:
        nonlocal n
        n += 1
        return f"{iteration}:{n}"

    try:
        for step in range(steps):
            clock.advance(seconds=40)
            for wallet, mek in (("w1", "m1"), ("w2", "m2")):
                if game.progression(mek, "quick").pit_stop_ready:
                    k = key()
                    offer = game.open_pit_stop(wallet, mek, "quick", idempotency_key=k)
                    progress.send((wallet, k))
                    k = key()
                    game.select_buff(
                        wallet, offer.offer_id, step % len(offer.choices), idempotency_key=k
                    )
                    progress.send((wallet, k))
                elif game.prestige_preview(mek, "quick").eligible:
                    k = key()
                    game.prestige(wallet, mek, "quick", idempotency_key=k)
                    progress.send((wallet, k))
            k = key()
            game.deposit("w1", "gold", 1 + step % 50, idempotency_key=k)
            progress.send(("w1", k))
            if game.balance("w1", "gold") > 30:
                k = key()
                game.withdraw("w1", "gold", 30, idempotency_key=k)
                progress.send(("w1", k))
            with store.unit_of_work(write=False) as uow:
                spare = uow.get(MEKS, ("m3",))
            k = key()
            buyer = "w2" if spare and spare.wallet == "w1" else "w1"
            game.transfer_mek("m3", buyer, idempotency_key=k)
            progress.send((buyer, k))  # a transfer's key belongs to the buyer
    finally:
        store.close()
        progress.close()
