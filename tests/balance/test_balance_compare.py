"""compare: paired runs of two catalogs; the change moves things, identical catalogs nothing."""

import attrs
import pytest

from jobslot_core import Catalog
from jobslot_core.balance import compare, field_changes
from jobslot_core.catalog import PitStop
from jobslot_core.errors import InvalidArgument, UnknownJob


def _gold_cell(catalog: Catalog, tier: str, min_level: int, **changes: float) -> Catalog:
    cells = tuple(
        attrs.evolve(c, **changes)
        if (c.buff_key, c.tier.value, c.min_level) == ("gold_per_hour", tier, min_level)
        else c
        for c in catalog.buff_ranges
    )
    return attrs.evolve(catalog, buff_ranges=cells)


def test_identical_catalogs_give_no_differences(example: Catalog) -> None:
    result = compare(example, example, seed=5, careers=300, offers=300, pick="random")
    assert result.identical
    assert result.format() == "no differences"
    assert set(result.careers) == {"janitor", "engineer", "captain"}
    before, after = result.careers["janitor"]
    assert before == after


def test_a_cell_change_moves_its_pit_stops_and_the_career_end(example: Catalog) -> None:
    after = _gold_cell(example, "D", 1, mean_value=4.0)
    result = compare(
        example, after, seed=5, careers=4000, offers=4000, pick="greedy:gold_rate",
        job_keys=["janitor", "engineer"],
    )
    assert [(c.path, c.before, c.after) for c in result.fields] == [
        ("buff_ranges[gold_per_hour,D,1-4].mean_value", 3.0, 4.0)
    ]
    # janitor stops 1 and 2 draw from the D 1-4 cell (from_level 1 and 4); stop 3 does not
    assert [(o.job_key, o.pit_stop) for o in result.offers] == [("janitor", 1), ("janitor", 2)]
    for shift in result.offers:
        assert 0 < shift.share_changed < 1
        assert shift.mean_after["gold_per_hour"] > shift.mean_before["gold_per_hour"] + 0.5
        assert shift.mean_after["essence_per_day"] == shift.mean_before["essence_per_day"]
    (gold,) = [s for s in result.career_shifts if s.name == "gold_rate"]
    assert gold.job_key == "janitor"
    assert gold.mean_delta > 0.5 and gold.after.p50 > gold.before.p50
    assert gold.mean_delta == pytest.approx(gold.after.mean - gold.before.mean, abs=1e-9)
    assert "janitor pit stop 1" in result.format()


def test_structure_changes_are_named_by_key(example: Catalog) -> None:
    janitor = example.job_types["janitor"]
    stops = (PitStop(1, 1, 4), PitStop(2, 4, 8), PitStop(3, 8, 10))
    jobs = {**example.job_types, "janitor": attrs.evolve(janitor, pit_stops=stops)}
    after = attrs.evolve(example, job_types=jobs)
    paths = {c.path: (c.before, c.after) for c in field_changes(example, after)}
    assert paths == {
        "job_types.janitor.pit_stops[1].to_level": (7, 8),
        "job_types.janitor.pit_stops[2].from_level": (7, 8),
    }
    result = compare(example, after, seed=1, careers=500, offers=500, job_keys=["janitor"])
    assert [o.pit_stop for o in result.offers] == [3]  # now draws the D 8-10 cell


def test_bad_arguments(example: Catalog) -> None:
    with pytest.raises(InvalidArgument) as caught:
        compare(example, "x", seed=1)  # type: ignore[arg-type]
    assert caught.value.field == "after"
    with pytest.raises(InvalidArgument) as caught:
        compare(example, example, seed=1, offers=0)
    assert (caught.value.field, caught.value.value) == ("offers", 0)
    with pytest.raises(UnknownJob) as caught:
        compare(example, example, seed=1, job_keys=["pilot"])
    assert (caught.value.field, caught.value.value) == ("job_keys", "pilot")


def test_level_tenure_moves_the_curve_in_time_only(example: Catalog) -> None:
    janitor = example.job_types["janitor"]
    slower = attrs.evolve(janitor, level_tenure=tuple(t * 2 for t in janitor.level_tenure))
    after = attrs.evolve(example, job_types={**example.job_types, "janitor": slower})
    result = compare(example, after, seed=2, careers=300, offers=300, job_keys=["janitor"])
    assert not result.identical
    assert result.offers == () and result.career_shifts == ()  # same draws, same values
    assert [(t.checkpoint, t.before_s, t.after_s) for t in result.timings] == [
        ("stop1", 200, 400), ("stop2", 500, 1000), ("stop3", 1000, 2000),
    ]
    assert "reached at another tenure" in result.format()


def test_curve_deltas_are_paired_per_checkpoint(example: Catalog) -> None:
    after = _gold_cell(example, "D", 5, mean_value=7.0)  # only stop 3 draws the 5-7 cell
    result = compare(
        example, after, seed=4, careers=3000, offers=300, pick="greedy:gold_rate",
        job_keys=["janitor"],
    )
    (gold,) = [s for s in result.career_shifts if s.name == "gold_rate"]
    first, second, third = gold.curve_delta
    assert first == second == 0.0 and third > 0.3
    assert third == pytest.approx(gold.mean_delta)
