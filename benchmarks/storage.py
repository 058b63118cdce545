"""Storage adapter throughput: SQLiteStore and MemoryStore against raw sqlite3 in the same run.

Run: ``python benchmarks/storage.py [--n 2000] [--synchronous FULL]``. For each operation shape a
command performs (a committed write, a keyed read, an index lookup of a wallet's slots, an
appended event, a batch of writes in one transaction) it prints operations/second for:

- ``raw``: hand-written SQL on stdlib sqlite3 with the same file layout and pragmas (WAL, the
  chosen ``synchronous``, ``BEGIN IMMEDIATE``) and records encoded by hand: the floor;
- ``sqlite``: `SQLiteStore` through the storage protocol (cattrs + JSON per record);
- ``memory``: `MemoryStore`;

and the ratio raw / sqlite (how much of SQLite's speed the adapter keeps). The service-level
benchmark (`benchmarks/service.py`) measures whole commands.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobslot_core import model
from jobslot_core.storage import MemoryStore, SQLiteStore, Store
from jobslot_core.storage.protocol import EVENTS, SLOTS

WALLETS = 200
SLOTS_PER_WALLET = 5


def _slot(w: int, s: int) -> model.JobSlot:
    return model.JobSlot(f"wallet-{w:04d}", s, 1_000, "miner", 2_000, f"mek-{w}-{s}", 3_000)


def _slot_doc(w: int, s: int) -> str:
    d = {"wallet": f"wallet-{w:04d}", "slot_number": s, "unlocked_at_ms": 1_000, "job_key": "miner",
         "purchased_at_ms": 2_000, "mek_id": f"mek-{w}-{s}", "slotted_at_ms": 3_000}  # fmt: skip
    return json.dumps(d, sort_keys=True, separators=(",", ":"))


class Raw:
    """The floor: the same tables and pragmas as SQLiteStore, SQL written by hand."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(f"PRAGMA synchronous = {synchronous}")
        self.conn.execute(
            "CREATE TABLE slots (wallet NOT NULL, slot_number NOT NULL, mek_id, doc TEXT NOT NULL,"
            " PRIMARY KEY (wallet, slot_number))"
        )
        self.conn.execute("CREATE INDEX slots_mek ON slots (mek_id, wallet, slot_number)")
        self.conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL)")

    def put(self, w: int, s: int) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT OR REPLACE INTO slots VALUES (?, ?, ?, ?)",
            (f"wallet-{w:04d}", s, f"mek-{w}-{s}", _slot_doc(w, s)),
        )
        self.conn.execute("COMMIT")

    def get(self, w: int, s: int) -> Any:
        self.conn.execute("BEGIN")
        row = self.conn.execute(
            "SELECT doc FROM slots WHERE wallet = ? AND slot_number = ?", (f"wallet-{w:04d}", s)
        ).fetchone()
        self.conn.execute("COMMIT")
        return json.loads(row[0])

    def find(self, w: int) -> list[Any]:
        self.conn.execute("BEGIN")
        rows = self.conn.execute(
            "SELECT doc FROM slots WHERE wallet = ? ORDER BY wallet, slot_number",
            (f"wallet-{w:04d}",),
        ).fetchall()
        self.conn.execute("COMMIT")
        return [json.loads(r[0]) for r in rows]

    def append(self, i: int) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events").fetchone()[0]
        doc = {"seq": seq, "kind": "Tick", "wallet": None, "at_ms": i, "data": {"i": i}}
        self.conn.execute("INSERT INTO events VALUES (?, ?)", (seq, json.dumps(doc)))
        self.conn.execute("COMMIT")

    def batch(self, base: int) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(
            "INSERT OR REPLACE INTO slots VALUES (?, ?, ?, ?)",
            [
                (f"wallet-{base + w:04d}", s, f"mek-{w}-{s}", _slot_doc(base + w, s))
                for w in range(20)
                for s in range(SLOTS_PER_WALLET)
            ],
        )
        self.conn.execute("COMMIT")


