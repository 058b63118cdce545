"""Progression from tenure (decisions 8, 11), queued pit stops (decision 10) and
server-authoritative offers (fixes 1, 2)."""

from typing import Any

import attrs
import pytest

from jobslot_core import JobSlots
from jobslot_core.errors import (
    InvalidChoice,
    NotOwned,
    OfferAlreadyResolved,
    PitStopNotReady,
    UnknownJob,
    UnknownOffer,
)
from jobslot_core.model import OfferStatus

# -- progression at exact tenure boundaries ------------------------------------------------------


def test_just_before_the_first_pit_stop(started):
    """At 199.999 s the janitor is level 3, one millisecond short of pit stop 1."""
    started.clock.advance(ms=199_999)
    view = started.game.progression("m1", "janitor")
    assert (view.level, view.next_pit_stop, view.pit_stop_ready) == (3, 1, False)
    assert (view.tenure_to_next_pit_stop_ms, view.pending_pit_stops) == (1, 0)
    assert view.progress_percent == pytest.approx(19.9999)


def test_exactly_at_the_first_pit_stop(started):
    """At 200 s the janitor reaches level 4 and pit stop 1 is ready."""
    started.clock.advance(seconds=200)
    view = started.game.progression("m1", "janitor")
    assert (view.level, view.next_pit_stop, view.pit_stop_ready) == (4, 1, True)
    assert (view.tenure_to_next_pit_stop_ms, view.pending_pit_stops) == (0, 1)
    assert view.progress_percent == 20.0


def test_level_two_boundary(started):
    """Level 2 starts at exactly 50 s of tenure, not a millisecond before."""
    started.clock.advance(ms=49_999)
    assert started.game.progression("m1", "janitor").level == 1
    started.clock.advance(ms=1)
    assert started.game.progression("m1", "janitor").level == 2


def test_max_level_caps_progress(started):
    """Past the last threshold the level stays at max and progress at 100%."""
    started.clock.advance(seconds=5000)
    view = started.game.progression("m1", "janitor")
    assert (view.level, view.progress_percent, view.pending_pit_stops) == (10, 100.0, 3)


def test_progression_of_a_job_never_worked_is_refused(started):
    """Asking for a job the Mek never worked raises UnknownJob."""
    with pytest.raises(UnknownJob) as caught:
        started.game.progression("m1", "engineer")
    assert (caught.value.field, caught.value.value) == ("job_key", "engineer")


# -- opening pit stops ---------------------------------------------------------------------------


def test_open_before_the_pit_stop_is_refused(started):
    """Opening at 199.999 s raises PitStopNotReady naming the tenure."""
    started.clock.advance(ms=199_999)
    started.refused(
        PitStopNotReady, "tenure_ms", 199_999, started.game.open_pit_stop, "w1", "m1", "janitor"
    )


