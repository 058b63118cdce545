"""Loading big valid catalog documents: `loads_catalog` against the bare parser on the same text.

Run: ``python benchmarks/catalog_load.py`` (a 50 MB ``text`` and a 5 MB ``jobs`` document), or
set the sizes with ``--mb`` and ``--jobs-mb``.

Two shapes, each as JSON and TOML, built from examples/catalog.toml:

- ``text``: one job type's description is a long string, so the document is big and the catalog
  small (parsing dominates);
- ``jobs``: many job types copied under new keys (parsing, structuring and validation all scale).

For each, the median of a few runs of `loads_catalog(text, format)` and of the bare parser
(`json.loads` / `tomllib.loads`) on the same text, and their ratio. The hostile-input checks
(nesting, huge integers) must cost nothing here: compare the ratio with the one printed by the
same script on the previous commit.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import attrs

from jobslot_core.catalog_io import dump_catalog, load_catalog, loads_catalog

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "examples" / "catalog.toml"


def documents(mb: float, jobs_mb: float) -> dict[str, tuple[str, str]]:
    catalog = load_catalog(CATALOG)
    size = int(mb * 1_000_000)
    first = next(iter(catalog.job_types.values()))
    out: dict[str, tuple[str, str]] = {}
    text_catalog = attrs.evolve(
        catalog,
        job_types={**catalog.job_types, first.key: attrs.evolve(first, description="x" * size)},
    )
    one = len(json.dumps(json.loads(dump_catalog(catalog, "json"))["job_types"][0]))
    copies = max(1, int(jobs_mb * 1_000_000) // one)
    jobs = {f"copy{i}": attrs.evolve(first, key=f"copy{i}") for i in range(copies)}
    jobs_catalog = attrs.evolve(catalog, job_types={**catalog.job_types, **jobs})
    for shape, c in (("text", text_catalog), ("jobs", jobs_catalog)):
        for fmt in ("json", "toml"):
            out[f"{shape}.{fmt}"] = (dump_catalog(c, fmt), fmt)  # type: ignore[arg-type]
    return out


def median_s(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=50.0, help="size of the text shape, MB")
    parser.add_argument("--jobs-mb", type=float, default=5.0, help="size of the jobs shape, MB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for name, (text, fmt) in documents(args.mb, args.jobs_mb).items():
        parse = json.loads if fmt == "json" else tomllib.loads
        bare: Callable[[], object] = lambda t=text, p=parse: p(t)  # noqa: E731
        lib = median_s(lambda t=text, f=fmt: loads_catalog(t, f), args.repeat)  # type: ignore[misc]
        raw = median_s(bare, args.repeat)
        print(
            f"{name:10} {len(text) / 1e6:6.1f} MB: loads_catalog {lib:7.3f} s, "
            f"bare parser {raw:7.3f} s, ratio {lib / raw:5.2f}"
        )


if __name__ == "__main__":
    main()
