"""The command line: catalogs (validate, simulate, offer), offer verification and `db check|migrate`
on real SQLite files, through `jobslot_core.cli.main`."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from jobslot_core.cli import main
from jobslot_core.clock import ManualClock
from jobslot_core.service import JobSlots
from jobslot_core.storage import SQLiteStore
from jobslot_core.storage.protocol import LEDGER, SECRETS
from jobslot_core.storage.sqlite import SCHEMA_VERSION
from jobslot_core.testing.commands import machine_catalog

ROOT = Path(__file__).resolve().parent.parent
CATALOG = str(ROOT / "examples" / "catalog.toml")
SECRET = b"cli secret 0123456"
SECRET_ID = "s1"


@pytest.fixture
def game_db(tmp_path: Path) -> Path:
    """A healthy game file: two Meks played through a few pit stops (one-time buffs included)."""
    path = tmp_path / "game.db"
    clock = ManualClock(0)
    with SQLiteStore(path) as store:
        game = JobSlots(store, machine_catalog(), secret=SECRET, secret_id=SECRET_ID, clock=clock)
        for wallet, mek in (("w1", "m1"), ("w2", "m2")):
            game.register_mek(wallet, mek)
            game.deposit(wallet, "gold", 500)
            game.unlock_slot(wallet, 1)
            game.purchase_job(wallet, 1, "quick")
            game.assign_mek(wallet, 1, mek)
        for index in range(3):
            clock.advance(seconds=40)
            for wallet, mek in (("w1", "m1"), ("w2", "m2")):
                offer = game.open_pit_stop(wallet, mek, "quick")
                game.select_buff(wallet, offer.offer_id, index)
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of one command line."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- db check / migrate ------------------------------------------------------------------------


def test_db_check_healthy_file(game_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`db check` on a healthy file prints the schema version and ok, and exits 0."""
    code, out, _ = run(["db", "check", str(game_db)], capsys)
    assert code == 0
    assert f"jobslot schema version {SCHEMA_VERSION}" in out
    assert "ok: every invariant holds" in out


