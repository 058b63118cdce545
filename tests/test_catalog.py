"""Catalog validation: one test per rule (field path and value checked), derived values."""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobslot_core.catalog import (
    BuffCarryMode,
    BuffCarryPolicy,
    BuffRange,
    BuffType,
    Catalog,
    Cost,
    Distribution,
    JobChangeMode,
    JobChangePolicy,
    JobType,
    PitStop,
    Policies,
    PrestigeReward,
    RarityWeights,
    RerollPolicy,
    RngConfig,
    SlotRule,
    SlotUnlockPolicy,
    Tier,
    UnlockRequirements,
    check_buff_range,
)
from jobslot_core.engine import make_offer
from jobslot_core.errors import InvalidCatalog
from jobslot_core.testing import strategies as js

X = 2**63  # one more than TOML's largest integer

JANITOR = JobType(
    key="janitor",
    tier=Tier.D,
    level_tenure=(50, 120, 200, 280, 380, 500, 650, 820, 1000),
    pit_stops=(PitStop(1, 1, 4), PitStop(2, 4, 7), PitStop(3, 7, 10)),
)
RETIRED = attrs.evolve(JANITOR, key="retired", active=False)
GOLD = BuffType("gold_per_hour", "gold_rate")
ESSENCE = BuffType("essence_per_day", "essence_rate")
FLAT = BuffType("flat_gold", "flat_gold", permanent=False, precision=0, currency="gold")


def cell(buff: str = "gold_per_hour", lo: int = 1, hi: int = 10, **kw: Any) -> BuffRange:
    """A valid D-tier cell (1..5, mean 3) unless overridden."""
    values: dict[str, Any] = {"min_value": 1.0, "max_value": 5.0, "mean_value": 3.0} | kw
    return BuffRange(buff_key=buff, tier=Tier.D, min_level=lo, max_level=hi, **values)


CELLS = (cell("gold_per_hour"), cell("essence_per_day"), cell("flat_gold"))


def build(**over: Any) -> Catalog:
    """The small valid catalog above with some parts replaced."""
    parts: dict[str, Any] = {
        "job_types": (JANITOR,),
        "buff_types": (GOLD, ESSENCE, FLAT),
        "buff_ranges": CELLS,
    } | over
    return Catalog(**parts)


def refused(field: str, value: Any, **over: Any) -> InvalidCatalog:
    """Assert `build(**over)` raises InvalidCatalog naming `field` and `value`."""
    with pytest.raises(InvalidCatalog) as info:
        build(**over)
    err = info.value
    assert err.field == field, err
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(err.value)
    else:
        assert err.value == value, err
    assert field in str(err)
    return err


def job(**kw: Any) -> tuple[JobType]:
    return (attrs.evolve(JANITOR, **kw),)


def rng(**kw: Any) -> RngConfig:
    return RngConfig(**kw)


def pol(**kw: Any) -> Policies:
    return Policies(**kw)


def test_the_base_catalog_is_valid() -> None:
    c = build()
    assert c.job_types["janitor"].tier == "D"


# -- job types ----------------------------------------------------------------------------------


def test_job_mapping_key_must_match() -> None:
    refused("job_types.x.key", "janitor", job_types={"x": JANITOR})


def test_duplicate_job_keys_are_refused() -> None:
    refused("job_types.janitor", "janitor", job_types=(JANITOR, JANITOR))


def test_duplicate_buff_keys_are_refused() -> None:
    refused("buff_types.gold_per_hour", "gold_per_hour", buff_types=(GOLD, ESSENCE, FLAT, GOLD))


@pytest.mark.parametrize("key", ["", " janitor", "janitor "])
def test_job_key_must_be_a_clean_string(key: str) -> None:
    refused(f"job_types.{key}.key", key, job_types=job(key=key))


@pytest.mark.parametrize("max_level", [1, 101])
def test_max_level_bounds(max_level: int) -> None:
    refused("job_types.janitor.max_level", max_level, job_types=job(max_level=max_level))


def test_level_tenure_needs_one_entry_per_level_above_one() -> None:
    refused("job_types.janitor.level_tenure", [50, 120], job_types=job(level_tenure=(50, 120)))


def test_level_tenure_must_increase() -> None:
    tenure = (50, 120, 120, 280, 380, 500, 650, 820, 1000)
    refused("job_types.janitor.level_tenure[2]", 120, job_types=job(level_tenure=tenure))


