"""The totals projections: each Mek's totals by effect, and each wallet's sum of them, kept in
exact integer micro-units so the host's hot path reads one row per effect type."""

from __future__ import annotations

from .. import buffs as buff_math
from ..model import ActiveBuff, MekTotal, WalletTotal
from ..results import MekBuffs, WalletTotals
from ..storage.protocol import ACTIVE_BUFFS, MEK_TOTALS, WALLET_STATS, WALLET_TOTALS, UnitOfWork
from ._context import Context, check_id

__all__ = ["active_buffs", "add_stacking_buff", "refresh", "wallet_totals"]


def _add_wallet_units(uow: UnitOfWork, wallet: str, effect: str, delta: int) -> None:
    """Move a wallet's total for one effect by `delta` micro-units (a zero total is removed)."""
    if delta == 0:
        return
    current = uow.get(WALLET_TOTALS, (wallet, effect))
    units = (current.units if current else 0) + delta
    if units == 0:
        uow.delete(WALLET_TOTALS, (wallet, effect))
    else:
        uow.put(WALLET_TOTALS, WalletTotal(wallet, effect, units))


def refresh(ctx: Context, mek_id: str, wallet: str) -> None:
    """Recompute a Mek's totals and move the difference into its wallet's totals."""
    uow = ctx.uow
    old = {t.effect_type: t for t in uow.find(MEK_TOTALS, mek_id=mek_id)}
    new = buff_math.mek_totals(uow.find(ACTIVE_BUFFS, mek_id=mek_id, consumed=False))
    deltas: dict[tuple[str, str], int] = {}
    for effect, total in old.items():
        deltas[(total.wallet, effect)] = deltas.get((total.wallet, effect), 0) - total.units
        if effect not in new:
            uow.delete(MEK_TOTALS, (mek_id, effect))
    for effect, units in new.items():
        deltas[(wallet, effect)] = deltas.get((wallet, effect), 0) + units
        if old.get(effect) != MekTotal(mek_id, effect, wallet, units):
            uow.put(MEK_TOTALS, MekTotal(mek_id, effect, wallet, units))
    for (w, effect), delta in deltas.items():
        _add_wallet_units(uow, w, effect, delta)


def add_stacking_buff(ctx: Context, mek_id: str, wallet: str, buff: ActiveBuff) -> None:
    """A new stacking buff adds its units to the totals: the same result as recomputing (sums of
    integer units are exact) without reading the Mek's other buffs back."""
    units = buff_math.to_units(buff.effective_value)
    if units == 0:
        return
    current = ctx.uow.get(MEK_TOTALS, (mek_id, buff.effect_type))
    total = (current.units if current else 0) + units
    if total == 0:
        ctx.uow.delete(MEK_TOTALS, (mek_id, buff.effect_type))
    else:
        ctx.uow.put(MEK_TOTALS, MekTotal(mek_id, buff.effect_type, wallet, total))
    _add_wallet_units(ctx.uow, wallet, buff.effect_type, units)


def active_buffs(ctx: Context, mek_id: str) -> MekBuffs:
    ctx.mek(mek_id)
    kept = ctx.uow.find(ACTIVE_BUFFS, mek_id=mek_id)
    totals = buff_math.mek_totals(kept)
    return MekBuffs(
        mek_id,
        tuple(b for b in kept if not b.consumed),
        tuple(b for b in kept if b.consumed),
        {k: buff_math.from_units(v) for k, v in sorted(totals.items())},
    )


def wallet_totals(ctx: Context, wallet: str) -> WalletTotals:
    check_id("wallet", wallet)
    base = {t.effect_type: t.units for t in ctx.uow.find(WALLET_TOTALS, wallet=wallet)}
    stats = ctx.uow.get(WALLET_STATS, (wallet,))
    prestiges = stats.prestige_count if stats else 0
    policy = ctx.catalog.policies.prestige
    return WalletTotals(
        wallet,
        {k: buff_math.from_units(v) for k, v in sorted(base.items())},
        prestiges,
        policy.account_buff_percent,
        buff_math.with_account_buff(base, policy, prestiges),
    )
