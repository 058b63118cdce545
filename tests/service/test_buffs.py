"""Buff totals: stacking, non-stacking (decision 14), one-time buffs and the ledger."""

import pytest

from jobslot_core.buffs import to_units


def tenure(choice):
    """Accept the non-stacking tenure-rate choice."""
    return choice.buff_key == "tenure_rate"


def gold(choice):
    """Accept the gold-per-hour choice."""
    return choice.buff_key == "gold_per_hour"


@pytest.fixture
def permanent_world(make_world, variant_of):
    """Only gold, essence and tenure rate are active: every offer holds all three."""
    w = make_world(variant_of(buffs=("gold_per_hour", "essence_per_day", "tenure_rate")))
    w.start()
    return w


@pytest.fixture
def one_time_world(make_world, variant_of):
    """Only flat gold, gold and essence rate are active: every offer holds a one-time buff."""
    w = make_world(variant_of(buffs=("flat_gold", "gold_per_hour", "essence_per_day")))
    w.start()
    return w


def test_stacking_buffs_add_up(permanent_world):
    """Three gold-per-hour buffs on one Mek add up in its totals and the wallet's."""
    w = permanent_world
    values = [offer.choices[i].value for offer, i in w.to_max(pick=gold)]
    expected = sum(to_units(v) for v in values) / 1_000_000
    assert w.game.active_buffs("m1").totals == {"gold_rate": expected}
    assert w.game.wallet_totals("w1").base == {"gold_rate": expected}


def test_non_stacking_buff_counts_only_its_highest_value(permanent_world):
    """Three tenure-rate buffs are all kept, but only the highest counts (decision 14)."""
    w = permanent_world
    values = [offer.choices[i].value for offer, i in w.to_max(pick=tenure)]
    kept = w.game.active_buffs("m1")
    assert sorted(b.value for b in kept.buffs) == sorted(values)
    assert kept.totals == {"tenure_rate": max(values)}
    assert w.game.wallet_totals("w1").base == {"tenure_rate": max(values)}


def test_non_stacking_is_per_mek(make_world, variant_of):
    """Two Meks each count their own best tenure-rate buff in the wallet total."""
    w = make_world(variant_of(buffs=("gold_per_hour", "essence_per_day", "tenure_rate")))
    w.start()
    w.game.register_mek("w1", "m2")
    w.game.unlock_slot("w1", 2)
    w.game.purchase_job("w1", 2, "janitor")
    w.game.assign_mek("w1", 2, "m2")
    w.clock.advance(seconds=200)
    a = w.resolve("w1", "m1", pick=tenure)
    b = w.resolve("w1", "m2", pick=tenure)
    total = (to_units(a[0].choices[a[1]].value) + to_units(b[0].choices[b[1]].value)) / 1e6
    assert w.game.wallet_totals("w1").base == {"tenure_rate": total}


def test_one_time_buff_credits_the_ledger_at_once(one_time_world):
    """Selecting flat gold raises the gold balance by its value with a journal line."""
    w = one_time_world
    w.clock.advance(seconds=200)
    before = w.game.balance("w1", "gold")
    offer, index = w.resolve(pick=lambda c: not c.permanent)
    value = int(offer.choices[index].value)
    assert w.game.balance("w1", "gold") == before + value
    line = w.game.ledger("w1", "gold")[-1]
    assert (line.amount, line.reason, line.reference) == (value, "buff flat_gold", offer.offer_id)


def test_one_time_buff_is_kept_as_consumed(one_time_world):
    """The selected one-time buff is kept as consumed and adds nothing to totals."""
    w = one_time_world
    w.clock.advance(seconds=200)
    offer, _ = w.resolve(pick=lambda c: not c.permanent)
    kept = w.game.active_buffs("m1")
    assert kept.buffs == () and kept.totals == {}
    (consumed,) = kept.consumed
    assert (consumed.buff_id, consumed.buff_key, consumed.consumed) == (
        offer.offer_id,
        "flat_gold",
        True,
    )


def test_consumed_buffs_survive_prestige(one_time_world):
    """Prestige clears permanent buffs of the job but the consumed ones stay in the record."""
    w = one_time_world
    w.to_max(pick=lambda c: not c.permanent)
    w.game.prestige("w1", "m1", "janitor")
    assert len(w.game.active_buffs("m1").consumed) == 3