def test_level_tenure_must_be_positive() -> None:
    tenure = (0, 120, 200, 280, 380, 500, 650, 820, 1000)
    refused("job_types.janitor.level_tenure[0]", 0, job_types=job(level_tenure=tenure))


def test_level_tenure_must_be_integers() -> None:
    tenure: Any = (50, 120.5, 200, 280, 380, 500, 650, 820, 1000)
    refused("job_types.janitor.level_tenure[1]", 120.5, job_types=job(level_tenure=tenure))


@pytest.mark.parametrize("count", [0, 11])
def test_a_job_has_one_to_ten_pit_stops(count: int) -> None:
    stops = tuple(PitStop(i + 1, 1, 2) for i in range(count))
    refused("job_types.janitor.pit_stops", count, job_types=job(pit_stops=stops))


def test_pit_stops_are_numbered_in_order() -> None:
    stops = (PitStop(2, 1, 4), PitStop(1, 4, 7))
    refused("job_types.janitor.pit_stops[0].number", 2, job_types=job(pit_stops=stops))


def test_pit_stop_beyond_max_level() -> None:
    stops = (PitStop(1, 1, 4), PitStop(2, 7, 11))
    refused("job_types.janitor.pit_stops[1].to_level", 11, job_types=job(pit_stops=stops))


def test_pit_stop_from_must_be_below_to() -> None:
    refused(
        "job_types.janitor.pit_stops[0].from_level", 4, job_types=job(pit_stops=(PitStop(1, 4, 4),))
    )


def test_pit_stops_must_not_overlap() -> None:
    stops = (PitStop(1, 1, 5), PitStop(2, 4, 7))
    refused("job_types.janitor.pit_stops[1].from_level", 4, job_types=job(pit_stops=stops))


def test_pit_stop_from_level_starts_at_one() -> None:
    refused(
        "job_types.janitor.pit_stops[0].from_level", 0, job_types=job(pit_stops=(PitStop(1, 0, 4),))
    )


@pytest.mark.parametrize("other", ["ghost", "janitor"])
def test_unlock_names_another_known_job(other: str) -> None:
    refused(
        "job_types.janitor.unlock.job_keys[0]",
        other,
        job_types=job(unlock=UnlockRequirements(job_keys=(other,))),
    )


def needs(key: str, *others: str, **kw: Any) -> JobType:
    """A copy of the janitor named `key` that needs the jobs `others`."""
    return attrs.evolve(JANITOR, key=key, unlock=UnlockRequirements(job_keys=others), **kw)


def test_unlock_cycle_is_refused() -> None:
    jobs = (JANITOR, needs("a", "b"), needs("b", "a"))
    err = refused("job_types.a.unlock.job_keys", ["b"], job_types=jobs)
    assert "a -> b -> a" in err.reason


def test_longer_unlock_cycle_is_refused() -> None:
    jobs = (JANITOR, needs("a", "janitor"), needs("b", "a", "d"), needs("c", "b"), needs("d", "c"))
    err = refused("job_types.b.unlock.job_keys", ["a", "d"], job_types=jobs)
    assert "b -> d -> c -> b" in err.reason


def test_unlock_cycle_among_inactive_jobs_is_refused() -> None:
    jobs = (JANITOR, needs("a", "b", active=False), needs("b", "a", active=False))
    refused("job_types.a.unlock.job_keys", ["b"], job_types=jobs)


def test_unlock_chain_without_cycle_is_fine() -> None:
    jobs = (needs("c", "a", "b"), needs("b", "a"), needs("a", "janitor"), JANITOR)
    assert set(build(job_types=jobs).job_types) == {"a", "b", "c", "janitor"}


def test_long_unlock_chain_does_not_hit_the_recursion_limit() -> None:
    chain = [needs(f"j{i}", f"j{i - 1}") for i in range(1, 3000)]
    assert len(build(job_types=(attrs.evolve(JANITOR, key="j0"), *chain)).job_types) == 3000


def test_active_job_cannot_need_an_inactive_job() -> None:
    """Nobody could buy the inactive job, so the active one could never be unlocked (4b)."""
    jobs = (JANITOR, RETIRED, needs("x", "janitor", "retired"))
    refused("job_types.x.unlock.job_keys[1]", "retired", job_types=jobs)


def test_inactive_job_may_need_an_inactive_job() -> None:
    jobs = (JANITOR, RETIRED, needs("x", "retired", active=False))
    assert not build(job_types=jobs).job_types["x"].active


