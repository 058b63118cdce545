"""Regenerate tests/engine/golden_offers.json (run by hand; never by the tests).

    python tests/engine/make_golden.py

Only regenerate on purpose: a diff in the golden file means offers changed, which needs a new
ENGINE_VERSION (old offers must stay recomputable under the version they were made with).
"""

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from engine_catalogs import catalogs  # noqa: E402

from jobslot_core.engine import ENGINE_VERSION, make_offer  # noqa: E402

GOLDEN = HERE / "golden_offers.json"


def contexts() -> list[dict[str, Any]]:
    """About 30 contexts spread over every catalog variant, job and pit stop."""
    out: list[dict[str, Any]] = []
    stops = [("janitor", 1), ("janitor", 2), ("janitor", 3), ("captain", 1), ("captain", 2)]
    names = sorted(catalogs())
    i = 0
    for name in names:
        for job, stop in stops[: 4 if name != "default" else 5]:
            out.append({
                "catalog": name,
                "secret_hex": (b"golden secret %d" % (i % 3)).hex(),
                "secret_id": f"s{i % 3}",
                "mek_id": f"mek-{i}",
                "job_key": job,
                "prestige_sequence": i % 4,
                "pit_stop_number": stop,
                "reroll": i % 2,
            })
            i += 1
    return out


def compute(case: dict[str, Any]) -> dict[str, Any]:
    """The offer for one golden case, as JSON (values as repr strings: exact)."""
    catalog = catalogs()[case["catalog"]]
    offer = make_offer(
        catalog,
        secret=bytes.fromhex(case["secret_hex"]),
        **{k: case[k] for k in ("secret_id", "mek_id", "job_key", "prestige_sequence",
                                "pit_stop_number", "reroll")},
    )
    return {
        "offer_id": offer.offer_id,
        "engine_version": offer.engine_version,
        "from_level": offer.from_level,
        "to_level": offer.to_level,
        "choices": [[c.buff_key, repr(c.value), c.rarity] for c in offer.choices],
    }


def main() -> None:
    cases = [dict(case, expected=compute(case)) for case in contexts()]
    GOLDEN.write_text(
        json.dumps({"engine_version": ENGINE_VERSION, "cases": cases}, indent=1) + "\n"
    )
    print(f"wrote {len(cases)} cases to {GOLDEN}")


if __name__ == "__main__":
    main()
