"""benchmarks/postgres.py --quick still runs on the server (library beside raw psycopg)."""

import sys

import pg_support
from bench_support import ROOT, run_benchmark


def test_postgres_benchmark_quick_single_process_run() -> None:
    pg_support.require_server()
    out = run_benchmark("postgres.py", "--quick", "--only", "single", "--dsn", pg_support.dsn())
    assert "library and raw schemas hold the same number of rows in every table" in out
    assert "raw pipelined" in out


def test_the_benchmark_proxy_forwards_and_adds_its_delay_each_way() -> None:
    """benchmarks/postgres.py's latency proxy: queries through it are answered, and every round
    trip takes at least the delay twice (there and back)."""
    import time

    import psycopg

    pg_support.require_server()
    sys.path.insert(0, str(ROOT / "benchmarks"))  # the spawned proxy imports it from there too
    import postgres as bench
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(pg_support.dsn())
    target = (str(params.get("host", "127.0.0.1")), int(str(params.get("port", 5432))))
    ready = bench.CTX.Queue()
    proxy = bench.CTX.Process(target=bench.proxy_main, args=(target, 0.005, ready), daemon=True)
    proxy.start()
    try:
        port = ready.get(timeout=60)
        with psycopg.connect(bench.via_proxy(pg_support.dsn(), port), autocommit=True) as conn:
            conn.execute("SELECT 1")
            started = time.perf_counter()
            answers = [conn.execute("SELECT %s::int + 1", (n,)).fetchone() for n in range(10)]
            elapsed = time.perf_counter() - started
        assert answers == [(n + 1,) for n in range(10)]
        assert elapsed >= 10 * 2 * 0.005
    finally:
        proxy.kill()
        proxy.join(10)
        sys.path.remove(str(ROOT / "benchmarks"))
