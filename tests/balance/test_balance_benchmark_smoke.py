"""benchmarks/balance.py --quick still runs, its careers agree with JobSlots, and it reports."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_balance_benchmark_quick_run() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/balance.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert "careers agree: 100/100" in done.stdout
    assert "careers/s" in done.stdout and "goal 2,000 careers/s:" in done.stdout
