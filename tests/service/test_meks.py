"""Meks: registration, transfer between wallets (decision 13) and availability (decision 17)."""

from jobslot_core.errors import (
    AlreadyExists,
    InvalidArgument,
    MekBusy,
    MekUnavailable,
    NotOwned,
    UnknownMek,
)
from jobslot_core.model import Mek
from jobslot_core.storage.protocol import OWNERSHIPS


def test_register_stores_the_mek_with_its_owner(world):
    """register_mek stores an available Mek owned by the wallet, with one ownership line."""
    mek = world.game.register_mek("w1", "m1")
    assert mek == Mek("m1", "w1", world.clock.now_ms(), available=True)
    assert [(o.mek_id, o.wallet) for o in world.snapshot()[OWNERSHIPS.name]] == [("m1", "w1")]


def test_register_twice_is_refused(world):
    """A second registration of the same Mek id (any wallet) is refused."""
    world.game.register_mek("w1", "m1")
    world.refused(AlreadyExists, "mek_id", "m1", world.game.register_mek, "w2", "m1")


def test_register_refuses_a_blank_wallet(world):
    """An empty wallet id is refused before anything is stored."""
    world.refused(InvalidArgument, "wallet", "", world.game.register_mek, "", "m1")


def test_transfer_unslots_the_mek_and_freezes_its_tenure(started):
    """A sold Mek leaves the seller's slot and its tenure stops at the moment of the transfer."""
    w = started
    w.clock.advance(seconds=120)
    w.game.transfer_mek("m1", "w2")
    w.clock.advance(seconds=500)
    view = w.game.progression("m1", "janitor")
    assert (view.tenure_ms, view.slot_number) == (120_000, None)
    assert w.game.player_slots("w1").slots[0].slot.mek_id is None


def test_transfer_carries_progression_and_buffs(started):
    """Progression, resolved pit stops and kept buffs follow the Mek to its new owner."""
    w = started
    w.clock.advance(seconds=200)
    offer, _ = w.resolve()
    before = w.game.active_buffs("m1")
    w.game.transfer_mek("m1", "w2")
    view = w.game.progression("m1", "janitor")
    assert (view.level, view.pit_stops_resolved) == (4, 1)
    assert w.game.active_buffs("m1") == before
    assert before.buffs[0].buff_id == offer.offer_id


def test_transfer_moves_wallet_totals_to_the_new_owner(started):
    """The Mek's permanent buff totals leave the seller's wallet totals and join the buyer's."""
    w = started
    w.clock.advance(seconds=200)
    offer, index = w.resolve()
    choice = offer.choices[index]
    assert w.game.wallet_totals("w1").base == {choice.effect_type: choice.value}
    w.game.transfer_mek("m1", "w2")
    assert w.game.wallet_totals("w1").base == {}
    assert w.game.wallet_totals("w2").base == {choice.effect_type: choice.value}


def test_transfer_keeps_both_owners_in_history(started):
    """The ownership history lists the seller, then the buyer, with the time of each."""
    w = started
    w.clock.advance(seconds=10)
    moved = w.game.transfer_mek("m1", "w2")
    history = w.snapshot()[OWNERSHIPS.name]
    assert [(o.wallet, o.from_ms) for o in history] == [
        ("w1", 1_000_000),
        ("w2", 1_010_000),
    ]
    assert moved.wallet == "w2"


def test_transfer_to_the_current_owner_is_refused(started):
    """Transferring a Mek to the wallet that already owns it is refused."""
    started.refused(AlreadyExists, "to_wallet", "w1", started.game.transfer_mek, "m1", "w1")


def test_transfer_of_an_unknown_mek_is_refused(world):
    """Transferring a Mek the library never heard of raises UnknownMek."""
    world.refused(UnknownMek, "mek_id", "ghost", world.game.transfer_mek, "ghost", "w2")


def test_unavailable_mek_cannot_be_assigned(world):
    """A Mek the host marked unavailable is refused by assign_mek with MekUnavailable."""
    world.game.register_mek("w1", "m1")
    world.game.deposit("w1", "gold", 1000)
    world.game.unlock_slot("w1", 1)
    world.game.purchase_job("w1", 1, "janitor")
    world.game.set_mek_available("m1", False)
    world.refused(MekUnavailable, "mek_id", "m1", world.game.assign_mek, "w1", 1, "m1")


def test_available_again_mek_can_be_assigned(world):
    """Marking the Mek available again lets it be assigned."""
    world.game.register_mek("w1", "m1")
    world.game.deposit("w1", "gold", 1000)
    world.game.unlock_slot("w1", 1)
    world.game.purchase_job("w1", 1, "janitor")
    world.game.set_mek_available("m1", False)
    world.game.set_mek_available("m1", True)
    assert world.game.assign_mek("w1", 1, "m1").mek_id == "m1"


def test_working_mek_cannot_be_marked_unavailable(started):
    """A Mek working a slot must be unslotted before the host marks it unavailable."""
    started.refused(MekBusy, "mek_id", "m1", started.game.set_mek_available, "m1", False)


def test_buyer_slots_the_mek_and_tenure_resumes(started):
    """The buyer assigns the Mek in its own janitor slot and tenure continues from the sale."""
    w = started
    w.clock.advance(seconds=120)
    w.game.transfer_mek("m1", "w2")
    w.game.deposit("w2", "gold", 100)
    w.game.unlock_slot("w2", 1)
    w.game.purchase_job("w2", 1, "janitor")
    w.game.assign_mek("w2", 1, "m1")
    w.clock.advance(seconds=80)
    view = w.game.progression("m1", "janitor")
    assert (view.tenure_ms, view.pit_stop_ready, view.slot_number) == (200_000, True, 1)


def test_seller_cannot_assign_a_sold_mek(started):
    """After the sale the seller's slot refuses the Mek as not owned."""
    started.game.transfer_mek("m1", "w2")
    started.refused(NotOwned, "mek_id", "m1", started.game.assign_mek, "w1", 1, "m1")


def test_transfer_back_returns_the_totals(started):
    """Selling a buffed Mek and buying it back leaves the first wallet's totals as they were."""
    w = started
    w.clock.advance(seconds=200)
    w.resolve()
    before = w.game.wallet_totals("w1")
    w.game.transfer_mek("m1", "w2")
    w.game.transfer_mek("m1", "w1")
    assert w.game.wallet_totals("w1") == before
    assert w.game.wallet_totals("w2").base == {}
    assert [o.wallet for o in w.snapshot()[OWNERSHIPS.name]] == ["w1", "w2", "w1"]


def test_availability_must_be_a_bool(started):
    """set_mek_available refuses anything but True or False."""
    started.refused(InvalidArgument, "available", 0, started.game.set_mek_available, "m1", 0)
