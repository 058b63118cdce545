"""An example balance test for a studio to copy: plain pytest + hypothesis over its own catalog.

Run it with ``pytest examples/test_balance.py``. It checks two design rules of the example
catalog and that they survive small edits, then plays the whole game on it:

- no S-tier pit stop offers less gold per hour than the best D-tier offer can be;
- a gold-greedy janitor ends its career with a p50 gold rate inside a band.
"""

from pathlib import Path

from hypothesis import given, settings

from jobslot_core import Catalog, load_catalog
from jobslot_core.balance import simulate_career
from jobslot_core.catalog import Tier
from jobslot_core.testing import GameStateMachine
from jobslot_core.testing.strategies import catalog_variations

CATALOG = load_catalog(Path(__file__).with_name("catalog.toml"))


def gold_cells(catalog: Catalog, tier: Tier) -> list[tuple[float, float]]:
    """(min, max) gold per hour of every cell a pit stop of a job of `tier` really draws."""
    return [
        (cell.min_value, cell.max_value)
        for job in catalog.job_types.values()
        if job.tier is tier
        for stop in job.pit_stops
        for buff, cell in catalog.eligible_buffs(job.key, stop.number)
        if buff.key == "gold_per_hour"
    ]


def check_s_tier_beats_d_tier(catalog: Catalog) -> None:
    d_best = max(high for _, high in gold_cells(catalog, Tier.D))
    s_worst = min(low for low, _ in gold_cells(catalog, Tier.S))
    assert s_worst >= d_best, f"an S-tier pit stop can offer {s_worst} < D tier's best {d_best}"


def test_no_s_tier_pit_stop_offers_less_gold_than_the_d_tiers_best() -> None:
    check_s_tier_beats_d_tier(CATALOG)


@settings(derandomize=True, max_examples=50, deadline=None)
@given(catalog_variations(CATALOG, max_changes=2, spread=0.1))
def test_the_tier_rule_survives_small_edits(variant: Catalog) -> None:
    check_s_tier_beats_d_tier(variant)


def test_p50_gold_per_hour_after_a_janitor_career_lies_in_its_band() -> None:
    report = simulate_career(CATALOG, "janitor", careers=5000, seed=1, pick="greedy:gold_rate")
    gold = report.final("gold_rate")
    assert 6.0 <= gold.p50 <= 8.5, gold
    assert report.never["gold_rate"] < 0.10  # few careers never see a gold buff


class StudioMachine(GameStateMachine.for_catalog(CATALOG)):  # type: ignore[misc]
    """The whole command set on the studio's catalog, invariants checked after every step."""


StudioMachine.TestCase.settings = settings(
    derandomize=True, max_examples=10, stateful_step_count=20, deadline=None
)
TestStudioMachine = StudioMachine.TestCase
