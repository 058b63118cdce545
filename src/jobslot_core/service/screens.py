"""Queries for the player's screens: which jobs a wallet may buy, and its slots with live
progression."""

from __future__ import annotations

from .. import progression as prog
from ..catalog import JobType
from ..results import AvailableJobs, LockedJob, PlayerSlots, SlotView
from ..storage.protocol import MEKS, PROGRESSIONS, SLOTS
from ._context import Context, check_id
from .slots import job_unlock_refusal

__all__ = ["available_jobs", "player_slots"]


def available_jobs(ctx: Context, wallet: str) -> AvailableJobs:
    check_id("wallet", wallet)
    stats = ctx.stats(wallet)
    meks = len(ctx.uow.find(MEKS, wallet=wallet))
    unlocked: list[JobType] = []
    locked: list[LockedJob] = []
    jobs = sorted(
        (j for j in ctx.catalog.job_types.values() if j.active), key=lambda j: (j.sort_order, j.key)
    )
    for job in jobs:
        if job_unlock_refusal(job, stats, meks) is None:
            unlocked.append(job)
        else:
            need = job.unlock
            locked.append(
                LockedJob(
                    job,
                    need.prestige_count,
                    need.job_keys,
                    need.total_meks,
                    stats.prestige_count,
                    stats.jobs_purchased,
                    meks,
                )
            )
    return AvailableJobs(tuple(unlocked), tuple(locked))


def player_slots(ctx: Context, wallet: str) -> PlayerSlots:
    check_id("wallet", wallet)
    slots = ctx.uow.find(SLOTS, wallet=wallet)
    views = []
    for slot in slots:
        view = None
        if slot.mek_id is not None and slot.job_key is not None:
            job = ctx.catalog.job_types.get(slot.job_key)
            p = ctx.uow.get(PROGRESSIONS, (slot.mek_id, slot.job_key))
            if job is not None and p is not None:
                view = prog.view(job, p, ctx.now)
        views.append(SlotView(slot, view))
    policy = ctx.catalog.policies.slot_unlock
    next_cost = policy.rule_for(len(slots) + 1).cost if len(slots) < policy.max_slots else None
    return PlayerSlots(
        wallet,
        tuple(views),
        len(slots),
        sum(1 for s in slots if s.job_key),
        policy.max_slots,
        next_cost,
    )
