"""Prestige (policies 8.1 and 8.3): a Mek at max level resets the job to level 1 for rewards;
its buffs in that job are cleared or kept diminished. The plan is a pure value; `prestige`
applies it."""

from __future__ import annotations

import attrs

from .. import progression as prog
from ..catalog import BuffCarryMode, Catalog, JobType
from ..errors import PrestigeNotReady
from ..model import ActiveBuff, Offer, OfferStatus, PrestigeRecord, Progression, Reward, replace
from ..results import PrestigePreview
from ..storage.protocol import ACTIVE_BUFFS, OFFERS, PRESTIGES, PROGRESSIONS, WALLET_STATS
from . import ledger, totals
from ._context import Context, check_id

__all__ = ["PrestigePlan", "history", "plan_prestige", "prestige", "preview"]


@attrs.frozen
class PrestigePlan:
    """What prestiging the Mek's job now would do, and why it may not."""

    job: JobType
    progression: Progression
    view: prog.ProgressionView
    reasons: tuple[str, ...]
    lost: tuple[ActiveBuff, ...]
    diminished: tuple[ActiveBuff, ...]
    rewards: tuple[Reward, ...]


def plan_prestige(
    catalog: Catalog,
    job: JobType,
    p: Progression,
    now_ms: int,
    offers: list[Offer],
    kept: list[ActiveBuff],
) -> PrestigePlan:
    """Decide a prestige from the Mek's progression, its offers in this prestige cycle and its
    live buffs in the job (pure)."""
    view = prog.view(job, p, now_ms)
    reasons = []
    if view.level < job.max_level:
        reasons.append(f"level {view.level} is below max level {job.max_level}")
    if view.pending_pit_stops:
        reasons.append(f"{view.pending_pit_stops} pit stop(s) to resolve first")
    if any(o.status is OfferStatus.OPEN for o in offers) and not view.pending_pit_stops:
        reasons.append("an offer is still open")
    carry = catalog.policies.buff_carry
    lost: tuple[ActiveBuff, ...]
    diminished: tuple[ActiveBuff, ...]
    if carry.mode is BuffCarryMode.CLEAR:
        lost, diminished = tuple(kept), ()
    else:
        lost, diminished = (), tuple(replace(b, scale=b.scale * carry.factor) for b in kept)
    policy = catalog.policies.prestige
    rewards = []
    if policy.account_buff_percent > 0:
        rewards.append(Reward("account_buff", percent=policy.account_buff_percent))
    if policy.tokens > 0:
        rewards.append(Reward("currency", policy.token_currency, policy.tokens))
    if policy.currency_reward is not None and policy.currency_reward.amount > 0:
        rewards.append(
            Reward("currency", policy.currency_reward.currency, policy.currency_reward.amount)
        )
    return PrestigePlan(job, p, view, tuple(reasons), lost, diminished, tuple(rewards))


def _plan(ctx: Context, mek_id: str, job_key: str) -> PrestigePlan:
    job = ctx.job(job_key)
    p = ctx.progression(mek_id, job_key)
    offers = ctx.uow.find(
        OFFERS, mek_id=mek_id, job_key=job_key, prestige_sequence=p.prestige_count
    )
    kept = ctx.uow.find(ACTIVE_BUFFS, mek_id=mek_id, job_key=job_key, consumed=False)
    return plan_prestige(ctx.catalog, job, p, ctx.now, offers, kept)


def preview(ctx: Context, mek_id: str, job_key: str) -> PrestigePreview:
    ctx.mek(mek_id)
    plan = _plan(ctx, mek_id, job_key)
    return PrestigePreview(
        mek_id,
        job_key,
        not plan.reasons,
        plan.reasons,
        plan.view.level,
        plan.job.max_level,
        plan.view.pending_pit_stops,
        plan.lost,
        plan.diminished,
        plan.rewards,
    )


def prestige(ctx: Context, wallet: str, mek_id: str, job_key: str) -> PrestigeRecord:
    ctx.owned_mek(wallet, mek_id)
    plan = _plan(ctx, mek_id, job_key)
    view, p = plan.view, plan.progression
    if plan.reasons:
        field = "level" if view.level < plan.job.max_level else "pending_pit_stops"
        value = view.level if field == "level" else view.pending_pit_stops
        raise PrestigeNotReady(field, value, "; ".join(plan.reasons))
    for b in plan.lost:
        ctx.uow.delete(ACTIVE_BUFFS, (b.buff_id,))
    for b in plan.diminished:
        ctx.uow.put(ACTIVE_BUFFS, b)
    number = p.prestige_count + 1
    record = PrestigeRecord(
        mek_id,
        job_key,
        number,
        wallet,
        view.level,
        view.tenure_ms,
        plan.lost,
        plan.diminished,
        plan.rewards,
        ctx.now,
        ctx.catalog_version,
    )
    ctx.uow.add(PRESTIGES, record)
    ctx.uow.put(
        PROGRESSIONS,
        replace(
            p,
            tenure_ms=0,
            tenure_updated_ms=max(ctx.now, p.tenure_updated_ms),
            pit_stops_resolved=0,
            prestige_count=number,
            lifetime_levels=p.lifetime_levels + view.level,
            last_prestige_ms=ctx.now,
        ),
    )
    stats = ctx.stats(wallet)
    ctx.uow.put(WALLET_STATS, replace(stats, prestige_count=stats.prestige_count + 1))
    totals.refresh(ctx, mek_id, wallet)
    ctx.emit(
        "Prestiged",
        wallet,
        mek_id=mek_id,
        job_key=job_key,
        prestige_number=number,
        buffs_lost=len(plan.lost),
        buffs_diminished=len(plan.diminished),
    )
    for reward in plan.rewards:
        if reward.kind == "currency" and reward.currency is not None:
            ledger.post(
                ctx, wallet, reward.currency, reward.amount, f"prestige {job_key} #{number}"
            )
    return record


def history(ctx: Context, mek_id: str, job_key: str | None) -> tuple[PrestigeRecord, ...]:
    ctx.mek(mek_id)
    if job_key is None:
        return tuple(ctx.uow.find(PRESTIGES, mek_id=mek_id))
    return tuple(ctx.uow.find(PRESTIGES, mek_id=mek_id, job_key=check_id("job_key", job_key)))
