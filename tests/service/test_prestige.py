"""Prestige: readiness, the reset, policy 8.1 rewards and policy 8.3 buff carry."""

import attrs
import pytest

from jobslot_core.buffs import to_units
from jobslot_core.catalog import PrestigeReward
from jobslot_core.errors import NotOwned, PrestigeNotReady
from jobslot_core.model import Reward

PERMANENT = ("gold_per_hour", "essence_per_day", "tenure_rate")


def gold(choice):
    """Accept the gold-per-hour choice."""
    return choice.buff_key == "gold_per_hour"


@pytest.fixture
def permanent_world(make_world, variant_of):
    """Only the three permanent buff types are active, so every offer holds all three."""
    w = make_world(variant_of(buffs=PERMANENT))
    w.start()
    return w


# -- readiness -----------------------------------------------------------------------------------


def test_prestige_with_a_pending_pit_stop_is_refused(started):
    """At max level with pit stop 3 unresolved, prestige raises PrestigeNotReady."""
    started.clock.advance(seconds=1000)
    started.resolve()
    started.resolve()
    started.refused(
        PrestigeNotReady, "pending_pit_stops", 1, started.game.prestige, "w1", "m1", "janitor"
    )


def test_prestige_below_max_level_is_refused(started):
    """At level 7 with every due pit stop resolved, prestige raises PrestigeNotReady."""
    started.clock.advance(seconds=500)
    started.resolve()
    started.resolve()
    started.refused(PrestigeNotReady, "level", 7, started.game.prestige, "w1", "m1", "janitor")


def test_prestige_of_another_wallets_mek_is_refused(started):
    """Only the Mek's owner may prestige it."""
    started.to_max()
    started.refused(NotOwned, "mek_id", "m1", started.game.prestige, "w2", "m1", "janitor")


def test_preview_explains_why_not(started):
    """prestige_preview lists the level and pending pit stops that block the prestige."""
    started.clock.advance(seconds=1000)
    preview = started.game.prestige_preview("m1", "janitor")
    assert (preview.eligible, preview.level, preview.pending_pit_stops) == (False, 10, 3)
    assert preview.reasons == ("3 pit stop(s) to resolve first",)


def test_preview_when_ready_lists_losses_and_rewards(started):
    """At max level with all resolved, the preview lists the buffs lost and the account buff."""
    started.to_max()
    preview = started.game.prestige_preview("m1", "janitor")
    assert preview.eligible
    assert preview.buffs_lost == started.game.active_buffs("m1").buffs
    assert preview.rewards == (Reward("account_buff", percent=1.0),)


# -- the reset -----------------------------------------------------------------------------------


def test_prestige_resets_the_job_to_level_one(started):
    """Prestige sets tenure, level and resolved pit stops back to the start; one prestige counts."""
    started.to_max()
    record = started.game.prestige("w1", "m1", "janitor")
    assert (record.prestige_number, record.level_before, record.tenure_before_ms) == (
        1,
        10,
        1_000_000,
    )
    view = started.game.progression("m1", "janitor")
    assert (view.level, view.tenure_ms, view.pit_stops_resolved, view.prestige_count) == (
        1,
        0,
        0,
        1,
    )


def test_tenure_accrues_again_after_prestige(started):
    """The Mek stays slotted after prestige and its new tenure grows from zero."""
    started.to_max()
    started.game.prestige("w1", "m1", "janitor")
    started.clock.advance(seconds=200)
    view = started.game.progression("m1", "janitor")
    assert (view.tenure_ms, view.next_pit_stop, view.pit_stop_ready) == (200_000, 1, True)


def test_new_prestige_sequence_gets_new_offers(started):
    """Pit stop 1 after a prestige is a new offer under prestige sequence 1."""
    first = started.to_max()[0][0]
    started.game.prestige("w1", "m1", "janitor")
    started.clock.advance(seconds=200)
    again = started.game.open_pit_stop("w1", "m1", "janitor")
    assert (again.pit_stop_number, again.prestige_sequence) == (1, 1)
    assert again.offer_id != first.offer_id


def test_prestige_clears_the_jobs_buffs(started):
    """Under the default `clear` policy the job's permanent buffs are gone, recorded as lost."""
    started.to_max()
    kept = started.game.active_buffs("m1").buffs
    record = started.game.prestige("w1", "m1", "janitor")
    assert record.buffs_lost == kept and record.buffs_diminished == ()
    assert started.game.active_buffs("m1").buffs == ()
    assert started.game.wallet_totals("w1").base == {}


