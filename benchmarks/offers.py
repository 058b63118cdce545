"""Offer engine throughput: make_offer vs a line-for-line Python port of the seed's algorithm.

Run: ``python benchmarks/offers.py`` (``--quick`` for a smoke run). Prints offers/second for
`make_offer` and for the seed's `generatePitStopBuffs` (section 4.2-4.4: Math.random, Box-Muller,
clamp, round; rejection of duplicate buff types; grid lookup by (buffKey, tier) then a scan of
level ranges; calculateRarity), both on the same catalog in the same run, and their ratio; checks
that every offer's choices equal a plain reference computation of docs/engine.md (no tables);
times the batch `make_offers` (and `make_offer` keeping its offers alive as the batch does, which
costs garbage-collector passes over them); and times `simulate` against the per-draw loop it
replaced (the baseline, kept below), checking that the reports are identical.
"""

from __future__ import annotations

import math
import random
import sys
import time
from bisect import bisect_right
from pathlib import Path
from typing import Any

from jobslot_core.catalog import (
    RARITIES,
    BuffRange,
    BuffType,
    Catalog,
    JobType,
    PitStop,
    RngConfig,
    Tier,
)
from jobslot_core.engine import (
    OfferContext,
    OfferStream,
    SimulationReport,
    make_offer,
    make_offers,
    simulate,
)
from jobslot_core.engine.distributions import _WEIGHTED, cell_sampler
from jobslot_core.engine.simulate import SIMULATION_DOMAIN

ROOT = Path(__file__).resolve().parent.parent


def _code_catalog() -> Catalog:
    """Seed-like catalog: a D-tier janitor, four buff types, normal cells (seed example 1.6)."""
    buffs = (
        BuffType("gold_per_hour", "gold_rate"),
        BuffType("essence_per_day", "essence_rate"),
        BuffType("xp_boost", "xp_rate"),
        BuffType("gold_bonus", "gold_grant", permanent=False, currency="gold", precision=0),
    )
    cells = []
    for key, (mn, mx, mean, sd) in {
        "gold_per_hour": (1, 5, 3, 1.0),
        "essence_per_day": (0.5, 2.5, 1.5, 0.5),
        "xp_boost": (1, 10, 4, 2.0),
        "gold_bonus": (100, 500, 250, 100.0),
    }.items():
        cells.append(BuffRange(key, "D", 1, 3, mn, mx, mean, sd))
        cells.append(BuffRange(key, "D", 4, 10, mn * 2, mx * 2, mean * 2, sd * 2))
    janitor = JobType(
        "janitor",
        "D",
        level_tenure=tuple(3600 * i for i in range(1, 10)),
        pit_stops=(PitStop(1, 1, 3), PitStop(2, 3, 6), PitStop(3, 6, 10)),
    )
    return Catalog(job_types=(janitor,), buff_types=buffs, buff_ranges=tuple(cells),
                   rng=RngConfig())


def load() -> tuple[Catalog, str]:
    """examples/catalog.toml when present and loadable, else the code catalog."""
    path = ROOT / "examples" / "catalog.toml"
    if path.exists():
        try:
            from jobslot_core.catalog_io import load_catalog  # type: ignore[import-not-found]

            return load_catalog(path), str(path.relative_to(ROOT))
        except Exception as exc:  # another engineer's module may be mid-change
            print(f"(could not load {path.name}: {exc!r}; using the code catalog)")
    return _code_catalog(), "code catalog"


# -- the seed's algorithm, ported line for line --------------------------------------------------


def generate_standard_distribution_value(min_: float, max_: float, mean: float,
                                         std_dev: float) -> float:
    u1 = random.random()
    u2 = random.random()
    z = math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
    value = mean + z * std_dev
    value = max(min_, min(max_, value))
    return round(value * 100) / 100


def calculate_rarity(value: float, min_: float, max_: float) -> str:
    range_ = max_ - min_
    percentile = (value - min_) / range_ * 100
    if percentile < 20:
        return "common"
    if percentile < 50:
        return "uncommon"
    if percentile < 75:
        return "rare"
    if percentile < 95:
        return "epic"
    return "legendary"


def random_buff_type(buff_types: list[dict[str, Any]]) -> dict[str, Any]:
    return buff_types[math.floor(random.random() * len(buff_types))]


def get_buff_range_config(
    range_configs: dict[tuple[str, str], list[dict[str, Any]]],
    buff_key: str,
    job_tier: str,
    level_range: dict[str, int],
) -> dict[str, Any]:
    for row in range_configs[(buff_key, job_tier)]:
        if row["minLevel"] <= level_range["minLevel"] <= row["maxLevel"]:
            return row
    raise LookupError(buff_key)


