"""SQLiteStore opening, refusing, migrating and configuring its database file."""

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from jobslot_core import model
from jobslot_core.errors import CorruptStore, InvalidArgument, StorageError, UnsupportedSchema
from jobslot_core.storage import SQLiteStore
from jobslot_core.storage import protocol as p
from jobslot_core.storage import sqlite as sqlite_module
from jobslot_core.storage.sqlite import APPLICATION_ID, SCHEMA_VERSION

MEK = model.Mek("mek-1", "wallet-a", 1)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def raw(path: Path, *statements: str) -> None:
    """Run statements on the file with plain sqlite3 (autocommit), then close it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def make_db(path: Path) -> Path:
    """A jobslot database holding one Mek."""
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        uow.put(p.MEKS, MEK)
        uow.commit()
    return path


def assert_refused(path: Path, error: type[Exception]) -> None:
    before = digest(path)
    with pytest.raises(error) as info:
        SQLiteStore(path)
    assert str(path) in str(info.value)
    assert digest(path) == before
    assert not Path(f"{path}-wal").exists()


# -- refusing files that are not ours -------------------------------------------------------------


def test_text_file_is_refused_untouched(tmp_path: Path) -> None:
    """A file that is not SQLite raises CorruptStore naming it and stays byte-for-byte the same."""
    path = tmp_path / "notes.db"
    path.write_text("These are not the tables you are looking for.\n" * 10)
    assert_refused(path, CorruptStore)


def test_short_garbage_file_is_refused_untouched(tmp_path: Path) -> None:
    """A few bytes of garbage raise CorruptStore and stay untouched."""
    path = tmp_path / "tiny.db"
    path.write_bytes(b"\x00\x01junk")
    assert_refused(path, CorruptStore)


def test_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    """A SQLite file of another application raises CorruptStore and stays untouched."""
    path = tmp_path / "other.db"
    raw(
        path,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",
        "INSERT INTO users VALUES (1, 'a')",
    )
    assert_refused(path, CorruptStore)


def test_other_application_id_is_refused_untouched(tmp_path: Path) -> None:
    """A SQLite file stamped with another application_id raises CorruptStore."""
    path = tmp_path / "stamped.db"
    raw(path, "PRAGMA application_id = 1234", "CREATE TABLE t (x)")
    assert_refused(path, CorruptStore)


def test_our_stamp_without_meta_is_refused_untouched(tmp_path: Path) -> None:
    """A file with the jobslot application_id but no meta table raises CorruptStore."""
    path = tmp_path / "fake.db"
    raw(path, f"PRAGMA application_id = {APPLICATION_ID}", "CREATE TABLE t (x)")
    assert_refused(path, CorruptStore)


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    """A database of a newer schema version raises UnsupportedSchema and stays untouched."""
    path = make_db(tmp_path / "new.db")
    raw(
        path,
        f"PRAGMA user_version = {SCHEMA_VERSION + 1}",
        f"UPDATE meta SET value = {SCHEMA_VERSION + 1} WHERE key = 'schema_version'",
    )
    assert_refused(path, UnsupportedSchema)


def test_meta_disagreeing_with_header_is_refused(tmp_path: Path) -> None:
    """meta.schema_version different from PRAGMA user_version raises CorruptStore."""
    path = make_db(tmp_path / "split.db")
    raw(path, "UPDATE meta SET value = 0 WHERE key = 'schema_version'")
    assert_refused(path, CorruptStore)


def test_directory_is_refused(tmp_path: Path) -> None:
    """A directory path raises StorageError naming it."""
    with pytest.raises(StorageError, match="is a directory"):
        SQLiteStore(tmp_path)


# -- creating and migrating ----------------------------------------------------------------------


def test_empty_file_becomes_a_jobslot_database(tmp_path: Path) -> None:
    """An empty file (as `tempfile` makes) is initialised like a new one."""
    path = tmp_path / "empty.db"
    path.touch()
    make_db(path)
    assert pragma(path, "application_id") == APPLICATION_ID
    with SQLiteStore(path) as store, store.unit_of_work(write=False) as uow:
        assert uow.get(p.MEKS, ("mek-1",)) == MEK


def test_new_file_is_stamped(tmp_path: Path) -> None:
    """A new database carries the application_id, user_version and meta schema version."""
    path = make_db(tmp_path / "stamp.db")
    assert pragma(path, "application_id") == APPLICATION_ID
    assert pragma(path, "user_version") == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    finally:
        conn.close()
    assert row == (SCHEMA_VERSION,)


def test_reopening_writes_nothing(tmp_path: Path) -> None:
    """Opening and closing an up-to-date database leaves its bytes as they were."""
    path = make_db(tmp_path / "same.db")
    before = digest(path)
    SQLiteStore(path).close()
    assert digest(path) == before


def _with_v2(monkeypatch: pytest.MonkeyPatch, step: Callable[[sqlite3.Connection], None]) -> None:
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*sqlite_module.MIGRATIONS, step))
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)


def test_pending_migration_is_applied_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening an older database runs the missing migrations and records the new version."""
    path = make_db(tmp_path / "old.db")

    def add_marker(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE v2_marker (x)")

    _with_v2(monkeypatch, add_marker)
    with SQLiteStore(path) as store, store.unit_of_work(write=False) as uow:
        assert uow.get(p.MEKS, ("mek-1",)) == MEK
    assert pragma(path, "user_version") == SCHEMA_VERSION + 1
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
            SCHEMA_VERSION + 1,
        )
        assert conn.execute("SELECT name FROM sqlite_master WHERE name='v2_marker'").fetchone()
    finally:
        conn.close()


