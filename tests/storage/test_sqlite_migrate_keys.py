"""SQLite schema 2: a version-1 file's idempotency keys move into the scope of their wallet."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from jobslot_core import JobSlots, ManualClock, load_catalog
from jobslot_core.storage import SQLiteStore
from jobslot_core.storage.protocol import IDEMPOTENCY
from jobslot_core.storage.sqlite import SCHEMA_VERSION

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog.toml"
SECRET = b"migration test secret"


def _as_version_1(path: Path) -> None:
    """Rewrite the file's idempotency table as version 1 kept it: keyed by `key` alone, records
    without a scope."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        rows = conn.execute("SELECT key, at_ms, doc FROM idempotency").fetchall()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute('DROP INDEX "idempotency__by__at_ms"')
        conn.execute("DROP TABLE idempotency")
        conn.execute(
            'CREATE TABLE idempotency ("key" NOT NULL, "at_ms", doc TEXT NOT NULL,'
            ' PRIMARY KEY ("key"))'
        )
        conn.execute('CREATE INDEX "idempotency__by__at_ms" ON idempotency ("at_ms", "key")')
        for key, at_ms, doc in rows:
            record = json.loads(doc)
            del record["scope"]
            conn.execute(
                "INSERT INTO idempotency VALUES (?, ?, ?)", (key, at_ms, json.dumps(record))
            )
        conn.execute("UPDATE meta SET value = 1 WHERE key = 'schema_version'")
        conn.execute("PRAGMA user_version = 1")
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_version_1_keys_keep_their_first_results_after_the_upgrade(tmp_path: Path) -> None:
    """Keys stored by version 1 (a deposit, a transfer, an availability change) land in the
    acting wallet's scope, so retrying those commands after the upgrade changes nothing."""
    path = tmp_path / "game.db"
    clock = ManualClock(0)
    with SQLiteStore(path) as store:
        game = JobSlots(store, load_catalog(EXAMPLE), secret=SECRET, secret_id="s1", clock=clock)
        game.register_mek("seller", "m1", idempotency_key="reg")
        deposit = game.deposit("seller", "gold", 70, idempotency_key="dep")
        game.set_mek_available("m1", False, idempotency_key="busy")
        game.set_mek_available("m1", True, idempotency_key="free")
        moved = game.transfer_mek("m1", "buyer", idempotency_key="sale")
    _as_version_1(path)
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        with store.unit_of_work(write=False) as uow:
            scopes = {r.key: r.scope for r in uow.find(IDEMPOTENCY)}
        assert scopes == {
            "reg": "wallet:seller",
            "dep": "wallet:seller",
            "busy": "wallet:seller",
            "free": "wallet:seller",
            "sale": "wallet:buyer",
        }
        game = JobSlots(store, None, secret=SECRET, secret_id="s1", clock=clock)
        assert game.deposit("seller", "gold", 70, idempotency_key="dep") == deposit
        assert game.transfer_mek("m1", "buyer", idempotency_key="sale") == moved
        assert game.balance("seller", "gold") == 70
        assert [o.wallet for o in game.mek_owners("m1")] == ["seller", "buyer"]
