"""benchmarks/storage.py's pit-stop cycles still run: the library, raw and raw+reads files end
with the same rows, and every ratio it prints is there."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_storage_cycles_benchmark_runs_and_writes_what_raw_writes() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/storage.py", "--only", "cycles", "--wallets=4", "--rounds=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert "library, raw and raw+reads files hold identical rows" in done.stdout
    for sync in ("FULL", "NORMAL"):
        row = re.search(rf"^{sync} .*$", done.stdout, re.MULTILINE)
        assert row is not None, done.stdout
        assert len(re.findall(r"\d+\.\d\dx", row.group(0))) == 3, row.group(0)
