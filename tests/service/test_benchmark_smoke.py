"""benchmarks/service.py --quick still runs and its service totals agree with the baseline."""

from bench_support import run_benchmark


def test_service_benchmark_quick_run_agrees_with_the_baseline():
    """The quick benchmark exits 0 and reports that the service totals equal the dict baseline."""
    out = run_benchmark("service.py", "--quick", timeout=120)
    assert "totals agree:" in out
    assert "audit OK" in out