def test_prestige_grants_the_account_buff(permanent_world):
    """After one prestige, gold and essence rates count 1.01 times in the wallet totals."""
    w = permanent_world
    w.to_max()
    w.game.prestige("w1", "m1", "janitor")
    w.clock.advance(seconds=200)
    w.resolve(pick=gold)
    totals = w.game.wallet_totals("w1")
    assert totals.account_prestiges == 1
    assert totals.totals["gold_rate"] == pytest.approx(totals.base["gold_rate"] * 1.01)


def test_account_buff_stacks_per_prestige(permanent_world):
    """Two prestiges make the multiplier 1.02."""
    w = permanent_world
    for _ in range(2):
        w.to_max()
        w.game.prestige("w1", "m1", "janitor")
    w.clock.advance(seconds=200)
    w.resolve(pick=gold)
    totals = w.game.wallet_totals("w1")
    assert totals.totals["gold_rate"] == pytest.approx(totals.base["gold_rate"] * 1.02)


def test_account_buff_leaves_other_effects_alone(permanent_world):
    """tenure_rate is not among the account buff's effects and counts as is."""
    w = permanent_world
    w.to_max()
    w.game.prestige("w1", "m1", "janitor")
    w.clock.advance(seconds=200)
    w.resolve(pick=lambda c: c.buff_key == "tenure_rate")
    totals = w.game.wallet_totals("w1")
    assert totals.totals["tenure_rate"] == totals.base["tenure_rate"]


def test_token_reward_credits_the_ledger(make_world, catalog):
    """A prestige policy with tokens credits them through the ledger."""
    policies = attrs.evolve(catalog.policies, prestige=PrestigeReward(tokens=3))
    w = make_world(attrs.evolve(catalog, policies=policies))
    w.start()
    w.to_max()
    w.game.prestige("w1", "m1", "janitor")
    assert w.game.balance("w1", "prestige_token") == 3
    assert w.game.ledger("w1", "prestige_token")[0].reason == "prestige janitor #1"


# -- keep_diminished (policy 8.3) ------------------------------------------------------------------


@pytest.fixture
def diminished(make_world, variant_of):
    """Two janitor runs and two prestiges under keep_diminished 0.5; returns (world, runs)."""
    w = make_world(variant_of(buffs=PERMANENT, keep_diminished=0.5))
    w.start()
    runs = []
    for _ in range(2):
        runs.append([offer.choices[i] for offer, i in w.to_max(pick=gold)])
        w.game.prestige("w1", "m1", "janitor")
    return w, runs


def test_keep_diminished_scales_old_buffs_per_prestige(diminished):
    """Buffs of the first run count at value * 0.25 and of the second at value * 0.5."""
    w, runs = diminished
    buffs = sorted(
        w.game.active_buffs("m1").buffs, key=lambda b: (b.prestige_sequence, b.pit_stop_number)
    )
    assert [(b.prestige_sequence, b.scale) for b in buffs] == [(0, 0.25)] * 3 + [(1, 0.5)] * 3
    assert [b.value for b in buffs] == [c.value for run in runs for c in run]


def test_keep_diminished_totals_reflect_the_factor(diminished):
    """The gold rate total is the sum of the diminished values, times the 1.02 account buff."""
    w, runs = diminished
    units = sum(to_units(c.value * 0.25) for c in runs[0]) + sum(
        to_units(c.value * 0.5) for c in runs[1]
    )
    totals = w.game.wallet_totals("w1")
    assert totals.base["gold_rate"] == units / 1_000_000
    assert totals.totals["gold_rate"] == pytest.approx(units / 1_000_000 * 1.02)
    assert w.game.active_buffs("m1").totals["gold_rate"] == units / 1_000_000


def test_keep_diminished_preview_lists_buffs_as_diminished(diminished):
    """A third prestige's preview lists all six buffs as diminished and none as lost."""
    w, _ = diminished
    w.to_max(pick=gold)
    kept = w.game.active_buffs("m1").buffs
    preview = w.game.prestige_preview("m1", "janitor")
    assert preview.eligible and preview.buffs_lost == ()
    assert {b.buff_id for b in preview.buffs_diminished} == {b.buff_id for b in kept}
    assert len(kept) == 9
