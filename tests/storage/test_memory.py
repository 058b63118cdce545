"""MemoryStore against the storage contract."""

from pathlib import Path

from jobslot_core.storage import MemoryStore
from jobslot_core.testing.contract import StorageContract


class TestMemoryStore(StorageContract):
    def make_store(self, tmp_path: Path) -> MemoryStore:
        return MemoryStore()