class Adapter:
    """The same shapes through the storage protocol."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, w: int, s: int) -> None:
        with self.store.unit_of_work() as uow:
            uow.put(SLOTS, _slot(w, s))
            uow.commit()

    def get(self, w: int, s: int) -> Any:
        with self.store.unit_of_work(write=False) as uow:
            return uow.get(SLOTS, (f"wallet-{w:04d}", s))

    def find(self, w: int) -> list[Any]:
        with self.store.unit_of_work(write=False) as uow:
            return uow.find(SLOTS, wallet=f"wallet-{w:04d}")

    def append(self, i: int) -> None:
        with self.store.unit_of_work() as uow:
            uow.append(EVENTS, lambda seq: model.Event(seq, "Tick", None, i, {"i": i}))
            uow.commit()

    def batch(self, base: int) -> None:
        with self.store.unit_of_work() as uow:
            for w in range(20):
                for s in range(SLOTS_PER_WALLET):
                    uow.put(SLOTS, _slot(base + w, s))
            uow.commit()


def shapes(impl: Raw | Adapter, n: int, writes: int) -> dict[str, tuple[int, Callable[[], Any]]]:
    """Each operation shape: (operations per run, a run)."""
    batches = max(1, writes // 10)
    return {
        "commit 1 put": (writes, lambda: [impl.put(i % WALLETS, i % 5) for i in range(writes)]),
        "read 1 by key": (n, lambda: [impl.get(i % WALLETS, i % 5) for i in range(n)]),
        "read wallet's 5 slots": (n, lambda: [impl.find(i % WALLETS) for i in range(n)]),
        "commit 1 append": (writes, lambda: [impl.append(i) for i in range(writes)]),
        "commit 100 puts": (100 * batches, lambda: [impl.batch(20 * i) for i in range(batches)]),
    }


def measure(
    impls: dict[str, Raw | Adapter], n: int, writes: int, rounds: int
) -> dict[str, dict[str, float]]:
    """Median operations/second per shape and implementation, interleaving implementations in
    each round so that disk and CPU noise (fsync under synchronous=FULL) hits them alike."""
    for impl in impls.values():  # every wallet's slots exist before anything is read
        for base in range(0, WALLETS, 20):
            impl.batch(base)
    plans = {name: shapes(impl, n, writes) for name, impl in impls.items()}
    results: dict[str, dict[str, float]] = {}
    for shape in plans["raw"]:
        samples: dict[str, list[float]] = {name: [] for name in impls}
        for _ in range(rounds):
            for name, plan in plans.items():
                ops, run = plan[shape]
                start = time.perf_counter()
                run()
                samples[name].append(ops / (time.perf_counter() - start))
        results[shape] = {name: statistics.median(v) for name, v in samples.items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=2000, help="read operations per shape")
    parser.add_argument("--writes", type=int, default=300, help="committed writes per shape")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--synchronous", default="FULL", choices=["OFF", "NORMAL", "FULL"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Raw(Path(tmp) / "raw.db", args.synchronous)
        sqlite_store = SQLiteStore(Path(tmp) / "store.db", synchronous=args.synchronous)
        memory = MemoryStore()
        impls: dict[str, Raw | Adapter] = {
            "raw": raw,
            "sqlite": Adapter(sqlite_store),
            "memory": Adapter(memory),
        }
        results = measure(impls, args.n, args.writes, args.rounds)
        raw.conn.close()
        sqlite_store.close()
    print(
        f"synchronous={args.synchronous}, reads n={args.n}, writes n={args.writes}, "
        f"median of {args.rounds} interleaved rounds"
    )
    print(f"{'operation':26} {'raw/s':>10} {'sqlite/s':>10} {'memory/s':>10} {'raw/sqlite':>10}")
    for shape, row in results.items():
        r, s, m = (row[k] for k in ("raw", "sqlite", "memory"))
        print(f"{shape:26} {r:10.0f} {s:10.0f} {m:10.0f} {r / s:10.2f}x")


if __name__ == "__main__":
    main()
