"""Storage benchmarks on SQLite files in WAL mode, each against a raw-sqlite3 or size baseline.

Run: ``python benchmarks/storage.py`` (all three parts; the 1,000,000-Mek database takes about a
minute to populate) or pick parts with ``--only cycles|totals|micro``.

``cycles``: pit-stop cycles (``open_pit_stop`` + ``select_buff``, two commands, two transactions)
per second through `JobSlots` on `SQLiteStore`, beside **raw** ``sqlite3`` replaying exactly the
rows those commands wrote (the offer, its update to selected, the selection, the active buff, the
progression, the Mek and wallet totals or the balance and ledger line, the events), with the same
pre-encoded JSON docs and the same SQL, one transaction per command, on a copy of the same starting
file with the same pragmas. The raw rows are captured from a recording run of the library (a
connection subclass logging every write), so both sides write identical bytes; the library also
does the reads and checks a command needs, raw does not. Both run under ``synchronous=FULL`` (the
default) and ``NORMAL``; rounds interleave library and raw, medians are printed with the ratio
library/raw time (goals: <= 1.6 at FULL, <= 2.0 at NORMAL). A round takes under a second and a
shared machine's speed drifts by a fifth from one round to the next: 9 rounds by default.

``totals``: latency of `JobSlots.wallet_totals` for a 100-Mek wallet in a database of 1,000 and of
1,000,000 Meks (median of many calls), their ratio (goal <= 1.5) and ``EXPLAIN QUERY PLAN`` of the
query. The databases are populated through the store's own unit of work (``put`` of `Mek`,
`MekTotal` and `WalletTotal` records shaped as the service writes them: 100 Meks per wallet, two
effect types per Mek, the wallet rows equal to the sums), in transactions of 50,000 records.

``micro``: the earlier per-operation shapes (a committed put, a keyed read, an index lookup, an
append, a 100-put batch): raw sqlite3 vs SQLiteStore vs MemoryStore.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jobslot_core import JobSlots, ManualClock, load_catalog, model
from jobslot_core.storage import MemoryStore, SQLiteStore, Store
from jobslot_core.storage import sqlite as sqlite_module
from jobslot_core.storage.protocol import EVENTS, MEK_TOTALS, MEKS, SLOTS, WALLET_TOTALS

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "examples" / "catalog.toml"
SECRET = b"benchmark secret"
JOB = "janitor"


# -- pit-stop cycles: library vs raw ---------------------------------------------------------------


def build_start(path: Path, wallets: int) -> tuple[int, int]:
    """A file with `wallets` wallets, each with one Mek working the janitor job long enough for
    every pit stop to be due; returns (clock ms to continue from, due cycles in total)."""
    catalog = load_catalog(CATALOG)
    clock = ManualClock(1_000_000)
    with SQLiteStore(path, synchronous="OFF") as store:
        game = JobSlots(store, catalog, secret=SECRET, secret_id="s1", clock=clock)
        for w in range(wallets):
            wallet, mek = f"wallet-{w:05d}", f"mek-{w:05d}"
            game.register_mek(wallet, mek)
            game.deposit(wallet, "gold", 100_000)
            game.unlock_slot(wallet, 1)
            game.purchase_job(wallet, 1, JOB)
            game.assign_mek(wallet, 1, mek)
        clock.advance(ms=catalog.job_types[JOB].level_tenure[-1] * 1000)
        due = game.progression("mek-00000", JOB).pending_pit_stops
    return clock.now_ms(), due * wallets


def play(path: Path, start_ms: int, wallets: int, due: int, synchronous: str) -> float:
    """Resolve every due pit stop of every wallet (open + select); seconds spent in commands."""
    clock = ManualClock(start_ms)
    with SQLiteStore(path, synchronous=synchronous) as store:
        game = JobSlots(store, None, secret=SECRET, secret_id="s1", clock=clock)
        started = time.perf_counter()
        for stop in range(due // wallets):
            for w in range(wallets):
                wallet, mek = f"wallet-{w:05d}", f"mek-{w:05d}"
                offer = game.open_pit_stop(wallet, mek, JOB)
                game.select_buff(wallet, offer.offer_id, (w + stop) % len(offer.choices))
        return time.perf_counter() - started


class _Recording(sqlite3.Connection):
    """A connection that logs every statement with its parameters."""

    log: list[tuple[str, tuple[Any, ...]]] | None = None

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        if self.log is not None:
            self.log.append((sql, tuple(parameters)))
        return super().execute(sql, parameters)


@contextlib.contextmanager
def recording() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every statement SQLiteStore connections opened inside the block execute."""
    log: list[tuple[str, tuple[Any, ...]]] = []
    original = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = original(*args, factory=_Recording, **kwargs)
        conn.log = log  # type: ignore[attr-defined]
        return conn

    sqlite_module.sqlite3.connect = connect  # type: ignore[assignment]
    try:
        yield log
    finally:
        sqlite_module.sqlite3.connect = original


