"""The published fairness record: the read-only face of a store a host can expose to players.

Commitments with their registration times, secrets and salts once revealed (never before),
every catalog version's exact document, and each offer with its full context and versions;
`export_offer` bundles what `engine.verify_offer` and `jobslot verify-offer` need, as JSON.
"""

from __future__ import annotations

from typing import Any

import attrs

from .errors import InvalidArgument, UnknownOffer, UnknownSecret
from .model import CatalogVersion, Offer, OfferSecret
from .serialization import to_dict
from .storage.protocol import CATALOGS, OFFERS, SECRETS, Store

__all__ = ["PublishedRecord"]


def _public(record: OfferSecret) -> OfferSecret:
    """The record as players may see it: the salt stays private until the secret is revealed
    (with it, the commitment could be tested against guesses)."""
    if record.revealed_hex is None and record.salt_hex is not None:
        return attrs.evolve(record, salt_hex=None)
    return record


class PublishedRecord:
    """Read-only views of what proves offers fair; nothing here can change the store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def commitments(self) -> tuple[OfferSecret, ...]:
        """Every registered commitment, oldest first; revealed ones with their secret and salt."""
        with self._store.unit_of_work(write=False) as uow:
            records = sorted(uow.find(SECRETS), key=lambda r: (r.registered_at_ms, r.secret_id))
        return tuple(_public(r) for r in records)

    def commitment(self, secret_id: str) -> OfferSecret:
        """One secret's published record.

        Raises:
            UnknownSecret: no secret has that id.
        """
        with self._store.unit_of_work(write=False) as uow:
            found = uow.get(SECRETS, (secret_id,))
        if found is None:
            raise UnknownSecret("secret_id", secret_id, "is not registered")
        return _public(found)

    def catalog_versions(self) -> tuple[CatalogVersion, ...]:
        """Every published catalog version with its exact document, oldest first."""
        with self._store.unit_of_work(write=False) as uow:
            return tuple(uow.scan(CATALOGS))

    def catalog_version(self, version: int) -> CatalogVersion:
        """One catalog version with its exact document.

        Raises:
            InvalidArgument: no catalog was published as `version`.
        """
        with self._store.unit_of_work(write=False) as uow:
            found = uow.get(CATALOGS, (version,))
        if found is None:
            raise InvalidArgument("version", version, "is not a published catalog version")
        return found

    def offer(self, offer_id: str) -> Offer:
        """An offer with its full context (secret id, Mek, job, prestige, pit stop, re-roll),
        engine and catalog versions and choices.

        Raises:
            UnknownOffer: no offer has that id.
        """
        with self._store.unit_of_work(write=False) as uow:
            found = uow.get(OFFERS, (offer_id,))
        if found is None:
            raise UnknownOffer("offer_id", offer_id, "no such offer")
        return found

    def export_offer(self, offer_id: str) -> dict[str, Any]:
        """JSON-safe ``{"offer", "catalog_version", "secret_record"}``: everything a player needs to
        check the offer with no store (`engine.verify_offer(**bundle)`, `jobslot verify-offer`).

        Raises:
            UnknownOffer: no offer has that id.
        """
        offer = self.offer(offer_id)
        with self._store.unit_of_work(write=False) as uow:
            version = uow.get(CATALOGS, (offer.catalog_version,))
            secret = uow.get(SECRETS, (offer.secret_id,))
        return {
            "offer": to_dict(offer),
            "catalog_version": None if version is None else to_dict(version),
            "secret_record": None if secret is None else to_dict(_public(secret)),
        }
