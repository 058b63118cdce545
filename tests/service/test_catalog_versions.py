"""Admin edits and `JobSlots` start-up read a bounded number of catalog versions, not all of them
(issue 10, item 9). Counted, not timed: a store wrapper counts the catalog records each read
hands back. `benchmarks/catalog_versions.py` measures the time (and runs here in --quick)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from jobslot_core import Admin, JobSlots, ManualClock
from jobslot_core.catalog import Catalog
from jobslot_core.service._context import Context
from jobslot_core.service.catalogs import latest_record, publish_catalog
from jobslot_core.storage import MemoryStore, SQLiteStore
from jobslot_core.storage.protocol import CATALOGS, Store
from jobslot_core.testing.commands import machine_catalog

ROOT = Path(__file__).resolve().parents[2]


class _CountingUow:
    def __init__(self, inner: Any, counter: list[int]) -> None:
        self._inner = inner
        self._counter = counter

    def _count(self, table: Any, found: Any) -> Any:
        if table is CATALOGS:
            self._counter[0] += len(found) if isinstance(found, list) else found is not None
        return found

    def get(self, table: Any, key: Any) -> Any:
        return self._count(table, self._inner.get(table, key))

    def find(self, table: Any, **where: Any) -> Any:
        return self._count(table, self._inner.find(table, **where))

    def scan(self, table: Any, *args: Any, **kwargs: Any) -> Any:
        return self._count(table, self._inner.scan(table, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _CountingUow:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)


class CountingStore:
    """A store that counts the catalog versions its units of work hand back."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.capabilities = inner.capabilities
        self.counter = [0]

    def unit_of_work(self, *, write: bool = True) -> _CountingUow:
        return _CountingUow(self.inner.unit_of_work(write=write), self.counter)

    def close(self) -> None:
        self.inner.close()

    def reads(self) -> int:
        done, self.counter[0] = self.counter[0], 0
        return done


def variant(catalog: Catalog, i: int) -> Catalog:
    return attrs.evolve(catalog, rng=attrs.evolve(catalog.rng, default_spread=0.1 + i / 10**6))


def populate(store: Store, catalog: Catalog, versions: int) -> None:
    with store.unit_of_work() as uow:
        ctx = Context(uow, 0, lambda u: (0, catalog))
        for i in range(versions):
            publish_catalog(ctx, catalog if i == 0 else variant(catalog, i))
            ctx.flush()
        uow.commit()


def reads_at(versions: int, make: Any) -> dict[str, int]:
    catalog = machine_catalog()
    store = CountingStore(make())
    populate(store.inner, catalog, versions)
    clock = ManualClock(10)
    store.reads()
    game = JobSlots(store, catalog, secret=b"sixteen byte secret", secret_id="s1", clock=clock)  # type: ignore[arg-type]
    game.available_jobs("w")
    start_up = store.reads()
    game.available_jobs("w")
    command = store.reads()
    admin = Admin(store, clock=clock)  # type: ignore[arg-type]
    admin.set_rng_config(variant(catalog, 10**5).rng)
    first_edit = store.reads()
    admin.set_rng_config(variant(catalog, 10**5 + 1).rng)
    later_edit = store.reads()
    store.close()
    return {"start-up": start_up, "command": command, "first": first_edit, "later": later_edit}


@pytest.mark.parametrize("make", [MemoryStore, lambda: SQLiteStore(":memory:")])
def test_catalog_reads_do_not_grow_with_the_number_of_versions(make: Any) -> None:
    """A command and a later Admin edit read the same few versions with 4 and with 600 stored.
    Start-up with the host's original catalog (version 1) and a fresh Admin's first edit find
    the newest version by a search: at most 2 log2(n) + 4 reads, where they used to read all n."""
    few, many = reads_at(4, make), reads_at(600, make)
    assert many["command"] == few["command"] == 0
    assert many["later"] == few["later"] <= 2
    bound = 2 * math.log2(600) + 4
    assert few["start-up"] <= many["start-up"] <= bound
    assert few["first"] <= many["first"] <= bound


@pytest.mark.parametrize("versions", [0, 1, 2, 3, 7, 8, 9, 100])
def test_latest_record_finds_the_newest_version(versions: int) -> None:
    store = MemoryStore()
    catalog = machine_catalog()
    populate(store, catalog, versions)
    with store.unit_of_work(write=False) as uow:
        for after in range(0, versions + 1):
            found = latest_record(uow, after)
            assert (found.seq if found else 0) == versions


def test_catalog_versions_benchmark_runs() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/catalog_versions.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.count("ratio") == 6
