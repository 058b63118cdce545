"""A player's check of one offer, from published records alone: no store, no operator.

Inputs are the records a host publishes (`jobslot_core.published.PublishedRecord`) as objects or
as their exported JSON: the offer, its catalog version (with the exact document) and its secret's
record (commitment, registration time, revealed secret and salt). See docs/fairness.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import InvalidArgument, JobSlotError
from .offers import redraw
from .stream import check_commitment
from .versions import ENGINE_VERSIONS

if TYPE_CHECKING:
    from ..model import CatalogVersion, Offer, OfferSecret

__all__ = ["Verification", "verify_offer"]


@attrs.frozen
class Verification:
    """The outcome of checking one offer: `ok` only when `problems` is empty."""

    offer_id: str
    ok: bool
    problems: tuple[str, ...]


def _structure(cls: type[Any], value: Any, name: str) -> Any:
    from ..serialization import from_dict

    if isinstance(value, cls):
        return value
    if isinstance(value, str | bytes):
        value = json.loads(value)
    if not isinstance(value, Mapping):
        raise InvalidArgument(name, type(value).__name__, f"must be a {cls.__name__} or its JSON")
    try:
        return from_dict(cls, dict(value))
    except Exception as exc:  # cattrs reports nested errors; the field is what matters here
        raise InvalidArgument(name, "<document>", f"is not a {cls.__name__}: {exc}") from None


def verify_offer(
    offer: Offer | Mapping[str, Any] | str,
    catalog_version: CatalogVersion | Mapping[str, Any] | str | None,
    secret_record: OfferSecret | Mapping[str, Any] | str | None,
    *,
    secret: bytes | None = None,
) -> Verification:
    """Check an offer against the published record: the revealed secret (`secret`, else the
    record's `revealed_hex`) and salt match the commitment, which was registered no later than
    the offer; the catalog document is the offer's version and matches its fingerprint; and
    the engine recomputes the offer's id, levels and choices exactly under its engine version.

    Each argument is the model object, its `to_dict` form or that as JSON text.

    Raises:
        InvalidArgument: an argument is not such a record.
    """
    from ..catalog_io import catalog_fingerprint, loads_catalog
    from ..model import CatalogVersion, Offer, OfferSecret

    o: Offer = _structure(Offer, offer, "offer")
    problems: list[str] = []
    if secret_record is None:
        problems.append(f"no commitment is published for secret {o.secret_id!r}")
        known = None
    else:
        known = _structure(OfferSecret, secret_record, "secret_record")
    if known is not None:
        if known.secret_id != o.secret_id:
            problems.append(
                f"the commitment is for secret {known.secret_id!r}, the offer for {o.secret_id!r}"
            )
        if known.registered_at_ms > o.created_at_ms:
            problems.append(
                f"the commitment was registered at {known.registered_at_ms}, after the offer "
                f"was made at {o.created_at_ms}"
            )
        if secret is None and known.revealed_hex is not None:
            secret = bytes.fromhex(known.revealed_hex)
        if secret is None:
            problems.append(f"secret {o.secret_id!r} is not revealed")
        else:
            salt = bytes.fromhex(known.salt_hex) if known.salt_hex is not None else None
            try:
                matches = check_commitment(known.commitment, secret, salt)
            except JobSlotError as exc:
                problems.append(f"the secret cannot match a commitment: {exc.reason}")
                matches = False
            if not matches:
                problems.append("the secret and salt do not match the published commitment")
    if catalog_version is None:
        problems.append(f"catalog version {o.catalog_version} is not published")
        return Verification(o.offer_id, False, tuple(problems))
    version: CatalogVersion = _structure(CatalogVersion, catalog_version, "catalog_version")
    if version.seq != o.catalog_version:
        problems.append(
            f"the catalog document is version {version.seq}, the offer was made under version "
            f"{o.catalog_version}"
        )
    try:
        catalog = loads_catalog(json.dumps(version.catalog), format="json")
    except JobSlotError as exc:
        problems.append(f"the catalog document does not load: {exc}")
        return Verification(o.offer_id, False, tuple(problems))
    if catalog_fingerprint(catalog) != version.fingerprint:
        problems.append("the catalog document does not match its published fingerprint")
    if o.engine_version not in ENGINE_VERSIONS:
        problems.append(f"engine version {o.engine_version} is unknown to this library")
    if secret is not None and not problems:
        try:
            draft = redraw(catalog, o, secret)
        except JobSlotError as exc:
            problems.append(f"the engine cannot recompute the offer: {exc}")
        else:
            if draft.offer_id != o.offer_id:
                problems.append(f"the recomputed offer id is {draft.offer_id}")
            if (draft.from_level, draft.to_level) != (o.from_level, o.to_level):
                problems.append(
                    f"the recomputed levels are {draft.from_level}->{draft.to_level}"
                )
            for i, (mine, theirs) in enumerate(zip(draft.choices, o.choices, strict=False)):
                if mine != theirs:
                    problems.append(
                        f"choice {i} recomputes as {mine.buff_key}={mine.value!r} "
                        f"({mine.rarity}), stored {theirs.buff_key}={theirs.value!r}"
                    )
            if len(draft.choices) != len(o.choices):
                problems.append(f"the offer has {len(o.choices)} choices, recomputed 3")
    return Verification(o.offer_id, not problems, tuple(problems))
