"""audit: the write skews that lock scopes prevent are reported when a store holds one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from jobslot_core.audit import audit
from jobslot_core.storage.protocol import MEKS, SLOTS


def _edit_store(world: Any, change: Callable[[Any], None]) -> tuple[str, ...]:
    """Apply `change(uow)` straight to the store (as a racing adapter would), then audit; the
    damage is undone afterwards so the fixture's own audit passes."""
    before = world.snapshot()
    with world.store.unit_of_work() as uow:
        change(uow)
        uow.commit()
    problems = audit(world.store)
    with world.store.unit_of_work() as uow:
        for name in (MEKS.name, SLOTS.name):
            table = MEKS if name == MEKS.name else SLOTS
            for record in uow.find(table):
                uow.delete(table, table.key_of(record))
            for record in before[name]:
                uow.put(table, record)
        uow.commit()
    return problems


def test_a_clean_store_has_no_write_skew(started: Any) -> None:
    """The started game (one Mek working one slot) passes audit."""
    assert audit(started.store) == ()


def test_a_mek_working_two_slots_is_reported(started: Any) -> None:
    """Two slots holding one Mek (two racing assign_mek) is a problem."""
    started.game.unlock_slot("w1", 2)
    started.game.purchase_job("w1", 2, "janitor")

    def skew(uow: Any) -> None:
        slot = uow.get(SLOTS, ("w1", 2))
        uow.put(SLOTS, attrs.evolve(slot, mek_id="m1", slotted_at_ms=0))

    assert "Mek m1 works 2 slots" in _edit_store(started, skew)


def test_an_unavailable_mek_working_is_reported(started: Any) -> None:
    """A working Mek marked unavailable (assign racing set_mek_available) is a problem."""

    def skew(uow: Any) -> None:
        mek = uow.get(MEKS, ("m1",))
        uow.put(MEKS, attrs.evolve(mek, available=False))

    assert "unavailable Mek m1 works slot w1/1" in _edit_store(started, skew)


def test_a_slot_holding_another_wallets_mek_is_reported(started: Any) -> None:
    """A Mek owned by w2 working in w1's slot (assign racing transfer_mek) is a problem."""

    def skew(uow: Any) -> None:
        mek = uow.get(MEKS, ("m1",))
        uow.put(MEKS, attrs.evolve(mek, wallet="w2"))

    assert "Mek m1 of wallet w2 works slot w1/1" in _edit_store(started, skew)