def test_failing_migration_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration that fails rolls back entirely: the old version and tables remain."""

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    path = make_db(tmp_path / "old.db")
    _with_v2(monkeypatch, broken)
    with pytest.raises(RuntimeError, match="migration bug"):
        SQLiteStore(path)
    assert pragma(path, "user_version") == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    try:
        assert (
            conn.execute("SELECT name FROM sqlite_master WHERE name='half_done'").fetchone() is None
        )
    finally:
        conn.close()


def test_missing_index_and_column_are_restored(tmp_path: Path) -> None:
    """A declared index or index column missing from the file is recreated and filled from `doc`."""
    path = make_db(tmp_path / "drift.db")
    raw(path, 'DROP INDEX "meks__by__wallet"', 'ALTER TABLE meks DROP COLUMN "wallet"')
    with SQLiteStore(path) as store, store.unit_of_work(write=False) as uow:
        assert uow.find(p.MEKS, wallet="wallet-a") == [MEK]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute(
            "SELECT name FROM sqlite_master WHERE name='meks__by__wallet'"
        ).fetchone()
    finally:
        conn.close()


def test_undecodable_row_raises_corrupt_store(tmp_path: Path) -> None:
    """A stored document that no longer decodes raises CorruptStore on read."""
    path = make_db(tmp_path / "bad-row.db")
    raw(path, "UPDATE meks SET doc = '{\"mek_id\": 1}'")
    with (
        SQLiteStore(path) as store,
        store.unit_of_work(write=False) as uow,
        pytest.raises(CorruptStore),
    ):
        uow.get(p.MEKS, ("mek-1",))


# -- configuration -------------------------------------------------------------------------------


def test_file_uses_wal_journal(tmp_path: Path) -> None:
    """A file database is switched to WAL (persistent in the file)."""
    path = make_db(tmp_path / "wal.db")
    assert pragma(path, "journal_mode") == "wal"


def test_connection_pragmas(tmp_path: Path) -> None:
    """Connections run with foreign keys on, the chosen synchronous level and the busy timeout."""
    with (
        SQLiteStore(tmp_path / "p.db", timeout_s=2.5, synchronous="normal") as store,
        store._raw() as conn,
    ):
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert conn.execute("PRAGMA synchronous").fetchone() == (1,)
        assert conn.execute("PRAGMA busy_timeout").fetchone() == (2500,)


def test_default_synchronous_is_full(tmp_path: Path) -> None:
    """By default a commit is durable against power loss (synchronous=FULL)."""
    with SQLiteStore(tmp_path / "p.db") as store, store._raw() as conn:
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)


def test_bad_synchronous_is_refused(tmp_path: Path) -> None:
    """An unknown synchronous level raises InvalidArgument before touching the disk."""
    with pytest.raises(InvalidArgument):
        SQLiteStore(tmp_path / "x.db", synchronous="SOMETIMES")
    assert not (tmp_path / "x.db").exists()


def test_memory_database_works_and_is_private() -> None:
    """ ":memory:" stores work and two of them share nothing."""
    with SQLiteStore(":memory:") as one, SQLiteStore(":memory:") as two:
        with one.unit_of_work() as uow:
            uow.put(p.MEKS, MEK)
            uow.commit()
        with one.unit_of_work(write=False) as uow:
            assert uow.get(p.MEKS, ("mek-1",)) == MEK
        with two.unit_of_work(write=False) as uow:
            assert uow.get(p.MEKS, ("mek-1",)) is None


# -- units of work -------------------------------------------------------------------------------


def test_nested_unit_of_work_is_refused(tmp_path: Path) -> None:
    """A second unit of work in the same thread raises StorageError instead of deadlocking."""
    with (
        SQLiteStore(tmp_path / "n.db") as store,
        store.unit_of_work(),
        pytest.raises(StorageError, match="already has a unit of work"),
    ):
        store.unit_of_work(write=False)


def test_closed_store_is_refused(tmp_path: Path) -> None:
    """A unit of work on a closed store raises StorageError."""
    store = SQLiteStore(tmp_path / "c.db")
    store.close()
    with pytest.raises(StorageError, match="closed"):
        store.unit_of_work()


def test_used_unit_of_work_is_refused(tmp_path: Path) -> None:
    """Using a unit of work after commit raises StorageError."""
    with SQLiteStore(tmp_path / "u.db") as store:
        uow = store.unit_of_work()
        uow.commit()
        with pytest.raises(StorageError, match="committed or rolled back"):
            uow.get(p.MEKS, ("mek-1",))


def test_busy_writer_times_out_as_storage_error(tmp_path: Path) -> None:
    """A writer that cannot get the write lock within timeout_s raises StorageError."""
    path = make_db(tmp_path / "busy.db")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with SQLiteStore(path, timeout_s=0.05) as store, pytest.raises(StorageError):
            store.unit_of_work()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_reader_is_not_blocked_by_a_writer(tmp_path: Path) -> None:
    """With WAL, a read unit of work proceeds while another connection holds the write lock."""
    path = make_db(tmp_path / "rw.db")
    with SQLiteStore(path, timeout_s=0.05) as store:
        writer = store.unit_of_work()
        writer.put(p.MEKS, model.Mek("mek-2", "wallet-a", 2))
        done: list[object] = []

        def read() -> None:
            with store.unit_of_work(write=False) as uow:
                done.append(uow.find(p.MEKS, wallet="wallet-a"))

        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
        writer.rollback()
    assert done == [[MEK]]


def test_threads_appending_get_distinct_seqs(tmp_path: Path) -> None:
    """Threads sharing one store object append without losing or duplicating a seq."""
    with SQLiteStore(tmp_path / "t.db") as store:

        def work() -> None:
            for _ in range(20):
                with store.unit_of_work() as uow:
                    uow.append(p.EVENTS, lambda seq: model.Event(seq, "tick", None, seq))
                    uow.commit()

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with store.unit_of_work(write=False) as uow:
            assert [e.seq for e in uow.scan(p.EVENTS)] == list(range(1, 81))


def test_unbindable_values_raise_storage_error() -> None:
    """A lone surrogate in text or a key int beyond 64 bits raises StorageError."""
    with SQLiteStore(":memory:") as store, store.unit_of_work() as uow:
        with pytest.raises(StorageError):
            uow.put(p.MEKS, model.Mek("\ud800", "wallet-a", 1))
        with pytest.raises(StorageError):
            uow.put(p.SLOTS, model.JobSlot("wallet-a", 2**64, 1))
        uow.put(p.MEKS, MEK)
        assert uow.get(p.MEKS, ("mek-1",)) == MEK


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_opens_its_own_connections(tmp_path: Path) -> None:
    """A store object inherited through fork works in the child and the parent sees its commit."""
    with SQLiteStore(tmp_path / "fork.db") as store:
        with store.unit_of_work() as uow:
            uow.put(p.MEKS, MEK)
            uow.commit()
        pid = os.fork()
        if pid == 0:  # the child: exit without running the parent's cleanup
            code = 1
            try:
                with store.unit_of_work() as uow:
                    uow.append(p.EVENTS, lambda seq: model.Event(seq, "FromChild", None, 1))
                    uow.commit()
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        with store.unit_of_work(write=False) as uow:
            assert [e.kind for e in uow.scan(p.EVENTS)] == ["FromChild"]
            assert uow.get(p.MEKS, ("mek-1",)) == MEK
