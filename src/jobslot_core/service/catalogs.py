"""Catalog versions in the store: publishing, loading a version, and the service's cache of them
(shared by `JobSlots` and `Admin`)."""

from __future__ import annotations

import json

from ..catalog import Catalog
from ..catalog_io import catalog_fingerprint, dump_catalog, loads_catalog
from ..errors import InvalidArgument, InvalidCatalog
from ..model import CatalogVersion
from ..storage.protocol import CATALOGS, PROGRESSIONS, UnitOfWork
from ._context import Context, Pending

__all__ = ["CatalogCache", "latest_record", "load_version", "publish_catalog"]


def latest_record(uow: UnitOfWork) -> CatalogVersion | None:
    """The newest published catalog version, or None before the first."""
    versions = uow.scan(CATALOGS)
    return versions[-1] if versions else None


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
    return loads_catalog(json.dumps(record.catalog), format="json")


def publish_catalog(ctx: Context, catalog: Catalog) -> CatalogVersion | Pending[CatalogVersion]:
    """Store `catalog` as a new version unless the latest version has the same content.

    Refuses to drop a job type that Meks have progression in (deactivate it instead).
    """
    uow = ctx.uow
    fingerprint = catalog_fingerprint(catalog)
    latest = latest_record(uow)
    if latest is not None and latest.fingerprint == fingerprint:
        return latest
    if latest is not None:
        before = {job["key"] for job in latest.catalog.get("job_types", ())}
        for key in sorted(before - set(catalog.job_types)):
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

    def current(self, uow: UnitOfWork) -> tuple[int, Catalog]:
        after = self._latest[0] if self._latest else 0
        newer = uow.scan(CATALOGS, after=after)
        if newer:
            seq = newer[-1].seq
            self._latest = (seq, self.version(uow, seq))
        if self._latest is None:
            raise InvalidArgument("catalog", None, "the store has no catalog yet; pass one")
        return self._latest
