"""Percentile summaries of many careers' values (the p10/p50/p90 bands a designer reads)."""

from collections.abc import Sequence

import attrs

__all__ = ["Summary", "quantile", "summarize"]


def quantile(ordered: Sequence[float], q: float) -> float:
    """The `q` quantile of sorted values, linearly interpolated (numpy's default method)."""
    if not ordered:
        return 0.0
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@attrs.frozen
class Summary:
    """Mean and p10/p50/p90 of one quantity over all careers."""

    mean: float
    p10: float
    p50: float
    p90: float


def summarize(values: Sequence[float]) -> Summary:
    ordered = sorted(values)
    mean = sum(ordered) / len(ordered) if ordered else 0.0
    return Summary(
        mean, quantile(ordered, 0.1), quantile(ordered, 0.5), quantile(ordered, 0.9)
    )
