"""Simulating a cell's distribution: many draws summarised as a histogram and rarity shares."""

import hashlib
import struct
import sys
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Mapping
from itertools import compress, repeat
from types import MappingProxyType
from typing import Any

import attrs

from ..catalog import RARITIES, Catalog, Tier
from ..errors import InvalidArgument, InvalidCatalog
from .distributions import BUCKET_BITS, CellSampler, cell_sampler
from .stream import _pads, to_uniform

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


_PREFIX_MIN = 200_000
"""From this many draws on, `simulate` counts words by prefix (`_slice_units`)."""
_CHUNK = 4096
"""Blocks hashed per batch of counting."""
_COUNTER = struct.Struct(">Q").pack
_LITTLE = sys.byteorder == "little"
_HASH = type(hashlib.sha256())
_copy, _update, _digest = _HASH.copy, _HASH.update, _HASH.digest


def _blocks(inner0: Any, outer0: Any, start: int, stop: int) -> bytes:
    """Stream blocks `start` .. `stop - 1` joined: HMAC from the key-pad states, each step
    mapped over the whole batch so the loop runs in C."""
    count = stop - start
    inners = list(map(_copy, repeat(inner0, count)))
    deque(map(_update, inners, map(_COUNTER, range(start, stop))), maxlen=0)
    outers = list(map(_copy, repeat(outer0, count)))
    deque(map(_update, outers, map(_digest, inners)), maxlen=0)
    return b"".join(map(_digest, outers))


def _slice_units(sampler: CellSampler) -> list[int]:
    """Per 16-bit word prefix in native byte order (as `memoryview.cast("H")` reads it), the
    unit every word with that prefix draws, or -1: the bucket table, refined where its bucket
    is ambiguous by the same monotone table decision on the prefix's own 2**-16 slice."""
    buckets = sampler.bucket_units()
    decide = sampler.decide
    coarse = 16 - BUCKET_BITS
    by_top = [buckets[top >> coarse] for top in range(1 << 16)]
    if decide is not None:
        for top in range(1 << 16):
            if by_top[top] < 0:
                first = decide(to_uniform(top << 48))
                if first == decide(to_uniform(((top + 1) << 48) - 1)):
                    by_top[top] = first
    if not _LITTLE:
        return by_top
    return [by_top[(native & 0xFF) << 8 | native >> 8] for native in range(1 << 16)]


def _unit_counts(sampler: CellSampler, seed: int, n: int) -> Counter[int]:
    """How often each grid unit comes up in the first `n` draws of the simulation stream.

    Exactly what `draw_units` gives word by word: words are counted by their top 16 bits (in
    C); each prefix takes its unit from `_slice_units`, and only words whose slice holds a
    rounding boundary go through `units_at` one by one.
    """
    inner0, outer0 = _pads(seed.to_bytes(8, "big", signed=True))
    inner0 = inner0.copy()
    inner0.update(SIMULATION_DOMAIN)
    units_at = sampler.units_at
    tally: Counter[int] = Counter()
    blocks = (n + 3) // 4
    if n < _PREFIX_MIN:  # few draws: the 65,536-entry prefix table would cost more than it saves
        buckets = sampler.bucket_units()
        shift = 64 - BUCKET_BITS
        for start in range(0, blocks, _CHUNK):
            raw = _blocks(inner0, outer0, start, min(blocks, start + _CHUNK))
            for w in struct.unpack(f">{len(raw) // 8}Q", raw)[: n - 4 * start]:
                k = buckets[w >> shift]
                tally[k if k >= 0 else units_at(to_uniform(w))] += 1
        return tally
    units = _slice_units(sampler)
    exact = {native for native, k in enumerate(units) if k < 0}
    prefixes = [0] * (1 << 16)
    for start in range(0, blocks, _CHUNK):
        raw = _blocks(inner0, outer0, start, min(blocks, start + _CHUNK))[: 8 * (n - 4 * start)]
        tops = memoryview(raw).cast("H")[::4].tolist()  # each word's first two bytes, native
        for native in tops:
            prefixes[native] += 1
        if exact:
            words = struct.unpack(f">{len(raw) // 8}Q", raw)
            for w in compress(words, map(exact.__contains__, tops)):
                tally[units_at(to_uniform(w))] += 1
    for native, count in enumerate(prefixes):
        k = units[native]
        if k >= 0 and count:
            tally[k] += count
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
