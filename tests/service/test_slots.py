"""Slots and jobs: unlocking (policy 8.4), purchases and their requirements, job changes
(policy 8.2), assigning and unslotting Meks."""

import pytest

from jobslot_core.catalog import Cost, JobChangeMode
from jobslot_core.errors import (
    AlreadyExists,
    InsufficientFunds,
    JobLocked,
    MekBusy,
    NotOwned,
    SlotEmpty,
    SlotLocked,
    SlotNotPurchased,
    UnknownJob,
)


@pytest.fixture
def prestiged(started):
    """w1 after one janitor prestige of m1 (slot 1 holds the janitor, m1 back at level 1)."""
    started.to_max()
    started.game.prestige("w1", "m1", "janitor")
    return started


# -- unlocking ---------------------------------------------------------------------------------


def test_first_slot_is_free(world):
    """Slot 1 costs nothing and writes no journal line."""
    slot = world.game.unlock_slot("w1", 1)
    assert (slot.wallet, slot.slot_number, slot.job_key) == ("w1", 1, None)
    assert world.game.ledger("w1") == ()


@pytest.mark.parametrize(("slot", "cost"), [(2, 1000), (3, 5000)])
def test_slot_costs_follow_the_policy(world, slot, cost):
    """Slots 2 and 3 charge 1000 and 5000 gold."""
    world.game.deposit("w1", "gold", 10_000)
    for n in range(1, slot):
        world.game.unlock_slot("w1", n)
    before = world.game.balance("w1", "gold")
    world.game.unlock_slot("w1", slot)
    assert before - world.game.balance("w1", "gold") == cost


def test_slot_without_the_gold_is_refused(world):
    """Slot 2 with 999 gold raises InsufficientFunds."""
    world.game.deposit("w1", "gold", 999)
    world.game.unlock_slot("w1", 1)
    world.refused(InsufficientFunds, "balance[gold]", 999, world.game.unlock_slot, "w1", 2)


def test_slot_four_needs_a_prestige(started):
    """Slot 4 is refused to a wallet without a prestige, whatever its gold."""
    g = started.game
    g.unlock_slot("w1", 2)
    g.unlock_slot("w1", 3)
    started.refused(SlotLocked, "prestige_count", 0, g.unlock_slot, "w1", 4)


def test_slot_four_after_a_prestige_costs_10000(prestiged):
    """After one prestige slot 4 unlocks for 10000 gold."""
    g = prestiged.game
    g.unlock_slot("w1", 2)
    g.unlock_slot("w1", 3)
    before = g.balance("w1", "gold")
    g.unlock_slot("w1", 4)
    assert before - g.balance("w1", "gold") == 10_000
    assert g.player_slots("w1").unlocked_slots == 4


def test_out_of_order_unlock_is_refused(world):
    """Slot 3 before slot 2 is refused, naming the slot."""
    world.game.deposit("w1", "gold", 10_000)
    world.game.unlock_slot("w1", 1)
    world.refused(SlotLocked, "slot_number", 3, world.game.unlock_slot, "w1", 3)


def test_unlocking_an_unlocked_slot_is_refused(world):
    """Slot 1 cannot be unlocked twice."""
    world.game.unlock_slot("w1", 1)
    world.refused(AlreadyExists, "slot_number", 1, world.game.unlock_slot, "w1", 1)


def test_player_slots_shows_the_next_cost(world):
    """player_slots reports the next slot's price from the policy."""
    world.game.unlock_slot("w1", 1)
    view = world.game.player_slots("w1")
    assert (view.unlocked_slots, view.purchased_slots, view.max_slots) == (1, 0, 10)
    assert view.next_slot_cost == Cost("gold", 1000)


# -- purchasing jobs ---------------------------------------------------------------------------


def test_purchase_charges_the_job_price(world):
    """Buying the engineer for slot 1 charges 2000 gold and puts the job in the slot."""
    g = world.game
    g.register_mek("w1", "m1")
    g.deposit("w1", "gold", 5000)
    g.unlock_slot("w1", 1)
    slot = g.purchase_job("w1", 1, "engineer")
    assert slot.job_key == "engineer"
    assert g.balance("w1", "gold") == 3000


def test_purchase_into_a_locked_slot_is_refused(world):
    """A job cannot be bought for a slot that is not unlocked."""
    world.game.register_mek("w1", "m1")
    world.refused(SlotLocked, "slot_number", 1, world.game.purchase_job, "w1", 1, "janitor")


