"""SQLiteStore (a file, and ":memory:") against the storage contract."""

import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from jobslot_core.storage import SQLiteStore, Store
from jobslot_core.testing.contract import StorageContract


@contextlib.contextmanager
def _interrupted(store: Store) -> Iterator[None]:
    """Every statement on the store's connections fails inside SQLite itself ("interrupted")."""
    assert isinstance(store, SQLiteStore)
    connections: list[sqlite3.Connection] = list(store._every)
    for conn in connections:
        conn.set_progress_handler(lambda: 1, 1)
    try:
        yield
    finally:
        for conn in connections:
            conn.set_progress_handler(None, 1)


class TestSQLiteFile(StorageContract):
    def make_store(self, tmp_path: Path) -> SQLiteStore:
        return SQLiteStore(tmp_path / "jobslot.db")

    def reopen(self, store: Store, tmp_path: Path) -> SQLiteStore:
        return SQLiteStore(tmp_path / "jobslot.db")

    def opener(self, store: Store, tmp_path: Path) -> Callable[[], Store]:
        return functools.partial(SQLiteStore, tmp_path / "jobslot.db")

    def break_store(self, store: Store) -> contextlib.AbstractContextManager[None]:
        return _interrupted(store)


class TestSQLiteMemory(StorageContract):
    def make_store(self, tmp_path: Path) -> SQLiteStore:
        return SQLiteStore(":memory:")

    def break_store(self, store: Store) -> contextlib.AbstractContextManager[None]:
        return _interrupted(store)
