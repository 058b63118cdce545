"""Regressions from an adversarial run on PostgreSQL: each test failed on the defect it names."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

import pg_support
from jobslot_core.service import JobSlots
from jobslot_core.storage.postgres import PostgresStore
from jobslot_core.testing.commands import machine_catalog


@pytest.fixture
def store() -> Iterator[PostgresStore]:
    pg_support.require_server()
    name = "probe_" + uuid.uuid4().hex[:12]
    s = PostgresStore(pg_support.dsn(), schema=name, max_size=8)
    yield s
    s.close()
    pg_support.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


class GateClock:
    """A clock whose next read, once `hold` is set, waits for `release` after taking its value
    (the command has its scopes then, as the runner reads the clock after locking)."""

    def __init__(self, now_ms: int) -> None:
        self.now = now_ms
        self.hold = False
        self.inside = threading.Event()
        self.release = threading.Event()

    def now_ms(self) -> int:
        now = self.now
        if self.hold:
            self.hold = False
            self.inside.set()
            self.release.wait(10)
        return now


def test_a_wallets_event_times_follow_its_commit_order(store: PostgresStore) -> None:
    """docs/storage.md: "the clock is read after the scopes are held, so a wallet's event times
    follow its commit order". `set_mek_available` once emitted `MekAvailabilityChanged` for the
    owner's wallet holding only the Mek's scope, so a deposit to that wallet that started later
    (later clock) could commit first: an earlier seq with a later time. Now it holds the owner's
    scope: the deposit waits for it."""
    slow, fast = GateClock(1_000), GateClock(1_000)
    g1 = JobSlots(
        store, machine_catalog(), secret=b"probe secret of 16+ bytes", secret_id="s1", clock=slow
    )
    g2 = JobSlots(store, secret=b"probe secret of 16+ bytes", secret_id="s1", clock=fast)
    g1.register_mek("w", "m")
    slow.now, fast.now = 5_000, 9_000
    slow.hold = True
    t = threading.Thread(target=lambda: g1.set_mek_available("m", False))
    t.start()
    assert slow.inside.wait(10)
    deposit = threading.Thread(target=lambda: g2.deposit("w", "gold", 5))  # reads later
    deposit.start()
    deposit.join(0.5)
    assert deposit.is_alive(), "a command on the same wallet did not wait for the held scope"
    slow.release.set()
    t.join(10)
    deposit.join(10)
    events = [e for e in g1.events() if e.wallet == "w"]
    assert [e.kind for e in events] == [
        "MekRegistered",
        "MekAvailabilityChanged",
        "CurrencyGranted",
    ]
    times = [e.at_ms for e in events]
    assert times == sorted(times), [(e.seq, e.kind, e.at_ms) for e in events]


def test_first_use_of_a_scope_never_deadlocks(store: PostgresStore) -> None:
    """docs/storage.md: "All scopes of a command are locked in one call, in sorted order, so two
    commands never wait for each other in opposite orders". The lock statement locks the rows
    that exist first (`SELECT ... FOR UPDATE`), inserts missing rows after (the unreferenced
    data-modifying CTE runs last), then locks again: with a scope row made meanwhile by a third
    writer, one writer holds `b` and waits for `a` while another holds `a` and waits for `b`.
    PostgreSQL breaks it after deadlock_timeout (a 1 s stall and a ConcurrencyConflict)."""
    from jobslot_core.errors import ConcurrencyConflict

    with store.unit_of_work() as uow:
        uow.lock(["b"])
        uow.commit()
    deadlocks: list[str] = []
    for r in range(60):
        a = f"a{r}"
        start = threading.Barrier(6)

        def run(scopes: list[str], start: threading.Barrier = start) -> None:
            start.wait(10)
            try:
                with store.unit_of_work() as uow:
                    uow.lock(scopes)
                    uow.commit()
            except ConcurrencyConflict as e:
                deadlocks.append(str(e))

        plans = [[a], [a, "b"], [a, "b"], [a], [a, "b"], [a, "b"]]
        threads = [threading.Thread(target=run, args=(p,)) for p in plans]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert not deadlocks, f"{len(deadlocks)} of 360 lock calls: {deadlocks[0]}"


def test_a_start_retried_after_another_process_published_raises_no_raw_error() -> None:
    """`JobSlots.__init__` collects the start command's published catalog in a list outside
    the attempt. Attempt 1 publishes and then times out on the log tails (55P03, retried);
    meanwhile another process publishes the same catalog; attempt 2 finds it and publishes
    nothing, and the constructor reads attempt 1's never-appended Pending: a raw RuntimeError
    ("the log record is appended when the command commits") reaches the caller."""
    import psycopg

    pg_support.require_server()
    name = "probe_" + uuid.uuid4().hex[:12]
    PostgresStore(pg_support.dsn(), schema=name).close()
    impatient = PostgresStore(pg_support.dsn(), schema=name, lock_timeout_ms=300)
    patient = PostgresStore(pg_support.dsn(), schema=name)
    outcome: dict[str, str] = {}

    def start(who: str, store: PostgresStore) -> None:
        try:
            JobSlots(store, machine_catalog(), secret=b"probe secret of 16+ bytes", secret_id="s1")
            outcome[who] = "ok"
        except Exception as e:  # the defect: anything but a started game
            outcome[who] = f"{type(e).__name__}: {e}"

    try:
        with psycopg.connect(pg_support.dsn()) as holder:  # a long commit holding the tails
            holder.execute(f"SELECT * FROM {name}.tails FOR UPDATE")
            first = threading.Thread(target=start, args=("impatient", impatient))
            first.start()
            time.sleep(0.1)  # the impatient start holds the admin scope, waits on the tails
            second = threading.Thread(target=start, args=("patient", patient))
            second.start()
            time.sleep(0.8)  # the impatient attempt timed out; the patient one got admin
            holder.rollback()
            first.join(30)
            second.join(30)
    finally:
        impatient.close()
        patient.close()
        pg_support.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
    assert outcome == {"impatient": "ok", "patient": "ok"}
