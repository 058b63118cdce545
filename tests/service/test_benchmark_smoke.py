"""benchmarks/service.py --quick still runs and its service totals agree with the baseline."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_service_benchmark_quick_run_agrees_with_the_baseline():
    """The quick benchmark exits 0 and reports that the service totals equal the dict baseline."""
    done = subprocess.run(
        [sys.executable, "benchmarks/service.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert "totals agree:" in done.stdout
    assert "audit OK" in done.stdout
