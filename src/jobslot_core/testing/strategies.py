"""Hypothesis strategies for valid catalog pieces and whole valid catalogs.

Every value these strategies produce passes `Catalog`'s validation, so a host can property-test
its own balance, adapters or tooling against catalogs of many shapes. Arguments accept a plain
value or a strategy, for example ``buff_ranges(precision=0, distribution=Distribution.UNIFORM)``
or ``buff_ranges(precision=st.integers(0, 3))``. Needs the `testing` extra (hypothesis).
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Sequence
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..catalog import (
    RARITIES,
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
)
from ..engine import OfferContext

__all__ = [
    "CURRENCIES",
    "PERMANENT_EFFECTS",
    "buff_ranges",
    "buff_types",
    "catalog_variations",
    "catalogs",
    "command_sequences",
    "costs",
    "job_types",
    "keys",
    "offer_contexts",
    "policies",
    "rng_configs",
]

T = TypeVar("T")

CURRENCIES: tuple[str, ...] = ("gold", "essence", "scrap")
"""The currencies drawn for costs and one-time buffs."""

PERMANENT_EFFECTS: tuple[str, ...] = ("gold_rate", "essence_rate", "tenure_rate", "scrap_rate")
"""The effect types drawn for permanent buffs (one-time buffs use ``flat_<currency>``)."""

_TIERS = st.sampled_from(list(Tier))
_BOOLEANS = st.booleans()
_DISTRIBUTIONS: SearchStrategy[Distribution | None] = st.none() | st.sampled_from(
    list(Distribution)
)


def _strategy(value: T | SearchStrategy[T]) -> SearchStrategy[T]:
    """Let every argument be a fixed value or a strategy."""
    return value if isinstance(value, SearchStrategy) else st.just(value)


def keys() -> SearchStrategy[str]:
    """Entity keys: a lowercase letter then up to 11 of ``a-z0-9_``."""
    return st.builds(
        "".join,
        st.tuples(
            st.sampled_from(string.ascii_lowercase),
            st.text(string.ascii_lowercase + string.digits + "_", max_size=11),
        ),
    )


def _texts() -> SearchStrategy[str]:
    """Display text: any characters, to exercise escaping in documents."""
    return st.text(max_size=12)


def costs(currency: str | SearchStrategy[str] | None = None) -> SearchStrategy[Cost]:
    """A price or reward in one currency (whole units, 0..100000)."""
    currencies = st.sampled_from(CURRENCIES) if currency is None else _strategy(currency)
    return st.builds(Cost, currencies, st.integers(0, 100_000))


@st.composite
def _levels(draw: st.DrawFn, top: int) -> tuple[int, int]:
    low = draw(st.integers(1, top))
    return low, draw(st.integers(low, top))


@st.composite
def _buff_range(
    draw: st.DrawFn,
    precision: SearchStrategy[int],
    distribution: SearchStrategy[Distribution | None],
    buff_key: SearchStrategy[str],
    tier: SearchStrategy[Tier],
    levels: SearchStrategy[tuple[int, int]],
    positive: SearchStrategy[bool],
) -> BuffRange:
    scale = 10 ** draw(precision)
    low = draw(st.integers(1 if draw(positive) else 0, 1000 * scale))
    width = draw(st.integers(0, 1000 * scale))
    min_value, max_value = low / scale, (low + width) / scale
    spread = draw(st.none() | st.floats(0.05, 2.0))
    min_level, max_level = draw(levels)
    return BuffRange(
        buff_key=draw(buff_key),
        tier=draw(tier),
        min_level=min_level,
        max_level=max_level,
        min_value=min_value,
        max_value=max_value,
        mean_value=draw(st.floats(min_value, max_value)),
        # within catalog.SPREAD_LIMITS of the width (a point cell's sd is never used)
        standard_deviation=None if spread is None else spread * ((max_value - min_value) or 1.0),
        distribution=draw(distribution),
    )


def buff_ranges(
    *,
    precision: int | SearchStrategy[int] = 2,
    distribution: Distribution | SearchStrategy[Distribution | None] | None = _DISTRIBUTIONS,
    buff_key: str | SearchStrategy[str] = "gold_per_hour",
    tier: Tier | SearchStrategy[Tier] = _TIERS,
    levels: tuple[int, int] | SearchStrategy[tuple[int, int]] | None = None,
    positive: bool | SearchStrategy[bool] = False,
) -> SearchStrategy[BuffRange]:
    """Valid grid cells: bounds on the `precision` grid in [0, 2000], min <= mean <= max.

    With `positive`, `min_value > 0` (what a one-time buff's cells need); otherwise min may be 0.
    `min == max` happens (a one-value cell). The standard deviation is None or 0.05..2 times the
    width (at least 1), so engines see both defaulted and explicit spreads; `distribution` is
    None (use the RNG config's) or any distribution unless given. `levels` defaults to a random
    [min_level, max_level] inside 1..10.
    """
    return _buff_range(
        _strategy(precision),
        _strategy(distribution),
        _strategy(buff_key),
        _strategy(tier),
        _levels(10) if levels is None else _strategy(levels),
        _strategy(positive),
    )


@st.composite
def _rng_config(draw: st.DrawFn, allow_duplicates: SearchStrategy[bool]) -> RngConfig:
    weights = [draw(st.floats(0.0, 100.0)) for _ in RARITIES]
    if sum(weights) <= 0:
        weights[0] = 1.0
    thresholds = sorted(draw(st.lists(st.integers(1, 99), min_size=4, max_size=4, unique=True)))
    return RngConfig(
        distribution=draw(st.sampled_from(list(Distribution))),
        default_spread=draw(st.floats(0.05, 1.0)),
        rarity_weights=RarityWeights(*weights),
        rarity_thresholds=(
            float(thresholds[0]),
            float(thresholds[1]),
            float(thresholds[2]),
            float(thresholds[3]),
        ),
        allow_duplicates=draw(allow_duplicates),
        guarantee_one_common=draw(st.booleans()),
    )


def rng_configs(
    *, allow_duplicates: bool | SearchStrategy[bool] = _BOOLEANS
) -> SearchStrategy[RngConfig]:
    """Valid RNG configs: any default distribution, weights not all zero, increasing thresholds."""
    return _rng_config(_strategy(allow_duplicates))


@st.composite
def _buff_type(
    draw: st.DrawFn,
    key: SearchStrategy[str],
    permanent: SearchStrategy[bool],
    active: SearchStrategy[bool],
) -> BuffType:
    is_permanent = draw(permanent)
    currency = None if is_permanent else draw(st.sampled_from(CURRENCIES))
    return BuffType(
        key=draw(key),
        effect_type=(
            draw(st.sampled_from(PERMANENT_EFFECTS)) if currency is None else f"flat_{currency}"
        ),
        permanent=is_permanent,
        stacks=draw(st.booleans()),
        precision=draw(st.integers(0, 4)) if is_permanent else 0,
        currency=currency,
        category="permanent" if is_permanent else "one-time",
        display_name=draw(_texts()),
        description=draw(_texts()),
        sort_order=draw(st.integers(-3, 3)),
        active=draw(active),
        icon_url=draw(st.none() | st.just("/icons/buff.png")),
        color=draw(st.none() | st.sampled_from(["#ffd700", "#7f00ff"])),
    )


def buff_types(
    *,
    key: str | SearchStrategy[str] | None = None,
    permanent: bool | SearchStrategy[bool] = _BOOLEANS,
    active: bool | SearchStrategy[bool] = _BOOLEANS,
) -> SearchStrategy[BuffType]:
    """Valid buff types; one-time ones credit a currency in whole units (precision 0)."""
    return _buff_type(
        keys() if key is None else _strategy(key), _strategy(permanent), _strategy(active)
    )


@st.composite
def _job_type(
    draw: st.DrawFn,
    key: SearchStrategy[str],
    tier: SearchStrategy[Tier],
    requires: Sequence[str],
    active: SearchStrategy[bool],
    entry: bool,
) -> JobType:
    max_level = draw(st.integers(2, 12))
    steps = draw(st.lists(st.integers(1, 5000), min_size=max_level - 1, max_size=max_level - 1))
    boundaries = sorted(
        draw(
            st.lists(
                st.integers(1, max_level), min_size=2, max_size=min(max_level, 11), unique=True
            )
        )
    )
    pairs = list(itertools.pairwise(boundaries))
    keep = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    kept = [pair for pair, k in zip(pairs, keep, strict=True) if k] or pairs[:1]
    needs = draw(st.lists(st.sampled_from(requires), unique=True)) if requires and not entry else []
    return JobType(
        key=draw(key),
        tier=draw(tier),
        level_tenure=tuple(itertools.accumulate(steps)),
        pit_stops=tuple(PitStop(i + 1, a, b) for i, (a, b) in enumerate(kept)),
        display_name=draw(_texts()),
        description=draw(_texts()),
        max_level=max_level,
        unlock=UnlockRequirements(
            prestige_count=0 if entry else draw(st.integers(0, 3)),
            job_keys=tuple(needs),
            total_meks=draw(st.integers(0, 5)),
        ),
        purchase_cost=draw(st.none() | costs()),
        sort_order=draw(st.integers(-3, 3)),
        active=draw(active),
        slot_art_url=draw(st.sampled_from(["", "/jobs/slot.webp"])),
        icon_url=draw(st.none() | st.just("/icons/job.png")),
        theme_color=draw(st.none() | st.just("#112233")),
    )


def job_types(
    *,
    key: str | SearchStrategy[str] | None = None,
    tier: Tier | SearchStrategy[Tier] = _TIERS,
    requires: Sequence[str] = (),
    active: bool | SearchStrategy[bool] = _BOOLEANS,
    entry: bool = False,
) -> SearchStrategy[JobType]:
    """Valid job types: 2..12 levels, increasing level tenure, 1..10 ordered pit stops.

    Pit stops may be back to back (1->4, 4->7) or leave levels between them. `requires` lists
    the job keys the unlock requirements may name (none by default); a catalog needs them to be
    active job types. An `entry` job needs no prestige and no other job (a catalog needs an
    active one).
    """
    return _job_type(
        keys() if key is None else _strategy(key),
        _strategy(tier),
        tuple(requires),
        _strategy(active),
        entry,
    )


@st.composite
def _policies(draw: st.DrawFn, effects: tuple[str, ...]) -> Policies:
    n_rules = draw(st.integers(1, 6))
    rules = tuple(
        SlotRule(
            slot=i + 1,
            cost=draw(st.none() | costs()),
            min_prestiges=0 if i == 0 else draw(st.integers(0, 3)),
            min_meks=draw(st.integers(0, 3)),
        )
        for i in range(n_rules)
    )
    return Policies(
        prestige=PrestigeReward(
            account_buff_percent=draw(st.floats(0.0, 10.0)),
            account_buff_effects=tuple(
                draw(st.lists(st.sampled_from(effects), max_size=3, unique=True)) if effects else ()
            ),
            tokens=draw(st.integers(0, 5)),
            token_currency=draw(st.sampled_from(["prestige_token", *CURRENCIES])),
            currency_reward=draw(st.none() | costs()),
        ),
        job_change=JobChangePolicy(
            mode=draw(st.sampled_from(list(JobChangeMode))), swap_fee=draw(st.none() | costs())
        ),
        buff_carry=BuffCarryPolicy(
            mode=draw(st.sampled_from(list(BuffCarryMode))),
            factor=draw(st.floats(0.0, 1.0, exclude_min=True)),
        ),
        slot_unlock=SlotUnlockPolicy(rules=rules, max_slots=draw(st.integers(n_rules, 20))),
        reroll=RerollPolicy(cost=draw(st.none() | costs()), max_rerolls=draw(st.integers(0, 5))),
    )


def policies(*, effects: Sequence[str] = PERMANENT_EFFECTS) -> SearchStrategy[Policies]:
    """Valid policies: every mode of every policy, with or without costs.

    The prestige account buff names up to 3 of `effects` (possibly none); a catalog needs each to
    be the effect type of one of its permanent buff types. Slot 1 never needs a prestige.
    """
    return _policies(tuple(effects))


@st.composite
def _catalog(draw: st.DrawFn, jobs: tuple[int, int], buffs: tuple[int, int]) -> Catalog:
    rng = draw(rng_configs())
    needed = 1 if rng.allow_duplicates else 3
    n_buffs = draw(st.integers(*buffs))
    buff_keys = draw(st.lists(keys(), min_size=n_buffs, max_size=n_buffs, unique=True))
    # The first `needed` buff types are active and have a row for every tier a job uses, so
    # every pit stop has enough eligible buff types; the others vary freely.
    buff_list = [
        draw(buff_types(key=k, active=True if i < needed else st.booleans()))
        for i, k in enumerate(buff_keys)
    ]
    n_jobs = draw(st.integers(*jobs))
    job_keys = draw(st.lists(keys(), min_size=n_jobs, max_size=n_jobs, unique=True))
    # The first job is an active entry job; a job's unlock names only earlier active jobs, so
    # the unlock graph has no cycle and names no inactive job.
    job_list: list[JobType] = []
    for i, k in enumerate(job_keys):
        earlier = [j.key for j in job_list if j.active]
        job_list.append(
            draw(
                job_types(
                    key=k,
                    requires=earlier,
                    active=True if i == 0 else _BOOLEANS,
                    entry=i == 0,
                )
            )
        )
    top = max(job.max_level for job in job_list)
    used = {job.tier for job in job_list}
    tiers = sorted(used | {draw(_TIERS)}, key=lambda t: t.rank)
    cells: list[BuffRange] = []
    for tier in tiers:
        for i, buff in enumerate(buff_list):
            if not (tier in used and i < needed) and not draw(st.booleans()):
                continue
            # A complete row: cells cut 1..top into 1-3 contiguous level ranges.
            cuts = sorted(
                draw(st.lists(st.integers(2, top), max_size=min(2, top - 1), unique=True))
            )
            starts, ends = [1, *cuts], [c - 1 for c in cuts] + [top]
            cells.extend(
                draw(
                    buff_ranges(
                        precision=buff.precision,
                        buff_key=buff.key,
                        tier=tier,
                        levels=(a, b),
                        positive=not buff.permanent,
                    )
                )
                for a, b in zip(starts, ends, strict=True)
            )
    return Catalog(
        job_types=draw(st.permutations(job_list)),
        buff_types=draw(st.permutations(buff_list)),
        buff_ranges=draw(st.permutations(cells)),
        rng=rng,
        policies=draw(policies(effects=sorted({b.effect_type for b in buff_list if b.permanent}))),
    )


def catalogs(
    *, jobs: tuple[int, int] = (1, 4), buffs: tuple[int, int] = (3, 6)
) -> SearchStrategy[Catalog]:
    """Valid catalogs: `jobs` job types of any tiers, `buffs` buff types, a complete grid.

    Grid rows exist for every tier a job uses, active or not (and one more tier at random); each
    row covers every level up to the highest max level in 1-3 cells, one-time buffs' cells with
    `min_value > 0`. RNG config and policies are random (the prestige account buff names only
    effect types of the permanent buff types); some job and buff types are inactive. The first
    job type is an active entry job; unlock requirements only name earlier active job types.
    """
    if not 1 <= jobs[0] <= jobs[1] or not 3 <= buffs[0] <= buffs[1]:
        raise ValueError("catalogs() needs 1 <= jobs[0] <= jobs[1] and 3 <= buffs[0] <= buffs[1]")
    return _catalog(jobs, buffs)


def command_sequences(max_size: int = 60) -> st.SearchStrategy[list[tuple[str, dict[str, Any]]]]:
    """Sequences of JobSlots commands over a small world, for differential and stateful tests
    (`jobslot_core.testing.commands` has the vocabulary, `apply_command` and the state machine)."""
    from .commands import command_sequences as sequences

    return sequences(max_size)


# -- a studio's own catalog ---------------------------------------------------------------------


def offer_contexts(
    catalog: Catalog,
    *,
    secret_ids: Sequence[str] | SearchStrategy[str] = ("s1",),
    meks: int = 1000,
    prestiges: int = 3,
    rerolls: int | None = None,
) -> SearchStrategy[OfferContext]:
    """Offer contexts the catalog can make an offer for: any job (inactive ones too), one of
    its pit stops, one of `meks` Mek ids, a prestige sequence up to `prestiges`, and a re-roll
    number up to the catalog's `max_rerolls` (or `rerolls`)."""
    top = catalog.policies.reroll.max_rerolls if rerolls is None else rerolls
    ids = secret_ids if isinstance(secret_ids, SearchStrategy) else st.sampled_from(secret_ids)
    pairs = [(job.key, stop.number) for job in catalog.job_types.values() for stop in job.pit_stops]
    return st.builds(
        lambda sid, mek, pair, prestige, reroll: OfferContext(
            sid, f"mek-{mek}", pair[0], prestige, pair[1], reroll
        ),
        ids,
        st.integers(0, meks - 1),
        st.sampled_from(pairs),
        st.integers(0, prestiges),
        st.integers(0, top),
    )


@st.composite
def _varied_cell(draw: st.DrawFn, cell: BuffRange, precision: int, spread: float) -> BuffRange:
    """The cell with its mean, bounds and spread nudged by up to `spread` of its width."""
    width = cell.max_value - cell.min_value
    step = 10.0**-precision
    shift = st.floats(-spread, spread, allow_nan=False)
    low = round(cell.min_value + draw(shift) * width, precision)
    high = round(cell.max_value + draw(shift) * width, precision)
    if cell.min_value > 0 and low <= 0:
        low = cell.min_value  # one-time buffs credit their value: keep it positive
    high = max(high, low)
    mean = min(max(cell.mean_value + draw(shift) * width, low), high)
    sd = cell.standard_deviation
    if sd is not None:
        sd = sd * (1 + draw(st.floats(-spread, spread, allow_nan=False)))
        sd = max(sd, step)
    return attrs.evolve(cell, min_value=low, max_value=high, mean_value=mean, standard_deviation=sd)


@st.composite
def _variation(draw: st.DrawFn, catalog: Catalog, max_changes: int, spread: float) -> Catalog:
    cells = list(catalog.buff_ranges)
    jobs = dict(catalog.job_types)
    for _ in range(draw(st.integers(1, max_changes))):
        if draw(st.integers(0, 3)) or not jobs:  # mostly cells
            i = draw(st.integers(0, len(cells) - 1))
            precision = catalog.buff_types[cells[i].buff_key].precision
            cells[i] = draw(_varied_cell(cells[i], precision, spread))
        else:
            job = jobs[draw(st.sampled_from(sorted(jobs)))]
            factor = 1 + draw(st.floats(-spread, spread, allow_nan=False))
            tenure: list[int] = []
            for t in job.level_tenure:
                tenure.append(max(round(t * factor), tenure[-1] + 1 if tenure else 1))
            jobs[job.key] = attrs.evolve(job, level_tenure=tuple(tenure))
    return attrs.evolve(catalog, job_types=jobs, buff_ranges=tuple(cells))


def catalog_variations(
    catalog: Catalog, *, max_changes: int = 3, spread: float = 0.2
) -> SearchStrategy[Catalog]:
    """Small valid variations of a studio's catalog: 1 to `max_changes` edits, each nudging one
    grid cell (bounds, mean and spread by up to `spread` of its width, kept on the buff's
    precision grid) or scaling one job's level tenure by up to `spread`. Levels, pit stops,
    buff types and policies stay as they are, so every offer context stays valid."""
    if max_changes < 1 or not 0 < spread < 1:
        raise ValueError("catalog_variations() needs max_changes >= 1 and 0 < spread < 1")
    return _variation(catalog, max_changes, spread)
