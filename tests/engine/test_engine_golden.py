"""Golden vectors: offers recomputed exactly from checked-in contexts (cross-platform check).

Version 1's file is the one shipped with version 1 and must never change; version 2's differs
from it on purpose only in the offer id (keyed by the secret) and in far normal tails.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from make_golden import GOLDEN_FILES, compute

from jobslot_core.engine import ENGINE_VERSION, ENGINE_VERSIONS

DOCS = {v: json.loads(Path(path).read_text()) for v, path in GOLDEN_FILES.items()}
CASES = [(v, case) for v, doc in DOCS.items() for case in doc["cases"]]


def test_golden_files_cover_the_features() -> None:
    assert set(DOCS) == set(ENGINE_VERSIONS) and max(DOCS) == ENGINE_VERSION
    for version, doc in DOCS.items():
        assert doc["engine_version"] == version
        assert len(doc["cases"]) >= 30
        assert {c["catalog"] for c in doc["cases"]} >= {
            "default", "uniform", "exponential", "weighted", "duplicates", "guarantee"
        }
    assert "far_tail" in {c["catalog"] for c in DOCS[2]["cases"]}


@pytest.mark.parametrize(
    "version_case", CASES, ids=lambda vc: f"v{vc[0]}-{vc[1]['catalog']}-{vc[1]['mek_id']}"
)
def test_golden_offer(version_case: tuple[int, dict[str, Any]]) -> None:
    version, case = version_case
    assert compute(case, version) == case["expected"]


@pytest.mark.parametrize("case", DOCS[2]["cases"], ids=lambda c: f"{c['catalog']}-{c['mek_id']}")
def test_version_2_changes_only_ids_and_far_tails(case: dict[str, Any]) -> None:
    """Same inputs under version 1: the same choices except in far tails, another offer id."""
    v1, v2 = compute(case, 1), case["expected"]
    assert v1["offer_id"] != v2["offer_id"]
    if case["catalog"] != "far_tail":
        assert v1["choices"] == v2["choices"]