def test_purchase_of_an_unknown_job_is_refused(world):
    """A job key absent from the catalog raises UnknownJob."""
    world.game.unlock_slot("w1", 1)
    world.refused(UnknownJob, "job_key", "pilot", world.game.purchase_job, "w1", 1, "pilot")


def test_purchase_without_the_gold_is_refused(world):
    """The engineer's 2000 gold must be in the wallet."""
    world.game.register_mek("w1", "m1")
    world.game.deposit("w1", "gold", 1999)
    world.game.unlock_slot("w1", 1)
    world.refused(
        InsufficientFunds, "balance[gold]", 1999, world.game.purchase_job, "w1", 1, "engineer"
    )


def test_purchase_needs_the_total_meks(world):
    """The janitor needs one registered Mek in the wallet."""
    world.game.deposit("w1", "gold", 1000)
    world.game.unlock_slot("w1", 1)
    world.refused(JobLocked, "total_meks", 0, world.game.purchase_job, "w1", 1, "janitor")


def test_captain_needs_a_prestige(started):
    """The captain is refused to a wallet without a prestige."""
    g = started.game
    g.unlock_slot("w1", 2)
    started.refused(JobLocked, "prestige_count", 0, g.purchase_job, "w1", 2, "captain")


def test_captain_needs_the_engineer(prestiged):
    """With a prestige but no engineer bought, the captain is refused naming the missing job."""
    g = prestiged.game
    g.unlock_slot("w1", 2)
    prestiged.refused(JobLocked, "job_keys", ("engineer",), g.purchase_job, "w1", 2, "captain")


def test_captain_with_prestige_and_engineer(prestiged):
    """A prestige and a purchased engineer unlock the captain for 10000 gold."""
    g = prestiged.game
    g.unlock_slot("w1", 2)
    g.unlock_slot("w1", 3)
    g.purchase_job("w1", 2, "engineer")
    before = g.balance("w1", "gold")
    assert g.purchase_job("w1", 3, "captain").job_key == "captain"
    assert before - g.balance("w1", "gold") == 10_000


def test_available_jobs_lists_the_captain_as_locked_with_progress(started):
    """available_jobs shows the captain locked with its needs and the wallet's standing."""
    jobs = started.game.available_jobs("w1")
    assert [j.key for j in jobs.unlocked] == ["janitor", "engineer"]
    (locked,) = jobs.locked
    assert (locked.job.key, locked.needs_prestige_count, locked.needs_job_keys) == (
        "captain",
        1,
        ("engineer",),
    )
    assert (locked.current_prestige_count, locked.current_job_keys) == (0, ("janitor",))


def test_second_purchase_into_a_slot_is_refused(started):
    """A slot that holds a job refuses purchase_job (change_job is the way)."""
    started.refused(JobLocked, "slot_number", 1, started.game.purchase_job, "w1", 1, "engineer")


# -- changing a slot's job (policy 8.2) ----------------------------------------------------------


def test_locked_policy_refuses_job_change(started):
    """Under the default `locked` policy a slot's job cannot change."""
    started.refused(
        JobLocked,
        "policies.job_change.mode",
        "locked",
        started.game.change_job,
        "w1",
        1,
        "engineer",
    )


def test_repurchase_charges_the_job_price_and_unslots(make_world, variant_of):
    """`repurchase` charges the new job's price and unslots the Mek; its janitor progress stays."""
    w = make_world(variant_of(job_change=JobChangeMode.REPURCHASE))
    w.start()
    w.clock.advance(seconds=250)
    w.resolve()
    before = w.game.balance("w1", "gold")
    slot = w.game.change_job("w1", 1, "engineer")
    assert (slot.job_key, slot.mek_id) == ("engineer", None)
    assert before - w.game.balance("w1", "gold") == 2000
    view = w.game.progression("m1", "janitor")
    assert (view.tenure_ms, view.pit_stops_resolved, view.slot_number) == (250_000, 1, None)


def test_swap_charges_the_swap_fee(make_world, variant_of):
    """`swap` charges the policy's fee instead of the job's price."""
    w = make_world(variant_of(job_change=JobChangeMode.SWAP, swap_fee=Cost("gold", 300)))
    w.start()
    before = w.game.balance("w1", "gold")
    assert w.game.change_job("w1", 1, "engineer").job_key == "engineer"
    assert before - w.game.balance("w1", "gold") == 300


