"""SQLiteStore on damaged, read-only and half-created files (issue 10, items 1, 2 and 7): damage is
`CorruptStore` naming the table, `db check` runs `PRAGMA integrity_check`, a read-only store opens
a cleanly closed file on a read-only mount, and a failed create leaves nothing behind."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jobslot_core import JobSlots, ManualClock
from jobslot_core.cli import main
from jobslot_core.errors import CorruptStore, InvalidArgument, StorageError
from jobslot_core.storage import SQLiteStore
from jobslot_core.storage.protocol import LEDGER
from jobslot_core.testing.commands import machine_catalog

SECRET = b"damage test secret"
SECRET_ID = "s1"


def game_file(path: Path, lines: int = 50) -> Path:
    """A real game file: wallets A and B with `lines` ledger lines each, cleanly closed."""
    with SQLiteStore(path) as store:
        game = JobSlots(
            store, machine_catalog(), secret=SECRET, secret_id=SECRET_ID, clock=ManualClock(0)
        )
        for i in range(lines):
            game.deposit("A", "gold", i + 1)
            game.deposit("B", "gold", i + 1)
    return path


def raw(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def service(store: SQLiteStore) -> JobSlots:
    return JobSlots(store, None, secret=SECRET, secret_id=SECRET_ID, clock=ManualClock(10**6))


# -- item 1: damage is CorruptStore naming the table ------------------------------------------


def test_invalid_utf8_in_stored_records_is_corrupt_store(tmp_path: Path) -> None:
    """Invalid UTF-8 in A's ledger line and balance: ledger, balance and deposit raise
    CorruptStore naming the table, and wallet B still reads."""
    path = game_file(tmp_path / "utf8.db", lines=3)
    bad = "CAST(X'7B2261223A22FF227D' AS TEXT)"
    raw(
        path,
        f"UPDATE ledger SET doc = {bad} WHERE seq = 3",
        f"UPDATE balances SET doc = {bad} WHERE wallet = 'A'",
    )
    with SQLiteStore(path) as store:
        game = service(store)
        for call, table in (
            (lambda: game.ledger("A"), "ledger"),
            (lambda: game.balance("A", "gold"), "balances"),
            (lambda: game.deposit("A", "gold", 5), "balances"),
        ):
            with pytest.raises(CorruptStore) as caught:
                call()
            assert caught.value.field == table
            assert str(path) in str(caught.value)
        with store.unit_of_work(write=False) as uow, pytest.raises(CorruptStore) as caught:
            uow.scan(LEDGER)
        assert caught.value.field == "ledger"
        with store.unit_of_work(write=False) as uow:
            assert [e.seq for e in uow.scan(LEDGER, limit=2)] == [1, 2]
        assert game.balance("B", "gold") == 6
        assert len(game.ledger("B")) == 3


def test_a_row_found_under_another_key_is_corrupt_store(tmp_path: Path) -> None:
    """A row whose indexed column disagrees with its record (index damage) is never shown as
    another wallet's: reading it raises CorruptStore('ledger')."""
    path = game_file(tmp_path / "index.db", lines=3)
    raw(path, "UPDATE ledger SET wallet = 'B' WHERE seq = 1")  # A's first line, filed under B
    with SQLiteStore(path) as store:
        with pytest.raises(CorruptStore) as caught:
            service(store).ledger("B")
        assert caught.value.field == "ledger"
        with store.unit_of_work(write=False) as uow, pytest.raises(CorruptStore):
            uow.scan(LEDGER, wallet="B")


def zero_page(path: Path, page: int) -> None:
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    with open(path, "r+b") as f:
        f.seek(page * size)
        f.write(b"\x00" * size)


