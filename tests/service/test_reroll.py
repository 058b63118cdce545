"""Priced re-rolls of an open offer: off by default, charged, deterministic, bounded."""

import pytest

from jobslot_core.catalog import Cost
from jobslot_core.engine import make_offer
from jobslot_core.errors import InsufficientFunds, OfferAlreadyResolved, PolicyRefused
from jobslot_core.model import OfferStatus


@pytest.fixture
def priced(make_world, variant_of):
    """Re-rolls at 500 gold, at most 2 per pit stop; pit stop 1 open; returns (world, offer)."""
    w = make_world(variant_of(reroll=Cost("gold", 500), max_rerolls=2))
    w.start()
    w.clock.advance(seconds=200)
    return w, w.game.open_pit_stop("w1", "m1", "janitor")


def test_reroll_is_off_by_default(started):
    """With no re-roll price in the catalog, reroll_offer raises PolicyRefused."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    started.refused(
        PolicyRefused, "policies.reroll.cost", None, started.game.reroll_offer, "w1", offer.offer_id
    )


def test_reroll_charges_the_price(priced):
    """A re-roll debits 500 gold."""
    w, offer = priced
    before = w.game.balance("w1", "gold")
    w.game.reroll_offer("w1", offer.offer_id)
    assert before - w.game.balance("w1", "gold") == 500


def test_reroll_replaces_the_offer_with_the_next_of_the_sequence(priced):
    """The new offer is the engine's offer for re-roll 1 of the same context."""
    w, offer = priced
    new = w.game.reroll_offer("w1", offer.offer_id)
    draft = make_offer(
        w.catalog,
        secret=w.secret,
        secret_id=w.secret_id,
        mek_id="m1",
        job_key="janitor",
        prestige_sequence=0,
        pit_stop_number=1,
        reroll=1,
    )
    assert (new.offer_id, new.choices, new.reroll) == (draft.offer_id, draft.choices, 1)
    assert new.pit_stop_number == offer.pit_stop_number
    assert w.game.open_pit_stop("w1", "m1", "janitor") == new


def test_reroll_keeps_both_offers_in_history(priced):
    """buff_history holds the replaced offer (re-rolled) and the new one (open)."""
    w, offer = priced
    new = w.game.reroll_offer("w1", offer.offer_id)
    history = w.game.buff_history("m1", "janitor")
    assert [(o.offer_id, o.status) for o in history] == [
        (offer.offer_id, OfferStatus.REROLLED),
        (new.offer_id, OfferStatus.OPEN),
    ]


def test_rerolled_offer_cannot_be_selected(priced):
    """Selecting the replaced offer raises OfferAlreadyResolved."""
    w, offer = priced
    w.game.reroll_offer("w1", offer.offer_id)
    w.refused(
        OfferAlreadyResolved,
        "offer_id",
        offer.offer_id,
        w.game.select_buff,
        "w1",
        offer.offer_id,
        0,
    )


def test_reroll_respects_max_rerolls(priced):
    """After two re-rolls of a pit stop a third is refused."""
    w, offer = priced
    second = w.game.reroll_offer("w1", w.game.reroll_offer("w1", offer.offer_id).offer_id)
    assert second.reroll == 2
    w.refused(PolicyRefused, "reroll", 2, w.game.reroll_offer, "w1", second.offer_id)


def test_reroll_without_the_gold_is_refused(make_world, variant_of):
    """A wallet that cannot pay the re-roll price gets InsufficientFunds."""
    w = make_world(variant_of(reroll=Cost("gold", 500)))
    w.start(gold=100)
    w.clock.advance(seconds=200)
    offer = w.game.open_pit_stop("w1", "m1", "janitor")
    w.refused(InsufficientFunds, "balance[gold]", 0, w.game.reroll_offer, "w1", offer.offer_id)


def test_reroll_after_selection_is_refused(priced):
    """A selected offer cannot be re-rolled."""
    w, offer = priced
    w.game.select_buff("w1", offer.offer_id, 0)
    w.refused(
        OfferAlreadyResolved, "offer_id", offer.offer_id, w.game.reroll_offer, "w1", offer.offer_id
    )


def test_selecting_the_rerolled_offer_resolves_the_pit_stop(priced):
    """The new offer is selectable and resolves pit stop 1."""
    w, offer = priced
    new = w.game.reroll_offer("w1", offer.offer_id)
    w.game.select_buff("w1", new.offer_id, 2)
    assert w.game.progression("m1", "janitor").pit_stops_resolved == 1
