"""PostgresStore benchmarks on the real server, each beside a baseline measured in the same run.

Run: ``python benchmarks/postgres.py [--dsn DSN] [--quick] [--only single|procs|proxy]``
(DSN default: ``JOBSLOT_TEST_PG`` or ``postgresql://root@127.0.0.1:5432/test``). Every schema
it makes is dropped at the end.

``single``: pit-stop cycles (``open_pit_stop`` + ``select_buff``, and a ``prestige`` after every
third cycle of a Mek, in the time) per second from one process through `JobSlots` on
`PostgresStore`, beside **raw psycopg** writing exactly the rows those commands wrote, in the
same transactions: the statements are recorded from library runs (with their parameters, per
transaction) and replayed on a copy of the same starting schema, durable (``synchronous_commit``
on), three ways: the rows (recorded with the store's write batching off: one INSERT, UPDATE or
DELETE per row) one round trip each (``raw``), the same pipelined with COMMIT (``raw
pipelined``, the fastest raw client), and every statement the library sent, its reads and lock
rows too, one round trip each, nothing decoded (``raw + reads``, the fairer baseline: what this
implementation asks the server, without its Python).
Rounds interleave; medians and the ratios library/raw time are printed.

``procs``: 1, 2, 4 and 8 processes, each with its own store, on disjoint wallets (one wallet
and Mek per process) and on one hot wallet (one Mek per process, all in one wallet): total
cycles per second, speed-up over one process, and retries per command (write units of work
opened beyond one per command: ConcurrencyConflict reruns).

``proxy``: the same through a TCP proxy on localhost, written here, that delays every chunk by
1 ms each way (a network), for disjoint wallets and the hot wallet; then the outbox tail's
lever (COMMIT with the writes, or in a round trip of its own), and the calibration: **raw
psycopg** sending the library's own round trips (recorded per wallet, one psycopg pipeline
each: the same statements, locks and waits, none of the library's Python) from 1 and 8
processes through the same proxy, what 8 vs 1 this machine allows for this SQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from jobslot_core import JobSlots, ManualClock, load_catalog
from jobslot_core.audit import audit
from jobslot_core.catalog import Catalog, SlotRule, SlotUnlockPolicy
from jobslot_core.storage.postgres import PostgresStore

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "examples" / "catalog.toml"
SECRET = b"benchmark secret"
JOB = "janitor"
DEFAULT_DSN = os.environ.get("JOBSLOT_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
CTX = multiprocessing.get_context("spawn")


def catalog() -> Catalog:
    """The example catalog with ten free slots (a hot wallet holds one Mek per process)."""
    base = load_catalog(CATALOG)
    slots = SlotUnlockPolicy(rules=tuple(SlotRule(n) for n in range(1, 11)), max_slots=10)
    return attrs.evolve(base, policies=attrs.evolve(base.policies, slot_unlock=slots))


def stops_ms(cat: Catalog) -> list[int]:
    job = cat.job_types[JOB]
    return [job.pit_stop_tenure(n) * 1000 for n in range(1, job.pit_stop_count + 1)]


def connect(dsn: str) -> Any:
    import psycopg

    return psycopg.connect(dsn, autocommit=True)


def drop(dsn: str, *schemas: str) -> None:
    with connect(dsn) as conn:
        for schema in schemas:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def copy_schema(dsn: str, source: str, target: str) -> None:
    """A new schema `target` holding the same tables, indexes and rows as `source`."""
    with connect(dsn) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{target}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{target}"')
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (source,),
            )
        ]
        for t in tables:
            conn.execute(f'CREATE TABLE "{target}"."{t}" (LIKE "{source}"."{t}" INCLUDING ALL)')
            conn.execute(f'INSERT INTO "{target}"."{t}" SELECT * FROM "{source}"."{t}"')
        conn.execute("ANALYZE")


def setup_wallets(store: PostgresStore, cat: Catalog, meks: list[tuple[str, int, str]]) -> int:
    """Register each (wallet, slot, mek), fund it, buy the janitor job there and assign it;
    returns the clock time to go on from."""
    clock = ManualClock(1_000_000)
    game = JobSlots(store, cat, secret=SECRET, secret_id="s1", clock=clock)
    funded: set[str] = set()
    for wallet, slot, mek in meks:
        if wallet not in funded:
            game.deposit(wallet, "gold", 10**9)
            funded.add(wallet)
        game.register_mek(wallet, mek)
        game.unlock_slot(wallet, slot)
        game.purchase_job(wallet, slot, JOB)
        game.assign_mek(wallet, slot, mek)
    return clock.now_ms()


def play(
    game: JobSlots, clock: ManualClock, meks: list[tuple[str, str]], runs: int, cat: Catalog
) -> int:
    """`runs` times: every pit stop of the job for every Mek, then a prestige each; cycles."""
    cycles = 0
    for _ in range(runs):
        start = clock.now_ms()
        for due in stops_ms(cat):
            clock.set(start + due)
            for wallet, mek in meks:
                offer = game.open_pit_stop(wallet, mek, JOB)
                game.select_buff(wallet, offer.offer_id, cycles % len(offer.choices))
                cycles += 1
        for wallet, mek in meks:
            game.prestige(wallet, mek, JOB)
    return cycles


# -- single process: library vs raw psycopg -----------------------------------------------------


@contextlib.contextmanager
def watching(see: Callable[[Any, list[tuple[str, Any]]], None]) -> Iterator[None]:
    """`see(wire, statements)` before every round trip the store's connections make."""
    from jobslot_core.storage._pgwire import Wire

    original = Wire.round_trip

    def round_trip(self: Wire, statements: Any, keep: int) -> Any:
        see(self, statements)
        return original(self, statements, keep)

    Wire.round_trip = round_trip  # type: ignore[method-assign]
    try:
        yield
    finally:
        Wire.round_trip = original  # type: ignore[method-assign]


