"""benchmarks/postgres.py --quick still runs on the server (library beside raw psycopg)."""

import subprocess
import sys
from pathlib import Path

import pg_support

ROOT = Path(__file__).resolve().parents[2]


def test_postgres_benchmark_quick_single_process_run() -> None:
    pg_support.require_server()
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/postgres.py",
            "--quick",
            "--only",
            "single",
            "--dsn",
            pg_support.dsn(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert "library and raw schemas hold the same number of rows in every table" in done.stdout
    assert "raw pipelined" in done.stdout
