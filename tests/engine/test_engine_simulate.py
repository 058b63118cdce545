"""simulate: deterministic summaries of a cell's draws, consistent with offers."""

import pytest
from engine_catalogs import make_catalog

from jobslot_core.catalog import RARITIES
from jobslot_core.engine import SimulationReport, simulate
from jobslot_core.errors import InvalidArgument, JobSlotError

CATALOG = make_catalog()


def _run(**kw: object) -> SimulationReport:
    args: dict[str, object] = {"buff_key": "gold_per_hour", "tier": "D", "level": 1, "n": 5000,
                               "seed": 7}
    args.update(kw)
    return simulate(CATALOG, **args)  # type: ignore[arg-type]


def test_deterministic_and_consistent() -> None:
    report = _run()
    assert report == _run()
    assert report != _run(seed=8)
    assert report.n == 5000
    assert sum(count for _, _, count in report.histogram) == 5000
    assert len(report.histogram) == 20
    assert report.histogram[0][0] == 1.0 and report.histogram[-1][1] == 5.0
    assert 1.0 <= report.min <= report.mean <= report.max <= 5.0
    assert abs(report.mean - 3.0) < 0.1
    assert set(report.rarity_shares) == set(RARITIES)
    assert sum(report.rarity_shares.values()) == pytest.approx(1.0)


def test_format_is_a_text_histogram() -> None:
    text = _run(bins=5).format()
    assert text.count("\n") == 6
    assert "#" in text and "legendary" in text


def test_point_cell_and_weighted_cell() -> None:
    point = _run(buff_key="xp_boost", tier="S", level=3)
    assert point.min == point.max == point.mean == 5.0
    assert point.rarity_shares["common"] == 1.0
    weighted = _run(buff_key="crit_chance", tier="S", level=1, n=20000)
    assert weighted.rarity_shares["common"] == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize(
    ("kw", "error", "field"),
    [
        ({"n": 0}, InvalidArgument, "n"),
        ({"bins": 0}, InvalidArgument, "bins"),
        ({"seed": 2**70}, InvalidArgument, "seed"),
        ({"tier": "Z"}, InvalidArgument, "tier"),
        ({"level": 0}, InvalidArgument, "level"),
        ({"buff_key": "nope"}, InvalidArgument, "buff_key"),
        ({"buff_key": 5}, InvalidArgument, "buff_key"),
        ({"tier": "A"}, InvalidArgument, "tier"),  # gold_per_hour has D and S cells only
        ({"level": 11}, InvalidArgument, "level"),  # the D row covers levels 1-10
    ],
)
def test_bad_arguments(kw: dict[str, object], error: type[Exception], field: str) -> None:
    with pytest.raises(error) as info:
        _run(**kw)
    assert info.value.field == field  # type: ignore[attr-defined]
    assert isinstance(info.value, JobSlotError) and field in str(info.value)


def test_results_round_trip_through_the_converter() -> None:
    import json

    from jobslot_core.engine import OfferDraft, make_offer
    from jobslot_core.serialization import from_dict, to_dict

    offer = make_offer(CATALOG, secret=b"k" * 16, secret_id="a", mek_id="m", job_key="janitor",
                       prestige_sequence=0, pit_stop_number=1)
    data = json.loads(json.dumps(to_dict(offer)))
    assert from_dict(OfferDraft, data) == offer
    report = _run(n=100)
    assert from_dict(SimulationReport, json.loads(json.dumps(to_dict(report)))) == report
