"""PostgresStore under concurrency, with real threads on the real server: lock scopes exclude
and do not over-exclude, logs stay gapless in commit order, reads see one snapshot, and every
driver failure arrives typed (ConcurrencyConflict, CommitOutcomeUnknown, StorageError)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import pg_support
from jobslot_core import model
from jobslot_core.errors import (
    CommitOutcomeUnknown,
    ConcurrencyConflict,
    JobSlotError,
    StorageError,
)
from jobslot_core.storage import protocol as p
from jobslot_core.storage.postgres import PostgresStore
from jobslot_core.storage.protocol import DuplicateKey


@pytest.fixture
def store(schemas: pg_support.Schemas) -> Iterator[PostgresStore]:
    s = PostgresStore(
        pg_support.dsn(), schema=schemas.new("conc"), max_size=10, lock_timeout_ms=20_000
    )
    yield s
    s.close()


def _balance(store: PostgresStore, wallet: str = "w") -> int:
    with store.unit_of_work(write=False) as uow:
        got = uow.get(p.BALANCES, (wallet, "gold"))
    return 0 if got is None else got.amount


def _retrying(work: Callable[[], Any], attempts: int = 50) -> Any:
    for attempt in range(attempts):
        try:
            return work()
        except ConcurrencyConflict:
            time.sleep(0.001 * attempt)
    raise AssertionError("still conflicting")


def _deposit(store: PostgresStore, wallet: str, amount: int) -> None:
    with store.unit_of_work() as uow:
        uow.lock([p.wallet_scope(wallet)])
        old = uow.get(p.BALANCES, (wallet, "gold"))
        total = (0 if old is None else old.amount) + amount
        uow.put(p.BALANCES, model.Balance(wallet, "gold", total))
        uow.append(
            p.LEDGER,
            lambda seq: model.LedgerEntry(seq, wallet, "gold", amount, total, "deposit", "r", 1),
        )
        uow.append(p.EVENTS, lambda seq: model.Event(seq, "Deposited", wallet, 1, {"n": total}))
        uow.commit()


def test_read_modify_write_under_a_scope_loses_nothing(store: PostgresStore) -> None:
    """16 threads x 25 deposits on one wallet: every one counted, ledger gapless."""
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: [_deposit(store, "w", 1) for _ in range(25)], range(16)))
    assert _balance(store) == 400
    with store.unit_of_work(write=False) as uow:
        ledger = uow.scan(p.LEDGER)
    assert [e.seq for e in ledger] == list(range(1, 401))
    assert [e.balance_after for e in ledger] == list(range(1, 401))


def test_without_lock_updates_are_lost(store: PostgresStore) -> None:
    """The check above can fail: the same deposits without `lock` lose updates (READ COMMITTED)."""

    def unlocked() -> None:
        with store.unit_of_work() as uow:
            old = uow.get(p.BALANCES, ("w", "gold"))
            time.sleep(0.002)
            uow.put(p.BALANCES, model.Balance("w", "gold", (0 if old is None else old.amount) + 1))
            uow.commit()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: [unlocked() for _ in range(10)], range(8)))
    assert _balance(store) < 80


def test_concurrent_insert_of_one_absent_key_has_one_winner(store: PostgresStore) -> None:
    barrier = threading.Barrier(8)

    def insert(n: int) -> str:
        with store.unit_of_work() as uow:
            barrier.wait()
            try:
                uow.insert(p.MEKS, model.Mek("m", f"w{n}", n))
            except DuplicateKey:
                return "duplicate"
            time.sleep(0.05)
            uow.commit()
            return "won"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(insert, range(8)))
    assert sorted(outcomes) == ["duplicate"] * 7 + ["won"]


def _hold(
    store: PostgresStore, scopes: list[str], entered: threading.Event, release: threading.Event
) -> None:
    with store.unit_of_work() as uow:
        uow.lock(scopes)
        entered.set()
        assert release.wait(30)
        uow.commit()


def test_same_scope_waits_other_scope_does_not(store: PostgresStore) -> None:
    """Deterministic: while A holds wallet:a, a writer on wallet:b commits, one on wallet:a
    waits until A commits."""
    entered, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(store, ["wallet:a"], entered, release))
    holder.start()
    assert entered.wait(10)
    other = threading.Thread(target=_deposit, args=(store, "b", 5))
    other.start()
    other.join(10)
    assert not other.is_alive(), "a writer on another wallet waited"
    assert _balance(store, "b") == 5
    same_done = threading.Event()
    same = threading.Thread(target=lambda: (_deposit(store, "a", 7), same_done.set()))
    same.start()
    assert not same_done.wait(0.5), "a writer on the held wallet did not wait"
    assert _balance(store, "a") == 0
    release.set()
    holder.join(10)
    assert same_done.wait(10)
    assert _balance(store, "a") == 7


def test_tailing_reader_sees_appends_gapless_in_commit_order(store: PostgresStore) -> None:
    """Writers on 6 wallets append while a reader tails the outbox: seq increases by one each
    time, nothing skipped, nothing doubled."""
    stop = threading.Event()
    seen: list[int] = []

    def tail() -> None:
        after = 0
        while True:
            done = stop.is_set()
            with store.unit_of_work(write=False) as uow:
                batch = uow.scan(p.EVENTS, after=after)
            seen.extend(e.seq for e in batch)
            if batch:
                after = batch[-1].seq
            if done:
                return

    reader = threading.Thread(target=tail)
    reader.start()
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda w: [_deposit(store, f"w{w}", 1) for _ in range(30)], range(6)))
    stop.set()
    reader.join(30)
    assert seen == list(range(1, 181))


def test_read_unit_of_work_sees_one_snapshot(store: PostgresStore) -> None:
    _deposit(store, "w", 3)
    with store.unit_of_work(write=False) as uow:
        first = uow.get(p.BALANCES, ("w", "gold"))
        writer = threading.Thread(target=_deposit, args=(store, "w", 4))
        writer.start()
        writer.join(10)
        again = uow.get(p.BALANCES, ("w", "gold"))
        events = uow.scan(p.EVENTS)
    assert first == again and first is not None and first.amount == 3
    assert len(events) == 1
    assert _balance(store) == 7


def test_lock_timeout_is_a_concurrency_conflict(schemas: pg_support.Schemas) -> None:
    store = PostgresStore(pg_support.dsn(), schema=schemas.new("lt"), lock_timeout_ms=200)
    entered, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(store, ["wallet:a"], entered, release))
    holder.start()
    try:
        assert entered.wait(10)
        with pytest.raises(ConcurrencyConflict) as caught, store.unit_of_work() as uow:
            uow.lock(["wallet:a"])
        assert caught.value.sqlstate == "55P03"
    finally:
        release.set()
        holder.join(10)
    _deposit(store, "a", 1)  # the store is fine afterwards
    store.close()


def test_deadlock_is_a_concurrency_conflict(store: PostgresStore) -> None:
    """Two units of work inserting the same two keys in opposite orders: PostgreSQL detects
    the deadlock (40P01), one gets ConcurrencyConflict, the other commits."""
    barrier = threading.Barrier(2)

    def cross(first: str, second: str) -> str:
        try:
            with store.unit_of_work() as uow:
                uow.insert(p.MEKS, model.Mek(first, "w", 1))
                barrier.wait()
                try:
                    uow.insert(p.MEKS, model.Mek(second, "w", 1))
                except DuplicateKey:
                    return "duplicate"
                uow.commit()
                return "committed"
        except ConcurrencyConflict as e:
            return f"conflict {e.sqlstate}"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda ab: cross(*ab), [("x", "y"), ("y", "x")]))
    assert outcomes in (["committed", "conflict 40P01"], ["conflict 40P01", "duplicate"])


def test_a_second_lock_call_does_not_wait_on_a_held_scope(store: PostgresStore) -> None:
    """Holding x, asking for y that another holds: ConcurrencyConflict at once (NOWAIT), not
    a wait that could deadlock."""
    with store.unit_of_work() as uow:  # the scope rows exist (an insert of one would wait)
        uow.lock(["x", "y"])
        uow.commit()
    entered, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(store, ["y"], entered, release))
    holder.start()
    try:
        assert entered.wait(10)
        started = time.monotonic()
        with pytest.raises(ConcurrencyConflict) as caught, store.unit_of_work() as uow:
            uow.lock(["x"])
            uow.lock(["y"])
        assert caught.value.sqlstate == "55P03"
        assert time.monotonic() - started < 0.9  # deadlock_timeout is 1 s by default
    finally:
        release.set()
        holder.join(10)


def test_terminated_backend_mid_unit_of_work_is_a_storage_error(store: PostgresStore) -> None:
    """pg_terminate_backend while a unit of work is open: a typed StorageError, nothing
    applied, and the store goes on with a fresh connection."""
    _deposit(store, "w", 1)
    with pytest.raises(StorageError) as caught, store.unit_of_work() as uow:
        uow.lock(["wallet:w"])
        uow.put(p.BALANCES, model.Balance("w", "gold", 1000))
        pid = uow._conn.info.backend_pid
        pg_support.execute("SELECT pg_terminate_backend(%s)", (pid,))
        uow.get(p.BALANCES, ("w", "gold"))
    assert not isinstance(caught.value, ConcurrencyConflict)
    assert caught.value.sqlstate in ("57P01", None) or caught.value.sqlstate.startswith("08")
    assert _balance(store) == 1
    _deposit(store, "w", 1)
    assert _balance(store) == 2


def test_a_lost_connection_is_not_kept_by_the_store(store: PostgresStore) -> None:
    """The store keeps each connection's cursors, and a cursor holds its connection: the
    cursors of a connection the server ended (and the pool dropped) must not stay, or the
    store keeps every connection it ever lost alive."""
    for _ in range(3):
        with pytest.raises(StorageError), store.unit_of_work() as uow:
            uow.lock(["wallet:w"])
            pg_support.execute("SELECT pg_terminate_backend(%s)", (uow._conn.info.backend_pid,))
            uow.get(p.BALANCES, ("w", "gold"))
    _deposit(store, "w", 1)  # on a fresh connection
    kept = list(store._conn_wires.keys())
    assert kept and not [conn for conn in kept if conn.closed]
    assert _balance(store) == 1


def test_driver_errors_arrive_as_storage_error_with_sqlstate(store: PostgresStore) -> None:
    """A broken store (its schema renamed away), a value PostgreSQL refuses (a bigint
    overflow, a NUL in text): StorageError with the SQLSTATE, never a psycopg exception."""
    with pytest.raises(StorageError) as caught, store.unit_of_work() as uow:
        uow.put(p.SLOTS, model.JobSlot("w", 2**70, 1))
        uow.commit()
    assert caught.value.sqlstate == "22003"
    with pytest.raises(StorageError), store.unit_of_work() as uow:
        uow.get(p.MEKS, ("nul\x00",))
    with pytest.raises(StorageError), store.unit_of_work() as uow:
        uow.put(p.MEKS, model.Mek("lone \udc80", "w", 1))
        uow.commit()
    pg_support.execute(f'ALTER SCHEMA "{store.schema}" RENAME TO "{store.schema}_broken"')
    for write in (False, True):
        with pytest.raises(StorageError) as caught, store.unit_of_work(write=write) as uow:
            uow.get(p.MEKS, ("m",))
        assert caught.value.sqlstate == "42P01"
        assert not isinstance(caught.value, ConcurrencyConflict)


def test_connection_lost_during_commit_is_commit_outcome_unknown(
    schemas: pg_support.Schemas,
) -> None:
    """A proxy forwards COMMIT and drops the connection before the answer: the client gets
    CommitOutcomeUnknown; the data shows whether it committed, all or nothing."""
    proxy = pg_support.DropProxy(pg_support.server_address())
    # Unprepared statements: the proxy spots COMMIT by its text in every message.
    store = PostgresStore(
        proxy.dsn(pg_support.dsn()), schema=schemas.new("lost"), prepare_threshold=None
    )
    try:
        _deposit(store, "w", 5)
        proxy.armed = True
        with pytest.raises(CommitOutcomeUnknown) as caught:
            _deposit(store, "w", 1)
        assert isinstance(caught.value, StorageError) and proxy.drops == 1
        _deposit(store, "w", 1)  # a fresh connection; waits for the dropped one's wallet lock
        with store.unit_of_work(write=False) as uow:
            ledger = [e.amount for e in uow.scan(p.LEDGER)]
            events = uow.scan(p.EVENTS)
        # The lost commit went through whole (its ledger line and event) or not at all.
        assert ledger in ([5, 1, 1], [5, 1])
        assert len(events) == len(ledger)
        assert _balance(store) == sum(ledger)
    finally:
        store.close()
        proxy.close()


def test_concurrency_conflicts_are_retried_to_completion(store: PostgresStore) -> None:
    """Deadlock-prone transfers between two wallets, retried on ConcurrencyConflict: the total
    is conserved and every transfer applied once."""
    for w in ("a", "b"):
        _deposit(store, w, 100)

    def transfer(src: str, dst: str) -> None:
        def once() -> None:
            with store.unit_of_work() as uow:
                uow.lock([p.wallet_scope(src)])
                s = uow.get(p.BALANCES, (src, "gold"))
                uow.lock([p.wallet_scope(dst)])  # a second call, after a read
                d = uow.get(p.BALANCES, (dst, "gold"))
                assert s is not None and d is not None
                uow.put(p.BALANCES, model.Balance(src, "gold", s.amount - 1))
                uow.put(p.BALANCES, model.Balance(dst, "gold", d.amount + 1))
                uow.commit()

        _retrying(once)

    pairs = [("a", "b"), ("b", "a")] * 40
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda ab: transfer(*ab), pairs))
    assert _balance(store, "a") + _balance(store, "b") == 200
    assert _balance(store, "a") == 100


def test_read_unit_of_work_refuses_writes_and_locks(store: PostgresStore) -> None:
    with store.unit_of_work(write=False) as uow:
        for call in (
            lambda: uow.put(p.MEKS, model.Mek("m", "w", 1)),
            lambda: uow.lock(["wallet:w"]),
            lambda: uow.append(p.EVENTS, lambda seq: model.Event(seq, "k", None, 1)),
        ):
            with pytest.raises(JobSlotError):
                call()