def test_swap_back_resumes_the_old_progression(make_world, variant_of):
    """Swapping back to the first job and reassigning resumes the Mek's frozen tenure there."""
    w = make_world(variant_of(job_change=JobChangeMode.SWAP, swap_fee=Cost("gold", 300)))
    w.start()
    w.clock.advance(seconds=90)
    w.game.change_job("w1", 1, "engineer")
    w.clock.advance(seconds=1000)
    w.game.change_job("w1", 1, "janitor")
    w.game.assign_mek("w1", 1, "m1")
    w.clock.advance(seconds=10)
    assert w.game.progression("m1", "janitor").tenure_ms == 100_000


def test_change_to_the_same_job_is_refused(make_world, variant_of):
    """Changing a slot to the job it holds is refused."""
    w = make_world(variant_of(job_change=JobChangeMode.REPURCHASE))
    w.start()
    w.refused(JobLocked, "job_key", "janitor", w.game.change_job, "w1", 1, "janitor")


def test_change_of_an_empty_slot_is_refused(make_world, variant_of):
    """A slot without a job needs purchase_job, not change_job."""
    w = make_world(variant_of(job_change=JobChangeMode.REPURCHASE))
    w.game.unlock_slot("w1", 1)
    w.refused(SlotNotPurchased, "slot_number", 1, w.game.change_job, "w1", 1, "janitor")


def test_repurchase_without_the_gold_is_refused(make_world, variant_of):
    """`repurchase` refuses with InsufficientFunds and leaves the Mek slotted."""
    w = make_world(variant_of(job_change=JobChangeMode.REPURCHASE))
    w.start(gold=100)
    w.refused(InsufficientFunds, "balance[gold]", 0, w.game.change_job, "w1", 1, "engineer")


# -- assigning -----------------------------------------------------------------------------------


def test_assign_starts_the_tenure_clock(started):
    """An assigned Mek accrues tenure from the moment it was slotted."""
    started.clock.advance(seconds=42)
    view = started.game.progression("m1", "janitor")
    assert (view.tenure_ms, view.slot_number, view.level) == (42_000, 1, 1)


def test_assign_a_mek_of_another_wallet_is_refused(started):
    """A wallet cannot put another wallet's Mek to work."""
    started.game.register_mek("w2", "m2")
    started.game.unslot_mek("w1", 1)
    started.refused(NotOwned, "mek_id", "m2", started.game.assign_mek, "w1", 1, "m2")


def test_assign_a_mek_busy_in_another_slot_is_refused(started):
    """A Mek working slot 1 cannot also work slot 2."""
    g = started.game
    g.unlock_slot("w1", 2)
    g.purchase_job("w1", 2, "engineer")
    started.refused(MekBusy, "mek_id", "m1", g.assign_mek, "w1", 2, "m1")


def test_assign_to_an_occupied_slot_is_refused(started):
    """A slot worked by one Mek refuses a second."""
    started.game.register_mek("w1", "m2")
    started.refused(MekBusy, "slot_number", 1, started.game.assign_mek, "w1", 1, "m2")


def test_assign_to_a_slot_without_a_job_is_refused(started):
    """A slot with no purchased job refuses a Mek."""
    started.game.unlock_slot("w1", 2)
    started.game.register_mek("w1", "m2")
    started.refused(SlotNotPurchased, "slot_number", 2, started.game.assign_mek, "w1", 2, "m2")


def test_assign_to_a_locked_slot_is_refused(started):
    """A slot that is not unlocked refuses a Mek."""
    started.game.register_mek("w1", "m2")
    started.refused(SlotLocked, "slot_number", 2, started.game.assign_mek, "w1", 2, "m2")


# -- unslotting ----------------------------------------------------------------------------------


def test_unslot_freezes_tenure(started):
    """After unslotting, time passes but the Mek's tenure in the job does not."""
    started.clock.advance(seconds=100)
    started.game.unslot_mek("w1", 1)
    started.clock.advance(seconds=1000)
    view = started.game.progression("m1", "janitor")
    assert (view.tenure_ms, view.slot_number) == (100_000, None)


def test_reassign_resumes_tenure(started):
    """Slotting the Mek again resumes from its frozen tenure."""
    started.clock.advance(seconds=100)
    started.game.unslot_mek("w1", 1)
    started.clock.advance(seconds=1000)
    started.game.assign_mek("w1", 1, "m1")
    started.clock.advance(seconds=25)
    assert started.game.progression("m1", "janitor").tenure_ms == 125_000


def test_unslot_an_empty_slot_is_refused(started):
    """Unslotting a slot that has no Mek is refused."""
    started.game.unslot_mek("w1", 1)
    started.refused(SlotEmpty, "slot_number", 1, started.game.unslot_mek, "w1", 1)
