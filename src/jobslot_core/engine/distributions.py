"""Drawing one buff value from a grid cell: truncated normal, uniform, exponential, weighted.

Continuous draws are inverse-CDF transforms of one uniform, rounded to the buff's precision
(``k = round(x * 10**p)``, clamped into the cell's integer-unit bounds only to absorb float
noise). Rarity is decided on the integer unit, exactly, with band boundaries precomputed per cell
(`rarity.band_starts`). Derived constants are cached per (cell, precision, rng).
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_right
from collections.abc import Callable
from typing import Protocol

from ..catalog import (
    RARITIES,
    BuffRange,
    Distribution,
    RngConfig,
    check_buff_range,
    check_rng_config,
)
from ..errors import InvalidArgument
from ._mathfn import _A, _B, TAIL_START, exp, log, ndtr, ndtri, tail_quantile
from .rarity import band_starts, to_units
from .versions import ENGINE_VERSION

__all__ = ["CellSampler", "UniformSource", "cell_sampler", "draw_continuous", "draw_value"]

_NORMAL, _UNIFORM, _EXPONENTIAL, _WEIGHTED, _POINT = range(5)
_BELOW, _ABOVE, _STRADDLE, _FAR_ABOVE, _FAR_BELOW = range(10, 15)  # normal interval shapes
_KINDS = {
    Distribution.NORMAL: _NORMAL,
    Distribution.UNIFORM: _UNIFORM,
    Distribution.EXPONENTIAL: _EXPONENTIAL,
    Distribution.WEIGHTED: _WEIGHTED,
}


class UniformSource(Protocol):
    """Anything with ``uniform() -> float`` in (0, 1), such as `OfferStream`."""

    def uniform(self) -> float: ...


class _Inverse:
    """An inverse-CDF transform of one uniform onto a truncated interval [lo, hi]."""

    __slots__ = ("c1", "c2", "hi", "kind", "lo", "mass", "mean", "sd")

    def __init__(
        self, kind: int, lo: float, hi: float, mean: float, sd: float, version: int
    ) -> None:
        self.kind, self.lo, self.hi, self.mean, self.sd = kind, lo, hi, mean, sd
        self.c1 = self.c2 = self.mass = 0.0
        if kind == _NORMAL:
            a = (lo - mean) / sd
            b = (hi - mean) / sd
            if version >= 2 and b <= -TAIL_START:  # far below the mean: distances from hi
                self.kind = _FAR_BELOW
                self.c1, self.c2 = -b, -a
            elif version >= 2 and a >= TAIL_START:  # far above the mean: distances from lo
                self.kind = _FAR_ABOVE
                self.c1, self.c2 = a, b
            elif b <= 0.0:  # whole interval below the mean: lower-tail probabilities
                self.kind = _BELOW
                self.c1 = ndtr(a)
                self.mass = ndtr(b) - self.c1
            elif a >= 0.0:  # whole interval above the mean: upper-tail probabilities
                self.kind = _ABOVE
                self.c2 = ndtr(-b)
                self.mass = ndtr(-a) - self.c2
            else:  # straddles the mean: both tails
                self.kind = _STRADDLE
                self.c1 = ndtr(a)
                self.c2 = ndtr(-b)
                self.mass = (1.0 - self.c1) - self.c2
        elif kind == _EXPONENTIAL:
            self.mass = 1.0 - exp(-(hi - lo) / sd)

    def __call__(self, u: float) -> float:
        """The value at quantile `u` of the truncated distribution."""
        kind = self.kind
        if kind == _STRADDLE:
            mass = self.mass
            p = self.c1 + u * mass
            if p <= 0.925:  # lower tail or AS241's central region: invert p directly
                return self.mean + self.sd * ndtri(p)
            return self.mean - self.sd * ndtri(self.c2 + (1.0 - u) * mass)
        if kind == _UNIFORM:
            return self.lo + u * (self.hi - self.lo)
        if kind == _EXPONENTIAL:
            return self.lo - self.sd * log(1.0 - u * self.mass)
        if kind == _FAR_ABOVE:
            return self.lo + self.sd * tail_quantile(self.c1, self.c2, u)
        if kind == _FAR_BELOW:
            return self.hi - self.sd * tail_quantile(self.c1, self.c2, 1.0 - u)
        if kind == _BELOW:
            if not self.mass > 0.0:  # far lower tail underflowed: mass sits at hi
                return self.hi
            return self.mean + self.sd * ndtri(self.c1 + u * self.mass)
        if kind == _ABOVE:
            if not self.mass > 0.0:
                return self.lo  # a single point (min == max)
            return self.mean - self.sd * ndtri(self.c2 + (1.0 - u) * self.mass)
        return self.lo  # a single point (min == max)


_Decide = Callable[[float], int] | None
"""The table-only part of a tabled draw: the unit, or -1 where the exact code must decide."""


def _units_at(
    inverse: _Inverse, scale: float, low: int, top: int
) -> tuple[Callable[[float], int], _Decide]:
    """A fast closure: the grid unit at quantile `u` (inverse CDF, round, clamp float noise).

    Equivalent to ``clamp(round(inverse(u) * scale), low, top)``; the normal case that straddles
    the mean is inlined because it is the engine's hot path.
    """
    if inverse.kind == _STRADDLE:
        c1, c2, mass, mean, sd = inverse.c1, inverse.c2, inverse.mass, inverse.mean, inverse.sd

        a0, a1, a2, a3, a4, a5, a6, a7 = _A
        b1, b2, b3, b4, b5, b6, b7 = _B[1:]

        def normal_units(u: float) -> int:
            p = c1 + u * mass
            q = p - 0.5
            if -0.425 <= q <= 0.425:  # ndtri central branch inlined
                r = 0.180625 - q * q
                z = (
                    ((((((((a7 * r + a6) * r + a5) * r + a4) * r + a3) * r + a2) * r + a1) * r
                      + a0) * q)
                    / (((((((b7 * r + b6) * r + b5) * r + b4) * r + b3) * r + b2) * r + b1) * r
                       + 1.0)
                )
                k = round((mean + sd * z) * scale)
            elif q < 0.0:
                k = round((mean + sd * ndtri(p)) * scale)
            else:
                k = round((mean - sd * ndtri(c2 + (1.0 - u) * mass)) * scale)
            return low if k < low else top if k > top else k

        return _tabled(normal_units, inverse, scale, low, top)

    def units(u: float) -> int:
        k = round(inverse(u) * scale)
        return low if k < low else top if k > top else k

    return _tabled(units, inverse, scale, low, top)


BUCKET_BITS = 12
"""Top bits of a stream word that index a cell's bucket table (`bucket_table`)."""


