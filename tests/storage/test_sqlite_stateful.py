"""The whole command set under hypothesis on a SQLite file: invariants hold after every step."""

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings

from jobslot_core.storage import SQLiteStore, Store
from jobslot_core.testing.commands import GameStateMachine


class SQLiteMachine(GameStateMachine):
    """`GameStateMachine` unchanged, on a SQLite file in a fresh directory per example."""

    def make_store(self) -> Store:
        self.workdir = Path(tempfile.mkdtemp(prefix="jobslot-stateful-"))
        return SQLiteStore(self.workdir / "game.db")

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


class SQLiteKeepDiminishedMachine(SQLiteMachine):
    """The SQLite machine with policy 8.3 set to keep buffs, diminished, across prestiges."""

    keep_diminished = True


# Each step snapshots and audits the whole file, so SQLite runs fewer examples than MemoryStore.
SQLITE_SETTINGS = settings(max_examples=20, stateful_step_count=50)

TestSQLiteMachine = SQLiteMachine.TestCase
TestSQLiteMachine.settings = SQLITE_SETTINGS
TestSQLiteKeepDiminishedMachine = SQLiteKeepDiminishedMachine.TestCase
TestSQLiteKeepDiminishedMachine.settings = SQLITE_SETTINGS