def test_open_makes_three_choices_for_pit_stop_one(started):
    """The first offer is for pit stop 1 (levels 1 to 4) with three distinct buff types."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    assert (offer.pit_stop_number, offer.from_level, offer.to_level) == (1, 1, 4)
    assert (offer.status, offer.wallet, offer.catalog_version) == (OfferStatus.OPEN, "w1", 1)
    assert len({c.buff_key for c in offer.choices}) == 3
    assert all(c.min_value <= c.value <= c.max_value for c in offer.choices)


def test_asking_again_returns_the_same_offer_and_changes_nothing(started):
    """A second open_pit_stop returns the stored offer and writes nothing (fix 2)."""
    started.clock.advance(seconds=200)
    first = started.game.open_pit_stop("w1", "m1", "janitor")
    before = started.snapshot()
    started.clock.advance(seconds=30)
    assert started.game.open_pit_stop("w1", "m1", "janitor") == first
    assert started.snapshot() == before


def test_offline_pit_stops_resolve_in_order(started):
    """A Mek past three pit stops gets offers for 1, then 2, then 3; none is skipped."""
    started.clock.advance(seconds=1000)
    assert started.game.progression("m1", "janitor").pending_pit_stops == 3
    seen = []
    for _ in range(3):
        offer, _ = started.resolve()
        seen.append((offer.pit_stop_number, offer.from_level, offer.to_level))
    assert seen == [(1, 1, 4), (2, 4, 7), (3, 7, 10)]
    view = started.game.progression("m1", "janitor")
    assert (view.pit_stops_resolved, view.pending_pit_stops, view.next_pit_stop) == (3, 0, None)


def test_open_after_every_pit_stop_is_resolved_is_refused(started):
    """With all pit stops resolved the next open raises PitStopNotReady."""
    started.to_max()
    started.refused(
        PitStopNotReady, "tenure_ms", 1_000_000, started.game.open_pit_stop, "w1", "m1", "janitor"
    )


def test_open_for_another_wallets_mek_is_refused(started):
    """A wallet cannot open a pit stop of a Mek it does not own."""
    started.clock.advance(seconds=200)
    started.refused(NotOwned, "mek_id", "m1", started.game.open_pit_stop, "w2", "m1", "janitor")


def test_open_for_a_job_never_worked_is_refused(started):
    """Opening a pit stop in a job the Mek never worked raises UnknownJob."""
    started.refused(
        UnknownJob, "job_key", "engineer", started.game.open_pit_stop, "w1", "m1", "engineer"
    )


def test_buff_history_keeps_every_offer_in_order(started):
    """buff_history lists the offers of the job by pit stop, with the selected index."""
    started.clock.advance(seconds=500)
    picks = [started.resolve()[1] for _ in range(2)]
    history = started.game.buff_history("m1", "janitor")
    assert [(o.pit_stop_number, o.status, o.selected_index) for o in history] == [
        (1, OfferStatus.SELECTED, picks[0]),
        (2, OfferStatus.SELECTED, picks[1]),
    ]


# -- selecting ---------------------------------------------------------------------------------


def test_select_keeps_the_choice_and_resolves_the_pit_stop(started):
    """Selecting stores the chosen buff and counts the pit stop as resolved."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    index = started.index(offer)
    selection = started.game.select_buff("w1", offer.offer_id, index)
    assert (selection.choice, selection.pit_stop_number) == (offer.choices[index], 1)
    view = started.game.progression("m1", "janitor")
    assert (view.pit_stops_resolved, view.pit_stop_ready) == (1, False)
    (buff,) = started.game.active_buffs("m1").buffs
    assert (buff.buff_key, buff.value) == (
        offer.choices[index].buff_key,
        offer.choices[index].value,
    )


@pytest.mark.parametrize("forged", [-1, 3, True, "0", 1.0, None])
def test_forged_choice_index_is_refused(started, forged):
    """Only the integers 0, 1 and 2 name a choice; anything else raises InvalidChoice."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    started.refused(
        InvalidChoice, "index", forged, started.game.select_buff, "w1", offer.offer_id, forged
    )


def test_selecting_twice_is_refused(started):
    """A selected offer refuses a second selection with OfferAlreadyResolved."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    started.game.select_buff("w1", offer.offer_id, 0)
    started.refused(
        OfferAlreadyResolved,
        "offer_id",
        offer.offer_id,
        started.game.select_buff,
        "w1",
        offer.offer_id,
        1,
    )