def bucket_table(decide: Callable[[float], int]) -> tuple[int, ...]:
    """Per bucket of words (the top `BUCKET_BITS` bits), the grid unit every word of the bucket
    draws, or -1 where units differ or the exact code must decide: a cache, never a new rule.

    `decide` is monotone in u and returns -1 near its boundaries; a bucket whose first and last
    uniform get the same unit therefore gets it for every uniform in between.
    """
    from .stream import to_uniform

    shift = 64 - BUCKET_BITS
    out = []
    for i in range(1 << BUCKET_BITS):
        first = decide(to_uniform(i << shift))
        last = decide(to_uniform(((i + 1) << shift) - 1))
        out.append(first if first == last else -1)
    return tuple(out)


_TABLE_MAX_UNITS = 20_000
_GUARD = 1e-9
"""Half-width (relative) of the guard band around each table threshold; the float error of the
direct computation is below ~1e-14 in the same units, so the table never decides a close call."""


def _tabled(
    direct: Callable[[float], int], inverse: _Inverse, scale: float, low: int, top: int
) -> tuple[Callable[[float], int], _Decide]:
    """`direct` sped up by a table of CDF values at the rounding midpoints, with the same results.

    Rounding the inverse CDF at quantile u gives the unit k exactly when u lies between the CDF
    at the midpoints (k - 0.5)/10**p and (k + 0.5)/10**p. The table holds those CDF values; a
    bisection finds k. Whenever u is within a generous guard band of a threshold (where float
    error could matter), the direct computation decides instead, so the table is only a cache:
    every result equals ``direct(u)``.
    """
    kind = inverse.kind
    if kind not in (_STRADDLE, _UNIFORM, _EXPONENTIAL) or not 0 < top - low <= _TABLE_MAX_UNITS:
        return direct, None
    lo, hi, mean, sd, mass = inverse.lo, inverse.hi, inverse.mean, inverse.sd, inverse.mass
    width = hi - lo
    thresholds = [-math.inf]
    guards = [0.0]
    previous = -math.inf
    for k in range(low, top):
        mid = (k + 0.5) / scale
        if kind == _STRADDLE:
            z = (mid - mean) / sd
            cdf = (ndtr(z) - inverse.c1) / mass
            density = exp(-0.5 * z * z) * 0.3989422804014327 / (sd * mass)
            magnitude = abs(mid) + abs(mean) + sd * (1.0 + abs(z)) + width
            floor = 1.0 / mass
        elif kind == _UNIFORM:
            cdf = (mid - lo) / width
            density = 1.0 / width
            magnitude = abs(mid) + abs(lo) + width
            floor = 1.0
        else:
            decay = exp(-(mid - lo) / sd)
            cdf = (1.0 - decay) / mass
            density = decay / (sd * mass)
            magnitude = abs(mid) + abs(lo) + width + sd * (1.0 + (mid - lo) / sd)
            floor = 1.0 / mass
        previous = max(previous, cdf)
        thresholds.append(previous)
        guards.append(_GUARD * (floor + magnitude * density))
    thresholds.append(math.inf)
    guards.append(0.0)
    table = tuple(thresholds)
    guard = tuple(guards)
    base = low - 1

    def tabled_units(u: float) -> int:
        i = bisect_right(table, u)
        if u - table[i - 1] > guard[i - 1] and table[i] - u > guard[i]:
            return base + i
        return direct(u)

    def table_only(u: float) -> int:
        i = bisect_right(table, u)
        if u - table[i - 1] > guard[i - 1] and table[i] - u > guard[i]:
            return base + i
        return -1

    return tabled_units, table_only