@contextlib.contextmanager
def recording() -> Iterator[list[list[tuple[str, Any]]]]:
    """Every statement (reads, locks and writes) of every write transaction that wrote, as the
    store's connections ran them."""
    transactions: list[list[tuple[str, Any]]] = []
    open_tx: dict[int, list[tuple[str, Any]]] = {}

    def see(wire: Any, statements: list[tuple[str, Any]]) -> None:
        key = id(wire)
        for sql, params in statements:
            if sql.startswith("BEGIN ISOLATION LEVEL READ COMMITTED"):
                open_tx[key] = []
            elif sql == "COMMIT" and key in open_tx:
                done = open_tx.pop(key)
                if any(is_write(q) for q, _ in done):
                    transactions.append(done)
            elif key in open_tx:
                open_tx[key].append((sql, params))

    with watching(see):
        yield transactions


@contextlib.contextmanager
def one_row_per_statement() -> Iterator[None]:
    """The store's queued writes sent one row per statement, as a plain client writes them (the
    rows the raw baselines replay)."""
    original = PostgresStore._batch

    def single(self: PostgresStore, writes: list[Any], late: Any = None) -> list[Any]:
        statements = [statement for write in writes for statement in original(self, [write])]
        if late is not None and late[1] == self._set_tails:  # the tails held: one row each
            update = f'UPDATE "{self.schema}".tails SET seq = %s WHERE log = %s'
            statements.extend((update, (seq, log)) for log, seq in zip(*late[2], strict=True))
        elif late is not None:  # the tails and the records numbered after them: one statement
            statements.extend(original(self, [], late))
        return statements

    PostgresStore._batch = single  # type: ignore[method-assign]
    try:
        yield
    finally:
        PostgresStore._batch = original  # type: ignore[method-assign]


def is_write(sql: str) -> bool:
    """A statement that writes rows (the batched writes and the outbox append are `WITH ...`
    statements whose terms insert, update or delete)."""
    first = sql.split(None, 1)[0]
    return first in ("INSERT", "UPDATE", "DELETE") or (
        first == "WITH" and any(f"({verb} " in sql for verb in ("INSERT", "UPDATE", "DELETE"))
    )


def run_library(
    dsn: str, schema: str, start_ms: int, wallets: int, runs: int, cat: Catalog
) -> float:
    with PostgresStore(dsn, schema=schema, max_size=2) as store:
        clock = ManualClock(start_ms)
        game = JobSlots(store, cat, secret=SECRET, secret_id="s1", clock=clock)
        meks = [(f"wallet-{w:04d}", f"mek-{w:04d}") for w in range(wallets)]
        started = time.perf_counter()
        play(game, clock, meks, runs, cat)
        elapsed = time.perf_counter() - started
        assert audit(store) == ()
    return elapsed


