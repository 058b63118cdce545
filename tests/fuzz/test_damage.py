"""Damage a real game database many times (issue 10): zeroed pages, flipped bytes, truncation,
records rewritten with bad text. Every run opens the copy, plays queries and a command, and runs
`jobslot db check`: only typed errors (`JobSlotError`) may come out, never a traceback, and the
damage is either reported (a `StorageError`-family error or a failing `db check`) or harmless
(every answer equals the undamaged file's).

Default: 160 damaged copies (seed 10); `DAMAGE_RUNS=N` or `HYPOTHESIS_PROFILE=thorough` (2,000)
run more; `FUZZ_REPORT=1` prints the outcome counts."""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jobslot_core import Admin, JobSlots, ManualClock
from jobslot_core.audit import audit
from jobslot_core.cli import main as cli_main
from jobslot_core.errors import JobSlotError, StorageError
from jobslot_core.serialization import to_dict
from jobslot_core.storage import SQLiteStore
from jobslot_core.testing.commands import machine_catalog

SECRET = b"damage test secret"
RUNS = int(
    os.environ.get(
        "DAMAGE_RUNS", "2000" if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else "160"
    )
)
WALLETS = ("w1", "w2", "w3")


def build_game(path: Path) -> None:
    """Three wallets, Meks played through pit stops, a few hundred ledger lines and events."""
    clock = ManualClock(1_000_000)
    with SQLiteStore(path) as store:
        game = JobSlots(store, machine_catalog(), secret=SECRET, secret_id="s1", clock=clock)
        for i, wallet in enumerate(WALLETS):
            game.register_mek(wallet, f"m{i}")
            game.deposit(wallet, "gold", 5_000)
            game.unlock_slot(wallet, 1)
            game.purchase_job(wallet, 1, "quick")
            game.assign_mek(wallet, 1, f"m{i}")
        for step in range(40):
            for wallet in WALLETS:
                game.deposit(wallet, "gold", step + 1, idempotency_key=f"d{step}")
        for index in range(3):
            clock.advance(seconds=60)
            for i, wallet in enumerate(WALLETS):
                offer = game.open_pit_stop(wallet, f"m{i}", "quick")
                game.select_buff(wallet, offer.offer_id, index)
    assert not Path(f"{path}-wal").exists()  # closed cleanly: everything is in the main file


def observe(path: Path) -> tuple[list[Any], bool]:
    """Every answer of a battery of calls on the file (plain data or the error's code and field),
    and whether any of them raised a storage error. Non-typed exceptions propagate."""
    outcomes: list[Any] = []
    storage_error = False

    def run(name: str, call: Callable[[], Any]) -> None:
        nonlocal storage_error
        try:
            outcomes.append((name, "ok", to_dict(call())))
        except JobSlotError as err:
            storage_error = storage_error or isinstance(err, StorageError)
            outcomes.append((name, "error", err.code, err.field))

    try:
        store = SQLiteStore(path)
    except JobSlotError as err:
        return [("open", "error", err.code, err.field)], isinstance(err, StorageError)
    try:
        clock = ManualClock(2_000_000)
        try:
            game = JobSlots(store, None, secret=SECRET, secret_id="s1", clock=clock)
        except JobSlotError as err:
            return [("start", "error", err.code, err.field)], isinstance(err, StorageError)
        for wallet in WALLETS:
            run("balance", lambda w=wallet: game.balance(w, "gold"))
            run("ledger", lambda w=wallet: game.ledger(w))
            run("player_slots", lambda w=wallet: game.player_slots(w))
            run("wallet_totals", lambda w=wallet: game.wallet_totals(w))
            run("available_jobs", lambda w=wallet: game.available_jobs(w))
        for i in range(len(WALLETS)):
            run("active_buffs", lambda m=f"m{i}": game.active_buffs(m))
            run("buff_history", lambda m=f"m{i}": game.buff_history(m, "quick"))
            run("mek_owners", lambda m=f"m{i}": game.mek_owners(m))
        run("events", lambda: game.events(limit=1000))
        run("versions", lambda: Admin(store, clock=clock).versions())
        run("secrets", lambda: Admin(store, clock=clock).secrets())
        run("audit", lambda: audit(store))
        run("deposit", lambda: game.deposit("w1", "gold", 7, idempotency_key="after"))
        run("deposit again", lambda: game.deposit("w1", "gold", 7, idempotency_key="after"))
        run("open_pit_stop", lambda: game.open_pit_stop("w2", "m1", "quick"))
    finally:
        store.close()
    return outcomes, storage_error


