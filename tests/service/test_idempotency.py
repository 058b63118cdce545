"""Idempotency keys (decision 15): a retry returns the first result and changes nothing."""

import pytest

from jobslot_core.catalog import Cost, JobChangeMode
from jobslot_core.errors import IdempotencyConflict, InsufficientFunds


def _due(w):
    w.clock.advance(seconds=200)
    return w.game.open_pit_stop("w1", "m1", "janitor").offer_id


def _max(w):
    w.to_max()


# name -> (setup(world) -> extra, command(world, extra, key))
COMMANDS = {
    "register_mek": (None, lambda w, _, k: w.game.register_mek("w1", "m9", idempotency_key=k)),
    "transfer_mek": (None, lambda w, _, k: w.game.transfer_mek("m1", "w2", idempotency_key=k)),
    "set_mek_available": (
        lambda w: w.game.unslot_mek("w1", 1),
        lambda w, _, k: w.game.set_mek_available("m1", False, idempotency_key=k),
    ),
    "deposit": (None, lambda w, _, k: w.game.deposit("w1", "gold", 5, idempotency_key=k)),
    "withdraw": (None, lambda w, _, k: w.game.withdraw("w1", "gold", 5, idempotency_key=k)),
    "unlock_slot": (None, lambda w, _, k: w.game.unlock_slot("w1", 2, idempotency_key=k)),
    "purchase_job": (
        lambda w: w.game.unlock_slot("w1", 2),
        lambda w, _, k: w.game.purchase_job("w1", 2, "engineer", idempotency_key=k),
    ),
    "change_job": (
        None,
        lambda w, _, k: w.game.change_job("w1", 1, "engineer", idempotency_key=k),
    ),
    "assign_mek": (
        lambda w: w.game.unslot_mek("w1", 1),
        lambda w, _, k: w.game.assign_mek("w1", 1, "m1", idempotency_key=k),
    ),
    "unslot_mek": (None, lambda w, _, k: w.game.unslot_mek("w1", 1, idempotency_key=k)),
    "open_pit_stop": (
        lambda w: w.clock.advance(seconds=200),
        lambda w, _, k: w.game.open_pit_stop("w1", "m1", "janitor", idempotency_key=k),
    ),
    "select_buff": (_due, lambda w, o, k: w.game.select_buff("w1", o, 1, idempotency_key=k)),
    "reroll_offer": (_due, lambda w, o, k: w.game.reroll_offer("w1", o, idempotency_key=k)),
    "prestige": (_max, lambda w, _, k: w.game.prestige("w1", "m1", "janitor", idempotency_key=k)),
}


@pytest.fixture
def policy_world(make_world, variant_of):
    """m1 working the janitor in slot 1, with re-rolls and job swaps priced (so both may run)."""
    w = make_world(
        variant_of(
            reroll=Cost("gold", 50), job_change=JobChangeMode.SWAP, swap_fee=Cost("gold", 10)
        )
    )
    w.start()
    return w


@pytest.mark.parametrize("name", list(COMMANDS))
def test_retry_returns_the_first_result_and_changes_nothing(policy_world, name):
    """The same key with the same arguments returns the first result; the store is unchanged."""
    w = policy_world
    setup, command = COMMANDS[name]
    extra = setup(w) if setup else None
    first = command(w, extra, f"key-{name}")
    before = w.snapshot()
    w.clock.advance(seconds=7)
    assert command(w, extra, f"key-{name}") == first
    assert w.snapshot() == before


def test_same_key_other_arguments_is_a_conflict(started):
    """A key reused with another amount raises IdempotencyConflict and changes nothing."""
    started.game.deposit("w1", "gold", 5, idempotency_key="k")
    started.refused(
        IdempotencyConflict,
        "idempotency_key",
        "k",
        started.game.deposit,
        "w1",
        "gold",
        6,
        idempotency_key="k",
    )


def test_same_key_other_command_is_a_conflict(started):
    """A key reused for a different command raises IdempotencyConflict."""
    started.game.deposit("w1", "gold", 5, idempotency_key="k")
    started.refused(
        IdempotencyConflict,
        "idempotency_key",
        "k",
        started.game.withdraw,
        "w1",
        "gold",
        5,
        idempotency_key="k",
    )


def test_retry_after_state_moved_on_still_returns_the_first_result(started):
    """A late retry of a deposit returns the original journal line, not a new one."""
    first = started.game.deposit("w1", "gold", 5, idempotency_key="k")
    started.game.withdraw("w1", "gold", 1000)
    assert started.game.deposit("w1", "gold", 5, idempotency_key="k") == first
    assert started.game.balance("w1", "gold") == 100_000 - 100 + 5 - 1000


def test_refused_command_does_not_burn_its_key(world):
    """A command refused the first time runs normally when retried with the same key."""
    with pytest.raises(InsufficientFunds):
        world.game.withdraw("w1", "gold", 5, idempotency_key="k")
    world.game.deposit("w1", "gold", 10)
    assert world.game.withdraw("w1", "gold", 5, idempotency_key="k").balance_after == 5