def run_raw(
    dsn: str, schema: str, recorded: str, txs: list[list[tuple[str, Any]]], how: str
) -> float:
    """Replay the recorded transactions: `writes` (one round trip each), `pipelined` (the writes
    and COMMIT in one pipeline) or `all` (every recorded statement, reads and locks too, one
    round trip each, nothing decoded)."""
    conn = connect(dsn)
    try:
        old, new = f'"{recorded}".', f'"{schema}".'
        plan = [
            [(q.replace(old, new), params) for q, params in tx if how == "all" or is_write(q)]
            for tx in txs
        ]
        cur = conn.cursor()  # one cursor for everything: the cheapest way psycopg sends
        started = time.perf_counter()
        for tx in plan:
            if how == "pipelined":
                with conn.pipeline():
                    cur.execute("BEGIN")
                    for sql, params in tx:
                        cur.execute(sql, params)
                    cur.execute("COMMIT")
            else:
                cur.execute("BEGIN")
                for sql, params in tx:
                    cur.execute(sql, params)
                    if cur.description is not None:
                        cur.fetchall()
                cur.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def row_counts(dsn: str, schema: str) -> dict[str, int]:
    with connect(dsn) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        return {
            t: conn.execute(f'SELECT count(*) FROM "{schema}"."{t}"').fetchone()[0] for t in tables
        }


def bench_single(dsn: str, wallets: int, runs: int, rounds: int, tag: str) -> None:
    cat = catalog()
    cycles = wallets * runs * len(stops_ms(cat))
    print(
        f"== single process: {cycles} pit-stop cycles ({wallets} wallets x {runs} runs),"
        f" median of {rounds} rounds =="
    )
    start, rec, rec_lib, lib, raw = (
        f"bench_{tag}_{n}" for n in ("start", "rec", "reclib", "lib", "raw")
    )
    try:
        with PostgresStore(dsn, schema=start) as store:
            start_ms = setup_wallets(
                store, cat, [(f"wallet-{w:04d}", 1, f"mek-{w:04d}") for w in range(wallets)]
            )
        copy_schema(dsn, start, rec)
        with one_row_per_statement(), recording() as txs:
            run_library(dsn, rec, start_ms, wallets, runs, cat)
        copy_schema(dsn, start, rec_lib)
        with recording() as lib_txs:
            run_library(dsn, rec_lib, start_ms, wallets, runs, cat)
        writes = sum(1 for t in txs for q, _ in t if is_write(q))
        statements = sum(len(t) for t in lib_txs)
        print(
            f"{len(txs)} write transactions, {writes} row writes ({writes / cycles:.1f} per"
            f" cycle); the library sent {statements} statements"
            f" ({statements / len(lib_txs):.1f} per transaction)"
        )
        kinds = {"raw": "writes", "raw pipelined": "pipelined", "raw + reads": "all"}
        samples: dict[str, list[float]] = {"library": [], **{k: [] for k in kinds}}
        for _ in range(rounds):
            copy_schema(dsn, start, lib)
            samples["library"].append(run_library(dsn, lib, start_ms, wallets, runs, cat))
            for name, how in kinds.items():
                copy_schema(dsn, start, raw)
                if how == "all":  # the library's own statements, one round trip each
                    samples[name].append(run_raw(dsn, raw, rec_lib, lib_txs, how))
                else:  # the rows, one statement each
                    samples[name].append(run_raw(dsn, raw, rec, txs, how))
        lib_counts = row_counts(dsn, lib)
        raw_counts = row_counts(dsn, raw)
        assert lib_counts == raw_counts, (lib_counts, raw_counts)
        med = {k: statistics.median(v) for k, v in samples.items()}
        print(f"{'':16} {'cycles/s':>9} {'library/this time':>18}")
        for name, seconds in med.items():
            print(f"{name:16} {cycles / seconds:9.0f} {med['library'] / seconds:17.2f}x")
        print("library and raw schemas hold the same number of rows in every table")
    finally:
        drop(dsn, start, rec, rec_lib, lib, raw)


# -- many processes -------------------------------------------------------------------------------


def worker(
    split_commit: bool,
    dsn: str,
    schema: str,
    wallet: str,
    mek: str,
    start_ms: int,
    seconds: float,
    barrier: Any,
    results: Any,
) -> None:
    """Cycles on one Mek for about `seconds`; reports cycles, commands, write units of work.
    `split_commit`: COMMIT in a round trip of its own, after the queued writes (the tail is
    then held one round trip longer)."""
    cat = catalog()
    store = PostgresStore(dsn, schema=schema, max_size=2)
    store._commit_in_pipeline = not split_commit
    opened = [0]
    original = store.unit_of_work

    def counting(*, write: bool = True) -> Any:
        if write:
            opened[0] += 1
        return original(write=write)

    store.unit_of_work = counting  # type: ignore[method-assign]
    clock = ManualClock(start_ms)
    game = JobSlots(store, cat, secret=SECRET, secret_id="s1", clock=clock)
    opened[0] = 0
    try:
        barrier.wait(120)
        cycles = commands = 0
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            done = play(game, clock, [(wallet, mek)], 1, cat)
            cycles += done
            commands += 2 * done + 1
        results.put((cycles, commands, opened[0], time.perf_counter() - started))
    finally:
        store.close()


