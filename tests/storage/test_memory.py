"""MemoryStore against the storage contract."""

from pathlib import Path

from jobslot_core.storage import MemoryStore
from jobslot_core.testing.contract import StorageContract


class TestMemoryStore(StorageContract):
    def make_store(self, tmp_path: Path) -> MemoryStore:
        return MemoryStore()


def test_tables_pickle_and_key_of_reads_the_key_fields() -> None:
    """Declared tables are plain values (a host may send them to a worker process), and
    `key_of` gives the key fields' values in key order, a 1-tuple for one field."""
    import pickle

    from jobslot_core import model
    from jobslot_core.storage.protocol import MEKS, SLOTS, TABLES

    for table in TABLES:
        assert pickle.loads(pickle.dumps(table)) == table
    assert MEKS.key_of(model.Mek("mek-1", "w1", 5)) == ("mek-1",)
    slot = model.JobSlot("w1", 2, 0)
    assert SLOTS.key_of(slot) == ("w1", 2)