@pytest.mark.parametrize(
    ("jobs", "value"),
    [
        ((), []),
        ((RETIRED,), []),
        ((attrs.evolve(JANITOR, unlock=UnlockRequirements(prestige_count=1)),), ["janitor"]),
        (
            (
                RETIRED,
                needs("a", "retired", active=False),
                attrs.evolve(JANITOR, unlock=UnlockRequirements(prestige_count=2)),
            ),
            ["janitor"],
        ),
    ],
)
def test_an_active_entry_job_is_required(jobs: tuple[JobType, ...], value: list[str]) -> None:
    """Some active job needs no prestige and no other job, or nobody can start (4d)."""
    err = refused("job_types", value, job_types=jobs)
    assert "entry job" in err.reason


def test_entry_job_may_cost_and_need_meks() -> None:
    entry = attrs.evolve(
        JANITOR, purchase_cost=Cost("gold", 10), unlock=UnlockRequirements(total_meks=3)
    )
    assert build(job_types=(entry,)).job_types["janitor"].unlock.total_meks == 3


@pytest.mark.parametrize("name", ["prestige_count", "total_meks"])
def test_unlock_counts_are_not_negative(name: str) -> None:
    counts: dict[str, Any] = {name: -1}
    unlock = UnlockRequirements(**counts)
    refused(f"job_types.janitor.unlock.{name}", -1, job_types=job(unlock=unlock))


def test_purchase_cost_amount_is_not_negative() -> None:
    refused(
        "job_types.janitor.purchase_cost.amount",
        -5,
        job_types=job(purchase_cost=Cost("gold", -5)),
    )


def test_purchase_cost_names_a_currency() -> None:
    refused(
        "job_types.janitor.purchase_cost.currency", "", job_types=job(purchase_cost=Cost("", 5))
    )


# -- buff types ---------------------------------------------------------------------------------


def test_buff_mapping_key_must_match() -> None:
    refused("buff_types.x.key", "gold_per_hour", buff_types={"x": GOLD})


def test_buff_effect_type_is_required() -> None:
    refused(
        "buff_types.gold_per_hour.effect_type",
        "",
        buff_types=(attrs.evolve(GOLD, effect_type=""), ESSENCE, FLAT),
    )


@pytest.mark.parametrize("precision", [-1, 7])
def test_buff_precision_bounds(precision: int) -> None:
    refused(
        "buff_types.gold_per_hour.precision",
        precision,
        buff_types=(attrs.evolve(GOLD, precision=precision), ESSENCE, FLAT),
    )


def test_one_time_buff_needs_a_currency() -> None:
    refused(
        "buff_types.flat_gold.currency",
        None,
        buff_types=(GOLD, ESSENCE, attrs.evolve(FLAT, currency=None)),
    )


def test_one_time_buff_credits_whole_units() -> None:
    refused(
        "buff_types.flat_gold.precision",
        2,
        buff_types=(GOLD, ESSENCE, attrs.evolve(FLAT, precision=2)),
    )


def test_permanent_buff_credits_no_currency() -> None:
    refused(
        "buff_types.gold_per_hour.currency",
        "gold",
        buff_types=(attrs.evolve(GOLD, currency="gold"), ESSENCE, FLAT),
    )


# -- RNG config ---------------------------------------------------------------------------------


def test_rng_distribution_must_be_known() -> None:
    refused("rng.distribution", "gaussian", rng=rng(distribution="gaussian"))


@pytest.mark.parametrize("spread", [0.0, -0.5, math.inf])
def test_default_spread_is_positive_and_finite(spread: float) -> None:
    refused("rng.default_spread", spread, rng=rng(default_spread=spread))


def test_rarity_weight_not_negative() -> None:
    refused("rng.rarity_weights.epic", -1.0, rng=rng(rarity_weights=RarityWeights(epic=-1.0)))


def test_rarity_weights_not_all_zero() -> None:
    refused(
        "rng.rarity_weights",
        (0.0, 0.0, 0.0, 0.0, 0.0),
        rng=rng(rarity_weights=RarityWeights(0.0, 0.0, 0.0, 0.0, 0.0)),
    )


def test_rarity_thresholds_count() -> None:
    bad: Any = (20.0, 50.0, 75.0)
    refused("rng.rarity_thresholds", bad, rng=rng(rarity_thresholds=bad))


@pytest.mark.parametrize(
    ("thresholds", "index", "value"),
    [
        ((20.0, 50.0, 50.0, 95.0), 2, 50.0),
        ((20.0, 50.0, 75.0, 100.0), 3, 100.0),
        ((0.0, 50.0, 75.0, 95.0), 0, 0.0),
    ],
)
def test_rarity_thresholds_increase_inside_0_100(
    thresholds: tuple[float, float, float, float], index: int, value: float
) -> None:
    refused(f"rng.rarity_thresholds[{index}]", value, rng=rng(rarity_thresholds=thresholds))