def db_check(path: Path) -> int:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["db", "check", str(path)])
    assert "Traceback" not in err.getvalue()
    return code


# -- the kinds of damage ---------------------------------------------------------------------


def _page_size(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[16:18], "big") or 65536


def zero_page(path: Path, rng: random.Random) -> str:
    size = _page_size(path)
    pages = path.stat().st_size // size
    page = rng.randrange(pages)
    with open(path, "r+b") as f:
        f.seek(page * size)
        f.write(b"\x00" * size)
    return f"zero page {page + 1}/{pages}"


def flip_bytes(path: Path, rng: random.Random) -> str:
    data = bytearray(path.read_bytes())
    count = rng.choice((1, 1, 2, 8))
    for _ in range(count):
        spot = rng.randrange(len(data))
        data[spot] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(data))
    return f"flip {count} byte(s)"


def truncate(path: Path, rng: random.Random) -> str:
    size = path.stat().st_size
    keep = rng.randrange(0, size)
    with open(path, "r+b") as f:
        f.truncate(keep)
    return f"truncate to {keep}/{size}"


_TABLES = (
    "ledger",
    "balances",
    "events",
    "offers",
    "meks",
    "slots",
    "catalogs",
    "secrets",
    "idempotency",
    "progressions",
    "active_buffs",
    "mek_totals",
    "wallet_totals",
)
_BAD_DOCS = (
    "CAST(X'7B22FF227D' AS TEXT)",  # invalid UTF-8
    "substr(doc, 1, length(doc) / 2)",  # truncated JSON
    "'[]'",
    "'{}'",
    "'null'",
    "json_set(doc, '$.wallet', 5)",
    "json_set(doc, '$.seq', 'x')",
    "replace(doc, '\"w1\"', '\"w2\"')",
    "'" + "[" * 5000 + "'",
)


def bad_record(path: Path, rng: random.Random) -> str:
    table = rng.choice(_TABLES)
    doc = rng.choice(_BAD_DOCS)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        (rowid,) = conn.execute(
            f"SELECT rowid FROM {table} ORDER BY rowid LIMIT 1 OFFSET abs(random()) % "
            f"max(1, (SELECT count(*) FROM {table}))"
        ).fetchone() or (None,)
        if rowid is not None:
            conn.execute(f"UPDATE {table} SET doc = {doc} WHERE rowid = ?", (rowid,))
        column = rng.choice(("wallet", "mek_id", "seq", None))
        if column is not None:
            with contextlib.suppress(sqlite3.Error):  # the table may not have that column
                conn.execute(f"UPDATE {table} SET {column} = 'w9' WHERE rowid = ?", (rowid,))
    finally:
        conn.close()
    return f"bad record in {table}: {doc[:30]}"


DAMAGES = (zero_page, flip_bytes, truncate, bad_record)


@pytest.fixture(scope="module")
def game_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    path = tmp_path_factory.mktemp("damage") / "game.db"
    build_game(path)
    work = path.with_name("baseline.db")
    shutil.copyfile(path, work)
    baseline, storage_error = observe(work)
    assert not storage_error and db_check(path) == 0
    return path, baseline


def test_damaged_files_give_typed_errors_or_a_failing_check(
    game_file: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    path, baseline = game_file
    rng = random.Random(10)
    tally: Counter[str] = Counter()
    silent: list[str] = []
    for run in range(RUNS):
        copy = tmp_path / f"copy{run % 4}.db"
        shutil.copyfile(path, copy)
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        damage = DAMAGES[run % len(DAMAGES)]
        what = damage(copy, rng)
        check = db_check(copy)  # before any write: what an operator would see first
        outcomes, storage_error = observe(copy)  # a non-typed exception fails the test here
        kind = damage.__name__
        if check != 0 or storage_error:
            tally[f"{kind}: detected"] += 1
        elif outcomes == baseline:
            tally[f"{kind}: harmless"] += 1
        else:
            tally[f"{kind}: silent"] += 1
            silent.append(what)
    if os.environ.get("FUZZ_REPORT"):
        print(f"\ndamage: {RUNS} files; " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
        print("silent: " + "; ".join(silent[:20]))
    assert sum(tally.values()) == RUNS
    # Structural damage never goes unnoticed: a zeroed page or a cut file is reported, or it hit
    # nothing that any answer depends on.
    for kind in ("zero_page", "truncate"):
        assert tally[f"{kind}: silent"] == 0, silent
