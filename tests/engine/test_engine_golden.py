"""Golden vectors: offers recomputed exactly from checked-in contexts (cross-platform check)."""

import json
from pathlib import Path
from typing import Any

import pytest
from make_golden import GOLDEN, compute

from jobslot_core.engine import ENGINE_VERSION

CASES: list[dict[str, Any]] = json.loads(Path(GOLDEN).read_text())["cases"]


def test_golden_file_covers_the_features() -> None:
    assert len(CASES) >= 30
    assert {c["catalog"] for c in CASES} >= {
        "default", "uniform", "exponential", "weighted", "duplicates", "guarantee"
    }
    assert json.loads(Path(GOLDEN).read_text())["engine_version"] == ENGINE_VERSION


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['catalog']}-{c['mek_id']}")
def test_golden_offer(case: dict[str, Any]) -> None:
    assert compute(case) == case["expected"]
