"""Child-process bodies for the multi-process and crash tests of SQLiteStore.

Every function here runs in a process started with the "spawn" context, so it is importable by
module name, takes only picklable arguments, opens its own `SQLiteStore` and reports back through
a queue or a pipe. Nothing here sleeps: children wait on barriers and parents on messages.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from jobslot_core.clock import ManualClock
from jobslot_core.errors import JobSlotError
from jobslot_core.serialization import to_dict
from jobslot_core.service import JobSlots
from jobslot_core.storage import SQLiteStore
from jobslot_core.storage.protocol import MEKS
from jobslot_core.testing.commands import machine_catalog

SECRET = b"process secret 0123"
SECRET_ID = "s1"
BARRIER_TIMEOUT_S = 60.0


class _Barrier(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...


class _Queue(Protocol):
    def put(self, obj: Any) -> None: ...


def open_game(path: str | Path, start_ms: int = 0) -> tuple[SQLiteStore, JobSlots, ManualClock]:
    """A store on `path` and a game on it with the machine catalog and its own manual clock."""
    store = SQLiteStore(path)
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


def race_select(
    path: str, offer_id: str, start_ms: int, barrier: _Barrier, results: _Queue
) -> None:
    """After the barrier, try to select choice 0 of `offer_id`; report the outcome."""
    store, game, _ = open_game(path, start_ms)
    try:
        barrier.wait(BARRIER_TIMEOUT_S)
        try:
            selection = game.select_buff("w1", offer_id, 0)
            results.put(("ok", to_dict(selection)))
        except JobSlotError as err:
            results.put(("error", type(err).__name__))
    finally:
        store.close()


def race_deposit(path: str, key: str, barrier: _Barrier, results: _Queue) -> None:
    """After the barrier, deposit 100 gold to w1 under the idempotency key `key`; report it."""
    store, game, _ = open_game(path)
    try:
        barrier.wait(BARRIER_TIMEOUT_S)
        entry = game.deposit("w1", "gold", 100, idempotency_key=key)
        results.put(("ok", to_dict(entry)))
    finally:
        store.close()


def deposit_many(path: str, deposits: int, barrier: _Barrier, results: _Queue) -> None:
    """Deposit 1 gold to w1 `deposits` times, each after a barrier, so every process's deposit
    follows the others' last ones: each must read the amount they committed, never one its
    connection remembers from its own previous deposit."""
    store, game, _ = open_game(path)
    try:
        for _ in range(deposits):
            barrier.wait(BARRIER_TIMEOUT_S)
            game.deposit("w1", "gold", 1)
        results.put(("ok", deposits))
    finally:
        store.close()


def play_cycles(path: str, worker: int, steps: int, barrier: _Barrier, results: _Queue) -> None:
    """Play `steps` rounds for the worker's own wallet and Mek: advance the clock, resolve the due
    pit stop (open + select) or prestige at the end of the job; report what was done."""
    wallet, mek = f"pw{worker}", f"pm{worker}"
    store, game, clock = open_game(path)
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


def crash_loop(path: str, iteration: int, progress: Connection, max_commands: int) -> None:
    """Run keyed commands in a loop until killed; send each key after its command returned.

    The world (wallets w1 and w2 with Meks m1 and m2 working `quick`, spare Mek m3) exists. Each
    command carries the idempotency key `"{iteration}:{n}"`, so the parent finds every
    acknowledged command in the idempotency table after the crash.
    """
    # Each run's clock starts after every earlier run's, so tenure only grows.
    store, game, clock = open_game(path, start_ms=iteration * 10**9)
    n = 0

    def key() -> str:
        nonlocal n
        n += 1
        return f"{iteration}:{n}"

    def done(k: str) -> None:
        progress.send(k)

    try:
        for step in range(max_commands):
            clock.advance(seconds=40)
            for wallet, mek in (("w1", "m1"), ("w2", "m2")):
                if game.progression(mek, "quick").pit_stop_ready:
                    k = key()
                    offer = game.open_pit_stop(wallet, mek, "quick", idempotency_key=k)
                    done(k)
                    k = key()
                    game.select_buff(
                        wallet, offer.offer_id, step % len(offer.choices), idempotency_key=k
                    )
                    done(k)
                elif game.prestige_preview(mek, "quick").eligible:
                    k = key()
                    game.prestige(wallet, mek, "quick", idempotency_key=k)
                    done(k)
            k = key()
            game.deposit("w1", "gold", 1 + step % 50, idempotency_key=k)
            done(k)
            if game.balance("w1", "gold") > 30:
                k = key()
                game.withdraw("w1", "gold", 30, idempotency_key=k)
                done(k)
            with store.unit_of_work(write=False) as uow:
                spare = uow.get(MEKS, ("m3",))
            k = key()
            game.transfer_mek(
                "m3", "w2" if spare and spare.wallet == "w1" else "w1", idempotency_key=k
            )
            done(k)
    finally:
        store.close()
        progress.close()