def generate_pit_stop_buffs(
    buff_types: list[dict[str, Any]],
    range_configs: dict[tuple[str, str], list[dict[str, Any]]],
    job_tier: str,
    level_range: dict[str, int],
    rng_config: dict[str, Any],
) -> list[dict[str, Any]]:
    choices: list[dict[str, Any]] = []
    used_buff_keys: set[str] = set()
    while len(choices) < 3:
        buff_type = random_buff_type(buff_types)
        if not rng_config["allowDuplicateBuffTypes"] and buff_type["buffKey"] in used_buff_keys:
            continue
        range_config = get_buff_range_config(
            range_configs, buff_type["buffKey"], job_tier, level_range
        )
        value = generate_standard_distribution_value(
            range_config["minValue"],
            range_config["maxValue"],
            range_config["meanValue"],
            range_config["standardDeviation"],
        )
        choices.append({
            "buffKey": buff_type["buffKey"],
            "value": value,
            "isPermanent": buff_type["isPermanent"],
            "effectType": buff_type["effectType"],
            "rarity": calculate_rarity(value, range_config["minValue"], range_config["maxValue"]),
        })
        used_buff_keys.add(buff_type["buffKey"])
    return choices


def seed_tables(catalog: Catalog, job_key: str, number: int) -> tuple[Any, ...]:
    """The seed's tables for one pit stop, as plain dicts (built outside the timed loop)."""
    job = catalog.job_types[job_key]
    stop = job.pit_stops[number - 1]
    buff_types = [
        {"buffKey": b.key, "isPermanent": b.permanent, "effectType": b.effect_type}
        for b, _ in catalog.eligible_buffs(job_key, number)
    ]
    ranges: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for cell in catalog.buff_ranges:
        spread = catalog.rng.default_spread * (cell.max_value - cell.min_value)
        sd = cell.standard_deviation or spread
        ranges.setdefault((cell.buff_key, cell.tier.value), []).append({
            "minLevel": cell.min_level, "maxLevel": cell.max_level, "minValue": cell.min_value,
            "maxValue": cell.max_value, "meanValue": cell.mean_value, "standardDeviation": sd,
        })
    level_range = {"minLevel": stop.from_level, "maxLevel": stop.to_level}
    rng = {"allowDuplicateBuffTypes": catalog.rng.allow_duplicates,
           "guaranteeOneCommon": catalog.rng.guarantee_one_common}
    return buff_types, ranges, job.tier.value, level_range, rng


# -- references: the plain computations the fast paths must equal ------------------------------


