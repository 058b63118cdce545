"""Pictures a designer reads (the `plot` extra; matplotlib is imported on first use only).

`cell_figure`: a cell's histogram coloured by rarity band, with the band thresholds, the mean
and each band's share; `career_figure`: an effect's p50 curve over tenure inside its p10-p90
band, with the mean; `comparison_figure`: the before and after curves of one job overlaid.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from ..catalog import RARITIES, Catalog
from ..engine import SimulationReport
from ..engine.distributions import cell_sampler
from ..errors import InvalidArgument
from .career import CareerReport
from .compare import Comparison

__all__ = [
    "BAND_COLORS",
    "PLOT_EXTRA_HINT",
    "available",
    "career_figure",
    "cell_figure",
    "comparison_figure",
    "require",
]

PLOT_EXTRA_HINT = "plots need the 'plot' extra: pip install 'jobslot_core[plot]'"

BAND_COLORS = {
    "common": "#9e9e9e",
    "uncommon": "#4caf50",
    "rare": "#2196f3",
    "epic": "#9c27b0",
    "legendary": "#ff9800",
}
"""One colour per rarity band, common to legendary."""


def available() -> bool:
    """Whether matplotlib (the `plot` extra) is installed."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except ValueError:  # a module set to None in sys.modules
        return False


def require(path: str | Path | None = None) -> None:
    """Refuse before any work: the `plot` extra is missing, or `path`'s folder does not exist.

    Raises:
        ImportError: matplotlib is not installed (the message names the extra).
        InvalidArgument: the output folder of `path` does not exist (field ``plot``).
    """
    if not available():
        raise ImportError(PLOT_EXTRA_HINT)
    if path is not None and not Path(path).resolve().parent.is_dir():
        raise InvalidArgument("plot", str(path), "its folder does not exist")


def _pyplot() -> Any:
    require()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    out = Path(path)
    fig.savefig(out, dpi=100, bbox_inches="tight", metadata={"Software": None})
    fig.clf()
    _pyplot().close(fig)
    return out


def cell_figure(catalog: Catalog, report: SimulationReport, path: str | Path) -> Path:
    """Write the histogram of `report` (from `engine.simulate` on `catalog`) as a PNG."""
    require(path)
    plt = _pyplot()
    cell = catalog.buff_range(report.buff_key, report.tier, report.level)
    buff = catalog.buff_types[report.buff_key]
    sampler = cell_sampler(cell, buff.precision, catalog.rng)
    starts = [s / sampler.scale_int for s in sampler.starts]
    fig, ax = plt.subplots(figsize=(8, 4))
    for low, high, count in report.histogram:
        mid = (low + high) / 2
        band = RARITIES[sum(1 for s in starts if mid >= s)]
        ax.bar(low, count, width=high - low, align="edge", color=BAND_COLORS[band],
               edgecolor="white", linewidth=0.5)
    for value, name in zip(starts, RARITIES[1:], strict=True):
        ax.axvline(value, color=BAND_COLORS[name], linestyle=":", linewidth=1)
        ax.text(value, ax.get_ylim()[1] * 0.98, f" {value:g}", color=BAND_COLORS[name],
                va="top", fontsize=8)
    ax.axvline(report.mean, color="black", linewidth=1.5)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=BAND_COLORS[name]) for name in RARITIES
    ] + [plt.Line2D([0], [0], color="black", linewidth=1.5)]
    labels = [f"{name} {report.rarity_shares.get(name, 0.0):.1%}" for name in RARITIES]
    labels.append(f"mean {report.mean:.3g}")
    ax.legend(handles, labels, fontsize=8, loc="upper right")
    ax.set_title(
        f"{report.buff_key} tier {report.tier} level {report.level} "
        f"(cell {cell.min_value:g}-{cell.max_value:g}, n={report.n})"
    )
    ax.set_xlabel("value")
    ax.set_ylabel("draws")
    return _save(fig, path)


def _curve(ax: Any, report: CareerReport, name: str, color: str, label: str) -> None:
    curve = report.effects.get(name) or report.currencies.get(name)
    if curve is None:
        raise InvalidArgument("effect", name, f"is no effect or currency of {report.job_key}")
    xs = [0] + [p.tenure_s for p in report.checkpoints]
    p10 = [0.0] + [s.p10 for s in curve]
    p50 = [0.0] + [s.p50 for s in curve]
    p90 = [0.0] + [s.p90 for s in curve]
    mean = [0.0] + [s.mean for s in curve]
    ax.fill_between(xs, p10, p90, color=color, alpha=0.2, label=f"{label} p10-p90")
    ax.plot(xs, p50, color=color, linewidth=2, marker="o", markersize=4, label=f"{label} p50")
    ax.plot(xs, mean, color=color, linewidth=1, linestyle="--", label=f"{label} mean")


def career_figure(report: CareerReport, effect: str, path: str | Path) -> Path:
    """Write one effect's (or currency's) career curve with its p10-p90 band as a PNG."""
    require(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    _curve(ax, report, effect, "#1565c0", effect)
    for point in report.checkpoints:
        if point.pit_stop is None:
            ax.axvline(point.tenure_s, color="grey", linestyle=":", linewidth=1)
    ax.set_title(
        f"{report.job_key}: {effect} over tenure ({report.careers} careers, "
        f"pick {report.pick}, seed {report.seed})"
    )
    ax.set_xlabel("tenure (s); a point is a resolved pit stop, dotted lines are prestiges")
    ax.set_ylabel(effect)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, path)


def comparison_figure(
    comparison: Comparison, job_key: str, effect: str, path: str | Path
) -> Path:
    """Write the before and after career curves of one job and effect, overlaid, as a PNG."""
    require(path)
    if job_key not in comparison.careers:
        raise InvalidArgument("job_key", job_key, "was not compared")
    plt = _pyplot()
    before, after = comparison.careers[job_key]
    fig, ax = plt.subplots(figsize=(8, 4))
    _curve(ax, before, effect, "#757575", "before")
    _curve(ax, after, effect, "#d84315", "after")
    ax.set_title(f"{job_key}: {effect}, before vs after (paired, {before.careers} careers)")
    ax.set_xlabel("tenure (s)")
    ax.set_ylabel(effect)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, path)