def write_transactions(
    log: list[tuple[str, tuple[Any, ...]]], *, reads: bool = False
) -> list[list[tuple[str, tuple[Any, ...]]]]:
    """The writes of each committed write transaction of a recorded statement log (with
    `reads`, its SELECTs too, in the order they ran)."""
    transactions: list[list[tuple[str, tuple[Any, ...]]]] = []
    current: list[tuple[str, tuple[Any, ...]]] | None = None
    verbs = ("INSERT", "UPDATE", "DELETE", "SELECT") if reads else ("INSERT", "UPDATE", "DELETE")
    for sql, params in log:
        verb = sql.split(None, 1)[0].upper()
        if sql == "BEGIN IMMEDIATE":
            current = []
        elif verb == "COMMIT" and current is not None:
            if any(s.split(None, 1)[0].upper() != "SELECT" for s, _ in current):
                transactions.append(current)
            current = None
        elif verb in verbs and current is not None:
            current.append((sql, params))
    return transactions


def raw_connection(path: Path, synchronous: str) -> sqlite3.Connection:
    """A plain sqlite3 connection with SQLiteStore's pragmas."""
    conn = sqlite3.connect(path, isolation_level=None, cached_statements=256)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    return conn


def replay(path: Path, transactions: list[list[tuple[str, tuple[Any, ...]]]], sync: str) -> float:
    """Write the recorded rows, one transaction per command; seconds spent."""
    conn = raw_connection(path, sync)
    try:
        execute = conn.execute
        started = time.perf_counter()
        for statements in transactions:
            execute("BEGIN IMMEDIATE")
            for sql, params in statements:
                execute(sql, params).fetchall()
            execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def same_rows(a: Path, b: Path) -> bool:
    """Whether two files hold the same rows in every table."""
    results = []
    for path in (a, b):
        conn = sqlite3.connect(path)
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        results.append({n: conn.execute(f'SELECT * FROM "{n}"').fetchall() for n in names})
        conn.close()
    return results[0] == results[1]


