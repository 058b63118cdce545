"""benchmarks/storage.py's pit-stop cycles still run: the library, raw and raw+reads files end
with the same rows, and every ratio it prints is there."""

import re

from bench_support import run_benchmark


def test_storage_cycles_benchmark_runs_and_writes_what_raw_writes() -> None:
    out = run_benchmark("storage.py", "--only", "cycles", "--wallets=4", "--rounds=1")
    assert "library, raw and raw+reads files hold identical rows" in out
    for sync in ("FULL", "NORMAL"):
        row = re.search(rf"^{sync} .*$", out, re.MULTILINE)
        assert row is not None, out
        assert len(re.findall(r"\d+\.\d\dx", row.group(0))) == 3, row.group(0)
