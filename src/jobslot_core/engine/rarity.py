"""Rarity bands (decision 4): a value's exact position in [min, max] picks its tier."""

from __future__ import annotations

import math
from fractions import Fraction

from ..catalog import RARITIES
from ..errors import InvalidArgument

__all__ = ["DEFAULT_THRESHOLDS", "band_starts", "rarity_of", "to_units"]

DEFAULT_THRESHOLDS: tuple[float, float, float, float] = (20.0, 50.0, 75.0, 95.0)


def _exact(x: float) -> Fraction:
    """The shortest decimal that round-trips to `x`, as an exact fraction (1.8 -> 9/5)."""
    return Fraction(repr(float(x)))


def _check_finite(name: str, x: object) -> None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise InvalidArgument(name, x, "must be a finite number")
    try:
        finite = math.isfinite(x)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite:
        raise InvalidArgument(name, x, "must be a finite number")


def rarity_of(
    value: float,
    min_value: float,
    max_value: float,
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
) -> str:
    """The rarity of `value` in [min, max], computed exactly on the decimal values.

    Position = (value - min) / (max - min) * 100; [0, t1) common, [t1, t2) uncommon, ...,
    [t4, 100] legendary; a boundary belongs to the higher tier; min == max is common.

    Raises:
        InvalidArgument: a value that is not a finite number, or thresholds that are not 4
            increasing percent positions.
    """
    for name, x in (("value", value), ("min_value", min_value), ("max_value", max_value)):
        _check_finite(name, x)
    if not isinstance(thresholds, tuple) or len(thresholds) != 4:
        raise InvalidArgument("thresholds", thresholds, "needs 4 percent positions")
    previous = 0.0
    for i, t in enumerate(thresholds):
        _check_finite(f"thresholds[{i}]", t)
        if not previous < t < 100:
            raise InvalidArgument(f"thresholds[{i}]", t, "must increase strictly inside (0, 100)")
        previous = t
    lo = _exact(min_value)
    span = _exact(max_value) - lo
    if span <= 0:
        return RARITIES[0]
    position = (_exact(value) - lo) * 100
    tier = 0
    for t in thresholds:
        if position >= _exact(t) * span:
            tier += 1
        else:
            break
    return RARITIES[tier]


def to_units(x: float, precision: int) -> int:
    """`x` (on the precision grid) as an integer count of 10**-precision steps, exactly."""
    scaled = _exact(x) * 10**precision
    units = round(scaled)
    if scaled != units:
        raise ValueError(f"{x!r} is not on the 10**-{precision} grid")
    return int(units)


def band_starts(
    min_units: int, max_units: int, thresholds: tuple[float, ...]
) -> tuple[int, ...]:
    """The first grid unit of each tier above common (unit k has tier = #starts <= k).

    Agrees exactly with `rarity_of` for every grid value in [min, max].
    """
    span = max_units - min_units
    if span <= 0:
        return tuple(min_units + 1 for _ in thresholds)
    return tuple(min_units + math.ceil(_exact(t) * span / 100) for t in thresholds)
