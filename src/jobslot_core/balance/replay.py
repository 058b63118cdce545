"""Stored offers drawn again under a candidate catalog: which offers and picks would change.

Offers are read through the storage protocol (any `Store`) and recomputed with the engine's
public `make_offer` from each stored context and its secret. With the catalog and secret each
offer was made under, every offer comes back exactly as stored.
"""

import json
from collections.abc import Mapping
from typing import Any

import attrs

from ..catalog import Catalog
from ..catalog_io import loads_catalog
from ..engine import BuffChoice, OfferDraft
from ..engine.offers import redraw
from ..errors import InvalidArgument, JobSlotError, UnknownSecret
from ..model import Offer, OfferStatus
from ..storage.protocol import CATALOGS, OFFERS, Store
from .career import Progress
from .picks import Pick

__all__ = ["ReplayReport", "ReplayedOffer", "replay"]


@attrs.frozen
class ReplayedOffer:
    """One stored offer and the candidate's offer for the same context.

    `replayed` is None when the candidate cannot make it (the job or pit stop is gone; `error`
    says why); `replayed_id` is the offer id the engine gives the context (it depends on the
    context and secret, never on the catalog). `picked_before` is the stored selection,
    `picked_after` what the player would keep under the candidate (same buff type by default,
    or the `pick` policy).
    """

    offer: Offer
    replayed: tuple[BuffChoice, ...] | None
    replayed_id: str | None
    error: str | None
    picked_before: BuffChoice | None
    picked_after: BuffChoice | None

    @property
    def changed(self) -> bool:
        """The candidate's offer differs from the stored one (choices or offer id)."""
        return self.replayed != self.offer.choices or self.replayed_id != self.offer.offer_id

    @property
    def pick_changed(self) -> bool:
        return self.picked_before is not None and self.picked_after != self.picked_before


@attrs.frozen
class ReplayReport:
    """Every stored offer replayed (in store order), with counts."""

    offers: tuple[ReplayedOffer, ...]

    @property
    def changed(self) -> tuple[ReplayedOffer, ...]:
        return tuple(o for o in self.offers if o.changed)

    @property
    def picks(self) -> int:
        return sum(1 for o in self.offers if o.picked_before is not None)

    @property
    def picks_changed(self) -> tuple[ReplayedOffer, ...]:
        return tuple(o for o in self.offers if o.pick_changed)

    @property
    def exact(self) -> bool:
        """Every offer came back exactly as stored."""
        return not self.changed

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per stored offer: what `--csv` writes."""
        return [
            {
                "offer_id": o.offer.offer_id,
                "mek_id": o.offer.mek_id,
                "job_key": o.offer.job_key,
                "prestige_sequence": o.offer.prestige_sequence,
                "pit_stop": o.offer.pit_stop_number,
                "reroll": o.offer.reroll,
                "changed": o.changed,
                "before": _choices(o.offer.choices),
                "after": o.error if o.replayed is None else _choices(o.replayed),
                "picked_before": _choice(o.picked_before),
                "picked_after": _choice(o.picked_after),
                "pick_changed": o.pick_changed,
            }
            for o in self.offers
        ]

    def format(self) -> str:
        """A text summary for terminals: counts, then each changed offer."""
        lines = [
            f"{len(self.offers)} stored offers: {len(self.changed)} would change; "
            f"{len(self.picks_changed)} of {self.picks} picks would change"
        ]
        for o in self.changed:
            after = o.error if o.replayed is None else _choices(o.replayed)
            lines.append(f"  {o.offer.offer_id}: {_choices(o.offer.choices)} -> {after}")
            if o.pick_changed:
                lines.append(
                    f"    pick {_choice(o.picked_before)} -> {_choice(o.picked_after)}"
                )
        return "\n".join(lines)


def _choice(choice: BuffChoice | None) -> str:
    return "-" if choice is None else f"{choice.buff_key}={choice.value:g}"


def _choices(choices: tuple[BuffChoice, ...]) -> str:
    return ", ".join(_choice(c) for c in choices)


def _same_buff(stored: BuffChoice, draft: OfferDraft) -> BuffChoice | None:
    """What a player who kept `stored` keeps from `draft`: the same buff type, if offered."""
    return next((c for c in draft.choices if c.buff_key == stored.buff_key), None)


def replay(
    store: Store,
    catalog: Catalog | None,
    *,
    secrets: Mapping[str, bytes],
    pick: Pick | None = None,
    progress: Progress | None = None,
) -> ReplayReport:
    """Draw every stored offer's context again under `catalog` (None: the catalog version each
    offer was made under, read from the store) with the secret named by its `secret_id`.
    `progress` as in `simulate_career`, every 1000 offers.

    Raises:
        UnknownSecret: an offer's `secret_id` is missing from `secrets` (field ``secrets``).
        InvalidArgument: `catalog` is not a Catalog; an offer names a catalog version the
            store does not hold.
    """
    if catalog is not None and not isinstance(catalog, Catalog):
        raise InvalidArgument("catalog", type(catalog).__name__, "must be a Catalog or None")
    with store.unit_of_work(write=False) as uow:
        offers = uow.find(OFFERS)
        versions = {v.seq: v for v in uow.scan(CATALOGS)} if catalog is None else {}
    loaded: dict[int, Catalog] = {}
    out = []
    for n, offer in enumerate(offers):
        if progress is not None and n % 1000 == 0:
            progress(n, len(offers))
        secret = secrets.get(offer.secret_id)
        if secret is None:
            raise UnknownSecret("secrets", offer.secret_id, "no secret given for this secret id")
        candidate = catalog
        if candidate is None:
            candidate = loaded.get(offer.catalog_version)
            if candidate is None:
                record = versions.get(offer.catalog_version)
                if record is None:
                    raise InvalidArgument(
                        "catalog_version", offer.catalog_version, "is not stored"
                    )
                candidate = loaded[offer.catalog_version] = loads_catalog(
                    json.dumps(record.catalog), format="json"
                )
        draft: OfferDraft | None
        try:
            draft = redraw(candidate, offer, secret)  # old offers replay under their engine
            error = None
        except JobSlotError as exc:
            draft, error = None, str(exc)
        before = (
            offer.choices[offer.selected_index]
            if offer.status is OfferStatus.SELECTED and offer.selected_index is not None
            else None
        )
        after: BuffChoice | None = None
        if before is not None and draft is not None:
            if pick is None:
                after = _same_buff(before, draft)
            else:
                index = pick(draft)
                if isinstance(index, bool) or not isinstance(index, int) or not (
                    0 <= index < len(draft.choices)
                ):
                    raise InvalidArgument("pick", index, "must return a choice index")
                after = draft.choices[index]
        out.append(
            ReplayedOffer(
                offer,
                None if draft is None else draft.choices,
                None if draft is None else draft.offer_id,
                error,
                before,
                after,
            )
        )
    if progress is not None:
        progress(len(offers), len(offers))
    return ReplayReport(tuple(out))
