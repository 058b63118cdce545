"""The testing helpers on a studio's own catalog: offer contexts, catalog variations and the
whole-game state machine run on the example catalog."""

from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from jobslot_core import Catalog, load_catalog
from jobslot_core.balance import compare
from jobslot_core.catalog_io import catalog_to_dict
from jobslot_core.engine import make_offer
from jobslot_core.testing import GameStateMachine
from jobslot_core.testing.strategies import catalog_variations, offer_contexts

EXAMPLE_CATALOG = load_catalog(Path(__file__).resolve().parents[2] / "examples" / "catalog.toml")
SECRET = b"studio-secret-0123456789"


@given(offer_contexts(EXAMPLE_CATALOG, secret_ids=["s1", "s2"], prestiges=2, rerolls=1))
def test_offer_contexts_always_make_an_offer(context: Any) -> None:
    job = EXAMPLE_CATALOG.job_types[context.job_key]
    assert 1 <= context.pit_stop_number <= job.pit_stop_count
    assert context.prestige_sequence <= 2 and context.reroll <= 1
    offer = make_offer(
        EXAMPLE_CATALOG,
        secret=SECRET,
        secret_id=context.secret_id,
        mek_id=context.mek_id,
        job_key=context.job_key,
        prestige_sequence=context.prestige_sequence,
        pit_stop_number=context.pit_stop_number,
        reroll=context.reroll,
    )
    assert offer.context == context


def _shape(catalog: Catalog) -> Any:
    data = catalog_to_dict(catalog)
    return (
        [(j["key"], j["pit_stops"], j["tier"]) for j in data["job_types"]],
        data["buff_types"],
        [(c["buff_key"], c["tier"], c["min_level"], c["max_level"]) for c in data["buff_ranges"]],
        data["rng"],
        data["policies"],
    )


@given(catalog_variations(EXAMPLE_CATALOG, max_changes=2, spread=0.3))
def test_variations_are_small_valid_edits_of_the_catalog(variant: Catalog) -> None:
    assert isinstance(variant, Catalog)  # validated on construction
    assert _shape(variant) == _shape(EXAMPLE_CATALOG)
    changed_cells = {
        i for i, (a, b) in enumerate(zip(variant.buff_ranges, EXAMPLE_CATALOG.buff_ranges,
                                         strict=True)) if a != b
    }
    changed_jobs = {
        k for k, j in variant.job_types.items() if j != EXAMPLE_CATALOG.job_types[k]
    }
    assert len(changed_cells) + len(changed_jobs) <= 2
    for cell in variant.buff_ranges:
        if not EXAMPLE_CATALOG.buff_types[cell.buff_key].permanent:
            assert cell.min_value > 0


@settings(max_examples=10)
@given(catalog_variations(EXAMPLE_CATALOG, max_changes=1), st.integers(0, 2**32))
def test_a_variation_compares_with_its_changes_named(variant: Catalog, seed: int) -> None:
    result = compare(EXAMPLE_CATALOG, variant, seed=seed, careers=50, offers=50)
    assert result.identical == (variant == EXAMPLE_CATALOG)
    assert all(c.before != c.after for c in result.fields)


def test_variation_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        catalog_variations(EXAMPLE_CATALOG, max_changes=0)


class _Counting(GameStateMachine):
    outcomes: ClassVar[dict[str, int]] = {}

    def apply(self, command: Any) -> Any:
        outcome = super().apply(command)
        key = f"{command[0]}:{outcome[0]}"
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        return outcome


def test_state_machine_runs_on_the_studio_catalog() -> None:
    machine = _Counting.for_catalog(EXAMPLE_CATALOG)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=12, stateful_step_count=25, deadline=None, derandomize=True
        ),
    )
    seen = _Counting.outcomes
    # the studio's jobs were bought, pit stops opened and buffs selected, not just refused
    assert seen.get("open_pit_stop:ok", 0) > 0
    assert seen.get("select_buff:ok", 0) > 0
    assert seen.get("prestige:ok", 0) > 0  # janitor careers run to level 10 and prestige


def test_stand_ins_map_the_vocabulary_onto_the_catalog() -> None:
    machine = GameStateMachine.for_catalog(EXAMPLE_CATALOG)()
    try:
        assert machine.jobs == {"quick": "janitor", "slow": "engineer", "elite": "captain"}
        assert machine.time_scale == 11  # janitor's 1000 s to level 10 / 90
        _, args = machine.translate(("open_pit_stop", {"job_key": "slow", "wallet": "w1"}))
        assert args["job_key"] == "engineer"
        assert machine.translate(("advance", {"seconds": 9}))[1]["seconds"] == 99
        # the world was set up on the studio's jobs, its costs funded
        for wallet in ("w1", "w2"):
            (slot,) = machine.game.player_slots(wallet).slots
            assert slot.slot.job_key == "janitor"
    finally:
        machine.teardown()
    default = GameStateMachine()
    try:
        assert default.time_scale == 1 and default.jobs["quick"] == "quick"
    finally:
        default.teardown()
