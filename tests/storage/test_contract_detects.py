"""The contract's isolation behaviours fail a store that takes no lock (they prove something)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobslot_core.storage import MemoryStore
from jobslot_core.testing.contract import StorageContract


class _NoLock:
    """A lock that excludes nobody: every unit of work runs at once."""

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


class _Unlocked(StorageContract):
    def make_store(self, tmp_path: Path) -> MemoryStore:
        store = MemoryStore()
        store._lock = _NoLock()  # type: ignore[assignment]
        return store


def test_a_store_without_locks_loses_updates(tmp_path: Path) -> None:
    """Racing read-modify-writes on a store whose writers do not exclude each other lose some."""
    contract = _Unlocked()
    store = contract.make_store(tmp_path)
    with pytest.raises(AssertionError):
        contract.test_concurrent_read_modify_write_loses_nothing(store)


def test_a_store_without_locks_lets_a_second_writer_in(tmp_path: Path) -> None:
    """The exclusion behaviour sees the second writer enter a held scope."""
    contract = _Unlocked()
    store = contract.make_store(tmp_path)
    with pytest.raises(AssertionError, match="second writer"):
        contract.test_writers_in_one_scope_exclude_each_other(store)
