"""Opening a PostgresStore: the extra is optional, the schema is made once (also by many
processes at once), typed and indexed, and a schema that is not ours or is newer is refused and
left untouched."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest

import pg_support
from jobslot_core.errors import CorruptStore, InvalidArgument, StorageError, UnsupportedSchema
from jobslot_core.storage.postgres import SCHEMA_VERSION, PostgresStore
from jobslot_core.storage.protocol import TABLES

CTX = multiprocessing.get_context("spawn")


def test_import_needs_no_driver_and_constructing_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without psycopg the module imports (in a fresh interpreter, nothing connects at import)
    and the constructor raises StorageError naming the `postgres` extra."""
    blocked = "import sys; sys.modules['psycopg'] = sys.modules['psycopg_pool'] = None; "
    done = subprocess.run(
        [sys.executable, "-c", blocked + "import jobslot_core.storage.postgres"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "psycopg_pool", None)
    with pytest.raises(StorageError) as caught:
        PostgresStore("postgresql://nobody@127.0.0.1:1/none")
    assert "jobslot_core[postgres]" in str(caught.value)
    assert (caught.value.field, caught.value.value) == ("extra", "postgres")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"schema": "Bad-Name"}, "schema"),
        ({"schema": "x" * 64}, "schema"),
        ({"lock_timeout_ms": -1}, "lock_timeout_ms"),
        ({"statement_timeout_ms": 1.5}, "statement_timeout_ms"),
        ({"min_size": 0}, "min_size"),
        ({"min_size": 4, "max_size": 2}, "max_size"),
    ],
)
def test_bad_options_are_refused_before_connecting(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        PostgresStore("postgresql://nobody@127.0.0.1:1/none", **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_exactly_one_of_conninfo_and_pool() -> None:
    with pytest.raises(InvalidArgument):
        PostgresStore()
    with pytest.raises(InvalidArgument):
        PostgresStore("postgresql://x@127.0.0.1:1/none", pool=object())


def test_unreachable_server_is_a_storage_error_without_the_password() -> None:
    with pytest.raises(StorageError) as caught:
        PostgresStore("postgresql://someone:hunter2@127.0.0.1:1/none", connect_timeout_s=1.0)
    assert "hunter2" not in str(caught.value)


def test_columns_are_typed_and_every_index_exists(schemas: pg_support.Schemas) -> None:
    name = schemas.new("types")
    PostgresStore(pg_support.dsn(), schema=name).close()
    columns = {
        (t, c): (dtype, nullable, collation)
        for t, c, dtype, nullable, collation in pg_support.execute(
            "SELECT table_name, column_name, data_type, is_nullable, collation_name"
            " FROM information_schema.columns WHERE table_schema = %s",
            (name,),
        )
    }
    assert columns[("meks", "mek_id")] == ("text", "NO", "C")
    assert columns[("slots", "slot_number")] == ("bigint", "NO", None)
    assert columns[("slots", "mek_id")] == ("text", "YES", "C")
    assert columns[("active_buffs", "consumed")] == ("boolean", "NO", None)
    assert columns[("events", "seq")] == ("bigint", "NO", None)
    assert columns[("events", "doc")][0] == "text"
    indexes = {
        r[0]: r[1]
        for r in pg_support.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s", (name,)
        )
    }
    for table in TABLES:
        for ix in table.indexes:
            definition = indexes[f"{table.name}__by__{'__'.join(ix)}"]
            # the key columns follow the index fields: finds come out in key order
            tail = [k for k in table.key if k not in ix]
            assert definition.endswith(", ".join(f"{c}" for c in (*ix, *tail)) + ")"), definition
    assert pg_support.execute(
        f'SELECT value FROM "{name}".jobslot_meta WHERE key = %s', ("schema_version",)
    ) == [(str(SCHEMA_VERSION),)]


def test_a_foreign_schema_is_refused_and_left_untouched(schemas: pg_support.Schemas) -> None:
    name = schemas.new("foreign")
    pg_support.execute(f'CREATE SCHEMA "{name}"')
    pg_support.execute(f'CREATE TABLE "{name}".players (id int PRIMARY KEY)')
    pg_support.execute(f'INSERT INTO "{name}".players VALUES (1)')
    with pytest.raises(CorruptStore) as caught:
        PostgresStore(pg_support.dsn(), schema=name)
    assert caught.value.value == name
    tables = pg_support.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (name,)
    )
    assert tables == [("players",)]
    assert pg_support.execute(f'SELECT id FROM "{name}".players') == [(1,)]


