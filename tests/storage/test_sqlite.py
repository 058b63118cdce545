"""SQLiteStore (a file, and ":memory:") against the storage contract."""

from pathlib import Path

from jobslot_core.storage import SQLiteStore, Store
from jobslot_core.testing.contract import StorageContract


class TestSQLiteFile(StorageContract):
    def make_store(self, tmp_path: Path) -> SQLiteStore:
        return SQLiteStore(tmp_path / "jobslot.db")

    def reopen(self, store: Store, tmp_path: Path) -> SQLiteStore:
        return SQLiteStore(tmp_path / "jobslot.db")


class TestSQLiteMemory(StorageContract):
    def make_store(self, tmp_path: Path) -> SQLiteStore:
        return SQLiteStore(":memory:")
