"""examples/quickstart.py runs from the repository root and tells the same story every time."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def output():
    """The quickstart's standard output (it must exit 0 with nothing on stderr)."""
    done = subprocess.run(
        [sys.executable, "examples/quickstart.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout


def test_quickstart_walks_the_whole_story(output):
    """The story covers funding, the purchase, the repeated offer, prestige and a clean audit."""
    lines = output.splitlines()
    for expected in (
        "Deposited 10000 gold (sent twice, counted once): 10000 gold",
        "Unlocked slot 1 (free)",
        "Bought Janitor for slot 1: 100 gold",
        "  Asked again: same offer",
        "t+1000s: level 10/10, 2 pit stops waiting",
        "Prestige #1 done: mek-1 is back to level 1 in Janitor",
        "Store audit: OK",
    ):
        assert expected in lines


def test_quickstart_resolves_pit_stops_in_order(output):
    """Pit stops 1, 2 and 3 of the first run are offered in order, then pit stop 1 again."""
    stops = [line.split(" (")[0].strip() for line in output.splitlines() if "Pit stop" in line]
    assert stops == ["Pit stop 1", "Pit stop 2", "Pit stop 3"]
    assert "new run, pit stop 1 again" in output


def test_quickstart_is_deterministic(output):
    """A second run prints exactly the same text."""
    again = subprocess.run(
        [sys.executable, "examples/quickstart.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert again.stdout == output