# -- policies -----------------------------------------------------------------------------------


def test_prestige_percent_not_negative() -> None:
    refused(
        "policies.prestige.account_buff_percent",
        -1.0,
        policies=pol(prestige=PrestigeReward(account_buff_percent=-1.0)),
    )


def test_prestige_effects_are_keys() -> None:
    refused(
        "policies.prestige.account_buff_effects[1]",
        "",
        policies=pol(prestige=PrestigeReward(account_buff_effects=("gold_rate", ""))),
    )


@pytest.mark.parametrize(
    ("effects", "index", "value"),
    [
        (("gold_rates",), 0, "gold_rates"),  # a typo
        (("gold_rate", "flat_gold"), 1, "flat_gold"),  # a one-time buff's effect
        (("gold_rate", "xp_rate"), 1, "xp_rate"),  # no buff type has it
    ],
)
def test_prestige_effects_name_a_permanent_buffs_effect(
    effects: tuple[str, ...], index: int, value: str
) -> None:
    refused(
        f"policies.prestige.account_buff_effects[{index}]",
        value,
        policies=pol(prestige=PrestigeReward(account_buff_effects=effects)),
    )


def test_prestige_effects_may_be_empty_or_name_an_inactive_permanent_buff() -> None:
    assert build(policies=pol(prestige=PrestigeReward(account_buff_effects=())))
    buffs = (GOLD, attrs.evolve(ESSENCE, active=False), FLAT, BuffType("xp", "xp_rate"))
    cells = (*CELLS, cell("xp"))
    effects = ("essence_rate",)
    c = build(
        buff_types=buffs, buff_ranges=cells, policies=pol(prestige=PrestigeReward(0, effects))
    )
    assert c.policies.prestige.account_buff_effects == effects


def test_default_prestige_effects_need_gold_and_essence_buffs() -> None:
    refused(
        "policies.prestige.account_buff_effects[1]",
        "essence_rate",
        buff_types=(GOLD, attrs.evolve(ESSENCE, effect_type="mana_rate"), FLAT),
    )


def test_prestige_tokens_not_negative() -> None:
    refused("policies.prestige.tokens", -2, policies=pol(prestige=PrestigeReward(tokens=-2)))


def test_prestige_currency_reward_checked() -> None:
    refused(
        "policies.prestige.currency_reward.amount",
        -1,
        policies=pol(prestige=PrestigeReward(currency_reward=Cost("gold", -1))),
    )


def test_job_change_mode_must_be_known() -> None:
    bad: Any = "trade"
    refused("policies.job_change.mode", "trade", policies=pol(job_change=JobChangePolicy(bad)))


def test_swap_fee_checked() -> None:
    refused(
        "policies.job_change.swap_fee.currency",
        " gold",
        policies=pol(job_change=JobChangePolicy(swap_fee=Cost(" gold", 5))),
    )


def test_buff_carry_mode_must_be_known() -> None:
    bad: Any = "halve"
    refused("policies.buff_carry.mode", "halve", policies=pol(buff_carry=BuffCarryPolicy(bad)))


@pytest.mark.parametrize("factor", [0.0, 1.5, math.nan])
def test_buff_carry_factor_in_0_1(factor: float) -> None:
    refused(
        "policies.buff_carry.factor",
        factor,
        policies=pol(buff_carry=BuffCarryPolicy(factor=factor)),
    )


def test_slot_rules_not_empty() -> None:
    refused("policies.slot_unlock.rules", (), policies=pol(slot_unlock=SlotUnlockPolicy(rules=())))


def test_slot_rules_numbered_in_order() -> None:
    rules = (SlotRule(1), SlotRule(3))
    refused(
        "policies.slot_unlock.rules[1].slot", 3, policies=pol(slot_unlock=SlotUnlockPolicy(rules))
    )


def test_slot_rule_minimums_not_negative() -> None:
    rules = (SlotRule(1, min_meks=-1),)
    refused(
        "policies.slot_unlock.rules[0].min_meks",
        -1,
        policies=pol(slot_unlock=SlotUnlockPolicy(rules)),
    )


