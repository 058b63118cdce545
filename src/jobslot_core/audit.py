"""Whole-store invariant checks: what must hold after any sequence of commands or a crash.

Used by `python -m jobslot_core db check`, the crash tests and the stateful tests. Reads
everything, so it is for maintenance and tests, not for a request path.
"""

import itertools
from collections import Counter, defaultdict

from . import buffs as buff_math
from .model import ActiveBuff, OfferStatus
from .storage.protocol import (
    ACTIVE_BUFFS,
    BALANCES,
    EVENTS,
    LEDGER,
    MEK_TOTALS,
    MEKS,
    OFFERS,
    PRESTIGES,
    PROGRESSIONS,
    SELECTIONS,
    SLOTS,
    WALLET_STATS,
    WALLET_TOTALS,
    Store,
    UnitOfWork,
)

__all__ = ["audit", "audit_uow"]


def audit(store: Store) -> tuple[str, ...]:
    """Every broken invariant in the store, one line each; empty when all hold."""
    with store.unit_of_work(write=False) as uow:
        return audit_uow(uow)


def audit_uow(uow: UnitOfWork) -> tuple[str, ...]:
    """`audit` inside an open unit of work."""
    problems: list[str] = []
    add = problems.append
    events = uow.scan(EVENTS)
    kinds = Counter(e.kind for e in events)

    # Ledger: balance = sum of journal, never negative, each line has its event.
    ledger = uow.scan(LEDGER)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for entry in ledger:
        sums[(entry.wallet, entry.currency)] += entry.amount
        if sums[(entry.wallet, entry.currency)] != entry.balance_after:
            add(f"ledger #{entry.seq}: balance_after {entry.balance_after} != running sum")
    balances = {(b.wallet, b.currency): b.amount for b in uow.find(BALANCES)}
    for key in set(sums) | set(balances):
        if balances.get(key, 0) != sums.get(key, 0):
            add(f"balance {key}: {balances.get(key, 0)} != journal sum {sums.get(key, 0)}")
        if balances.get(key, 0) < 0:
            add(f"balance {key} is negative")
    currency_events = {
        e.data.get("ledger_seq") for e in events if e.kind in ("CurrencyGranted", "CurrencySpent")
    }
    for entry in ledger:
        if entry.seq not in currency_events:
            add(f"ledger #{entry.seq} has no currency event")
    if len(currency_events) != len(ledger):
        add(f"{len(currency_events)} currency events for {len(ledger)} ledger lines")

    # Offers, selections, buffs.
    offers = {o.offer_id: o for o in uow.find(OFFERS)}
    selections = uow.find(SELECTIONS)
    buffs = {b.buff_id: b for b in uow.find(ACTIVE_BUFFS)}
    lost = {b.buff_id for p in uow.find(PRESTIGES) for b in p.buffs_lost}
    selected_events = {e.data.get("offer_id") for e in events if e.kind == "BuffSelected"}
    ledger_refs = {e.reference for e in ledger}
    for s in selections:
        offer = offers.get(s.offer_id)
        if offer is None or offer.status is not OfferStatus.SELECTED:
            add(f"selection {s.offer_id} has no selected offer")
        elif (
            offer.selected_index != s.selected_index or offer.choices[s.selected_index] != s.choice
        ):
            add(f"selection {s.offer_id} differs from its offer")
        if s.offer_id not in buffs and s.offer_id not in lost:
            add(f"selection {s.offer_id} has no buff")
        if not s.choice.permanent and s.offer_id not in ledger_refs:
            add(f"one-time selection {s.offer_id} has no ledger entry")
        if s.offer_id not in selected_events:
            add(f"selection {s.offer_id} has no BuffSelected event")
    if len(selected_events) != len(selections):
        add(f"{len(selected_events)} BuffSelected events for {len(selections)} selections")
    selected_ids = {s.offer_id for s in selections}
    for offer in offers.values():
        if offer.status is OfferStatus.SELECTED and offer.offer_id not in selected_ids:
            add(f"offer {offer.offer_id} is selected without a selection record")
    opened = kinds["PitStopOpened"] + kinds["OfferRerolled"]
    if opened != len(offers):
        add(f"{opened} offer events for {len(offers)} offers")
    for buff_id in buffs:
        if buff_id not in selected_ids:
            add(f"buff {buff_id} has no selection")

    # Progressions agree with selections and slots.
    per_pit_stop = Counter((s.mek_id, s.job_key, s.prestige_sequence) for s in selections)
    slots = uow.find(SLOTS)
    slotted = {(s.mek_id, s.job_key): s for s in slots if s.mek_id is not None}
    for p in uow.find(PROGRESSIONS):
        done = per_pit_stop[(p.mek_id, p.job_key, p.prestige_count)]
        if done != p.pit_stops_resolved:
            add(
                f"progression {p.mek_id}/{p.job_key}: "
                f"{p.pit_stops_resolved} resolved, {done} selected"
            )
        slot = slotted.pop((p.mek_id, p.job_key), None)
        if (slot is None) != (p.slot_number is None) or (
            slot is not None and slot.slot_number != p.slot_number
        ):
            add(f"progression {p.mek_id}/{p.job_key} and its slot disagree")
    for mek_id, job_key in slotted:
        add(f"slot holds {mek_id} in {job_key} without a slotted progression")
    if kinds["SlotUnlocked"] != len(slots):
        add(f"{kinds['SlotUnlocked']} SlotUnlocked events for {len(slots)} slots")

    # Write skew (what lock scopes protect): a Mek works at most one slot, an unavailable Mek
    # works none, and a slot's Mek belongs to the slot's wallet.
    meks = {m.mek_id: m for m in uow.find(MEKS)}
    working = Counter(s.mek_id for s in slots if s.mek_id is not None)
    for mek_id, count in sorted(working.items()):
        if count > 1:
            add(f"Mek {mek_id} works {count} slots")
    for slot in slots:
        if slot.mek_id is None:
            continue
        worker = meks.get(slot.mek_id)
        where = f"{slot.wallet}/{slot.slot_number}"
        if worker is None:
            add(f"slot {where} holds unregistered Mek {slot.mek_id}")
        elif not worker.available:
            add(f"unavailable Mek {slot.mek_id} works slot {where}")
        elif worker.wallet != slot.wallet:
            add(f"Mek {slot.mek_id} of wallet {worker.wallet} works slot {where}")

    # Totals projections match the buffs.
    if kinds["MekRegistered"] != len(meks):
        add(f"{kinds['MekRegistered']} MekRegistered events for {len(meks)} Meks")
    by_mek: dict[str, list[ActiveBuff]] = defaultdict(list)
    for b in buffs.values():
        by_mek[b.mek_id].append(b)
    stored_mek = {(t.mek_id, t.effect_type): t for t in uow.find(MEK_TOTALS)}
    wallet_sum: dict[tuple[str, str], int] = defaultdict(int)
    expected_mek: dict[tuple[str, str], int] = {}
    for mek_id, kept in by_mek.items():
        for effect, units in buff_math.mek_totals(kept).items():
            expected_mek[(mek_id, effect)] = units
    for key in set(expected_mek) | set(stored_mek):
        stored = stored_mek.get(key)
        if stored is None or stored.units != expected_mek.get(key):
            add(
                f"mek total {key} is {stored.units if stored else None}, "
                f"buffs give {expected_mek.get(key)}"
            )
        elif key[0] in meks and stored.wallet != meks[key[0]].wallet:
            add(f"mek total {key} is under wallet {stored.wallet}, not the owner")
        if stored is not None:
            wallet_sum[(stored.wallet, key[1])] += stored.units
    stored_wallet = {(t.wallet, t.effect_type): t.units for t in uow.find(WALLET_TOTALS)}
    for key in set(stored_wallet) | {k for k, v in wallet_sum.items() if v}:
        if stored_wallet.get(key, 0) != wallet_sum.get(key, 0):
            add(
                f"wallet total {key} is {stored_wallet.get(key, 0)}, "
                f"Meks give {wallet_sum.get(key, 0)}"
            )

    # Prestiges.
    prestiges = uow.find(PRESTIGES)
    if kinds["Prestiged"] != len(prestiges):
        add(f"{kinds['Prestiged']} Prestiged events for {len(prestiges)} prestige records")
    per_wallet = Counter(p.wallet for p in prestiges)
    for stats in uow.find(WALLET_STATS):
        if stats.prestige_count != per_wallet.get(stats.wallet, 0):
            add(f"wallet {stats.wallet}: prestige_count {stats.prestige_count} != records")

    # Outbox order.
    for earlier, later in itertools.pairwise(events):
        if later.seq <= earlier.seq:
            add(f"event seq {later.seq} after {earlier.seq}")
    return tuple(problems)
