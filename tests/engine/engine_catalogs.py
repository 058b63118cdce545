"""Deterministic catalogs built in code for the engine tests and golden vectors."""

from jobslot_core.catalog import (
    BuffRange,
    BuffType,
    Catalog,
    Distribution,
    JobType,
    PitStop,
    RarityWeights,
    RngConfig,
)

BUFFS = (
    BuffType("gold_per_hour", "gold_rate", precision=2),
    BuffType("essence_per_day", "essence_rate", precision=2),
    BuffType("xp_boost", "xp_rate", precision=1, stacks=False),
    BuffType("crit_chance", "crit", precision=3),
    BuffType("gold_bonus", "gold_grant", permanent=False, currency="gold", precision=0),
)

_RANGES = {
    # buff: (D levels 1-5, D levels 6-10, S levels 1-10) as (min, max, mean, sd, distribution)
    "gold_per_hour": ((1, 5, 3, 1.0, None), (5, 12, 7.5, None, None), (40, 100, 70, 15.0, None)),
    "essence_per_day": (
        (0.5, 2.5, 0.9, 0.4, None),
        (2, 6, 5.5, None, Distribution.EXPONENTIAL),
        (10, 30, 12, None, Distribution.UNIFORM),
    ),
    "xp_boost": (
        (1, 3, 2, None, Distribution.UNIFORM),
        (2, 8, 2, 2.0, None),
        (5, 5, 5, None, None),
    ),
    "crit_chance": (
        (0.01, 0.05, 0.02, 0.01, Distribution.EXPONENTIAL),
        (0.02, 0.08, 0.05, None, Distribution.WEIGHTED),
        (0.05, 0.2, 0.1, 0.02, Distribution.WEIGHTED),
    ),
    "gold_bonus": (
        (100, 500, 200, 80.0, None),
        (300, 900, 850, 50.0, None),
        (1000, 5000, 3000, None, None),
    ),
}


def _cells() -> tuple[BuffRange, ...]:
    out = []
    for key, ((d1), (d2), (s1)) in _RANGES.items():
        for tier, lo, hi, spec in (("D", 1, 5, d1), ("D", 6, 10, d2), ("S", 1, 10, s1)):
            mn, mx, mean, sd, dist = spec
            out.append(BuffRange(key, tier, lo, hi, mn, mx, mean, sd, dist))
    return tuple(out)


def make_catalog(rng: RngConfig | None = None) -> Catalog:
    """Two jobs (D janitor, S captain), five buff types, cells covering every distribution."""
    janitor = JobType(
        "janitor",
        "D",
        level_tenure=tuple(100 * i for i in range(1, 10)),
        pit_stops=(PitStop(1, 1, 3), PitStop(2, 3, 6), PitStop(3, 6, 10)),
    )
    captain = JobType(
        "captain",
        "S",
        level_tenure=tuple(500 * i for i in range(1, 10)),
        pit_stops=(PitStop(1, 1, 5), PitStop(2, 5, 10)),
    )
    return Catalog(
        job_types=(janitor, captain),
        buff_types=BUFFS,
        buff_ranges=_cells(),
        rng=rng or RngConfig(),
    )


RNG_VARIANTS = {
    "default": RngConfig(),
    "uniform": RngConfig(distribution=Distribution.UNIFORM),
    "exponential": RngConfig(distribution=Distribution.EXPONENTIAL, default_spread=0.3),
    "weighted": RngConfig(
        distribution=Distribution.WEIGHTED, rarity_weights=RarityWeights(40, 30, 20, 8, 2)
    ),
    "duplicates": RngConfig(allow_duplicates=True),
    "guarantee": RngConfig(guarantee_one_common=True),
    "dup_guarantee_weighted": RngConfig(
        distribution=Distribution.WEIGHTED, allow_duplicates=True, guarantee_one_common=True,
        rarity_weights=RarityWeights(0, 10, 20, 30, 40),
    ),
    "thresholds": RngConfig(rarity_thresholds=(10.0, 33.3, 66.6, 90.0), guarantee_one_common=True),
}


FAR_TAIL_CELLS = (
    # The cell: mean at the top of [0, 1], sd 0.021; its common band [0, 0.19] lies 38.3
    # sd below the mean, where version 1 failed for about a quarter of contexts.
    BuffRange("gold_per_hour", "D", 1, 5, 0, 1, 1, 0.021),
    # The common band [100, 180) of a cell whose mean sits on its max, 160 sd below the mean.
    BuffRange("gold_bonus", "D", 1, 5, 100, 500, 500, 2.0),
    # The whole common band [1, 1.8] of a cell whose mean sits on its max, 2000 sd away.
    BuffRange("essence_per_day", "D", 1, 5, 1, 5, 5, 0.002),
)


def far_tail_catalog() -> Catalog:
    """The test catalog with three D cells whose common band lies far in a normal tail."""
    base = make_catalog(RngConfig(guarantee_one_common=True))
    replaced = {(c.buff_key, c.tier, c.min_level) for c in FAR_TAIL_CELLS}
    cells = tuple(
        c for c in base.buff_ranges if (c.buff_key, c.tier, c.min_level) not in replaced
    ) + FAR_TAIL_CELLS
    return Catalog(
        job_types=base.job_types, buff_types=base.buff_types, buff_ranges=cells, rng=base.rng
    )


def catalogs() -> dict[str, Catalog]:
    """Every test catalog by name."""
    out = {name: make_catalog(rng) for name, rng in RNG_VARIANTS.items()}
    out["far_tail"] = far_tail_catalog()
    return out
