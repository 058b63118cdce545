"""Job slots: unlocking (policy 8.4), buying and changing jobs (8.2), putting Meks to work and
taking them out. Tenure is checkpointed whenever a Mek enters or leaves a slot (decision 11)."""

from __future__ import annotations

from typing import Any

from ..catalog import JobChangeMode, JobType
from ..errors import (
    AlreadyExists,
    JobLocked,
    MekBusy,
    MekUnavailable,
    SlotEmpty,
    SlotLocked,
    SlotNotPurchased,
)
from ..model import JobSlot, Progression, WalletStats, replace
from ..storage.protocol import MEKS, PROGRESSIONS, SLOTS, WALLET_STATS, mek_scope
from . import ledger
from ._context import Context, check_int

__all__ = [
    "assign_mek",
    "change_job",
    "checkpoint",
    "job_unlock_refusal",
    "purchase_job",
    "unlock_slot",
    "unslot",
    "unslot_anywhere",
    "unslot_mek",
]


def checkpoint(p: Progression, now_ms: int, **changes: Any) -> Progression:
    """Write the tenure accrued so far into the record (with `changes`, in the same copy); the
    checkpoint never moves backwards."""
    return replace(
        p,
        tenure_ms=p.tenure_at(now_ms),
        tenure_updated_ms=max(now_ms, p.tenure_updated_ms),
        **changes,
    )


def job_unlock_refusal(job: JobType, stats: WalletStats, meks: int) -> JobLocked | None:
    """Why the wallet may not buy `job` yet (its first unmet requirement), or None."""
    need = job.unlock
    if stats.prestige_count < need.prestige_count:
        return JobLocked(
            "prestige_count",
            stats.prestige_count,
            f"{job.key} needs {need.prestige_count} prestiges",
        )
    missing = tuple(k for k in need.job_keys if k not in stats.jobs_purchased)
    if missing:
        return JobLocked("job_keys", missing, f"{job.key} needs these jobs purchased first")
    if meks < need.total_meks:
        return JobLocked("total_meks", meks, f"{job.key} needs {need.total_meks} Meks")
    return None


def unlock_slot(ctx: Context, wallet: str, slot_number: int) -> JobSlot:
    check_int("slot_number", slot_number, 1)
    policy = ctx.catalog.policies.slot_unlock
    unlocked = len(ctx.uow.find(SLOTS, wallet=wallet))
    if slot_number <= unlocked:
        raise AlreadyExists("slot_number", slot_number, "is already unlocked")
    if slot_number != unlocked + 1:
        raise SlotLocked("slot_number", slot_number, f"unlock slot {unlocked + 1} first")
    if slot_number > policy.max_slots:
        raise SlotLocked("slot_number", slot_number, f"the policy allows {policy.max_slots} slots")
    rule = policy.rule_for(slot_number)
    stats = ctx.stats(wallet)
    if stats.prestige_count < rule.min_prestiges:
        raise SlotLocked(
            "prestige_count",
            stats.prestige_count,
            f"slot {slot_number} needs {rule.min_prestiges} prestiges",
        )
    meks = len(ctx.uow.find(MEKS, wallet=wallet))
    if meks < rule.min_meks:
        raise SlotLocked("total_meks", meks, f"slot {slot_number} needs {rule.min_meks} Meks")
    ledger.charge(ctx, wallet, rule.cost, f"unlock slot {slot_number}")
    slot = JobSlot(wallet, slot_number, ctx.now)
    ctx.uow.add(SLOTS, slot)
    ctx.emit("SlotUnlocked", wallet, slot_number=slot_number)
    return slot


def _check_unlock(ctx: Context, wallet: str, job: JobType) -> None:
    refusal = job_unlock_refusal(job, ctx.stats(wallet), len(ctx.uow.find(MEKS, wallet=wallet)))
    if refusal is not None:
        raise refusal


def _put_job(ctx: Context, wallet: str, slot: JobSlot, job: JobType) -> JobSlot:
    if slot.mek_id is not None:
        slot = unslot(ctx, slot)
    stats = ctx.stats(wallet)
    if job.key not in stats.jobs_purchased:
        ctx.uow.put(
            WALLET_STATS, replace(stats, jobs_purchased=(*stats.jobs_purchased, job.key))
        )
    changed = replace(slot, job_key=job.key, purchased_at_ms=ctx.now)
    ctx.uow.put(SLOTS, changed)
    return changed


