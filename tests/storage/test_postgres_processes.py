"""Processes racing on one PostgreSQL schema through `JobSlots`: one winner, nothing lost, no
write skew (audit clean after every race); SIGKILLed clients; the connection lost during COMMIT
counts once; wallets do not wait for each other."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pg_workers as workers
import pytest

import pg_support
from jobslot_core.audit import audit
from jobslot_core.clock import ManualClock
from jobslot_core.service import JobSlots
from jobslot_core.storage.postgres import PostgresStore
from jobslot_core.storage.protocol import (
    BALANCES,
    EVENTS,
    IDEMPOTENCY,
    LEDGER,
    MEKS,
    PRESTIGES,
    SELECTIONS,
    SLOTS,
)
from jobslot_core.testing.commands import machine_catalog

CTX = multiprocessing.get_context("spawn")
RESULT_TIMEOUT_S = 120.0
JOIN_TIMEOUT_S = 30.0
PROCESSES = 4
ROUNDS = 5

pytestmark = pytest.mark.slow


@pytest.fixture
def schema(schemas: pg_support.Schemas) -> str:
    return schemas.new("proc")


def run_children(target: Callable[..., None], args: list[tuple[Any, ...]]) -> list[Any]:
    """One child per argument tuple (the shared barrier and queue appended); one result each."""
    barrier = CTX.Barrier(len(args))
    results = CTX.Queue()
    children = [CTX.Process(target=target, args=(*a, barrier, results)) for a in args]
    for child in children:
        child.start()
    try:
        return [results.get(timeout=RESULT_TIMEOUT_S) for _ in children]
    finally:
        for child in children:
            child.join(JOIN_TIMEOUT_S)
            if child.is_alive():
                child.kill()
                child.join(JOIN_TIMEOUT_S)
        assert all(c.exitcode == 0 for c in children), [c.exitcode for c in children]


def open_game(schema: str, start_ms: int = 0) -> tuple[PostgresStore, JobSlots, ManualClock]:
    return workers.open_game(pg_support.dsn(), schema, start_ms)


def race(schema: str, start_ms: int, plans: list[list[tuple[str, dict[str, Any]]]]) -> list[Any]:
    """Run `plans[i]` (one command per round) in child i, rounds in lockstep; outcomes per
    round, in child order."""
    per_child = run_children(
        workers.race, [(pg_support.dsn(), schema, start_ms, plan) for plan in plans]
    )
    # run_children returns them in arrival order; each child's list is in round order.
    return per_child


def by_round(outcomes: list[list[tuple[str, Any]]]) -> list[Counter[str]]:
    rounds = len(outcomes[0])
    return [
        Counter(o[r][0] if o[r][0] == "ok" else o[r][1] for o in outcomes) for r in range(rounds)
    ]


def test_racing_selections_have_one_winner(schema: str) -> None:
    store, game, clock = open_game(schema)
    offers = []
    for r in range(ROUNDS):
        workers.start_mek(game, f"w{r}", f"m{r}")
    clock.advance(seconds=40)
    for r in range(ROUNDS):
        offers.append(game.open_pit_stop(f"w{r}", f"m{r}", "quick").offer_id)
    now = clock.now_ms()
    plan = [
        ("select_buff", {"wallet": f"w{r}", "offer_id": offers[r], "index": 0})
        for r in range(ROUNDS)
    ]
    outcomes = race(schema, now, [plan] * PROCESSES)
    assert by_round(outcomes) == [Counter(ok=1, OfferAlreadyResolved=PROCESSES - 1)] * ROUNDS
    with store.unit_of_work(write=False) as uow:
        assert sorted(s.offer_id for s in uow.find(SELECTIONS)) == sorted(offers)
    assert audit(store) == ()
    store.close()


def test_racing_deposits_with_one_key_apply_once(schema: str) -> None:
    store, game, _ = open_game(schema)
    game.deposit("w1", "gold", 1)
    plan = [
        ("deposit", {"wallet": "w1", "currency": "gold", "amount": 100, "idempotency_key": f"k{r}"})
        for r in range(ROUNDS)
    ]
    outcomes = race(schema, 0, [plan] * PROCESSES)
    assert by_round(outcomes) == [Counter(ok=PROCESSES)] * ROUNDS
    for r in range(ROUNDS):
        assert len({repr(o[r][1]) for o in outcomes}) == 1  # every racer got the same entry
    assert game.balance("w1", "gold") == 1 + 100 * ROUNDS
    assert audit(store) == ()
    store.close()


def test_racing_withdrawals_never_go_below_zero(schema: str) -> None:
    store, game, _ = open_game(schema)
    for r in range(ROUNDS):
        game.deposit(f"w{r}", "gold", 1000)
    plan = [
        ("withdraw", {"wallet": f"w{r}", "currency": "gold", "amount": 300}) for r in range(ROUNDS)
    ]
    outcomes = race(schema, 0, [plan] * PROCESSES)
    expected = Counter(ok=3, InsufficientFunds=PROCESSES - 3)
    assert by_round(outcomes) == [expected] * ROUNDS
    assert {game.balance(f"w{r}", "gold") for r in range(ROUNDS)} == {100}
    assert audit(store) == ()
    store.close()


def _idle_mek_with_two_slots(game: JobSlots, wallet: str, mek: str) -> None:
    game.register_mek(wallet, mek)
    game.deposit(wallet, "gold", 1000)
    for slot, job in ((1, "quick"), (2, "slow")):
        game.unlock_slot(wallet, slot)
        game.purchase_job(wallet, slot, job)


def test_one_mek_into_two_slots_has_one_winner(schema: str) -> None:
    store, game, _ = open_game(schema)
    for r in range(ROUNDS):
        _idle_mek_with_two_slots(game, f"w{r}", f"m{r}")
    plans = [
        [
            ("assign_mek", {"wallet": f"w{r}", "slot_number": 1 + i % 2, "mek_id": f"m{r}"})
            for r in range(ROUNDS)
        ]
        for i in range(PROCESSES)
    ]
    outcomes = race(schema, 0, plans)
    for counts in by_round(outcomes):
        assert counts["ok"] == 1, counts
        assert set(counts) <= {"ok", "MekBusy"}
    with store.unit_of_work(write=False) as uow:
        working = [s.mek_id for s in uow.find(SLOTS) if s.mek_id]
    assert sorted(working) == sorted(f"m{r}" for r in range(ROUNDS))
    assert audit(store) == ()
    store.close()


def test_assign_against_set_unavailable_never_skews(schema: str) -> None:
    store, game, _ = open_game(schema)
    for r in range(ROUNDS):
        _idle_mek_with_two_slots(game, f"w{r}", f"m{r}")
    plans = [
        [
            ("assign_mek", {"wallet": f"w{r}", "slot_number": 1, "mek_id": f"m{r}"})
            if i % 2 == 0
            else ("set_mek_available", {"mek_id": f"m{r}", "available": False})
            for r in range(ROUNDS)
        ]
        for i in range(PROCESSES)
    ]
    race(schema, 0, plans)
    assert audit(store) == ()  # an unavailable Mek works no slot
    with store.unit_of_work(write=False) as uow:
        working = {s.mek_id for s in uow.find(SLOTS) if s.mek_id}
        meks = {m.mek_id: m for m in uow.find(MEKS)}
    for r in range(ROUNDS):
        # Whichever command went first, the other was refused: working and available, or idle
        # and unavailable.
        assert (f"m{r}" in working) == meks[f"m{r}"].available
    store.close()


def test_assign_against_transfer_never_skews(schema: str) -> None:
    store, game, _ = open_game(schema)
    for r in range(ROUNDS):
        _idle_mek_with_two_slots(game, f"w{r}", f"m{r}")
    plans = [
        [
            ("assign_mek", {"wallet": f"w{r}", "slot_number": 1, "mek_id": f"m{r}"})
            if i % 2 == 0
            else ("transfer_mek", {"mek_id": f"m{r}", "to_wallet": f"buyer{r}"})
            for r in range(ROUNDS)
        ]
        for i in range(PROCESSES)
    ]
    race(schema, 0, plans)
    assert audit(store) == ()  # a slot never holds another wallet's Mek
    with store.unit_of_work(write=False) as uow:
        working = {s.mek_id for s in uow.find(SLOTS) if s.mek_id}
        meks = {m.mek_id: m for m in uow.find(MEKS)}
    for r in range(ROUNDS):
        # The transfer always lands (it unslots a working Mek); the Mek then works nowhere.
        assert meks[f"m{r}"].wallet == f"buyer{r}"
        assert f"m{r}" not in working
    store.close()


WORKERS = 4
STEPS = 30


def test_concurrent_pit_stop_cycles_lose_nothing(schema: str) -> None:
    open_game(schema)[0].close()
    reports = run_children(
        workers.play_cycles, [(pg_support.dsn(), schema, w, STEPS) for w in range(WORKERS)]
    )
    assert all(r[0] == "ok" and r[2] > 0 and r[3] > 0 for r in reports), reports
    store, _, _ = open_game(schema)
    with store.unit_of_work(write=False) as uow:
        selections = uow.find(SELECTIONS)
        prestiges = uow.find(PRESTIGES)
        ledger = uow.scan(LEDGER)
        balances = {(b.wallet, b.currency): b.amount for b in uow.find(BALANCES)}
        events = uow.scan(EVENTS)
    assert audit(store) == ()
    store.close()
    kinds = Counter(e.kind for e in events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len(selections) == sum(r[2] for r in reports) == kinds["BuffSelected"]
    assert len(prestiges) == sum(r[3] for r in reports) == kinds["Prestiged"]
    sums: Counter[tuple[str, str]] = Counter()
    for entry in ledger:
        sums[(entry.wallet, entry.currency)] += entry.amount
    assert dict(sums) == balances


KILLS = 12


def test_sigkilled_clients_lose_no_acknowledged_command(schema: str) -> None:
    """A client process is SIGKILLed at a seeded moment, again and again: every command it had
    acknowledged is stored, the audit is clean, and the next client carries on."""
    store, game, _ = open_game(schema)
    workers.start_mek(game, "w1", "m1")
    workers.start_mek(game, "w2", "m2")
    game.register_mek("w1", "m3")
    store.close()
    rng = random.Random(12)
    acknowledged: list[tuple[str, str]] = []
    for iteration in range(1, KILLS + 1):
        receiver, sender = CTX.Pipe(duplex=False)
        child = CTX.Process(
            target=workers.crash_loop, args=(pg_support.dsn(), schema, iteration, sender, 10_000)
        )
        child.start()
        sender.close()
        wanted = rng.randint(3, 40)
        got = 0
        while got < wanted and receiver.poll(60):
            acknowledged.append(receiver.recv())
            got += 1
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join(JOIN_TIMEOUT_S)
        while receiver.poll(0):
            try:
                acknowledged.append(receiver.recv())
            except EOFError:
                break
        receiver.close()
        assert got == wanted
    store = PostgresStore(pg_support.dsn(), schema=schema)
    with store.unit_of_work(write=False) as uow:
        missing = [
            (scope, k)
            for scope, k in acknowledged
            if uow.get(IDEMPOTENCY, (scope if ":" in scope else f"wallet:{scope}", k)) is None
        ]
    assert missing == []
    assert audit(store) == ()
    # The server ended the killed clients' sessions and released their locks: a new command runs.
    game = JobSlots(
        store, machine_catalog(), secret=workers.SECRET, secret_id="s1", clock=ManualClock(10**12)
    )
    game.deposit("w1", "gold", 1)
    store.close()


def test_connection_lost_during_commit_counts_once(schemas: pg_support.Schemas) -> None:
    """The proxy drops the connection right after forwarding COMMIT, with and without a
    caller's key: the runner settles the unknown outcome and the deposit counts exactly once."""
    proxy = pg_support.DropProxy(pg_support.server_address())
    # Unprepared statements: the proxy spots COMMIT by its text in every message.
    store = PostgresStore(
        proxy.dsn(pg_support.dsn()), schema=schemas.new("settle"), prepare_threshold=None
    )
    try:
        game = JobSlots(
            store, machine_catalog(), secret=b"x" * 16, secret_id="s1", clock=ManualClock(0)
        )
        game.deposit("w1", "gold", 10)
        for key in ("pay-1", None):
            proxy.armed = True
            entry = game.deposit("w1", "gold", 5, idempotency_key=key)
            assert proxy.drops >= 1
            proxy.drops = 0
            assert entry.amount == 5
        assert game.balance("w1", "gold") == 20
        assert [e.amount for e in game.ledger("w1", "gold")] == [10, 5, 5]
        assert audit(store) == ()
    finally:
        store.close()
        proxy.close()