def run_procs(
    dsn: str, n: int, hot: bool, seconds: float, tag: str, split_commit: bool = False
) -> tuple[float, float]:
    """Total cycles/s and retries per command for `n` processes."""
    schema = f"bench_{tag}_p{n}{'h' if hot else 'd'}{'s' if split_commit else ''}"
    cat = catalog()
    meks = [("hot" if hot else f"wallet-{p}", p + 1 if hot else 1, f"mek-{p}") for p in range(n)]
    try:
        drop(dsn, schema)
        with PostgresStore(dsn, schema=schema) as store:
            start_ms = setup_wallets(store, cat, meks)
        barrier = CTX.Barrier(n)
        results = CTX.Queue()
        children = [
            CTX.Process(
                target=worker,
                args=(split_commit, dsn, schema, w, m, start_ms, seconds, barrier, results),
            )
            for w, _, m in meks
        ]
        for c in children:
            c.start()
        reports = [results.get(timeout=300) for _ in children]
        for c in children:
            c.join(60)
        with PostgresStore(dsn, schema=schema) as store:
            assert audit(store) == (), "audit failed after the run"
        cycles = sum(r[0] for r in reports)
        commands = sum(r[1] for r in reports)
        retries = sum(r[2] for r in reports) - commands
        elapsed = max(r[3] for r in reports)
        return cycles / elapsed, retries / commands
    finally:
        drop(dsn, schema)


def bench_procs(dsn: str, seconds: float, tag: str, label: str, counts: tuple[int, ...]) -> None:
    print(f"== {label}: processes x {seconds:.0f} s each, total pit-stop cycles/s ==")
    print(
        f"{'processes':>9} {'disjoint/s':>11} {'speed-up':>9} {'retries/cmd':>12}"
        f" {'hot/s':>8} {'speed-up':>9} {'retries/cmd':>12}"
    )
    base: dict[bool, float] = {}
    for n in counts:
        row = [f"{n:9d}"]
        for hot in (False, True):
            rate, retries = run_procs(dsn, n, hot, seconds, tag)
            base.setdefault(hot, rate)
            row.append(f"{rate:11.0f} {rate / base[hot]:8.2f}x {retries:12.3f}")
        print(" ".join(row))


def bench_tail(dsn: str, seconds: float, tag: str) -> None:
    """The tail lever: disjoint wallets with COMMIT in the writes' pipeline, and in its own
    round trip (the outbox tail held one round trip longer)."""
    print("== the outbox tail: 1 and 8 processes on disjoint wallets, through the proxy ==")
    print(f"{'COMMIT':>24} {'1 process/s':>12} {'8 processes/s':>14} {'8 vs 1':>7}")
    for split, label in ((False, "with the writes"), (True, "in its own round trip")):
        one, _ = run_procs(dsn, 1, False, seconds, tag, split)
        eight, _ = run_procs(dsn, 8, False, seconds, tag, split)
        print(f"{label:>24} {one:12.0f} {eight:14.0f} {eight / one:6.2f}x")


@contextlib.contextmanager
def round_trips() -> Iterator[list[list[tuple[str, Any]]]]:
    """Every round trip the store's connections make (its statements with their parameters)."""
    trips: list[list[tuple[str, Any]]] = []
    with watching(lambda wire, statements: trips.append(list(statements))):
        yield trips


def replayer(dsn: str, trips: list[list[tuple[str, Any]]], barrier: Any, results: Any) -> None:
    """Send each recorded round trip as one psycopg pipeline; report the seconds spent."""
    conn = connect(dsn)
    try:
        cur = conn.cursor()
        barrier.wait(120)
        started = time.perf_counter()
        for trip in trips:
            with conn.pipeline():
                for sql, params in trip:
                    cur.execute(sql, params)
        results.put(time.perf_counter() - started)
    finally:
        conn.close()


