"""Simulating a cell's distribution: many draws summarised as a histogram and rarity shares."""

from bisect import bisect_right
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from ..catalog import RARITIES, Catalog, Tier
from ..errors import InvalidArgument, InvalidCatalog
from .distributions import BUCKET_BITS, CellSampler, cell_sampler
from .stream import _UNPACK, _pads, to_uniform

__all__ = ["SIMULATION_DOMAIN", "SimulationReport", "simulate"]

SIMULATION_DOMAIN = b"jobslot-simulate\x00v1\x00"
"""The stream context of `simulate`; the secret is the seed as 8-byte big-endian signed."""


def _freeze_shares(shares: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(shares))


@attrs.frozen
class SimulationReport:
    """Summary of `n` draws from one cell (the values themselves are not kept)."""

    buff_key: str
    tier: str
    level: int
    n: int
    mean: float
    min: float
    max: float
    histogram: tuple[tuple[float, float, int], ...]
    rarity_shares: Mapping[str, float] = attrs.field(converter=_freeze_shares)

    def format(self, width: int = 50) -> str:
        """A text histogram plus summary and rarity shares, for terminals."""
        top = max((count for _, _, count in self.histogram), default=0) or 1
        lines = [
            f"{self.buff_key} tier {self.tier} level {self.level}: n={self.n} "
            f"mean={self.mean:.4f} min={self.min:g} max={self.max:g}"
        ]
        for low, high, count in self.histogram:
            bar = "#" * round(width * count / top)
            lines.append(f"[{low:>10.4g}, {high:>10.4g}) {count:>9d} {bar}")
        lines.append(
            "rarity: "
            + "  ".join(f"{name} {self.rarity_shares.get(name, 0.0):.2%}" for name in RARITIES)
        )
        return "\n".join(lines)


def _unit_counts(sampler: CellSampler, seed: int, n: int) -> dict[int, int]:
    """How often each grid unit comes up in the first `n` draws of the simulation stream: the
    stream's words in order, each through the cell's bucket table or, where it has no entry,
    `units_at` (what `draw_units` computes)."""
    inner0, outer0 = _pads(seed.to_bytes(8, "big", signed=True))
    buckets = sampler.bucket_units()
    units_at = sampler.units_at
    shift = 64 - BUCKET_BITS
    tally: dict[int, int] = {}
    get = tally.get
    blocks, rest = divmod(n, 4)
    for counter in range(blocks + (1 if rest else 0)):
        inner = inner0.copy()
        inner.update(SIMULATION_DOMAIN + counter.to_bytes(8, "big"))
        outer = outer0.copy()
        outer.update(inner.digest())
        words = _UNPACK(outer.digest())
        for w in words if counter < blocks else words[:rest]:
            k = buckets[w >> shift]
            if k < 0:
                k = units_at(to_uniform(w))
            tally[k] = get(k, 0) + 1
    return tally


def simulate(
    catalog: Catalog,
    *,
    buff_key: str,
    tier: Tier | str,
    level: int,
    n: int,
    seed: int,
    bins: int = 20,
) -> SimulationReport:
    """Draw `n` values from the cell (buff, tier, level) exactly as offers do; deterministic.

    Raises:
        InvalidArgument: bad `n`, `bins`, `seed` or `level`; an unknown `buff_key` or `tier`; a
            `tier` without cells for this buff (field ``tier``) or a `level` no cell of the
            (buff, tier) row covers (field ``level``).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidArgument("n", n, "must be an integer >= 1")
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 10_000:
        raise InvalidArgument("bins", bins, "must be an integer in [1, 10000]")
    if isinstance(seed, bool) or not isinstance(seed, int) or not -(2**63) <= seed < 2**63:
        raise InvalidArgument("seed", seed, "must be a 64-bit signed integer")
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        raise InvalidArgument("level", level, "must be an integer >= 1")
    try:
        tier = Tier(tier)
    except ValueError:
        raise InvalidArgument("tier", tier, "must be one of D, C, B, A, S") from None
    buff = catalog.buff_types.get(buff_key) if isinstance(buff_key, str) else None
    if buff is None:
        raise InvalidArgument("buff_key", buff_key, "is not a buff type of the catalog")
    try:
        cell = catalog.buff_range(buff_key, tier, level)
    except InvalidCatalog:
        if any(c.buff_key == buff_key and c.tier is tier for c in catalog.buff_ranges):
            raise InvalidArgument(
                "level", level, f"no cell of {buff_key}/{tier.value} covers this level"
            ) from None
        raise InvalidArgument(
            "tier", tier.value, f"buff {buff_key!r} has no cells for this tier"
        ) from None
    sampler = cell_sampler(cell, buff.precision, catalog.rng)
    lo_u, hi_u = sampler.min_units, sampler.max_units
    span_u = hi_u - lo_u
    counts = [0] * bins
    tiers = [0] * len(RARITIES)
    starts = sampler.starts
    total = 0
    low = hi_u
    high = lo_u

    if span_u == 0:  # every draw is the single value (each would consume its uniform)
        counts[0] = n
        tiers[0] = n
        total = lo_u * n
        low = high = lo_u
    else:
        # Tally draws per grid unit, then summarise exactly: the same report as drawing one by
        # one through `draw_units`, with the per-draw work reduced to a table lookup.
        for k, count in sorted(_unit_counts(sampler, seed, n).items()):
            total += k * count
            if k < low:
                low = k
            if k > high:
                high = k
            b = (k - lo_u) * bins // span_u
            counts[b if b < bins else bins - 1] += count
            tiers[bisect_right(starts, k)] += count
    scale = sampler.scale_int
    width = (cell.max_value - cell.min_value) / bins
    histogram = tuple(
        (cell.min_value + i * width, cell.min_value + (i + 1) * width if i < bins - 1
         else cell.max_value, counts[i])
        for i in range(bins)
    )
    return SimulationReport(
        buff_key=buff_key,
        tier=tier.value,
        level=level,
        n=n,
        mean=total / n / scale,
        min=low / scale,
        max=high / scale,
        histogram=histogram,
        rarity_shares={name: tiers[i] / n for i, name in enumerate(RARITIES)},
    )
