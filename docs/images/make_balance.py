"""Regenerate the pictures of docs/balance.md from the example catalog (needs the `plot` extra).

Run from the repository root: ``python docs/images/make_balance.py``.
"""

from pathlib import Path

import attrs

from jobslot_core import load_catalog
from jobslot_core.balance import compare, plots, simulate_career
from jobslot_core.engine import simulate

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent


def main() -> None:
    catalog = load_catalog(ROOT / "examples" / "catalog.toml")
    cell = simulate(catalog, buff_key="gold_per_hour", tier="D", level=1, n=100_000, seed=0,
                    bins=40)
    plots.cell_figure(catalog, cell, OUT / "balance-cell.png")
    career = simulate_career(catalog, "janitor", careers=10_000, seed=1, prestiges=1,
                             pick="greedy:gold_rate")
    plots.career_figure(career, "gold_rate", OUT / "balance-career.png")
    richer = tuple(
        attrs.evolve(c, mean_value=4.0)
        if (c.buff_key, c.tier.value, c.min_level) == ("gold_per_hour", "D", 1)
        else c
        for c in catalog.buff_ranges
    )
    after = attrs.evolve(catalog, buff_ranges=richer)
    result = compare(catalog, after, seed=1, careers=10_000, offers=2000,
                     pick="greedy:gold_rate", job_keys=["janitor"])
    plots.comparison_figure(result, "janitor", "gold_rate", OUT / "balance-compare.png")


if __name__ == "__main__":
    main()