def test_slot_one_needs_no_prestige() -> None:
    """Nobody can prestige without a slot (issue 4c); later slots may need prestiges."""
    rules = (SlotRule(1, min_prestiges=1), SlotRule(2))
    refused(
        "policies.slot_unlock.rules[0].min_prestiges",
        1,
        policies=pol(slot_unlock=SlotUnlockPolicy(rules)),
    )
    ok = (SlotRule(1, Cost("gold", 5), min_meks=2), SlotRule(2, min_prestiges=3))
    assert build(policies=pol(slot_unlock=SlotUnlockPolicy(ok))).policies.slot_unlock.rules == ok


def test_max_slots_covers_the_rules() -> None:
    refused(
        "policies.slot_unlock.max_slots", 3, policies=pol(slot_unlock=SlotUnlockPolicy(max_slots=3))
    )


def test_reroll_policy_checked() -> None:
    refused("policies.reroll.max_rerolls", -1, policies=pol(reroll=RerollPolicy(max_rerolls=-1)))
    refused(
        "policies.reroll.cost.amount", -3, policies=pol(reroll=RerollPolicy(cost=Cost("gold", -3)))
    )


# -- converters: plain values in Python, refusals with a path (issue 5) -------------------------


def test_rarity_thresholds_list_becomes_a_hashable_float_tuple() -> None:
    config = RngConfig(rarity_thresholds=[10, 40.0, 70, 90])  # type: ignore[arg-type]
    assert config.rarity_thresholds == (10.0, 40.0, 70.0, 90.0)
    assert all(type(t) is float for t in config.rarity_thresholds)
    assert hash(config) == hash(RngConfig(rarity_thresholds=(10.0, 40.0, 70.0, 90.0)))
    c = build(rng=config)
    offer = make_offer(
        c,
        secret=b"k" * 16,
        secret_id="s",
        mek_id="m",
        job_key="janitor",
        prestige_sequence=0,
        pit_stop_number=1,
    )
    assert offer.choices


@pytest.mark.parametrize(
    ("thresholds", "field", "value"),
    [
        ("20,50,75,95", "rng.rarity_thresholds", "20,50,75,95"),
        (50, "rng.rarity_thresholds", 50),
        ([20.0, 50.0, "75", 95.0], "rng.rarity_thresholds[2]", "75"),
        ([20.0, 50.0, True, 95.0], "rng.rarity_thresholds[2]", True),
        ([20.0, 50.0, 75.0, 2**60 + 1], "rng.rarity_thresholds[3]", 2**60 + 1),
    ],
)
def test_bad_rarity_thresholds_are_refused_with_a_path(
    thresholds: Any, field: str, value: Any
) -> None:
    refused(field, value, rng=rng(rarity_thresholds=thresholds))


def test_enum_fields_accept_their_values_as_strings() -> None:
    bad: Any = "uniform"
    assert cell(distribution=bad).distribution is Distribution.UNIFORM
    assert RngConfig(distribution=bad).distribution is Distribution.UNIFORM
    assert JobChangePolicy(mode="swap").mode is JobChangeMode.SWAP
    assert BuffCarryPolicy(mode="keep_diminished").mode is BuffCarryMode.KEEP_DIMINISHED
    assert attrs.evolve(JANITOR, tier="S").tier is Tier.S
    assert cell(distribution=None).distribution is None
    c = build(
        buff_ranges=(cell(distribution=bad), *CELLS[1:]),
        rng=rng(distribution="weighted"),
        policies=pol(
            job_change=JobChangePolicy("swap", Cost("gold", 1)),
            buff_carry=BuffCarryPolicy("keep_diminished"),
        ),
    )
    assert c == build(
        buff_ranges=(cell(distribution=Distribution.UNIFORM), *CELLS[1:]),
        rng=rng(distribution=Distribution.WEIGHTED),
        policies=pol(
            job_change=JobChangePolicy(JobChangeMode.SWAP, Cost("gold", 1)),
            buff_carry=BuffCarryPolicy(BuffCarryMode.KEEP_DIMINISHED),
        ),
    )


@pytest.mark.parametrize("tier", ["X", "d", None, 1])
def test_bad_job_tier_is_refused_with_a_path(tier: Any) -> None:
    refused("job_types.janitor.tier", tier, job_types=job(tier=tier))


@pytest.mark.parametrize("tier", ["X", None])
def test_bad_cell_tier_is_refused_with_a_path(tier: Any) -> None:
    bad = attrs.evolve(CELLS[1], tier=tier)
    refused("buff_ranges[1].tier", tier, buff_ranges=(CELLS[0], bad, CELLS[2]))
    with pytest.raises(InvalidCatalog) as info:
        check_buff_range(bad, path="c")
    assert (info.value.field, info.value.value) == ("c.tier", tier)


