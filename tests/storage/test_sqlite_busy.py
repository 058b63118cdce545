"""SQLite: a writer timing out on the file lock gets a retryable ConcurrencyConflict."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from jobslot_core.errors import ConcurrencyConflict
from jobslot_core.service import JobSlots
from jobslot_core.storage.sqlite import SQLiteStore
from jobslot_core.testing.commands import machine_catalog


def test_a_writer_timing_out_on_the_file_lock_is_a_concurrency_conflict(tmp_path: Path) -> None:
    """docs/storage.md, what a store must do: "A deadlock or lock time-out becomes
    `ConcurrencyConflict`" (so the runner retries it). Another process holding the SQLite file's
    write lock past `timeout_s` gives "database is locked" as a plain `StorageError`, raised at
    the first attempt without a retry. (docs/storage.md's SQLite section documents that
    StorageError, contradicting its own Concurrency section and docs/errors.md.)"""
    path = tmp_path / "game.db"
    store = SQLiteStore(path, timeout_s=0.05)
    game = JobSlots(store, machine_catalog(), secret=b"probe secret of 16+ bytes", secret_id="s1")
    other = sqlite3.connect(path, isolation_level=None)  # another process's long write
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ConcurrencyConflict):
            game.deposit("w", "gold", 1)
    finally:
        other.execute("ROLLBACK")
        other.close()
        store.close()
