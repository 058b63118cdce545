"""benchmarks/balance.py --quick still runs, its careers agree with JobSlots, and it reports."""

from bench_support import run_benchmark


def test_balance_benchmark_quick_run() -> None:
    out = run_benchmark("balance.py", "--quick")
    assert "careers agree: 100/100" in out
    assert "careers/s" in out and "goal 2,000 careers/s:" in out
