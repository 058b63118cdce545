"""Cost of an Admin edit and of `JobSlots` start-up against the number of stored catalog versions.

Run: ``python benchmarks/catalog_versions.py`` (4 and 1,600 versions) or ``--quick`` (4 and 200).

For each count N, a SQLite file (WAL, synchronous=FULL) and a MemoryStore get N real catalog
versions: the example catalog with N different `rng.default_spread` values, published in one unit
of work through the service's own `publish_catalog`. Then, medians of several runs:

- ``edit``: `Admin.set_rng_config` on a fresh Admin, then a second edit on the same Admin (the
  first edit has to find the newest version, later ones know it);
- ``start-up``: `JobSlots(store, original_catalog)` plus its first command that needs the catalog
  (`available_jobs`), which is where the service loads the current version.

The baseline is the same measurement at 4 versions in the same run: the ratio N / 4 is the figure
to read (goal: about 1, independent of the number of versions).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from jobslot_core import Admin, JobSlots, ManualClock, load_catalog
from jobslot_core.catalog import Catalog
from jobslot_core.service._context import Context
from jobslot_core.service.catalogs import publish_catalog
from jobslot_core.storage import MemoryStore, SQLiteStore, Store

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "examples" / "catalog.toml"
SECRET = b"benchmark secret"


def _variant(catalog: Catalog, i: int) -> Catalog:
    return attrs.evolve(catalog, rng=attrs.evolve(catalog.rng, default_spread=0.1 + i / 1_000_000))


def populate(store: Store, catalog: Catalog, versions: int) -> None:
    """`versions` published versions; the first is `catalog` itself (what the host passes)."""
    with store.unit_of_work() as uow:
        ctx = Context(uow, 1_000_000, lambda u: (0, catalog))
        for i in range(versions):
            publish_catalog(ctx, catalog if i == 0 else _variant(catalog, i))
            ctx.flush()
        uow.commit()


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(store: Store, catalog: Catalog, repeat: int) -> dict[str, float]:
    clock = ManualClock(2_000_000)
    spread = iter(range(10**6))

    def first_edit() -> None:
        admin = Admin(store, clock=clock)
        admin.set_rng_config(attrs.evolve(catalog.rng, default_spread=0.3 + next(spread) / 1e7))

    admin = Admin(store, clock=clock)
    admin.catalog()

    def later_edit() -> None:
        admin.set_rng_config(attrs.evolve(catalog.rng, default_spread=0.3 + next(spread) / 1e7))

    def start_up() -> None:
        game = JobSlots(store, catalog, secret=SECRET, secret_id="bench", clock=clock)
        game.available_jobs("w1")

    return {
        "first edit": median_ms(first_edit, repeat),
        "later edit": median_ms(later_edit, repeat),
        "start-up": median_ms(start_up, repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="4 and 200 versions, fewer repeats")
    args = parser.parse_args()
    counts = (4, 200) if args.quick else (4, 1600)
    repeat = 5 if args.quick else 15
    catalog = load_catalog(CATALOG)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "memory"):
            results = {}
            for n in counts:
                store: Store = (
                    SQLiteStore(Path(tmp) / f"v{n}.db") if kind == "sqlite" else MemoryStore()
                )
                populate(store, catalog, n)
                results[n] = measure(store, catalog, repeat)
                store.close()
            low, high = counts
            for what in results[low]:
                a, b = results[low][what], results[high][what]
                print(
                    f"{kind:6} {what:10}: {low:>5} versions {a:8.2f} ms, "
                    f"{high:>5} versions {b:8.2f} ms, ratio {b / a:5.2f}"
                )


if __name__ == "__main__":
    main()