def reference_choices(catalog: Catalog, secret: bytes, ctx: OfferContext) -> list[tuple[str, int]]:
    """(buff key, grid unit) of each choice, straight from docs/engine.md: the stream, the pick,
    and each cell's inverse CDF rounded and clamped (no tables, no memo)."""
    eligible = catalog.eligible_buffs(ctx.job_key, ctx.pit_stop_number)
    rng = catalog.rng
    n = len(eligible)
    stream = OfferStream(secret, ctx.encode())
    dup = rng.allow_duplicates
    t = n**3 if dup else n * (n - 1) * (n - 2)
    assert t <= 2**32
    idx = int(stream.uniform() * t)
    if dup:
        picks = [idx % n, idx // n % n, idx // (n * n) % n]
    else:
        i0, idx = idx % n, idx // n
        i1, idx = idx % (n - 1), idx // (n - 1)
        i2 = idx % (n - 2)
        if i1 >= i0:
            i1 += 1
        lo, hi = min(i0, i1), max(i0, i1)
        if i2 >= lo:
            i2 += 1
        if i2 >= hi:
            i2 += 1
        picks = [i0, i1, i2]
    out = []
    for i in picks:
        buff, cell = eligible[i]
        s = cell_sampler(cell, buff.precision, rng)
        u = stream.uniform()
        if s.kind == _WEIGHTED:
            k = s.units_at(u)  # the weighted rule itself (it has no other table)
        else:
            k = min(max(round(s.full_inverse(u) * s.scale), s.min_units), s.max_units)
        out.append((buff.key, k, s))
    if rng.guarantee_one_common and all(k >= s.starts[0] for _, k, s in out):
        key, _, s = out[-1]
        out[-1] = (key, s.draw_common_units(stream), s)
    return [(key, k) for key, k, _ in out]


def simulate_per_draw(catalog: Catalog, buff_key: str, tier: Tier, level: int, n: int,
                      seed: int, bins: int = 20) -> SimulationReport:
    """`simulate` as it was before issue 9: one `draw_units` and one bisect per draw."""
    cell = catalog.buff_range(buff_key, tier, level)
    sampler = cell_sampler(cell, catalog.buff_types[buff_key].precision, catalog.rng)
    stream = OfferStream(seed.to_bytes(8, "big", signed=True), SIMULATION_DOMAIN)
    lo_u, hi_u = sampler.min_units, sampler.max_units
    span_u = hi_u - lo_u
    counts, tiers = [0] * bins, [0] * len(RARITIES)
    starts, draw = sampler.starts, sampler.draw_units
    total, low, high = 0, hi_u, lo_u
    for _ in range(n):  # the loop of jobslot_core 0.x before issue 9, as it was
        k = draw(stream)
        total += k
        if k < low:
            low = k
        if k > high:
            high = k
        b = (k - lo_u) * bins // span_u
        counts[b if b < bins else bins - 1] += 1
        tiers[bisect_right(starts, k)] += 1
    scale = sampler.scale_int
    width = (cell.max_value - cell.min_value) / bins
    histogram = tuple(
        (cell.min_value + i * width, cell.min_value + (i + 1) * width if i < bins - 1
         else cell.max_value, counts[i])
        for i in range(bins)
    )
    return SimulationReport(buff_key, tier.value, level, n, total / n / scale, low / scale,
                            high / scale, histogram,
                            {name: tiers[i] / n for i, name in enumerate(RARITIES)})


# -- timing -------------------------------------------------------------------------------------


def _rates(fns: list[Any], n: int, repeats: int = 7) -> list[float]:
    """Best-of-`repeats` rates, the functions interleaved so machine noise hits both alike."""
    best = [math.inf] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn(n)
            best[i] = min(best[i], time.perf_counter() - start)
    return [n / b for b in best]


def main(n: int = 50_000, sim_n: int = 1_000_000, repeats: int = 7) -> None:
    catalog, source = load()
    job_key = next(k for k, j in catalog.job_types.items() if j.active)
    number = 1
    tables = seed_tables(catalog, job_key, number)
    meks = [f"mek-{i}" for i in range(n)]
    secret = b"benchmark secret"
    contexts = [OfferContext("s1", mek, job_key, 0, number, 0) for mek in meks]

    def ours(count: int) -> None:
        for i in range(count):
            make_offer(catalog, secret=secret, secret_id="s1", mek_id=meks[i], job_key=job_key,
                       prestige_sequence=0, pit_stop_number=number)

    def seed(count: int) -> None:
        random.seed(1)
        for _ in range(count):
            generate_pit_stop_buffs(*tables)

    def batch(count: int) -> None:
        make_offers(catalog, contexts[:count], secret=secret)

    def ours_kept(count: int) -> None:  # like `ours`, keeping the offers alive as a batch does
        kept = []
        for i in range(count):
            kept.append(make_offer(catalog, secret=secret, secret_id="s1", mek_id=meks[i],
                                   job_key=job_key, prestige_sequence=0, pit_stop_number=number))

    ours_rate, seed_rate, batch_rate, kept_rate = _rates([ours, seed, batch, ours_kept], n,
                                                         repeats)
    print(f"catalog: {source}; job {job_key!r}, pit stop {number}; python {sys.version.split()[0]}")
    print(f"make_offer        : {ours_rate:>12,.0f} offers/s")
    print(f"seed port         : {seed_rate:>12,.0f} offers/s")
    print(f"ratio ours/seed   : {ours_rate / seed_rate:>12.2f}")
    print(f"make_offers batch : {batch_rate:>12,.0f} offers/s")
    print(f"make_offer kept   : {kept_rate:>12,.0f} offers/s (offers kept alive, as a batch's)")
    same = sum(
        [(c.buff_key, round(c.value * 10 ** catalog.buff_types[c.buff_key].precision))
         for c in offer.choices] == reference_choices(catalog, secret, ctx)
        for offer, ctx in zip(make_offers(catalog, contexts, secret=secret), contexts, strict=True)
    )
    print(f"choices equal to the reference for {same:,} of {n:,} contexts")

    buff, cell = catalog.eligible_buffs(job_key, number)[0]
    args = {"buff_key": buff.key, "tier": cell.tier, "level": cell.min_level, "n": sim_n, "seed": 7}
    best = [math.inf, math.inf]
    reports: list[SimulationReport] = []
    for _ in range(min(repeats, 3)):  # interleaved, best of 3, like `_rates`
        for i, run in enumerate((lambda: simulate_per_draw(catalog, **args),
                                 lambda: simulate(catalog, **args))):
            start = time.perf_counter()
            reports.append(run())
            best[i] = min(best[i], time.perf_counter() - start)
    old_s, new_s = best
    old_report, new_report = reports[0], reports[1]
    assert all(r == reports[i % 2] for i, r in enumerate(reports))
    print(f"simulate n={sim_n:,}: {sim_n / new_s:>12,.0f} draws/s ({new_s:.2f} s)")
    print(f"per-draw baseline : {sim_n / old_s:>12,.0f} draws/s ({old_s:.2f} s)")
    identical = old_report == new_report
    print(f"ratio simulate    : {old_s / new_s:>12.2f}; reports identical: {identical}")
    if same != n or old_report != new_report:
        raise SystemExit("a fast path disagrees with its reference")


if __name__ == "__main__":
    if "--quick" in sys.argv:
        main(n=2_000, sim_n=20_000, repeats=1)
    else:
        main()