def _weighted_units(
    cum: tuple[float, ...], ranges: tuple[tuple[int, int], ...]
) -> Callable[[float], int]:
    """Weighted draw from one uniform: t = u * total picks the tier by cumulative weight; the
    position of t inside that tier's weight, (t - previous) / weight, picks the grid value."""
    total = cum[-1]
    last = len(cum) - 1
    lows = tuple(first for first, _ in ranges)
    counts = tuple(end - first + 1 for first, end in ranges)
    previous = (0.0, *cum[:-1])
    weights = tuple(c - p for c, p in zip(cum, previous, strict=True))

    def weighted_units(u: float) -> int:
        t = u * total
        i = bisect_right(cum, t)
        if i > last:
            i = last
        count = counts[i]
        j = int((t - previous[i]) / weights[i] * count)
        return lows[i] + (0 if j < 0 else count - 1 if j >= count else j)

    return weighted_units


class CellSampler:
    """Everything derived from (cell, precision, rng) that drawing and rarity need."""

    __slots__ = (
        "buckets",
        "common_hi",
        "common_inverse",
        "common_units_at",
        "decide",
        "full_inverse",
        "kind",
        "max_units",
        "min_units",
        "precision",
        "scale",
        "scale_int",
        "single",
        "starts",
        "tier_cum",
        "tier_ranges",
        "units_at",
    )

    buckets: tuple[int, ...] | None
    decide: _Decide
    common_hi: int
    common_inverse: _Inverse
    common_units_at: Callable[[float], int]
    full_inverse: _Inverse
    kind: int
    max_units: int
    min_units: int
    precision: int
    scale: float
    scale_int: int
    single: bool
    starts: tuple[int, ...]
    tier_cum: tuple[float, ...]
    tier_ranges: tuple[tuple[int, int], ...]
    units_at: Callable[[float], int]

    def __init__(
        self, cell: BuffRange, precision: int, rng: RngConfig, version: int = ENGINE_VERSION
    ) -> None:
        dist = cell.distribution if cell.distribution is not None else rng.distribution
        self.precision = precision
        self.scale_int = 10**precision
        self.scale = float(self.scale_int)
        self.min_units = to_units(cell.min_value, precision)
        self.max_units = to_units(cell.max_value, precision)
        self.starts = band_starts(
            self.min_units, self.max_units, tuple(rng.rarity_thresholds)
        )
        lo, hi = cell.min_value, cell.max_value
        kind = _KINDS[Distribution(dist)] if hi > lo else _POINT
        self.kind = kind
        sd = (
            cell.standard_deviation
            if cell.standard_deviation is not None
            else rng.default_spread * (hi - lo)
        )
        # Common band: grid units [min_units, common_hi]; continuous draws restricted to it use
        # [min, (first uncommon unit - 0.5) / 10**p] so that rounding lands inside the band.
        self.common_hi = min(self.starts[0] - 1, self.max_units)
        common_top = (self.starts[0] - 0.5) / self.scale
        if kind in (_NORMAL, _UNIFORM, _EXPONENTIAL):
            self.full_inverse = _Inverse(kind, lo, hi, cell.mean_value, sd, version)
            self.common_inverse = _Inverse(
                kind, lo, min(common_top, hi), cell.mean_value, sd, version
            )
        else:
            self.full_inverse = self.common_inverse = _Inverse(_POINT, lo, lo, lo, 1.0, version)
        self.units_at, decide = _units_at(
            self.full_inverse, self.scale, self.min_units, self.max_units
        )
        self.common_units_at = _units_at(
            self.common_inverse, self.scale, self.min_units, self.common_hi
        )[0]
        self.single = True  # every distribution takes one uniform per draw (`units_at`)
        # Weighted: the non-empty tiers' unit ranges and cumulative weights.
        bounds = (self.min_units, *self.starts, self.max_units + 1)
        ranges: list[tuple[int, int]] = []
        cum: list[float] = []
        total = 0.0
        for tier, weight in enumerate(rng.rarity_weights.as_tuple()):
            first, last = bounds[tier], min(bounds[tier + 1], self.max_units + 1) - 1
            if first <= last and weight > 0:
                total += weight
                ranges.append((first, last))
                cum.append(total)
        if not ranges:  # every weighted tier is empty for this cell: uniform over the grid
            ranges, cum = [(self.min_units, self.max_units)], [1.0]
        self.tier_ranges = tuple(ranges)
        self.tier_cum = tuple(cum)
        if kind == _WEIGHTED:
            self.units_at = decide = _weighted_units(self.tier_cum, self.tier_ranges)
        self.decide = decide
        self.buckets = None

    def bucket_units(self) -> tuple[int, ...]:
        """The cell's `bucket_table` (all -1 where the draw has no table), built on first use."""
        if self.buckets is None:
            decide = self.decide
            self.buckets = (-1,) * (1 << BUCKET_BITS) if decide is None else bucket_table(decide)
        return self.buckets

    def tier(self, units: int) -> int:
        """Index into RARITIES of the grid value `units` (exact)."""
        return bisect_right(self.starts, units)

    def rarity(self, units: int) -> str:
        """The rarity name of the grid value `units`."""
        return RARITIES[bisect_right(self.starts, units)]

    def value(self, units: int) -> float:
        """The float of grid value `units` (correctly rounded units / 10**precision)."""
        return units / self.scale_int

    def draw_units(self, source: UniformSource) -> int:
        """One grid value (in units) from the cell's distribution; exactly 1 uniform."""
        return self.units_at(source.uniform())

    def draw_common_units(self, source: UniformSource) -> int:
        """One grid value restricted to the common band; exactly 1 uniform."""
        u = source.uniform()
        kind = self.kind
        if kind == _POINT:
            return self.min_units
        if kind == _WEIGHTED:
            span = self.common_hi - self.min_units + 1
            return self.min_units + min(int(u * span), span - 1)
        return self.common_units_at(u)