def test_a_newer_schema_is_refused_and_left_untouched(schemas: pg_support.Schemas) -> None:
    name = schemas.new("newer")
    PostgresStore(pg_support.dsn(), schema=name).close()
    pg_support.execute(
        f"UPDATE \"{name}\".jobslot_meta SET value = '99' WHERE key = 'schema_version'"
    )
    pg_support.execute(f'DROP INDEX "{name}".meks__by__wallet')  # would be recreated if touched
    with pytest.raises(UnsupportedSchema):
        PostgresStore(pg_support.dsn(), schema=name)
    assert (
        pg_support.execute(
            "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = 'meks__by__wallet'",
            (name,),
        )
        == []
    )


def test_a_missing_index_or_tail_is_made_again_on_open(schemas: pg_support.Schemas) -> None:
    name = schemas.new("repair")
    PostgresStore(pg_support.dsn(), schema=name).close()
    pg_support.execute(f'DROP INDEX "{name}".meks__by__wallet')
    pg_support.execute(f"DELETE FROM \"{name}\".tails WHERE log = 'events'")
    PostgresStore(pg_support.dsn(), schema=name).close()
    assert pg_support.execute(
        "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = 'meks__by__wallet'",
        (name,),
    ) == [(1,)]
    assert pg_support.execute(f"SELECT seq FROM \"{name}\".tails WHERE log = 'events'") == [(0,)]


def _open(schema: str, barrier: object, results: object) -> None:
    barrier.wait(60)  # type: ignore[attr-defined]
    try:
        store = PostgresStore(pg_support.dsn(), schema=schema)
        results.put(("ok", store.schema_version))  # type: ignore[attr-defined]
        store.close()
    except Exception as e:  # reported to the parent, which fails the test
        results.put(("error", repr(e)))  # type: ignore[attr-defined]


def test_many_processes_opening_an_empty_database_at_once(schemas: pg_support.Schemas) -> None:
    """8 processes open one absent schema at the same moment: each succeeds, one schema made."""
    name = schemas.new("race")
    barrier, results = CTX.Barrier(8), CTX.Queue()
    children = [CTX.Process(target=_open, args=(name, barrier, results)) for _ in range(8)]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(30)
    assert outcomes == [("ok", SCHEMA_VERSION)] * 8
    assert pg_support.execute(f'SELECT count(*) FROM "{name}".tails') == [
        (sum(1 for t in TABLES if t.log),)
    ]


def _setting(store: PostgresStore, name: str) -> str:
    with store.unit_of_work(write=False) as uow:
        row = uow._send("SELECT current_setting(%s)", (name,), "setting").first()
    return str(row[0])


def test_own_pool_connections_carry_the_timeouts(schemas: pg_support.Schemas) -> None:
    store = PostgresStore(
        pg_support.dsn(),
        schema=schemas.new("own"),
        lock_timeout_ms=1500,
        statement_timeout_ms=7000,
        idle_in_transaction_timeout_ms=9000,
    )
    try:
        assert _setting(store, "lock_timeout") == "1500ms"
        assert _setting(store, "statement_timeout") == "7s"
        assert _setting(store, "idle_in_transaction_session_timeout") == "9s"
    finally:
        store.close()


def test_a_host_pool_gets_the_timeouts_per_transaction_and_stays_open(
    schemas: pg_support.Schemas,
) -> None:
    """On the host's pool the store sets its time-outs per transaction (the host's sessions
    keep their own), hands connections back as it found them, and leaves the pool open."""
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(pg_support.dsn(), min_size=1, max_size=2, open=True)
    try:
        store = PostgresStore(pool=pool, schema=schemas.new("host"), lock_timeout_ms=150)
        assert _setting(store, "lock_timeout") == "150ms"
        with store.unit_of_work() as uow:
            uow.lock(["wallet:w"])
            uow.commit()
        store.close()
        with pool.connection() as conn:
            assert conn.autocommit is False
            row = conn.execute("SELECT current_setting('lock_timeout')").fetchone()
            assert row is not None and row[0] == "0"
    finally:
        pool.close()
