"""Crash safety: a child running commands on a SQLite file is SIGKILLed many times; after each
kill the reopened file is intact, consistent, and holds every command the child acknowledged."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time

import attrs
import pytest
import sqlite_workers as workers

from jobslot_core.audit import audit
from jobslot_core.storage import SQLiteStore
from jobslot_core.storage.protocol import IDEMPOTENCY

CTX = multiprocessing.get_context("spawn")
ITERATIONS = 20
SEED = 20240605
MAX_COMMANDS = 100_000  # far more than a child gets through before its kill
PROGRESS_TIMEOUT_S = 60.0
JOIN_TIMEOUT_S = 30.0

pytestmark = pytest.mark.slow


@attrs.frozen
class Crash:
    """What the parent found after one kill."""

    iteration: int
    acknowledged: tuple[str, ...]
    exitcode: int | None
    integrity: str
    problems: tuple[str, ...]
    missing: tuple[str, ...]


def crash_once(path: str, iteration: int, rng: random.Random) -> Crash:
    """Run a child until it acknowledged a seeded number of commands, kill it after a seeded
    delay, then reopen the file and check it."""
    wait_for = rng.randint(1, 40)
    delay_s = rng.uniform(0.0, 0.03)
    receive, send = CTX.Pipe(duplex=False)
    child = CTX.Process(target=workers.crash_loop, args=(path, iteration, send, MAX_COMMANDS))
    child.start()
    send.close()
    acknowledged: list[str] = []
    try:
        while len(acknowledged) < wait_for:
            assert receive.poll(PROGRESS_TIMEOUT_S), f"child {iteration} reported no progress"
            acknowledged.append(receive.recv())
        time.sleep(delay_s)  # not synchronisation: moves the kill to a seeded point mid-command
        os.kill(child.pid or 0, signal.SIGKILL)
    finally:
        child.join(JOIN_TIMEOUT_S)
        if child.is_alive():
            child.kill()
            child.join(JOIN_TIMEOUT_S)
    while receive.poll(0):  # keys sent before the kill are acknowledged too
        try:
            acknowledged.append(receive.recv())
        except EOFError:
            break
    receive.close()
    with SQLiteStore(path) as store:
        problems = audit(store)
        with store.unit_of_work(write=False) as uow:
            stored = {r.key for r in uow.find(IDEMPOTENCY)}
        missing = tuple(k for k in acknowledged if k not in stored)
    conn = sqlite3.connect(path)
    try:
        integrity = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()
    return Crash(iteration, tuple(acknowledged), child.exitcode, integrity, problems, missing)


@pytest.fixture(scope="module")
def crashes(tmp_path_factory: pytest.TempPathFactory) -> list[Crash]:
    """ITERATIONS kills of a child playing on one file, at seeded moments."""
    path = str(tmp_path_factory.mktemp("crash") / "game.db")
    store, game, _ = workers.open_game(path)
    workers.start_mek(game, "w1", "m1")
    workers.start_mek(game, "w2", "m2")
    game.register_mek("w1", "m3")
    store.close()
    rng = random.Random(SEED)
    return [crash_once(path, i, rng) for i in range(1, ITERATIONS + 1)]


def test_every_child_was_killed_mid_run(crashes: list[Crash]) -> None:
    """Each child died by SIGKILL while it still had commands to run."""
    assert [c.exitcode for c in crashes] == [-signal.SIGKILL] * ITERATIONS


def test_file_is_intact_after_every_kill(crashes: list[Crash]) -> None:
    """PRAGMA integrity_check reports ok after every kill."""
    assert [c.integrity for c in crashes] == ["ok"] * ITERATIONS


def test_invariants_hold_after_every_kill(crashes: list[Crash]) -> None:
    """audit() finds nothing after every kill: no selection without its buff or ledger entry, no
    event without its change, no change without its event."""
    assert [c.problems for c in crashes] == [()] * ITERATIONS


def test_acknowledged_commands_survive_every_kill(crashes: list[Crash]) -> None:
    """Every command the child reported as completed is in the file after the kill."""
    assert sum(len(c.acknowledged) for c in crashes) >= ITERATIONS
    assert [c.missing for c in crashes] == [()] * ITERATIONS
