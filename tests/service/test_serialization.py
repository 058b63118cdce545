"""Every result of every command and query survives to_dict -> JSON -> from_dict unchanged."""

import json
from typing import Any

import pytest

from jobslot_core import Catalog, from_dict, to_dict
from jobslot_core.catalog import Cost, JobChangeMode
from jobslot_core.model import (
    CatalogVersion,
    Event,
    JobSlot,
    LedgerEntry,
    Mek,
    Offer,
    OfferSecret,
    PrestigeRecord,
    Selection,
)
from jobslot_core.progression import ProgressionView
from jobslot_core.results import (
    AvailableJobs,
    MekBuffs,
    PlayerSlots,
    PrestigePreview,
    WalletTotals,
)


def _play(w) -> dict[str, tuple[Any, Any]]:
    """Run one of every command and query; name -> (declared result type, result)."""
    g, out = w.game, {}

    def keep(name, kind, value):
        out[name] = (kind, value)
        return value

    keep("register_mek", Mek, g.register_mek("w1", "m1"))
    g.register_mek("w1", "m2")
    keep("deposit", LedgerEntry, g.deposit("w1", "gold", 100_000))
    keep("withdraw", LedgerEntry, g.withdraw("w1", "gold", 1))
    keep("unlock_slot", JobSlot, g.unlock_slot("w1", 1))
    g.unlock_slot("w1", 2)
    keep("purchase_job", JobSlot, g.purchase_job("w1", 1, "janitor"))
    g.purchase_job("w1", 2, "janitor")
    keep("change_job", JobSlot, g.change_job("w1", 2, "engineer"))
    keep("assign_mek", JobSlot, g.assign_mek("w1", 1, "m1"))
    g.assign_mek("w1", 2, "m2")
    w.clock.advance(seconds=200)
    keep("progression", ProgressionView, g.progression("m1", "janitor"))
    offer = keep("open_pit_stop", Offer, g.open_pit_stop("w1", "m1", "janitor"))
    offer = keep("reroll_offer", Offer, g.reroll_offer("w1", offer.offer_id))
    keep("select_buff", Selection, g.select_buff("w1", offer.offer_id, w.index(offer)))
    w.to_max()
    keep("active_buffs", MekBuffs, g.active_buffs("m1"))
    keep("wallet_totals", WalletTotals, g.wallet_totals("w1"))
    keep("buff_history", tuple[Offer, ...], g.buff_history("m1", "janitor"))
    keep("prestige_preview", PrestigePreview, g.prestige_preview("m1", "janitor"))
    keep("prestige", PrestigeRecord, g.prestige("w1", "m1", "janitor"))
    keep("available_jobs", AvailableJobs, g.available_jobs("w1"))
    keep("player_slots", PlayerSlots, g.player_slots("w1"))
    keep("unslot_mek", JobSlot, g.unslot_mek("w1", 1))
    keep("set_mek_available", Mek, g.set_mek_available("m1", False))
    keep("transfer_mek", Mek, g.transfer_mek("m1", "w2"))
    keep("balance", int, g.balance("w1", "gold"))
    keep("ledger", tuple[LedgerEntry, ...], g.ledger("w1"))
    keep("events", tuple[Event, ...], g.events())
    keep("ack", int, g.ack(3))
    keep("cursor", int, g.cursor())
    keep("admin.versions", tuple[CatalogVersion, ...], w.admin.versions())
    keep("admin.catalog", Catalog, w.admin.catalog())
    keep("admin.secrets", tuple[OfferSecret, ...], w.admin.secrets())
    return out


RESULTS = [
    "register_mek", "deposit", "withdraw", "unlock_slot", "purchase_job", "change_job",
    "assign_mek", "progression", "open_pit_stop", "reroll_offer", "select_buff", "active_buffs",
    "wallet_totals", "buff_history", "prestige_preview", "prestige", "available_jobs",
    "player_slots", "unslot_mek", "set_mek_available", "transfer_mek", "balance", "ledger",
    "events", "ack", "cursor", "admin.versions", "admin.catalog", "admin.secrets",
]  # fmt: skip


@pytest.fixture
def played(make_world, variant_of):
    """A game that ran every command and query once (policies that allow all of them)."""
    cat = variant_of(
        reroll=Cost("gold", 50), job_change=JobChangeMode.SWAP, swap_fee=Cost("gold", 10)
    )
    return _play(make_world(cat))


def test_every_command_and_query_is_covered(played):
    """The round-trip list names every result the session produced."""
    assert sorted(played) == sorted(RESULTS)


@pytest.mark.parametrize("name", RESULTS)
def test_result_round_trips_through_json(played, name):
    """to_dict gives JSON-safe data that from_dict turns back into an equal result."""
    kind, result = played[name]
    data = json.loads(json.dumps(to_dict(result)))
    assert from_dict(kind, data) == result
