"""PostgresStore cost per pit-stop cycle, counted rather than timed (a busy machine moves it less).

Run: ``python benchmarks/postgres_cost.py [--dsn DSN] [--wallets 10] [--runs 4] [--repeat 5]``.

Plays the cycles of `benchmarks/postgres.py` (``open_pit_stop`` + ``select_buff``, a
``prestige`` after every third cycle of a Mek) in one process, after a warm-up run (so psycopg
has prepared what it prepares), and prints per command kind: round trips (pipelines and lone
statements) and statements; per cycle: distinct SQL texts, the statements prepared on the
server, client CPU (``time.process_time``) and server CPU (utime + stime of the store's backend
from ``/proc/<pid>/stat``: only with the server on this machine), each the least of `repeat`
passes without the counting hooks. Every schema it makes is dropped at the end.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from postgres import DEFAULT_DSN, JOB, SECRET, catalog, drop, setup_wallets, stops_ms, watching

from jobslot_core import JobSlots, ManualClock
from jobslot_core.audit import audit
from jobslot_core.storage.postgres import PostgresStore

TICKS = os.sysconf("SC_CLK_TCK")


class Counts:
    def __init__(self) -> None:
        self.trips: collections.Counter[str] = collections.Counter()
        self.statements: collections.Counter[str] = collections.Counter()
        self.texts: set[str] = set()
        self.kind = "setup"


@contextlib.contextmanager
def counting() -> Iterator[Counts]:
    """Statements and round trips (one pipeline each) by the command kind in `Counts.kind`."""
    counts = Counts()

    def see(wire: Any, statements: list[tuple[str, Any]]) -> None:
        counts.trips[counts.kind] += 1
        counts.statements[counts.kind] += len(statements)
        counts.texts.update(sql for sql, _ in statements)

    with watching(see):
        yield counts


STOPS = stops_ms(catalog())


def play(
    game: JobSlots, clock: ManualClock, meks: list[tuple[str, str]], counts: Counts | None
) -> int:
    cycles = 0
    start = clock.now_ms()
    for due in STOPS:
        clock.set(start + due)
        for wallet, mek in meks:
            if counts:
                counts.kind = "open_pit_stop"
            offer = game.open_pit_stop(wallet, mek, JOB)
            if counts:
                counts.kind = "select_buff"
            game.select_buff(wallet, offer.offer_id, cycles % len(offer.choices))
            cycles += 1
    for wallet, mek in meks:
        if counts:
            counts.kind = "prestige"
        game.prestige(wallet, mek, JOB)
    return cycles


def backend_cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def backends(store: PostgresStore) -> list[int]:
    with store.unit_of_work(write=False) as uow:
        return [uow._send("SELECT pg_backend_pid()", None, "pid").rows[0][0]]


def prepared(store: PostgresStore) -> int:
    with store.unit_of_work(write=False) as uow:
        sql = "SELECT count(*) FROM pg_prepared_statements"
        return int(uow._send(sql, None, "prepared").rows[0][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=DEFAULT_DSN)
    parser.add_argument("--wallets", type=int, default=10)
    parser.add_argument("--runs", type=int, default=4, help="measured runs after one warm-up")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (least kept)")
    parser.add_argument("--count", type=int, default=1, help="counted passes (0: none)")
    args = parser.parse_args()
    cat = catalog()
    schema = f"cost_{uuid.uuid4().hex[:8]}"
    meks = [(f"wallet-{w:04d}", f"mek-{w:04d}") for w in range(args.wallets)]
    try:
        with PostgresStore(args.dsn, schema=schema, max_size=1) as store:
            start_ms = setup_wallets(store, cat, [(w, 1, m) for w, m in meks])
            clock = ManualClock(start_ms)
            game = JobSlots(store, cat, secret=SECRET, secret_id="s1", clock=clock)
            play(game, clock, meks, None)  # warm-up: the store prepares what it will
            pids = backends(store)
            with counting() as counts:
                passes = range(args.runs * args.count)
                cycles = sum(play(game, clock, meks, counts) for _ in passes)
            cpus: list[float] = []
            srvs: list[float] = []
            for _ in range(args.repeat):  # the least of each: what the cycles cost unhindered
                cpu0, srv0 = time.process_time(), backend_cpu_s(pids)
                timed = sum(play(game, clock, meks, None) for _ in range(args.runs))
                cpus.append((time.process_time() - cpu0) / timed)
                srvs.append((backend_cpu_s(pids) - srv0) / timed)
            assert audit(store) == ()
            for kind, n in {
                "open_pit_stop": cycles,
                "select_buff": cycles,
                "prestige": cycles // len(stops_ms(cat)),
            }.items():
                if n:
                    trips, statements = counts.trips[kind] / n, counts.statements[kind] / n
                    print(f"{kind:14} round trips {trips:5.2f}  statements {statements:5.2f}")
            if cycles:
                total = sum(counts.statements.values()) - counts.statements["setup"]
                print(
                    f"per cycle ({cycles} counted): statements {total / cycles:.2f}, distinct SQL"
                    f" texts {len(counts.texts)}, prepared on the server {prepared(store)}"
                )
            print(
                f"per cycle, least of {args.repeat} passes of {timed}: client CPU"
                f" {min(cpus) * 1000:.3f} ms, server backend CPU {min(srvs) * 1000:.3f} ms"
            )
    finally:
        drop(args.dsn, schema)


if __name__ == "__main__":
    main()