def test_terminated_backend_mid_command_leaves_nothing_half_done(schema: str) -> None:
    """pg_terminate_backend while a command holds its wallet: the command raises a typed
    StorageError or is retried, nothing half-done, and the next command runs."""
    from jobslot_core.errors import StorageError

    store, game, _ = open_game(schema)
    game.deposit("w1", "gold", 100)
    runner_store = store
    original = runner_store.unit_of_work

    def terminating(*, write: bool = True) -> Any:
        uow = original(write=write)
        if write:
            real_lock = uow.lock

            def lock_then_die(scopes: Any) -> None:
                real_lock(scopes)
                pg_support.execute("SELECT pg_terminate_backend(%s)", (uow._conn.info.backend_pid,))

            uow.lock = lock_then_die  # type: ignore[method-assign]
        return uow

    store.unit_of_work = terminating  # type: ignore[method-assign]
    with pytest.raises(StorageError):
        game.withdraw("w1", "gold", 30)
    store.unit_of_work = original  # type: ignore[method-assign]
    assert game.balance("w1", "gold") == 100
    assert [e.amount for e in game.ledger("w1", "gold")] == [100]
    game.withdraw("w1", "gold", 30)
    assert game.balance("w1", "gold") == 70
    assert audit(store) == ()
    store.close()


