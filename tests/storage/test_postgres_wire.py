"""PostgresStore's sender (`_pgwire`): statements prepared as psycopg prepares them (after
`prepare_threshold` uses, never with None), prepared statements kept when a later statement of
their round trip fails, and a session whose prepared statements were dropped recovering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pg_support
from jobslot_core import JobSlots, ManualClock, load_catalog, model
from jobslot_core.errors import ConcurrencyConflict, StorageError
from jobslot_core.storage import protocol as p
from jobslot_core.storage.postgres import PostgresStore

CATALOG = Path(__file__).resolve().parents[2] / "examples" / "catalog.toml"


def _store(schemas: pg_support.Schemas, prepare_threshold: int | None) -> PostgresStore:
    return PostgresStore(
        pg_support.dsn(),
        schema=schemas.new("wire"),
        max_size=1,
        prepare_threshold=prepare_threshold,
    )


@pytest.fixture
def store(schemas: pg_support.Schemas) -> Iterator[PostgresStore]:
    s = _store(schemas, prepare_threshold=2)
    yield s
    s.close()


def _ours(store: PostgresStore) -> list[str]:
    """The names of the session's statements prepared by the sender (asked through psycopg,
    which the sender does not count)."""
    with store.unit_of_work(write=False) as uow:
        rows = uow._conn.execute("SELECT name FROM pg_prepared_statements").fetchall()
        uow.rollback()
    return sorted(name for (name,) in rows if name.startswith("_jobslot_"))


def _put(store: PostgresStore, mek: str) -> None:
    with store.unit_of_work() as uow:
        uow.lock([p.wallet_scope("w")])
        uow.put(p.MEKS, model.Mek(mek, "w", 1))
        uow.commit()


def test_a_text_is_prepared_after_the_threshold_and_then_reused(store: PostgresStore) -> None:
    for n in range(2):
        _put(store, f"m{n}")
    before = _ours(store)
    _put(store, "m2")  # the third use of each text: prepared now
    prepared = _ours(store)
    assert len(prepared) > len(before)
    for n in range(3, 8):
        _put(store, f"m{n}")
    assert _ours(store) == prepared  # reused, not prepared again


def test_no_statement_is_prepared_without_a_threshold(schemas: pg_support.Schemas) -> None:
    """`prepare_threshold=None` (PgBouncer in transaction mode): nothing is prepared."""
    store = _store(schemas, prepare_threshold=None)
    try:
        for n in range(8):
            _put(store, f"m{n}")
        assert _ours(store) == []
    finally:
        store.close()


def test_statements_prepared_in_a_failing_round_trip_are_kept(
    schemas: pg_support.Schemas,
) -> None:
    """A statement prepared in a pipeline stays on the server when a later statement of the
    pipeline fails: the sender keeps it, and neither prepares its name again (which the server
    refuses: 42P05) nor leaks a new one per failure."""
    store = _store(schemas, prepare_threshold=0)
    try:
        _put(store, "m0")
        for _ in range(5):
            with pytest.raises(ConcurrencyConflict), store.unit_of_work() as uow:
                uow.lock([p.wallet_scope("w")])
                uow.put(p.MEKS, model.Mek("m1", "w", 1))
                uow.add(p.MEKS, model.Mek("m0", "w", 1))  # taken: fails the commit
                uow.commit()
        prepared = _ours(store)
        for _ in range(5):
            with pytest.raises(ConcurrencyConflict), store.unit_of_work() as uow:
                uow.lock([p.wallet_scope("w")])
                uow.put(p.MEKS, model.Mek("m1", "w", 1))
                uow.add(p.MEKS, model.Mek("m0", "w", 1))
                uow.commit()
            _put(store, "m2")
        assert _ours(store) == prepared
    finally:
        store.close()


def test_a_session_whose_prepared_statements_were_dropped_recovers(
    schemas: pg_support.Schemas,
) -> None:
    """A host's `DISCARD ALL` drops the session's prepared statements: the next statement
    using one is a ConcurrencyConflict (26000), which the runner retries; the store prepares
    again, and the command is applied once."""
    store = _store(schemas, prepare_threshold=0)
    try:
        catalog = load_catalog(CATALOG)
        game = JobSlots(
            store, catalog, secret=b"wire test secret 2026", secret_id="s1", clock=ManualClock(0)
        )
        game.deposit("w", "gold", 5, idempotency_key="d1")
        with store.unit_of_work() as uow:
            uow._conn.execute("DISCARD ALL")  # nothing sent yet: no transaction is open
            uow.rollback()
        assert _ours(store) == []
        game.deposit("w", "gold", 7, idempotency_key="d2")
        assert game.balance("w", "gold") == 12
        assert _ours(store)
        with store.unit_of_work() as uow:
            uow._conn.execute("DISCARD ALL")
            uow.rollback()
        with pytest.raises(ConcurrencyConflict) as caught, store.unit_of_work() as uow:
            uow.lock([p.wallet_scope("w")])
        assert caught.value.sqlstate == "26000"
        _put(store, "m1")  # prepared anew
    finally:
        store.close()


def test_a_value_the_driver_refuses_leaves_the_connection_in_use(store: PostgresStore) -> None:
    """Values are dumped before anything is sent: a NUL in text is a StorageError and the
    connection (with its prepared statements) stays."""
    _put(store, "m0")
    with store.unit_of_work() as uow:
        conn = uow._conn
        uow.rollback()
    with pytest.raises(StorageError), store.unit_of_work() as uow:
        uow.lock([p.wallet_scope("w")])
        uow.put(p.MEKS, model.Mek("nul\x00", "w", 1))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow._conn is conn and not conn.closed
        uow.rollback()
    _put(store, "m1")