# -- integers fit TOML's int64; numbers fit a float (issue 6) -----------------------------------


@pytest.mark.parametrize(
    ("field", "over"),
    [
        ("job_types.janitor.purchase_cost.amount", {"job_types": job(purchase_cost=Cost("g", X))}),
        (
            "job_types.janitor.unlock.total_meks",
            {"job_types": job(unlock=UnlockRequirements(total_meks=X))},
        ),
        ("policies.prestige.tokens", {"policies": pol(prestige=PrestigeReward(tokens=X))}),
        (
            "policies.slot_unlock.rules[1].min_prestiges",
            {"policies": pol(slot_unlock=SlotUnlockPolicy((SlotRule(1), SlotRule(2, None, X))))},
        ),
        (
            "buff_ranges[0].max_level",
            {"buff_ranges": (cell(hi=X), *CELLS[1:])},
        ),
    ],
)
def test_integers_above_int64_are_refused(field: str, over: dict[str, Any]) -> None:
    err = refused(field, X, **over)
    assert "2**63 - 1" in err.reason


def test_int64_max_is_accepted() -> None:
    c = build(job_types=job(purchase_cost=Cost("g", X - 1)))
    assert c.job_types["janitor"].purchase_cost == Cost("g", 2**63 - 1)


@pytest.mark.parametrize(
    ("field", "value", "over"),
    [
        ("job_types.janitor.active", 1, {"job_types": job(active=1)}),
        ("job_types.janitor.display_name", 1, {"job_types": job(display_name=1)}),
        ("job_types.janitor.icon_url", 1, {"job_types": job(icon_url=1)}),
        (
            "job_types.janitor.pit_stops[0].number",
            True,
            {"job_types": job(pit_stops=(PitStop(True, 1, 10),))},
        ),
        (
            "buff_types.gold_per_hour.stacks",
            1,
            {"buff_types": (attrs.evolve(GOLD, stacks=1), ESSENCE, FLAT)},
        ),
        (
            "buff_types.flat_gold.category",
            1,
            {"buff_types": (GOLD, ESSENCE, attrs.evolve(FLAT, category=1))},
        ),
        ("rng.allow_duplicates", 1, {"rng": rng(allow_duplicates=1)}),
        (
            "policies.slot_unlock.rules[0].slot",
            True,
            {"policies": pol(slot_unlock=SlotUnlockPolicy((SlotRule(True),)))},
        ),
    ],
)
def test_values_a_document_could_not_hold_are_refused(
    field: str, value: Any, over: dict[str, Any]
) -> None:
    """So every valid catalog dumps and loads back equal: 1 for a flag or a text, True for a
    number would be written as something the loader refuses."""
    err = refused(field, value, **over)
    assert type(err.value) is type(value)


@pytest.mark.parametrize("value", [2**53 + 1, 10**400])
def test_float_fields_refuse_ints_a_float_cannot_hold(value: int) -> None:
    refused("rng.rarity_weights.common", value, rng=rng(rarity_weights=RarityWeights(common=value)))
    refused(
        "policies.buff_carry.factor", value, policies=pol(buff_carry=BuffCarryPolicy(factor=value))
    )


# -- buff range cells ---------------------------------------------------------------------------


def test_cell_names_a_known_buff() -> None:
    refused("buff_ranges[3].buff_key", "ghost", buff_ranges=(*CELLS, cell("ghost")))


@pytest.mark.parametrize(
    ("kw", "field", "value"),
    [
        ({"lo": 0}, "min_level", 0),
        ({"lo": 5, "hi": 4}, "max_level", 4),
        ({"min_value": 6.0, "mean_value": 6.0}, "min_value", 6.0),
        ({"mean_value": 5.5}, "mean_value", 5.5),
        ({"mean_value": 0.5}, "mean_value", 0.5),
        ({"standard_deviation": 0.0}, "standard_deviation", 0.0),
        ({"standard_deviation": -1.0}, "standard_deviation", -1.0),
        ({"standard_deviation": math.nan}, "standard_deviation", math.nan),
        ({"min_value": -math.inf}, "min_value", -math.inf),
        ({"max_value": 5.005}, "max_value", 5.005),
        ({"min_value": 1.001}, "min_value", 1.001),
        ({"max_value": 1e12, "mean_value": 3.0}, "max_value", 1e12),
        ({"distribution": "gaussian"}, "distribution", "gaussian"),
    ],
)
def test_cell_rules(kw: dict[str, Any], field: str, value: Any) -> None:
    refused(f"buff_ranges[0].{field}", value, buff_ranges=(cell(**kw), *CELLS[1:]))