def bench_cycles(wallets: int, rounds: int) -> None:
    print(f"== pit-stop cycles: {wallets} wallets, median of {rounds} interleaved rounds ==")
    with tempfile.TemporaryDirectory(prefix="jobslot-bench-") as tmp_name:
        tmp = Path(tmp_name)
        start = tmp / "start.db"
        start_ms, cycles = build_start(start, wallets)
        shutil.copy(start, tmp / "recorded.db")
        with recording() as log:
            play(tmp / "recorded.db", start_ms, wallets, cycles, "OFF")
        transactions = write_transactions(log)
        with_reads = write_transactions(log, reads=True)
        writes = sum(len(t) for t in transactions)
        selects = sum(len(t) for t in with_reads) - writes
        print(
            f"{cycles} cycles = {len(transactions)} write transactions, {writes} row writes "
            f"({writes / cycles:.1f} per cycle); the library's reads: {selects} "
            f"({selects / cycles:.1f} per cycle)"
        )
        print(
            "raw: the same writes only; raw+reads: the same SELECTs too (fetched), the fairer"
            " baseline: any implementation reads what a command checks"
        )
        header = f"{'synchronous':12} {'library/s':>10} {'raw/s':>9} {'raw+reads/s':>12}"
        print(f"{header} {'lib/raw':>8} {'lib/raw+reads':>14}   lib/raw per round: median [range]")
        for sync in ("FULL", "NORMAL"):
            samples: dict[str, list[float]] = {"lib": [], "raw": [], "reads": []}
            for _ in range(rounds):
                for name, times in samples.items():
                    target = tmp / f"{name}.db"
                    shutil.copy(start, target)
                    for suffix in ("-wal", "-shm"):
                        Path(f"{target}{suffix}").unlink(missing_ok=True)
                    if name == "lib":
                        times.append(play(target, start_ms, wallets, cycles, sync))
                    else:
                        replayed = transactions if name == "raw" else with_reads
                        times.append(replay(target, replayed, sync))
            lib, raw, reads = (statistics.median(samples[k]) for k in ("lib", "raw", "reads"))
            # Each round's library and raw runs are neighbours in time: their ratio cancels the
            # machine's drift between rounds, and its range shows how much is left.
            paired = [a / b for a, b in zip(samples["lib"], samples["raw"], strict=True)]
            print(
                f"{sync:12} {cycles / lib:10.0f} {cycles / raw:9.0f} {cycles / reads:12.0f}"
                f" {lib / raw:7.2f}x {lib / reads:13.2f}x   {statistics.median(paired):.2f}x"
                f" [{min(paired):.2f}-{max(paired):.2f}]"
            )
        for other in ("raw", "reads"):
            assert same_rows(tmp / "lib.db", tmp / f"{other}.db"), f"library and {other} differ"
        print("library, raw and raw+reads files hold identical rows")


# -- wallet_totals by database size ---------------------------------------------------------------

MEKS_PER_WALLET = 100
EFFECTS = ("gold_rate", "essence_rate")


def populate(path: Path, meks: int, batch: int = 50_000) -> None:
    """`meks` Meks, 100 per wallet, each with two MekTotal rows, and the WalletTotal sums, put
    through the store's own unit of work; a JobSlots game (catalog, secret) on top."""
    catalog = load_catalog(CATALOG)
    with SQLiteStore(path, synchronous="OFF") as store:
        JobSlots(store, catalog, secret=SECRET, secret_id="s1", clock=ManualClock(0))
        uow = store.unit_of_work()
        pending = 0
        for w in range(meks // MEKS_PER_WALLET):
            wallet = f"wallet-{w:07d}"
            sums = dict.fromkeys(EFFECTS, 0)
            for m in range(MEKS_PER_WALLET):
                mek = f"mek-{w:07d}-{m:03d}"
                uow.put(MEKS, model.Mek(mek, wallet, registered_at_ms=0))
                for e, effect in enumerate(EFFECTS):
                    units = 100 + (w * 7 + m * 13 + e) % 900
                    sums[effect] += units
                    uow.put(MEK_TOTALS, model.MekTotal(mek, effect, wallet, units))
                pending += 3
            for effect, units in sums.items():
                uow.put(WALLET_TOTALS, model.WalletTotal(wallet, effect, units))
            if pending >= batch:
                uow.commit()
                uow = store.unit_of_work()
                pending = 0
        uow.commit()


def totals_latency(path: Path, calls: int) -> float:
    """Median seconds of one `wallet_totals` call for a 100-Mek wallet in the file."""
    with SQLiteStore(path) as store:
        game = JobSlots(store, None, secret=SECRET, secret_id="s1", clock=ManualClock(0))
        wallets = [f"wallet-{w:07d}" for w in range(0, 10, 3)]
        for wallet in wallets:  # warm the page cache and the game's catalog
            assert len(game.wallet_totals(wallet).totals) == len(EFFECTS)
        samples = []
        for i in range(calls):
            wallet = wallets[i % len(wallets)]
            started = time.perf_counter()
            game.wallet_totals(wallet)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)