def test_wallets_do_not_wait_for_each_other(schema: str) -> None:
    """Deterministic: a command on w1 is held inside its transaction (its scopes locked); a
    command on w2 completes meanwhile, one on w1 waits until the first commits."""
    store, game, _ = open_game(schema)
    game.deposit("w1", "gold", 100)
    game.deposit("w2", "gold", 100)
    held, release = threading.Event(), threading.Event()
    original = store.unit_of_work
    holder_thread: list[int] = []

    def holding(*, write: bool = True) -> Any:
        uow = original(write=write)
        if write and threading.get_ident() in holder_thread:
            real_lock = uow.lock

            def lock_and_hold(scopes: Any) -> None:
                real_lock(scopes)
                held.set()
                assert release.wait(30)

            uow.lock = lock_and_hold  # type: ignore[method-assign]
        return uow

    store.unit_of_work = holding  # type: ignore[method-assign]

    def held_command() -> None:
        holder_thread.append(threading.get_ident())
        game.withdraw("w1", "gold", 10)

    first = threading.Thread(target=held_command)
    first.start()
    try:
        assert held.wait(10)
        other = threading.Thread(target=game.withdraw, args=("w2", "gold", 20))
        other.start()
        other.join(10)
        assert not other.is_alive(), "a command on another wallet waited"
        same_done = threading.Event()
        same = threading.Thread(target=lambda: (game.withdraw("w1", "gold", 1), same_done.set()))
        same.start()
        assert not same_done.wait(0.5), "a command on the held wallet did not wait"
    finally:
        release.set()
        first.join(10)
    assert same_done.wait(10)
    store.unit_of_work = original  # type: ignore[method-assign]
    assert game.balance("w1", "gold") == 89
    assert game.balance("w2", "gold") == 80
    assert audit(store) == ()
    store.close()
