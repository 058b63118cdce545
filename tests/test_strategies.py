"""The public hypothesis strategies produce valid values of varied shape."""

from __future__ import annotations

import subprocess
import sys

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobslot_core.catalog import (
    BuffRange,
    BuffType,
    Catalog,
    Distribution,
    JobType,
    PitStop,
    Policies,
    RngConfig,
    Tier,
    check_buff_range,
)
from jobslot_core.testing import strategies as js


@given(st.integers(0, 6).flatmap(lambda p: st.tuples(st.just(p), js.buff_ranges(precision=p))))
def test_buff_ranges_are_valid_cells(case: tuple[int, BuffRange]) -> None:
    precision, cell = case
    check_buff_range(cell, precision)
    assert cell.min_value <= cell.mean_value <= cell.max_value
    assert 1 <= cell.min_level <= cell.max_level <= 10


@given(js.buff_ranges(precision=0, distribution=Distribution.UNIFORM, tier=Tier.A, levels=(3, 5)))
def test_buff_range_arguments_are_honoured(cell: BuffRange) -> None:
    assert cell.distribution is Distribution.UNIFORM and cell.tier is Tier.A
    assert (cell.min_level, cell.max_level) == (3, 5)
    assert cell.min_value == int(cell.min_value) and cell.max_value == int(cell.max_value)


# A frame that makes single generated pieces into a catalog: an active entry job and one
# permanent buff type per effect `js.policies()` may name, with cells for every tier and level.
# Their keys hold capitals and dashes, which `js.keys()` never draws, so they cannot collide.
_FRAME_BUFFS = tuple(BuffType(f"Base-{effect}", effect) for effect in js.PERMANENT_EFFECTS)
_FRAME_CELLS = tuple(
    BuffRange(buff.key, tier, 1, 12, 1.0, 5.0, 3.0) for buff in _FRAME_BUFFS for tier in Tier
)
_ENTRY = JobType("Entry-job", Tier.D, (10,), (PitStop(1, 1, 2),), max_level=2)


def _framed(
    jobs: tuple[JobType, ...] = (),
    buffs: tuple[BuffType, ...] = (),
    cells: tuple[BuffRange, ...] = (),
    **kw: object,
) -> Catalog:
    return Catalog(
        job_types=(_ENTRY, *jobs),
        buff_types=(*_FRAME_BUFFS, *buffs),
        buff_ranges=(*_FRAME_CELLS, *cells),
        **kw,  # type: ignore[arg-type]
    )


@given(js.rng_configs(), js.buff_types(), js.policies(), st.data())
def test_rng_configs_buff_types_and_policies_validate(
    rng: RngConfig, buff: BuffType, policies: Policies, data: st.DataObject
) -> None:
    cell = data.draw(
        js.buff_ranges(
            precision=buff.precision,
            buff_key=buff.key,
            levels=(1, 12),
            positive=not buff.permanent,
        )
    )
    _framed(buffs=(buff,), cells=(cell,), rng=rng, policies=policies)
    assert buff.permanent == (buff.currency is None)
    assert set(policies.prestige.account_buff_effects) <= set(js.PERMANENT_EFFECTS)
    assert policies.slot_unlock.rules[0].min_prestiges == 0


@given(js.job_types())
def test_job_types_validate(job: JobType) -> None:
    """Any job, active or not, entry or not, validates beside an entry job with a full grid."""
    c = _framed(jobs=(job,))
    assert 1 <= job.pit_stop_count <= 10
    assert len(job.level_tenure) == job.max_level - 1
    assert job.position_percent(job.pit_stop_count) <= 100
    assert c.eligible_buffs(job.key, job.pit_stop_count)


@given(js.job_types(entry=True, requires=("a", "b")))
def test_entry_jobs_need_nothing(job: JobType) -> None:
    assert job.unlock.prestige_count == 0 and job.unlock.job_keys == ()


@given(js.buff_ranges(precision=st.integers(0, 3), positive=True))
def test_positive_buff_ranges(cell: BuffRange) -> None:
    assert cell.min_value > 0


@given(js.policies(effects=()))
def test_policies_without_effects(policies: Policies) -> None:
    assert policies.prestige.account_buff_effects == ()


@given(js.catalogs())
def test_catalogs_are_playable(catalog: Catalog) -> None:
    """An active entry job; unlocks name earlier active jobs; account effects are permanent
    buffs' effects; one-time cells credit a positive amount; every job (even inactive) offers."""
    jobs = catalog.job_types
    assert any(
        j.active and j.unlock.prestige_count == 0 and not j.unlock.job_keys for j in jobs.values()
    )
    for job in jobs.values():
        assert all(jobs[k].active for k in job.unlock.job_keys)
        for stop in job.pit_stops:
            assert catalog.eligible_buffs(job.key, stop.number)
    permanent = {b.effect_type for b in catalog.buff_types.values() if b.permanent}
    assert set(catalog.policies.prestige.account_buff_effects) <= permanent
    for cell in catalog.buff_ranges:
        if not catalog.buff_types[cell.buff_key].permanent:
            assert cell.min_value > 0
    assert catalog.policies.slot_unlock.rules[0].min_prestiges == 0


@given(js.catalogs(jobs=(4, 4), buffs=(6, 6)))
def test_catalog_size_arguments(catalog: Catalog) -> None:
    assert len(catalog.job_types) == 4 and len(catalog.buff_types) == 6
    assert attrs.evolve(catalog) == catalog


def test_catalogs_vary() -> None:
    """Over a run, catalogs span every tier, both duplicate settings and inactive entities."""
    seen: dict[str, set[object]] = {
        "tiers": set(),
        "dups": set(),
        "inactive": set(),
        "inactive_jobs": set(),
        "effects": set(),
        "unlocks": set(),
    }

    @given(js.catalogs())
    def collect(catalog: Catalog) -> None:
        seen["tiers"].update(j.tier for j in catalog.job_types.values())
        seen["dups"].add(catalog.rng.allow_duplicates)
        seen["inactive"].add(all(b.active for b in catalog.buff_types.values()))
        seen["inactive_jobs"].add(all(j.active for j in catalog.job_types.values()))
        seen["effects"].add(bool(catalog.policies.prestige.account_buff_effects))
        seen["unlocks"].add(any(j.unlock.job_keys for j in catalog.job_types.values()))

    collect()
    assert seen["tiers"] == set(Tier)
    assert seen["dups"] == {True, False} and seen["inactive"] == {True, False}
    assert seen["inactive_jobs"] == seen["effects"] == seen["unlocks"] == {True, False}


def test_bad_size_arguments() -> None:
    with pytest.raises(ValueError, match="catalogs"):
        js.catalogs(buffs=(2, 6))


def test_importing_the_testing_package_is_lazy() -> None:
    import jobslot_core.testing as testing

    assert "strategies" in testing.__all__
    assert testing.strategies is js
    assert "strategies" in dir(testing)
    with pytest.raises(AttributeError):
        _ = testing.no_such_helper
    assert "jobslot_core.testing.strategies" in sys.modules


def test_importing_the_testing_package_needs_neither_hypothesis_nor_pytest() -> None:
    code = (
        "import sys, jobslot_core.testing\n"
        "assert 'hypothesis' not in sys.modules and 'pytest' not in sys.modules, sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