def query_plans(path: Path) -> list[str]:
    """EXPLAIN QUERY PLAN of the statements `wallet_totals` runs."""
    store = SQLiteStore(path)
    sql = store._sql  # the adapter's prepared SQL: exactly what find/get execute
    queries = [
        sql["wallet_totals"].select_doc + ' WHERE "wallet" IS ?' + sql["wallet_totals"].order_by,
        sql["wallet_stats"].get,
        sql["catalogs"].select_doc + " WHERE seq > ?" + sql["catalogs"].order_by + " LIMIT ?",
    ]
    store.close()
    conn = sqlite3.connect(path)
    lines = []
    for query in queries:
        params = (None,) * query.count("?")
        plan = conn.execute("EXPLAIN QUERY PLAN " + query, params).fetchall()
        lines.append(f"{query}\n    -> " + "; ".join(r[3] for r in plan))
    conn.close()
    return lines


def bench_totals(big: int, calls: int) -> None:
    print(f"== wallet_totals of a {MEKS_PER_WALLET}-Mek wallet, median of {calls} calls ==")
    with tempfile.TemporaryDirectory(prefix="jobslot-bench-") as tmp_name:
        latencies = {}
        for meks in (1_000, big):
            path = Path(tmp_name) / f"meks-{meks}.db"
            started = time.perf_counter()
            populate(path, meks)
            size_mb = path.stat().st_size / 1e6
            print(
                f"populated {meks:>9,} Meks in {time.perf_counter() - started:6.1f} s "
                f"({size_mb:,.0f} MB)"
            )
            latencies[meks] = totals_latency(path, calls)
        for meks, seconds in latencies.items():
            print(f"{meks:>9,} Meks: {seconds * 1e6:8.1f} us per wallet_totals")
        print(f"ratio {big:,} / 1,000: {latencies[big] / latencies[1_000]:.2f}x")
        print("EXPLAIN QUERY PLAN:")
        for line in query_plans(path):
            print("  " + line)


# -- micro-benchmarks: raw vs SQLiteStore vs MemoryStore per operation shape ---------------------

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


def measure_micro(
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


def bench_micro(n: int, writes: int, rounds: int, synchronous: str) -> None:
    print(f"== micro: synchronous={synchronous}, reads n={n}, writes n={writes}, "
          f"median of {rounds} interleaved rounds ==")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="jobslot-bench-") as tmp:
        raw = Raw(Path(tmp) / "raw.db", synchronous)
        sqlite_store = SQLiteStore(Path(tmp) / "store.db", synchronous=synchronous)
        impls: dict[str, Raw | Adapter] = {
            "raw": raw,
            "sqlite": Adapter(sqlite_store),
            "memory": Adapter(MemoryStore()),
        }
        results = measure_micro(impls, n, writes, rounds)
        raw.conn.close()
        sqlite_store.close()
    print(f"{'operation':26} {'raw/s':>10} {'sqlite/s':>10} {'memory/s':>10} {'raw/sqlite':>10}")
    for shape, row in results.items():
        r, s, m = (row[k] for k in ("raw", "sqlite", "memory"))
        print(f"{shape:26} {r:10.0f} {s:10.0f} {m:10.0f} {r / s:10.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", choices=["cycles", "totals", "micro"], action="append")
    parser.add_argument("--wallets", type=int, default=200, help="cycles: wallets (3 stops each)")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (median)")
    parser.add_argument("--big", type=int, default=1_000_000, help="totals: Meks in the big file")
    parser.add_argument("--calls", type=int, default=3000, help="totals: calls per file")
    parser.add_argument("--n", type=int, default=2000, help="micro: read operations per shape")
    parser.add_argument("--writes", type=int, default=300, help="micro: writes per shape")
    parser.add_argument("--synchronous", default="FULL", choices=["OFF", "NORMAL", "FULL"])
    args = parser.parse_args()
    parts = args.only or ["cycles", "totals", "micro"]
    print(f"SQLite {sqlite3.sqlite_version}, WAL journal")
    if "cycles" in parts:
        bench_cycles(args.wallets, args.rounds)
    if "totals" in parts:
        bench_totals(args.big, args.calls)
    if "micro" in parts:
        bench_micro(args.n, args.writes, args.rounds, args.synchronous)


if __name__ == "__main__":
    main()