def ledger_pages(path: Path) -> list[int]:
    """Pages (0-based) of the ledger table and its indexes, from the dbstat view."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT pageno FROM dbstat WHERE name LIKE 'ledger%' ORDER BY pageno"
        ).fetchall()
    except sqlite3.OperationalError:  # pragma: no cover - SQLite built without dbstat
        pytest.fail("this SQLite has no dbstat view")
    finally:
        conn.close()
    return [r[0] - 1 for r in rows]


def test_a_zeroed_page_is_corrupt_store_and_fails_db_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Zeroing one ledger page: reads raise CorruptStore, `db check` reports it and exits 1."""
    path = game_file(tmp_path / "zero.db", lines=300)
    pages = ledger_pages(path)
    zero_page(path, pages[len(pages) // 2])
    with SQLiteStore(path) as store, pytest.raises(CorruptStore) as caught:
        service(store).ledger("A")
    assert caught.value.field == "ledger"
    assert main(["db", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM integrity_check" in out


# -- item 2: db check runs PRAGMA integrity_check ---------------------------------------------


def test_db_check_reports_a_damaged_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One changed byte in the ledger's wallet index: db check says what integrity_check says
    and exits 1 (before, it said "ok")."""
    path = game_file(tmp_path / "index.db", lines=50)
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (page,) = conn.execute(
        "SELECT pageno FROM dbstat WHERE name = 'ledger__by__wallet__currency'"
        " AND pagetype = 'leaf' ORDER BY pageno LIMIT 1"
    ).fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    start = (page - 1) * page_size
    spot = data.index(b"A", start + 100, start + page_size)  # a wallet value in an index cell
    data[spot] = ord("B")
    path.write_bytes(bytes(data))
    before = digest(path)
    assert main(["db", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM integrity_check:" in out
    assert "ok: every invariant holds" not in out
    assert digest(path) == before  # check is read-only


def test_integrity_check_is_empty_on_a_healthy_file(tmp_path: Path) -> None:
    with SQLiteStore(game_file(tmp_path / "ok.db", lines=5), read_only=True) as store:
        assert store.integrity_check() == ()


# -- item 7: read-only stores ---------------------------------------------------------------


def test_read_only_store_reads_and_refuses_writes(tmp_path: Path) -> None:
    """A read-only store reads, refuses a write unit of work, and leaves the file unchanged."""
    path = game_file(tmp_path / "ro.db", lines=2)
    before = digest(path)
    with SQLiteStore(path, read_only=True) as store:
        assert service_query(store) == 3
        with pytest.raises(StorageError) as caught:
            store.unit_of_work()
        assert "read_only" in str(caught.value)
    assert digest(path) == before


def service_query(store: SQLiteStore) -> int:
    with store.unit_of_work(write=False) as uow:
        return sum(e.amount for e in uow.scan(LEDGER, wallet="A"))


def test_read_only_store_never_creates_a_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StorageError):
        SQLiteStore(path, read_only=True)
    assert list(tmp_path.iterdir()) == []


def test_read_only_store_does_not_migrate(tmp_path: Path) -> None:
    """An older schema is not migrated by a read-only store: it says to migrate, file untouched."""
    path = game_file(tmp_path / "old.db", lines=1)
    raw(path, "DROP INDEX ledger__by__wallet__currency")
    before = digest(path)
    with pytest.raises(StorageError) as caught:
        SQLiteStore(path, read_only=True)
    assert "migrat" in str(caught.value)
    assert digest(path) == before


@pytest.mark.parametrize("bad", [{"read_only": 1}, {"read_only": None}])
def test_read_only_must_be_a_bool(tmp_path: Path, bad: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument) as caught:
        SQLiteStore(tmp_path / "x.db", **bad)  # type: ignore[arg-type]
    assert caught.value.field == "read_only"
    assert list(tmp_path.iterdir()) == []


_READ_ONLY_SCRIPT = textwrap.dedent(
    """
    import sys
    from jobslot_core.cli import main
    from jobslot_core.errors import StorageError
    from jobslot_core.storage import SQLiteStore
    from jobslot_core.storage.protocol import LEDGER

    path = sys.argv[1]
    with SQLiteStore(path, read_only=True) as store:
        with store.unit_of_work(write=False) as uow:
            print("lines", len(uow.scan(LEDGER)))
    try:
        SQLiteStore(path)
    except StorageError as e:
        print("writable open:", type(e).__name__)
    print("check", main(["db", "check", path]))
    """
)


def _run_on_read_only_directory(directory: Path, db: Path) -> subprocess.CompletedProcess[str]:
    """Run the script against `db` with `directory` made read-only: a read-only bind mount in a
    private mount namespace when root (a real read-only file system), else a directory without
    write permission."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    if os.geteuid() == 0 and shutil.which("unshare"):
        shell = (
            f"mount --bind {directory} {directory} && mount -o remount,bind,ro {directory}"
            f' && exec {sys.executable} -c "$SCRIPT" {db}'
        )
        env["SCRIPT"] = _READ_ONLY_SCRIPT
        return subprocess.run(
            ["unshare", "-m", "sh", "-c", shell],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    directory.chmod(0o555)
    try:
        return subprocess.run(
            [sys.executable, "-c", _READ_ONLY_SCRIPT, str(db)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        directory.chmod(0o755)


def test_cleanly_closed_database_on_a_read_only_mount(tmp_path: Path) -> None:
    """On a read-only mount (no -wal, no -shm, none can be made) a read-only store reads the file
    and `db check` passes; a writable open fails with a typed error."""
    directory = tmp_path / "ro"
    directory.mkdir()
    db = game_file(directory / "game.db", lines=4)
    assert sorted(p.name for p in directory.iterdir()) == ["game.db"]
    before = digest(db)
    done = _run_on_read_only_directory(directory, db)
    assert done.returncode == 0, done.stderr
    assert "lines 8" in done.stdout
    assert "writable open: StorageError" in done.stdout
    assert "check 0" in done.stdout
    assert "Traceback" not in done.stderr
    assert digest(db) == before


# -- item 7: a failed create leaves nothing behind --------------------------------------------

_FULL_DISK_SCRIPT = textwrap.dedent(
    """
    import resource, signal, sys
    from jobslot_core.errors import StorageError
    from jobslot_core.storage import SQLiteStore

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))
    try:
        SQLiteStore(sys.argv[1])
    except StorageError as e:
        print("refused:", type(e).__name__, e)
    else:
        print("opened")
    """
)


def test_a_create_that_runs_out_of_space_leaves_no_file(tmp_path: Path) -> None:
    """Creating a database where files may not grow past 8 KiB (as on a full disk) raises a
    StorageError and leaves neither the database nor a journal behind."""
    path = tmp_path / "full.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused:"), done.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_failed_open_of_an_existing_file_keeps_it(tmp_path: Path) -> None:
    """Refusing an existing foreign file never removes it."""
    path = tmp_path / "foreign.db"
    raw(path, "CREATE TABLE t (x)")
    before = digest(path)
    with pytest.raises(CorruptStore):
        SQLiteStore(path)
    assert digest(path) == before


# -- item 10: constructor arguments -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timeout_s": float("inf")}, "timeout_s"),
        ({"timeout_s": float("nan")}, "timeout_s"),
        ({"timeout_s": -1}, "timeout_s"),
        ({"timeout_s": "5"}, "timeout_s"),
        ({"timeout_s": True}, "timeout_s"),
        ({"timeout_s": 10**20}, "timeout_s"),
        ({"synchronous": None}, "synchronous"),
        ({"synchronous": 1}, "synchronous"),
        ({"synchronous": "SOMETIMES"}, "synchronous"),
    ],
)
def test_bad_constructor_arguments_are_invalid_argument(
    tmp_path: Path, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        SQLiteStore(tmp_path / "x.db", **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", [None, 5, b"x.db", "bad\0name.db"])
def test_bad_paths_are_invalid_argument(path: object) -> None:
    with pytest.raises(InvalidArgument) as caught:
        SQLiteStore(path)  # type: ignore[arg-type]
    assert caught.value.field == "path"


def test_db_check_reports_a_column_that_disagrees_with_its_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row refiled under another wallet in its indexed column only (its record unchanged) is
    consistent to SQLite and hides the line from its wallet's ledger: db check reports it (the
    damage test found this going unnoticed)."""
    path = game_file(tmp_path / "column.db", lines=3)
    raw(path, "UPDATE ledger SET wallet = 'w9' WHERE seq = 2")
    with SQLiteStore(path, read_only=True) as store:
        assert store.integrity_check() == (
            "ledger: row 2: a key or index column disagrees with its record",
        )
    assert main(["db", "check", str(path)]) == 1
    assert "PROBLEM integrity_check: ledger: row 2" in capsys.readouterr().out