def bench_raw_calibration(dsn: str, proxied: str, seconds: float, tag: str) -> None:
    """Raw psycopg sending the library's own round trips (recorded per wallet from library runs
    on the local server: the same statements, parameters, locks and pipelines, nothing decoded)
    from 1 and 8 processes through the proxy, on copies of one starting schema."""
    print("== raw psycopg, the library's round trips replayed: 1 and 8 processes, the proxy ==")
    cat = catalog()
    start, rec, play_in = (f"bench_{tag}_{n}" for n in ("cstart", "crec", "cplay"))
    meks = [(f"wallet-{p}", 1, f"mek-{p}") for p in range(8)]
    cycles_per_run = len(stops_ms(cat))
    runs = max(1, round(seconds * 70 / cycles_per_run))  # ~seconds of one proxied process
    try:
        with PostgresStore(dsn, schema=start) as store:
            start_ms = setup_wallets(store, cat, meks)
        copy_schema(dsn, start, rec)
        recorded: list[list[list[tuple[str, Any]]]] = []
        with PostgresStore(dsn, schema=rec, max_size=1) as store:
            for wallet, _, mek in meks:  # one after another: every log seq differs
                clock = ManualClock(start_ms)
                game = JobSlots(store, cat, secret=SECRET, secret_id="s1", clock=clock)
                with round_trips() as trips:
                    play(game, clock, [(wallet, mek)], runs, cat)
                recorded.append(
                    [[(q.replace(f'"{rec}".', f'"{play_in}".'), a) for q, a in t] for t in trips]
                )
        print(f"{'':24} {'1 process/s':>12} {'8 processes/s':>14} {'8 vs 1':>7}")
        rates = []
        for n in (1, 8):
            copy_schema(dsn, start, play_in)
            barrier, results = CTX.Barrier(n), CTX.Queue()
            children = [
                CTX.Process(target=replayer, args=(proxied, recorded[p], barrier, results))
                for p in range(n)
            ]
            for c in children:
                c.start()
            elapsed = max(results.get(timeout=600) for _ in children)
            for c in children:
                c.join(60)
            rates.append(n * runs * cycles_per_run / elapsed)
        label = "raw, same round trips"
        print(f"{label:>24} {rates[0]:12.0f} {rates[1]:14.0f} {rates[1] / rates[0]:6.2f}x")
    finally:
        drop(dsn, start, rec, play_in)


# -- a TCP proxy adding latency -------------------------------------------------------------------


class _Pipe(asyncio.Protocol):
    """One end of a proxied connection: what it receives reaches the other end's peer `delay_s`
    later. Protocol callbacks, not streams: the proxy shares the machine's two cores with the
    processes it measures, so its own CPU per chunk is kept small."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.peer: _Pipe | None = None
        self.early: list[bytes] = []  # what arrived before the other end was connected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.loop.call_later(self.delay_s, self.deliver, data)

    def deliver(self, data: bytes) -> None:
        peer = self.peer
        if peer is None or peer.transport is None:
            self.early.append(data)
        elif not peer.transport.is_closing():
            peer.transport.write(data)

    def link(self, peer: _Pipe) -> None:
        self.peer = peer
        early, self.early = self.early, []
        for data in early:
            self.deliver(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.loop.call_later(self.delay_s, self.close_peer)

    def close_peer(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


def proxy_main(target: tuple[str, int], delay_s: float, ready: Any) -> None:
    """Forward localhost connections to `target`, every chunk delivered `delay_s` later."""

    class Client(_Pipe):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self.loop.create_task(self.connect())

        async def connect(self) -> None:
            try:
                _, server = await self.loop.create_connection(lambda: _Pipe(delay_s), *target)
            except OSError:
                if self.transport is not None:
                    self.transport.close()
                return
            server.link(self)
            self.link(server)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(
            lambda: Client(delay_s), "127.0.0.1", 0
        )
        ready.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def via_proxy(dsn: str, port: int) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    params.update(host="127.0.0.1", port=str(port))
    return make_conninfo(**params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=DEFAULT_DSN)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--only", choices=("single", "procs", "proxy"))
    parser.add_argument("--rounds", type=int, default=5, help="single-process rounds (median)")
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    seconds = 1.0 if args.quick else 4.0
    if args.only in (None, "single"):
        if args.quick:
            bench_single(args.dsn, wallets=2, runs=2, rounds=1, tag=tag)
        else:
            bench_single(args.dsn, wallets=10, runs=10, rounds=args.rounds, tag=tag)
    if args.only in (None, "procs"):
        bench_procs(args.dsn, seconds, tag, "local server", (1, 2, 4, 8))
    if args.only in (None, "proxy"):
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(args.dsn)
        target = (str(params.get("host", "127.0.0.1")), int(params.get("port", 5432)))
        ready = CTX.Queue()
        proxy = CTX.Process(target=proxy_main, args=(target, 0.001, ready), daemon=True)
        proxy.start()
        try:
            port = ready.get(timeout=30)
            proxied = via_proxy(args.dsn, port)
            label = "through a proxy adding 1 ms each way"
            bench_procs(proxied, seconds * 2, tag, label, (1, 2, 4, 8))
            bench_tail(proxied, seconds * 2, tag)
            bench_raw_calibration(args.dsn, proxied, seconds * 2, tag)
        finally:
            proxy.kill()
            proxy.join(10)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