def test_selecting_another_wallets_offer_is_refused(started):
    """A wallet cannot select an offer for a Mek it does not own."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    started.refused(
        NotOwned, "offer_id", offer.offer_id, started.game.select_buff, "w2", offer.offer_id, 0
    )


def test_selecting_an_unknown_offer_is_refused(started):
    """An offer id that was never made raises UnknownOffer."""
    started.refused(UnknownOffer, "offer_id", "of_x", started.game.select_buff, "w1", "of_x", 0)


# -- two game servers on one store -----------------------------------------------------------------


def test_another_server_resolving_what_this_one_remembers(started):
    """A JobSlots remembers the offers it made and guesses each Mek's next pit stop, to send
    a command's first reads with its lock. Another JobSlots on the same store resolving that
    pit stop, selling the Mek and prestiging it leaves every answer as the store has it."""
    w = started
    other = JobSlots(w.store, secret=w.secret, secret_id=w.secret_id, clock=w.clock)
    w.clock.advance(seconds=5000)  # max level: the janitor's 3 pit stops are all due
    first = w.game.open_pit_stop("w1", "m1", "janitor")
    other.select_buff("w1", first.offer_id, 0)
    w.refused(
        OfferAlreadyResolved,
        "offer_id",
        first.offer_id,
        w.game.select_buff,
        "w1",
        first.offer_id,
        1,
    )
    # The other server resolved pit stop 1: this one's guess (pit stop 1) is stale.
    second = w.game.open_pit_stop("w1", "m1", "janitor")
    assert second.pit_stop_number == 2
    assert other.open_pit_stop("w1", "m1", "janitor") == second
    other.select_buff("w1", second.offer_id, w.index(second))
    # This server saw pit stop 2 opened, not selected: its guess (2) is stale again.
    third = w.game.open_pit_stop("w1", "m1", "janitor")
    assert third.pit_stop_number == 3
    other.transfer_mek("m1", "w2")
    w.refused(NotOwned, "offer_id", third.offer_id, w.game.select_buff, "w1", third.offer_id, 0)
    other.deposit("w2", "gold", 100_000)
    other.unlock_slot("w2", 1)
    other.purchase_job("w2", 1, "janitor")
    other.assign_mek("w2", 1, "m1")
    other.select_buff("w2", third.offer_id, w.index(third))
    other.prestige("w2", "m1", "janitor")
    w.clock.advance(seconds=5000)
    after = w.game.open_pit_stop("w2", "m1", "janitor")  # guessed: prestige 0, pit stop 4
    assert (after.prestige_sequence, after.pit_stop_number, after.wallet) == (1, 1, "w2")
    assert w.game.buff_history("m1", "janitor") == other.buff_history("m1", "janitor")


def test_a_wrong_remembered_offer_is_caught_under_the_lock(started):
    """Were what a JobSlots remembers of an offer ever wrong (another Mek), the command would
    lock the wrong Mek's scope: the body's check under the lock catches it, and the rerun reads
    the offer from the store."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    started.game._seen._offers[offer.offer_id] = attrs.evolve(offer, mek_id="m2")
    locked: list[list[str]] = []
    unit_of_work = started.store.unit_of_work

    def watched(*, write: bool = True) -> Any:
        uow = unit_of_work(write=write)
        lock = uow.lock

        def recorded(scopes: Any) -> None:
            locked.append(sorted(scopes))
            lock(scopes)

        uow.lock = recorded
        return uow

    started.store.unit_of_work = watched
    try:
        selection = started.game.select_buff("w1", offer.offer_id, 0)
    finally:
        started.store.unit_of_work = unit_of_work
    assert locked == [["mek:m2", "wallet:w1"], ["mek:m1", "wallet:w1"]]
    assert (selection.mek_id, selection.offer_id) == ("m1", offer.offer_id)
    assert started.game.progression("m1", "janitor").pit_stops_resolved == 1


# -- a transfer in the middle of a pit stop --------------------------------------------------------


@pytest.fixture
def sold_mid_pit_stop(started):
    """m1 with pit stop 1 open, then sold from w1 to w2; returns (world, offer)."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    started.game.transfer_mek("m1", "w2")
    return started, offer


def test_old_owner_cannot_select_after_transfer(sold_mid_pit_stop):
    """The seller can no longer select the open offer."""
    w, offer = sold_mid_pit_stop
    w.refused(NotOwned, "offer_id", offer.offer_id, w.game.select_buff, "w1", offer.offer_id, 0)


def test_new_owner_sees_the_same_offer(sold_mid_pit_stop):
    """The buyer opening the pit stop gets the same offer (same id and choices), now naming the
    buyer's wallet (issue 10, item 8: it used to name the seller), also when read again."""
    w, offer = sold_mid_pit_stop
    reopened = w.game.open_pit_stop("w2", "m1", "janitor")
    assert reopened == attrs.evolve(offer, wallet="w2")
    assert w.game.buff_history("m1", "janitor") == (reopened,)
    assert w.game.open_pit_stop("w2", "m1", "janitor") == reopened


def test_new_owner_selects_and_gets_the_buff_totals(sold_mid_pit_stop):
    """The buyer's selection resolves the pit stop and counts in the buyer's totals."""
    w, offer = sold_mid_pit_stop
    index = w.index(offer)
    selection = w.game.select_buff("w2", offer.offer_id, index)
    choice = offer.choices[index]
    assert selection.wallet == "w2"
    assert w.game.wallet_totals("w2").base == {choice.effect_type: choice.value}
    assert w.game.wallet_totals("w1").base == {}
