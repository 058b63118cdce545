"""Catalog versions in the store: publishing, loading a version, and the service's cache of them
(shared by `JobSlots` and `Admin`)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..catalog import Catalog
from ..catalog_io import catalog_fingerprint, dump_catalog, loads_catalog
from ..errors import CorruptStore, InvalidArgument, InvalidCatalog
from ..model import CatalogVersion
from ..storage.protocol import CATALOGS, PROGRESSIONS, UnitOfWork
from ._context import Context, Pending

__all__ = [
    "CatalogCache",
    "latest_record",
    "load_version",
    "newest_after",
    "publish_catalog",
    "stored_catalog",
]


def _first_from(uow: UnitOfWork, seq: int) -> CatalogVersion | None:
    found = uow.scan(CATALOGS, after=seq - 1, limit=1)
    return found[0] if found else None


def newest_after(uow: UnitOfWork, after: int) -> CatalogVersion | None:
    """The newest published version with `seq > after` (None when there is none), found by a
    galloping then binary search over `seq` reading one version per probe: O(log n) reads of
    single versions where reading them all was O(n), and one read when nothing is newer."""
    best = _first_from(uow, after + 1)
    if best is None:
        return None
    step = 1
    while (ahead := _first_from(uow, best.seq + step)) is not None:  # gallop past the last one
        best, step = ahead, step * 2
    high = best.seq + step  # no version has seq >= high
    while high - best.seq > 1:
        middle = (best.seq + high) // 2
        probe = _first_from(uow, middle)
        if probe is None:
            high = middle
        else:
            best = probe
    return best


def latest_record(uow: UnitOfWork, after: int = 0) -> CatalogVersion | None:
    """The newest published catalog version, or None before the first; `after` is a version
    known to exist, where the search starts."""
    newer = newest_after(uow, after)
    if newer is None and after > 0:
        return uow.get(CATALOGS, (after,))
    return newer


def stored_catalog(record: CatalogVersion) -> Catalog:
    """The catalog a stored version holds; one that no longer loads is damage (`CorruptStore`),
    not the caller's `InvalidCatalog`."""
    try:
        return loads_catalog(json.dumps(record.catalog), format="json")
    except (InvalidCatalog, TypeError, ValueError) as e:
        raise CorruptStore(
            "catalogs", record.seq, f"stored catalog version does not load: {e}"
        ) from e


def load_version(uow: UnitOfWork, version: int | None) -> Catalog:
    """The catalog published as `version` (the newest when None)."""
    if version is None:
        record = latest_record(uow)
        if record is None:
            raise InvalidArgument("catalog", None, "no catalog has been published")
    else:
        found = uow.get(CATALOGS, (version,))
        if found is None:
            raise InvalidArgument("version", version, "is not a published catalog version")
        record = found
    return stored_catalog(record)


def _job_keys(record: CatalogVersion) -> set[str]:
    data = record.catalog
    jobs = data.get("job_types") if isinstance(data, Mapping) else None
    if not isinstance(jobs, list) or not all(
        isinstance(j, Mapping) and isinstance(j.get("key"), str) for j in jobs
    ):
        raise CorruptStore("catalogs", record.seq, "stored catalog has no list of job types")
    return {job["key"] for job in jobs}


def publish_catalog(
    ctx: Context, catalog: Catalog, after: int = 0
) -> CatalogVersion | Pending[CatalogVersion]:
    """Store `catalog` as a new version unless the latest version has the same content.

    Refuses to drop a job type that Meks have progression in (deactivate it instead). `after`
    is a version known to exist, where the search for the latest starts.
    """
    uow = ctx.uow
    fingerprint = catalog_fingerprint(catalog)
    latest = latest_record(uow, after)
    if latest is not None and latest.fingerprint == fingerprint:
        return latest
    if latest is not None:
        for key in sorted(_job_keys(latest) - set(catalog.job_types)):
            if uow.find(PROGRESSIONS, job_key=key):
                raise InvalidCatalog(
                    f"job_types.{key}",
                    key,
                    "Meks have progression in this job: deactivate it"
                    " (active = false) instead of removing it",
                )
    data = json.loads(dump_catalog(catalog, format="json"))
    now = ctx.now
    version = ctx.append(CATALOGS, lambda seq: CatalogVersion(seq, fingerprint, data, now))
    ctx.emit_later("CatalogPublished", None, lambda: {"version": version.record.seq})
    return version


class CatalogCache:
    """Decoded catalog versions by number, and the newest one seen; `current(uow)` asks the
    store only for versions newer than that."""

    def __init__(self) -> None:
        self._versions: dict[int, Catalog] = {}
        self._latest: tuple[int, Catalog] | None = None

    def remember(self, version: int, catalog: Catalog) -> None:
        self._versions[version] = catalog
        if self._latest is None or version > self._latest[0]:
            self._latest = (version, catalog)

    def version(self, uow: UnitOfWork, version: int) -> Catalog:
        cached = self._versions.get(version)
        if cached is None:
            cached = self._versions[version] = load_version(uow, version)
        return cached

    def latest(self, uow: UnitOfWork) -> Catalog:
        """The newest catalog (for an edit), read from the store only when it changed."""
        return self.current(uow)[1]

    @property
    def latest_seq(self) -> int:
        """The newest version this cache has seen (0 before the first)."""
        return self._latest[0] if self._latest else 0

    def current(self, uow: UnitOfWork) -> tuple[int, Catalog]:
        record = newest_after(uow, self.latest_seq)
        if record is not None:
            cached = self._versions.get(record.seq)
            if cached is None:
                cached = self._versions[record.seq] = stored_catalog(record)
            self._latest = (record.seq, cached)
        if self._latest is None:
            raise InvalidArgument("catalog", None, "the store has no catalog yet; pass one")
        return self._latest