def test_db_check_reports_broken_invariant(
    game_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`db check` on a file whose ledger lost a line prints PROBLEM lines and exits 1."""
    with SQLiteStore(game_db) as store, store.unit_of_work() as uow:
        uow.delete(LEDGER, (1,))
        uow.commit()
    code, out, _ = run(["db", "check", str(game_db)], capsys)
    assert code == 1
    assert "PROBLEM balance ('w1', 'gold')" in out
    assert "problem(s)" in out


def test_db_check_refuses_a_text_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`db check` on a file that is not SQLite exits 2 with CorruptStore and leaves it untouched."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b"not a database\n" * 20)
    code, _, err = run(["db", "check", str(path)], capsys)
    assert code == 2
    assert "CorruptStore" in err
    assert path.read_bytes() == b"not a database\n" * 20


def test_db_check_refuses_a_foreign_sqlite_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`db check` on another application's SQLite file exits 2 and leaves it byte for byte."""
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    code, _, err = run(["db", "check", str(path)], capsys)
    assert code == 2
    assert "not a jobslot database" in err
    assert path.read_bytes() == before


def test_db_check_refuses_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`db check` on a path that does not exist exits 2 and creates nothing."""
    path = tmp_path / "missing.db"
    code, _, err = run(["db", "check", str(path)], capsys)
    assert code == 2
    assert "no such file" in err
    assert not path.exists()


def test_db_migrate_initialises_an_empty_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`db migrate` on an empty file creates the schema at the current version."""
    path = tmp_path / "empty.db"
    path.touch()
    code, out, _ = run(["db", "migrate", str(path)], capsys)
    assert code == 0
    assert f"jobslot schema version {SCHEMA_VERSION}" in out
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION


def test_db_migrate_keeps_a_current_file(game_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`db migrate` on a file at the current version changes no record and exits 0."""
    conn = sqlite3.connect(game_db)
    before = conn.execute("SELECT seq, doc FROM ledger ORDER BY seq").fetchall()
    conn.close()
    code, out, _ = run(["db", "migrate", str(game_db)], capsys)
    conn = sqlite3.connect(game_db)
    after = conn.execute("SELECT seq, doc FROM ledger ORDER BY seq").fetchall()
    conn.close()
    assert code == 0
    assert f"jobslot schema version {SCHEMA_VERSION}" in out
    assert after == before


def test_db_check_as_a_module(game_db: Path) -> None:
    """`python -m jobslot_core db check PATH` works as a separate process."""
    done = subprocess.run(
        [sys.executable, "-m", "jobslot_core", "db", "check", str(game_db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ok: every invariant holds" in done.stdout


# -- verify --------------------------------------------------------------------------------------


def _secret_file(tmp_path: Path, secret: bytes) -> str:
    path = tmp_path / "secret.hex"
    path.write_text(secret.hex() + "\n")
    return str(path)


def test_verify_with_the_right_secret(
    game_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`verify` with the secret the offers were made under recomputes all six and exits 0."""
    argv = ["verify", str(game_db), "--secret-file", _secret_file(tmp_path, SECRET)]
    code, out, _ = run([*argv, "--secret-id", SECRET_ID], capsys)
    assert code == 0
    assert f"6 of 6 offers under {SECRET_ID!r} recomputed exactly" in out


def test_verify_takes_the_secret_from_an_environment_variable(
    game_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBSLOT_TEST_SECRET", SECRET.hex())
    argv = ["verify", str(game_db), "--secret-env", "JOBSLOT_TEST_SECRET", "--secret-id", "s1"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and "6 of 6 offers" in out
    code, _, err = run([*argv[:3], "JOBSLOT_NO_SUCH_VARIABLE", *argv[4:]], capsys)
    assert code == 2 and "JOBSLOT_NO_SUCH_VARIABLE" in err


def test_verify_with_a_wrong_secret(
    game_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`verify` with another secret lists every offer as MISMATCH and exits 1."""
    argv = ["verify", str(game_db), "--secret-file", _secret_file(tmp_path, b"wrong secret 012345")]
    code, out, _ = run([*argv, "--secret-id", SECRET_ID], capsys)
    assert code == 1
    assert "0 of 6 offers" in out
    assert out.count("MISMATCH") == 6
    assert "do not match the published commitment" in out


def test_verify_checks_the_commitment(
    game_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store whose commitment was rewritten fails even with the right secret (defect 4)."""
    with SQLiteStore(game_db) as store, store.unit_of_work() as uow:
        known = uow.get(SECRETS, (SECRET_ID,))
        assert known is not None
        uow.put(SECRETS, attrs.evolve(known, commitment="ab" * 32))
        uow.commit()
    argv = ["verify", str(game_db), "--secret-file", _secret_file(tmp_path, SECRET)]
    code, out, _ = run([*argv, "--secret-id", SECRET_ID], capsys)
    assert code == 1
    assert "0 of 6 offers" in out and out.count("MISMATCH") == 6


def test_verifying_nothing_fails(
    game_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --secret-id verifies nothing: an error, never "0 of 0" and exit 0."""
    argv = ["verify", str(game_db), "--secret-file", _secret_file(tmp_path, SECRET)]
    code, _, err = run([*argv, "--secret-id", "s-typo"], capsys)
    assert code == 2 and "s-typo" in err


def test_secrets_never_come_from_the_command_line(
    game_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["verify", str(game_db), "--secret-hex", SECRET.hex(), "--secret-id", SECRET_ID])
    assert caught.value.code == 2
    capsys.readouterr()


# -- catalogs ------------------------------------------------------------------------------------


def test_validate_example_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    """`validate` on the example catalog prints its counts and fingerprint and exits 0."""
    code, out, _ = run(["validate", CATALOG], capsys)
    assert code == 0
    assert out.startswith("ok: 3 job types, 5 buff types")
    assert "fingerprint" in out


def test_validate_broken_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`validate` on a catalog with an error prints it on stderr and exits 2."""
    broken = tmp_path / "broken.toml"
    broken.write_text(Path(CATALOG).read_text().replace('tier = "D"', 'tier = "Z"', 1))
    code, _, err = run(["validate", str(broken)], capsys)
    assert code == 2
    assert err.startswith("error: InvalidCatalog")


def test_simulate_prints_a_histogram(capsys: pytest.CaptureFixture[str]) -> None:
    """`simulate` draws n values of one grid cell and prints a summary and histogram."""
    argv = ["simulate", CATALOG, "--buff", "gold_per_hour", "--tier", "D", "--level", "1"]
    code, out, _ = run([*argv, "-n", "2000", "--bins", "5"], capsys)
    assert code == 0
    assert out.startswith("gold_per_hour tier D level 1: n=2000")
    assert out.count("#") > 0


def test_offer_preview_is_deterministic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`offer` prints the same offer id and choices for the same context twice."""
    argv = ["offer", CATALOG, "--secret-file", _secret_file(tmp_path, SECRET), "--secret-id", "s1"]
    argv += ["--mek", "m1", "--job", "janitor"]
    first = run(argv, capsys)
    second = run(argv, capsys)
    assert first[0] == 0
    assert first[1].startswith("offer of_")
    assert first == second
