"""examples/test_balance.py runs as a studio runs it: pytest on the file, from a copy of
examples/ (so it depends on nothing in tests/)."""

import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def test_the_example_balance_test_passes(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    result = subprocess.run(
        [*PYTEST, "examples/test_balance.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_the_example_balance_test_fails_on_a_broken_rule(tmp_path: Path) -> None:
    """A catalog breaking the tier rule makes the copied test fail, naming the values."""
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    catalog = tmp_path / "examples" / "catalog.toml"
    text = catalog.read_text()
    old = "min_level = 1\nmax_level = 3\nmin_value = 20.0"
    assert old in text
    catalog.write_text(text.replace(old, "min_level = 1\nmax_level = 3\nmin_value = 8.0"))
    result = subprocess.run(
        [*PYTEST, "examples/test_balance.py", "-k", "less_gold"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "an S-tier pit stop can offer 8.0 < D tier's best 9.0" in result.stdout
