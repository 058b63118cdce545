"""Review of prefetch, `add`, `append_at_commit` and batched writes on PostgreSQL: each test
shows PostgresStore answering otherwise than MemoryStore (or than the protocol says)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import pg_support
from jobslot_core import model
from jobslot_core.storage import MemoryStore, Store
from jobslot_core.storage import protocol as p
from jobslot_core.storage.postgres import PostgresStore
from jobslot_core.storage.protocol import DuplicateKey, Read


@pytest.fixture
def store(schemas: pg_support.Schemas) -> Iterator[PostgresStore]:
    s = PostgresStore(pg_support.dsn(), schema=schemas.new("review"), max_size=6)
    yield s
    s.close()


@pytest.fixture(params=["memory", "postgres"])
def both(request: pytest.FixtureRequest, schemas: pg_support.Schemas) -> Iterator[Store]:
    """The same test on MemoryStore (the reference) and on PostgresStore."""
    if request.param == "memory":
        yield MemoryStore()
        return
    s = PostgresStore(pg_support.dsn(), schema=schemas.new("review"), max_size=4)
    yield s
    s.close()


def _mek(mek_id: str, at: int = 1) -> model.Mek:
    return model.Mek(mek_id, "w", at)


def _events(store: Store) -> list[model.Event]:
    with store.unit_of_work(write=False) as uow:
        return uow.scan(p.EVENTS)


def test_a_prefetched_scan_with_a_negative_limit_does_not_fail_the_lock(both: Store) -> None:
    """`prefetch` is a hint, and "a read the server could refuse is left to the caller": but
    `_fits` lets a negative `limit` through, the server refuses `LIMIT -1` (2201W), and the
    refusal aborts the transaction the lock statement was in: `lock` raises StorageError."""
    with both.unit_of_work() as uow:
        uow.prefetch([Read.scan(p.EVENTS, 0, -1)])
        uow.lock([p.wallet_scope("w")])
        uow.put(p.MEKS, _mek("m"))
        uow.commit()
    with both.unit_of_work(write=False) as uow:
        assert uow.get(p.MEKS, ("m",)) == _mek("m")


@pytest.mark.parametrize("write", ["insert", "put", "delete"])
def test_a_write_to_a_log_drops_its_prefetched_scans(both: Store, write: str) -> None:
    """`_Known.wrote` keeps prefetched gets and finds true, but not prefetched scans: a record
    written to a log by key (insert/put/delete, which MemoryStore honours) leaves a scan
    answered from before the write."""
    first = model.Event(1, "a", None, 1, {})
    if write == "delete":
        with both.unit_of_work() as uow:
            uow.append(p.EVENTS, lambda seq: model.Event(seq, "a", None, 1, {}))
            uow.commit()
    with both.unit_of_work() as uow:
        uow.prefetch([Read.scan(p.EVENTS)])
        uow.lock([p.ADMIN_SCOPE])
        if write == "delete":
            assert uow.scan(p.EVENTS) == [first]
            uow.delete(p.EVENTS, (1,))
            assert uow.scan(p.EVENTS) == []
        else:
            assert uow.scan(p.EVENTS) == []
            getattr(uow, write)(p.EVENTS, first)
            assert uow.scan(p.EVENTS) == [first]
        uow.commit()


def test_append_at_commit_stores_what_build_makes_for_the_seq(both: Store) -> None:
    """`append_at_commit` is `append` numbered later; the contract's own `_event` builder
    (used with append_at_commit by the isolation behaviours) puts the seq in `at_ms` and
    `data`. PostgreSQL builds every record with seq 0 and replaces only the `seq` field: the
    stored event has at_ms 1000 and data {"n": 0}, where MemoryStore stores 1001, {"n": 1}."""

    def build(seq: int) -> model.Event:
        return model.Event(seq, "k", None, 1_000 + seq, {"n": seq})

    with both.unit_of_work() as uow:
        uow.lock([p.ADMIN_SCOPE])
        uow.append_at_commit(p.EVENTS, build)
        uow.commit()
    assert _events(both) == [build(1)]


def test_append_at_commit_builds_the_record_when_called(both: Store) -> None:
    """MemoryStore (and `append`) call `build` when the record is appended; PostgreSQL calls it
    inside `commit`, so whatever `build` reads has changed by then (here a list the caller
    reuses; a builder that raises raises from `commit` too)."""
    kinds = ["first"]
    with both.unit_of_work() as uow:
        uow.lock([p.ADMIN_SCOPE])
        uow.append_at_commit(p.EVENTS, lambda seq: model.Event(seq, kinds[0], None, 1, {}))
        kinds[0] = "second"
        uow.commit()
    assert [e.kind for e in _events(both)] == ["first"]


def _wait_blocked(store: PostgresStore, timeout_s: float = 10.0) -> None:
    """Wait until some backend of this test database waits for a lock in our schema."""
    assert pg_support.wait_until(
        lambda: bool(
            pg_support.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                (f"%{store.schema}%scopes%",),
            )
        ),
        timeout_s,
    ), "the second lock call never waited"


@pytest.mark.parametrize("prefetch", [False, True], ids=["plain", "prefetched"])
def test_prefetched_reads_are_not_older_than_a_second_lock_call(
    store: PostgresStore, prefetch: bool
) -> None:
    """A second `lock` call that meets a scope row being made by another writer needs two
    statements (`_lock_scopes`, then `_lock_again`); the reads named to `prefetch` travel with
    the first, before the scope is held. A writer that takes the scope in between and commits
    is then hidden from the unit of work that holds the scope afterwards: `get` answers the
    prefetched row instead of the committed one (MemoryStore, or a plain read, sees it: the
    `plain` case passes)."""
    with store.unit_of_work() as uow:
        uow.lock(["a"])
        uow.put(p.MEKS, _mek("m", 0))
        uow.commit()
    maker_holds, maker_go = threading.Event(), threading.Event()

    def maker() -> None:  # makes scope row "x" and commits when told
        with store.unit_of_work() as uow:
            uow.lock(["x"])
            uow.put(p.MEKS, _mek("m", 1))
            uow.get(p.MEKS, ("other",))  # send the put
            maker_holds.set()
            maker_go.wait(10)
            uow.commit()

    def rival() -> None:  # takes "x" between the two lock statements
        with store.unit_of_work() as uow:
            uow.lock(["x"])
            uow.put(p.MEKS, _mek("m", 2))
            uow.commit()

    seen: list[Any] = []
    errors: list[BaseException] = []

    def holder() -> None:
        try:
            with store.unit_of_work() as uow:
                uow.lock(["a"])
                send = uow._send

                def hooked(sql: str, params: Any, what: str) -> Any:
                    if sql.startswith(store._lock_again):
                        t = threading.Thread(target=rival)
                        t.start()
                        t.join(10)
                    return send(sql, params, what)

                uow._send = hooked  # type: ignore[method-assign]
                maker_holds.wait(10)
                if prefetch:
                    uow.prefetch([Read.get(p.MEKS, "m")])
                uow.lock(["x"])
                seen.append(uow.get(p.MEKS, ("m",)))
                uow.commit()
        except BaseException as e:
            errors.append(e)

    m = threading.Thread(target=maker)
    m.start()
    assert maker_holds.wait(10)
    h = threading.Thread(target=holder)
    h.start()
    _wait_blocked(store)
    maker_go.set()
    m.join(10)
    h.join(20)
    assert not errors, errors
    with store.unit_of_work(write=False) as uow:
        assert uow.get(p.MEKS, ("m",)) == _mek("m", 2)
    assert seen == [_mek("m", 2)], "the holder of scope x read a row older than x's last holder"


def test_gapless_outbox_with_mixed_appends_across_stores(schemas: pg_support.Schemas) -> None:
    """Three store objects (separate pools: as separate processes would be) mixing `append`
    and `append_at_commit` on the events and ledger logs while a reader tails the outbox: the
    reader sees 1, 2, 3, ... (never a seq before a smaller one commits), with no deadlock."""
    name = schemas.new("review")
    stores = [PostgresStore(pg_support.dsn(), schema=name, max_size=4) for _ in range(3)]
    stop = threading.Event()
    seen: list[int] = []
    conflicts: list[str] = []

    def tail() -> None:
        after = 0
        while True:
            done = stop.is_set()
            with stores[0].unit_of_work(write=False) as uow:
                batch = uow.scan(p.EVENTS, after=after)
            seen.extend(e.seq for e in batch)
            if batch:
                after = batch[-1].seq
            if done:
                return

    def writer(n: int) -> None:
        s = stores[n % 3]
        for r in range(40):
            while True:
                try:
                    with s.unit_of_work() as uow:
                        uow.lock([p.wallet_scope(f"w{n}")])
                        ev = lambda seq: model.Event(seq, "E", f"w{n}", 1, {})  # noqa: E731
                        le = lambda seq: model.LedgerEntry(  # noqa: E731
                            seq, f"w{n}", "gold", 1, 0, "x", "", 1
                        )
                        plan = (n + r) % 4
                        if plan == 0:
                            uow.append_at_commit(p.EVENTS, ev)
                            uow.append_at_commit(p.LEDGER, le)
                        elif plan == 1:
                            uow.append(p.LEDGER, le)
                            uow.append_at_commit(p.EVENTS, ev)
                        elif plan == 2:
                            uow.append_at_commit(p.LEDGER, le)
                            uow.append_at_commit(p.EVENTS, ev)
                            uow.append_at_commit(p.EVENTS, ev)
                        else:
                            uow.append(p.EVENTS, ev)
                        uow.commit()
                    break
                except Exception as e:
                    conflicts.append(f"{type(e).__name__}: {e}")
                    time.sleep(0.001)

    reader = threading.Thread(target=tail)
    reader.start()
    try:
        writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        for t in writers:
            t.start()
        for t in writers:
            t.join(120)
        stop.set()
        reader.join(30)
    finally:
        for s in stores:
            s.close()
    expected = sum(2 if (n + r) % 4 == 2 else 1 for n in range(6) for r in range(40))
    assert seen == list(range(1, expected + 1))
    assert not [c for c in conflicts if "40P01" in c], conflicts[:3]


def test_insert_after_append_at_commit_still_raises_duplicate_key(both: Store) -> None:
    """`insert` of a taken key raises DuplicateKey (the caller may handle it and go on, as
    `select_buff` does). PostgreSQL queues an insert made after `append_at_commit` as if the
    log tails were held, so the duplicate surfaces only from `commit`, as a ConcurrencyConflict
    (a retry, not the typed refusal), although nothing holds the tails then."""
    with both.unit_of_work() as uow:
        uow.put(p.MEKS, _mek("m"))
        uow.commit()
    with both.unit_of_work() as uow:
        uow.lock([p.wallet_scope("w")])
        uow.append_at_commit(p.EVENTS, lambda seq: model.Event(seq, "k", None, 1, {}))
        with pytest.raises(DuplicateKey):
            uow.insert(p.MEKS, _mek("m", 2))
        uow.put(p.MEKS, _mek("n"))
        uow.commit()
    with both.unit_of_work(write=False) as uow:
        assert uow.find(p.MEKS) == [_mek("m"), _mek("n")]
    assert [e.kind for e in _events(both)] == ["k"]


def test_a_prefetched_scan_answers_a_new_list_each_time(both: Store) -> None:
    """`scan` returns a list the caller owns (MemoryStore builds one per call); a prefetched
    scan hands out the one list it keeps, so a caller that consumes it (pop, clear, sort)
    changes what the next identical scan answers."""
    with both.unit_of_work() as uow:
        uow.append(p.EVENTS, lambda seq: model.Event(seq, "a", None, 1, {}))
        uow.commit()
    with both.unit_of_work() as uow:
        uow.prefetch([Read.scan(p.EVENTS)])
        uow.lock([p.ADMIN_SCOPE])
        first = uow.scan(p.EVENTS)
        assert [e.kind for e in first] == ["a"]
        first.clear()
        assert [e.kind for e in uow.scan(p.EVENTS)] == ["a"]


def _released_store_class(commit: str = "602e91e") -> Any:
    """PostgresStore as released before these changes (the same SCHEMA_VERSION), loaded from
    git: a process of the previous release sharing the database during a rolling upgrade."""
    import subprocess
    import sys
    import types
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = subprocess.run(
        ["git", "show", f"{commit}:src/jobslot_core/storage/postgres.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    name = "jobslot_core.storage._released_postgres"
    module = types.ModuleType(name)
    module.__package__ = "jobslot_core.storage"
    sys.modules[name] = module
    exec(compile(source, name, "exec"), module.__dict__)
    return module.PostgresStore


def test_a_process_of_the_previous_release_reads_the_events(store: PostgresStore) -> None:
    """SCHEMA_VERSION stays 1 and the CHANGELOG says "no migration is needed", but events
    numbered at commit are stored with a doc lacking `seq`: a process still running the
    previous release on the same schema (a rolling upgrade, or a rollback) reads the outbox
    and gets CorruptStore ("stored record does not decode")."""
    with store.unit_of_work() as uow:
        uow.lock([p.ADMIN_SCOPE])
        uow.append_at_commit(p.EVENTS, lambda seq: model.Event(seq, "k", None, 1, {}))
        uow.commit()
    [(doc,)] = pg_support.execute(f'SELECT doc FROM "{store.schema}".events')
    assert doc == '{"at_ms":1,"data":{},"kind":"k","seq":1,"wallet":null}'  # as `append` writes
    released = _released_store_class()(pg_support.dsn(), schema=store.schema, max_size=1)
    try:
        with released.unit_of_work(write=False) as uow:
            assert uow.scan(p.EVENTS) == [model.Event(1, "k", None, 1, {})]
    finally:
        released.close()


def test_a_unit_of_work_of_many_writes_commits(both: Store) -> None:
    """Batching gathers one table's queued rows into one statement's VALUES, with no bound:
    22,000 puts (3 parameters a row) pass PostgreSQL's 65,535 bind parameters a statement,
    and the commit fails ("number of parameters must be between 0 and 65535"), where each
    put was its own statement before (and MemoryStore takes any number)."""
    with both.unit_of_work() as uow:
        uow.lock([p.wallet_scope("w")])
        for n in range(22_000):
            uow.put(p.MEKS, model.Mek(f"m{n:05d}", "w", n))
        uow.commit()
    with both.unit_of_work(write=False) as uow:
        assert len(uow.find(p.MEKS, wallet="w")) == 22_000


def test_a_long_prefetch_does_not_fail_the_lock(both: Store) -> None:
    """`prefetch` is a hint with no bound on its reads; PostgreSQL sends them all in one
    UNION ALL statement, and 10,000 of them exceed the server's stack depth (54001: "stack
    depth limit exceeded", 40,000 exceed the bind parameters): the lock fails."""
    with both.unit_of_work() as uow:
        uow.put(p.SLOTS, model.JobSlot("w", 7, 1))
        uow.commit()
    with both.unit_of_work() as uow:
        uow.prefetch([Read.get(p.SLOTS, "w", n) for n in range(10_000)])
        uow.lock([p.wallet_scope("w")])
        assert uow.get(p.SLOTS, ("w", 7)) == model.JobSlot("w", 7, 1)
        assert uow.get(p.SLOTS, ("w", 9_999)) is None
        uow.commit()