def test_cell_bounds_follow_the_buffs_precision() -> None:
    refused(
        "buff_ranges[2].max_value", 5.5, buff_ranges=(*CELLS[:2], cell("flat_gold", max_value=5.5))
    )


@pytest.mark.parametrize("low", [0.0, -5.0])
def test_one_time_buff_cells_credit_a_positive_amount(low: float) -> None:
    """A zero or negative one-time value would write a 0 ledger line or debit (issue 2)."""
    bad = cell("flat_gold", lo=5, hi=10, min_value=low, mean_value=3.0)
    cells = (*CELLS[:2], cell("flat_gold", lo=1, hi=4), bad)
    err = refused("buff_ranges[3].min_value", low, buff_ranges=cells)
    assert "flat_gold" in err.reason


def test_permanent_buff_cells_may_start_at_zero() -> None:
    cells = (cell(min_value=0.0), *CELLS[1:])
    assert build(buff_ranges=cells).buff_range("gold_per_hour", "D", 1).min_value == 0.0
    assert build(buff_ranges=(*CELLS[:2], cell("flat_gold", min_value=1.0))).buff_ranges


@given(
    st.integers(0, 5).flatmap(lambda p: st.tuples(st.just(p), js.buff_ranges(precision=p))),
    st.data(),
)
def test_every_generated_cell_breaks_by_each_rule(
    case: tuple[int, BuffRange], data: st.DataObject
) -> None:
    """From any valid cell, moving the mean out, the sd to <= 0 or a bound off grid is refused."""
    precision, cell_ = case
    check_buff_range(cell_, precision=precision, path="c")
    bad_cells = {
        "mean_value": attrs.evolve(cell_, mean_value=cell_.max_value + 1.0),
        "standard_deviation": attrs.evolve(cell_, standard_deviation=-data.draw(st.floats(0, 10))),
        "max_value": attrs.evolve(cell_, max_value=cell_.max_value + 3 * 10.0 ** -(precision + 1)),
    }
    for field, bad in bad_cells.items():
        with pytest.raises(InvalidCatalog) as info:
            check_buff_range(bad, precision=precision, path="c")
        assert info.value.field == f"c.{field}"
        assert info.value.value == getattr(bad, field)


@given(js.buff_ranges(precision=st.integers(0, 6)))
def test_min_above_max_is_refused(cell_: BuffRange) -> None:
    if cell_.min_value == cell_.max_value:
        return
    bad = attrs.evolve(cell_, min_value=cell_.max_value, max_value=cell_.min_value)
    with pytest.raises(InvalidCatalog) as info:
        check_buff_range(bad, precision=6, path="c")
    assert (info.value.field, info.value.value) == ("c.min_value", cell_.max_value)


# -- the grid -----------------------------------------------------------------------------------


def test_grid_overlap_is_refused() -> None:
    cells = (cell(lo=1, hi=5), cell(lo=4, hi=10), *CELLS[1:])
    refused("buff_ranges[1].min_level", 4, buff_ranges=cells)


def test_grid_overlap_is_refused_in_any_listing_order() -> None:
    cells = (*CELLS[1:], cell(lo=6, hi=10), cell(lo=1, hi=6))
    refused("buff_ranges[2].min_level", 6, buff_ranges=cells)


def test_grid_gap_at_a_reachable_level_is_refused() -> None:
    cells = (cell(lo=1, hi=3), cell(lo=5, hi=10), *CELLS[1:])
    err = refused("buff_ranges[gold_per_hour,D]", 4, buff_ranges=cells)
    assert "job_types.janitor.pit_stops[1]" in err.reason


def test_grid_gap_at_an_unreachable_level_is_fine() -> None:
    cells = (cell(lo=1, hi=4), cell(lo=7, hi=10), *CELLS[1:])
    assert build(buff_ranges=cells).buff_range("gold_per_hour", "D", 7).min_level == 7


def test_rows_no_job_reaches_are_not_checked_for_gaps() -> None:
    stray = attrs.evolve(cell(lo=3, hi=3), tier=Tier.S)
    assert build(buff_ranges=(*CELLS, stray)).buff_ranges[-1] == stray


def test_fewer_than_three_eligible_buffs_without_duplicates() -> None:
    refused(
        "job_types.janitor.pit_stops[0]", ["flat_gold", "gold_per_hour"], buff_ranges=CELLS[::2]
    )