@functools.lru_cache(maxsize=4096)
def cell_sampler(
    cell: BuffRange, precision: int, rng: RngConfig, version: int = ENGINE_VERSION
) -> CellSampler:
    """The cached sampler of one cell (a pure function of frozen, hashable inputs)."""
    return CellSampler(cell, precision, rng, version)


def draw_continuous(cell: BuffRange, rng: RngConfig, u: float, precision: int = 2) -> float:
    """The unrounded value at quantile `u` of the cell's distribution, before rounding.

    For statistical tests of normal, uniform and exponential cells; weighted and single-point
    cells have no continuous form and return min.
    """
    return cell_sampler(cell, precision, rng).full_inverse(u)


def draw_value(
    buff_range: BuffRange, rng_config: RngConfig, stream: UniformSource, precision: int = 2
) -> float:
    """One value of the cell, rounded to `precision` decimals, always inside [min, max].

    Raises:
        InvalidArgument: an argument of the wrong type, or `precision` outside 0..6.
        InvalidCatalog: the cell or the RNG config is malformed (see `check_buff_range`).
    """
    if not isinstance(buff_range, BuffRange):
        raise InvalidArgument("buff_range", buff_range, "must be a BuffRange")
    if not isinstance(rng_config, RngConfig):
        raise InvalidArgument("rng_config", rng_config, "must be an RngConfig")
    if not callable(getattr(stream, "uniform", None)):
        raise InvalidArgument("stream", stream, "must have uniform() -> float in (0, 1)")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 6:
        raise InvalidArgument("precision", precision, "must be an integer from 0 to 6")
    check_rng_config(rng_config)
    check_buff_range(buff_range, precision)
    sampler = cell_sampler(buff_range, precision, rng_config)
    return sampler.value(sampler.draw_units(stream))
