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


@given(js.rng_configs(), js.buff_types(), js.policies())
def test_rng_configs_buff_types_and_policies_validate(
    rng: RngConfig, buff: BuffType, policies: Policies
) -> None:
    Catalog(job_types=(), buff_types=(buff,), buff_ranges=(), rng=rng, policies=policies)
    assert buff.permanent == (buff.currency is None)


@given(js.job_types(active=False))
def test_job_types_validate(job: JobType) -> None:
    Catalog(job_types=(job,), buff_types=(), buff_ranges=())
    assert 1 <= job.pit_stop_count <= 10
    assert len(job.level_tenure) == job.max_level - 1
    assert job.position_percent(job.pit_stop_count) <= 100


@given(js.catalogs(jobs=(4, 4), buffs=(6, 6)))
def test_catalog_size_arguments(catalog: Catalog) -> None:
    assert len(catalog.job_types) == 4 and len(catalog.buff_types) == 6
    assert attrs.evolve(catalog) == catalog


def test_catalogs_vary() -> None:
    """Over a run, catalogs span every tier, both duplicate settings and inactive entities."""
    seen: dict[str, set[object]] = {"tiers": set(), "dups": set(), "inactive": set()}

    @given(js.catalogs())
    def collect(catalog: Catalog) -> None:
        seen["tiers"].update(j.tier for j in catalog.job_types.values())
        seen["dups"].add(catalog.rng.allow_duplicates)
        seen["inactive"].add(all(b.active for b in catalog.buff_types.values()))

    collect()
    assert seen["tiers"] == set(Tier)
    assert seen["dups"] == {True, False} and seen["inactive"] == {True, False}


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
