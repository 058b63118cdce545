"""Regenerate the golden offer files (run by hand; never by the tests).

    python tests/engine/make_golden.py

Only regenerate on purpose: a diff in a golden file means offers changed, which needs a new
ENGINE_VERSION (old offers must stay recomputable under the version they were made with).

- golden_offers.json: engine version 1, unchanged since version 1 shipped (its 15-byte secrets
  predate the 16-byte rule, which version 1 recomputation still accepts);
- golden_offers_v2.json: engine version 2, whose only intended differences from version 1 are
  the keyed offer id and far normal tails (the "far_tail" catalog); choices of the other
  catalogs equal version 1's for the same inputs (tests/engine/test_engine_golden.py checks).
"""

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from engine_catalogs import catalogs  # noqa: E402

from jobslot_core.engine import make_offer  # noqa: E402

GOLDEN = HERE / "golden_offers.json"
GOLDEN_FILES = {1: GOLDEN, 2: HERE / "golden_offers_v2.json"}
_SECRETS = {1: b"golden secret %d", 2: b"golden secret v2 %d"}
_NOTES = {
    2: "Engine version 2 (issue 9). Changed on purpose from version 1: the offer id (SHA-256 of "
    "a domain prefix and stream block 0, keyed by the secret) and normal draws 37 or more sd "
    "from the mean (catalog far_tail); every other choice equals version 1's for the same "
    "inputs (test_version_2_changes_only_ids_and_far_tails). Secrets are 16+ bytes.",
}


def contexts(version: int = 1) -> list[dict[str, Any]]:
    """About 30 contexts spread over every catalog variant, job and pit stop."""
    out: list[dict[str, Any]] = []
    stops = [("janitor", 1), ("janitor", 2), ("janitor", 3), ("captain", 1), ("captain", 2)]
    names = sorted(name for name in catalogs() if version >= 2 or name != "far_tail")
    i = 0
    for name in names:
        for job, stop in stops[: 4 if name != "default" else 5]:
            out.append({
                "catalog": name,
                "secret_hex": (_SECRETS[version] % (i % 3)).hex(),
                "secret_id": f"s{i % 3}",
                "mek_id": f"mek-{i}",
                "job_key": job,
                "prestige_sequence": i % 4,
                "pit_stop_number": stop,
                "reroll": i % 2,
            })
            i += 1
    return out


def compute(case: dict[str, Any], version: int = 1) -> dict[str, Any]:
    """The offer for one golden case under `version`, as JSON (values as repr strings: exact)."""
    catalog = catalogs()[case["catalog"]]
    offer = make_offer(
        catalog,
        secret=bytes.fromhex(case["secret_hex"]),
        **{k: case[k] for k in ("secret_id", "mek_id", "job_key", "prestige_sequence",
                                "pit_stop_number", "reroll")},
        engine_version=version,
    )
    return {
        "offer_id": offer.offer_id,
        "engine_version": offer.engine_version,
        "from_level": offer.from_level,
        "to_level": offer.to_level,
        "choices": [[c.buff_key, repr(c.value), c.rarity] for c in offer.choices],
    }


def main(versions: tuple[int, ...] = (2,)) -> None:
    for version in versions:
        cases = [dict(case, expected=compute(case, version)) for case in contexts(version)]
        path = GOLDEN_FILES[version]
        doc: dict[str, Any] = {"engine_version": version, "cases": cases}
        if version in _NOTES:
            doc = {"note": _NOTES[version], **doc}
        path.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main(tuple(int(v) for v in sys.argv[1:]) or (2,))