def test_inactive_buffs_are_not_eligible() -> None:
    buffs = (GOLD, attrs.evolve(ESSENCE, active=False), FLAT)
    refused("job_types.janitor.pit_stops[0]", ["flat_gold", "gold_per_hour"], buff_types=buffs)


def test_one_eligible_buff_is_enough_with_duplicates() -> None:
    c = build(buff_ranges=CELLS[:1], rng=rng(allow_duplicates=True))
    assert [b.key for b, _ in c.eligible_buffs("janitor", 1)] == ["gold_per_hour"]
    refused("job_types.janitor.pit_stops[0]", [], buff_ranges=(), rng=rng(allow_duplicates=True))


def test_inactive_jobs_are_indexed_like_active_ones() -> None:
    """A Mek working a job that admins deactivate still resolves its pit stops (issue 1)."""
    c = build(job_types=(JANITOR, RETIRED))
    assert c.eligible_buffs("retired", 2) == c.eligible_buffs("janitor", 2)


def test_inactive_jobs_need_enough_eligible_buffs() -> None:
    retired = attrs.evolve(RETIRED, tier=Tier.S)
    refused("job_types.retired.pit_stops[0]", [], job_types=(JANITOR, retired))


def test_inactive_jobs_need_a_grid_without_gaps() -> None:
    cells = (cell(lo=1, hi=3), cell(lo=5, hi=10), *CELLS[1:])
    retired = attrs.evolve(RETIRED, pit_stops=(PitStop(1, 1, 3), PitStop(2, 5, 7)))
    janitor = attrs.evolve(JANITOR, pit_stops=(PitStop(1, 1, 10),))
    assert build(job_types=(janitor,), buff_ranges=cells).job_types["janitor"].active
    assert build(job_types=(janitor, retired), buff_ranges=cells).eligible_buffs("retired", 2)
    gap = attrs.evolve(retired, pit_stops=(PitStop(1, 1, 4), PitStop(2, 4, 7)))
    err = refused("buff_ranges[gold_per_hour,D]", 4, job_types=(janitor, gap), buff_ranges=cells)
    assert "job_types.retired.pit_stops[1]" in err.reason


# -- derived values -----------------------------------------------------------------------------


@pytest.mark.parametrize(("tier", "rank"), [("D", 1), ("C", 2), ("B", 3), ("A", 4), ("S", 5)])
def test_tier_rank(tier: str, rank: int) -> None:
    assert Tier(tier).rank == rank
    assert attrs.evolve(JANITOR, tier=tier).tier_rank == rank


def test_pit_stop_tenure_and_position() -> None:
    j = build().job_types["janitor"]
    assert [j.pit_stop_tenure(n) for n in (1, 2, 3)] == [200, 500, 1000]
    assert [j.position_percent(n) for n in (1, 2, 3)] == [20.0, 50.0, 100.0]
    assert (j.tenure_for_level(1), j.tenure_for_level(2), j.tenure_for_level(10)) == (0, 50, 1000)
    assert j.pit_stop_count == 3


def test_lookups() -> None:
    c = build(buff_ranges=(cell(lo=1, hi=4), cell(lo=5, hi=10, max_value=9.0), *CELLS[1:]))
    assert c.buff_range("gold_per_hour", Tier.D, 5).max_value == 9.0
    order = [b.key for b, _ in c.eligible_buffs("janitor", 2)]
    assert order == ["essence_per_day", "flat_gold", "gold_per_hour"]
    with pytest.raises(InvalidCatalog):
        c.buff_range("gold_per_hour", "S", 1)
    with pytest.raises(InvalidCatalog) as info:
        c.eligible_buffs("janitor", 4)
    assert info.value.value == "janitor#4"


@given(js.catalogs())
def test_generated_catalogs_satisfy_the_grid_invariants(c: Catalog) -> None:
    """Every active pit stop offers enough buff types, each from a cell covering its from_level."""
    needed = 1 if c.rng.allow_duplicates else 3
    assert 1 <= len(c.job_types) <= 4 and 3 <= len(c.buff_types) <= 6
    for job_ in c.job_types.values():
        if not job_.active:
            continue
        for stop in job_.pit_stops:
            eligible = c.eligible_buffs(job_.key, stop.number)
            assert len(eligible) >= needed
            for buff, found in eligible:
                assert buff.active and found.tier == job_.tier and found.covers(stop.from_level)
                assert 0 < job_.position_percent(stop.number) <= 100
    assert Catalog(c.job_types, c.buff_types, c.buff_ranges, c.rng, c.policies) == c