def purchase_job(ctx: Context, wallet: str, slot_number: int, job_key: str) -> JobSlot:
    slot = ctx.slot(wallet, slot_number)
    job = ctx.job(job_key, active=True)
    if slot.job_key is not None:
        raise JobLocked("slot_number", slot_number, f"already holds {slot.job_key}; use change_job")
    _check_unlock(ctx, wallet, job)
    ledger.charge(ctx, wallet, job.purchase_cost, f"purchase {job.key}")
    changed = _put_job(ctx, wallet, slot, job)
    ctx.emit("JobPurchased", wallet, slot_number=slot_number, job_key=job.key)
    return changed


def change_job(ctx: Context, wallet: str, slot_number: int, job_key: str) -> JobSlot:
    policy = ctx.catalog.policies.job_change
    slot = ctx.slot(wallet, slot_number)
    if slot.job_key is None:
        raise SlotNotPurchased("slot_number", slot_number, "has no job yet; use purchase_job")
    job = ctx.job(job_key, active=True)
    if policy.mode is JobChangeMode.LOCKED:
        raise JobLocked(
            "policies.job_change.mode", policy.mode.value, "jobs in slots are permanent"
        )
    if job.key == slot.job_key:
        raise JobLocked("job_key", job_key, "the slot already holds this job")
    _check_unlock(ctx, wallet, job)
    cost = job.purchase_cost if policy.mode is JobChangeMode.REPURCHASE else policy.swap_fee
    ledger.charge(ctx, wallet, cost, f"change slot {slot_number} to {job.key}")
    changed = _put_job(ctx, wallet, slot, job)
    ctx.emit("JobChanged", wallet, slot_number=slot_number, job_key=job.key, previous=slot.job_key)
    return changed


def assign_mek(ctx: Context, wallet: str, slot_number: int, mek_id: str) -> JobSlot:
    slot = ctx.slot(wallet, slot_number)
    if slot.job_key is None:
        raise SlotNotPurchased("slot_number", slot_number, "has no job purchased")
    mek = ctx.owned_mek(wallet, mek_id)
    if not mek.available:
        raise MekUnavailable("mek_id", mek_id, "is marked unavailable by the host")
    if slot.mek_id is not None:
        raise MekBusy("slot_number", slot_number, f"is worked by Mek {slot.mek_id!r}")
    elsewhere = ctx.uow.find(SLOTS, mek_id=mek_id)
    if elsewhere:
        raise MekBusy("mek_id", mek_id, f"works slot {elsewhere[0].slot_number}")
    p = ctx.uow.get(PROGRESSIONS, (mek_id, slot.job_key)) or Progression(
        mek_id, slot.job_key, 0, ctx.now, ctx.now
    )
    ctx.uow.put(
        PROGRESSIONS,
        replace(
            p,
            slot_number=slot_number,
            slot_wallet=wallet,
            tenure_updated_ms=max(ctx.now, p.tenure_updated_ms),
        ),
    )
    changed = replace(slot, mek_id=mek_id, slotted_at_ms=ctx.now)
    ctx.uow.put(SLOTS, changed)
    ctx.emit("MekAssigned", wallet, slot_number=slot_number, mek_id=mek_id, job_key=slot.job_key)
    return changed


def unslot(ctx: Context, slot: JobSlot) -> JobSlot:
    """Take the slot's Mek out: its tenure freezes at now."""
    assert slot.mek_id is not None and slot.job_key is not None
    ctx.require_scope(mek_scope(slot.mek_id))
    p = ctx.progression(slot.mek_id, slot.job_key)
    frozen = checkpoint(p, ctx.now, slot_number=None, slot_wallet=None)
    ctx.uow.put(PROGRESSIONS, frozen)
    empty = replace(slot, mek_id=None, slotted_at_ms=None)
    ctx.uow.put(SLOTS, empty)
    ctx.emit(
        "MekUnslotted",
        slot.wallet,
        slot_number=slot.slot_number,
        mek_id=slot.mek_id,
        job_key=slot.job_key,
        tenure_ms=frozen.tenure_ms,
    )
    return empty


def unslot_anywhere(ctx: Context, mek_id: str) -> None:
    for slot in ctx.uow.find(SLOTS, mek_id=mek_id):
        unslot(ctx, slot)


def unslot_mek(ctx: Context, wallet: str, slot_number: int) -> JobSlot:
    slot = ctx.slot(wallet, slot_number)
    if slot.mek_id is None:
        raise SlotEmpty("slot_number", slot_number, "has no Mek to unslot")
    return unslot(ctx, slot)
