"""Meks as the host reports them (decision 17): registration, availability, and transfers
between wallets (decision 13) with their ownership history."""

from __future__ import annotations

from ..errors import AlreadyExists, InvalidArgument, MekBusy
from ..model import Mek, Ownership, replace
from ..storage.protocol import MEKS, OWNERSHIPS, SLOTS, wallet_scope
from . import slots, totals
from ._context import Context

__all__ = ["owners", "register_mek", "set_mek_available", "transfer_mek"]


def register_mek(ctx: Context, wallet: str, mek_id: str) -> Mek:
    existing = ctx.uow.get(MEKS, (mek_id,))
    if existing is not None:
        raise AlreadyExists(
            "mek_id", mek_id, f"is already registered to wallet {existing.wallet!r}"
        )
    mek = Mek(mek_id, wallet, ctx.now)
    ctx.uow.add(MEKS, mek)
    now = ctx.now
    ctx.append(OWNERSHIPS, lambda seq: Ownership(seq, mek_id, wallet, now))
    ctx.emit("MekRegistered", wallet, mek_id=mek_id)
    return mek


def transfer_mek(ctx: Context, mek_id: str, to_wallet: str, from_wallet: str | None) -> Mek:
    mek = ctx.mek(mek_id) if from_wallet is None else ctx.owned_mek(from_wallet, mek_id)
    ctx.require_scope(wallet_scope(mek.wallet))
    if mek.wallet == to_wallet:
        raise AlreadyExists("to_wallet", to_wallet, f"already owns Mek {mek_id!r}")
    slots.unslot_anywhere(ctx, mek_id)
    moved = replace(mek, wallet=to_wallet)
    ctx.uow.put(MEKS, moved)
    now = ctx.now
    ctx.append(OWNERSHIPS, lambda seq: Ownership(seq, mek_id, to_wallet, now))
    totals.refresh(ctx, mek_id, to_wallet)
    ctx.emit("MekTransferredAway", mek.wallet, mek_id=mek_id, to_wallet=to_wallet)
    ctx.emit("MekTransferred", to_wallet, mek_id=mek_id, from_wallet=mek.wallet)
    return moved


def set_mek_available(ctx: Context, mek_id: str, available: bool, wallet: str | None) -> Mek:
    if not isinstance(available, bool):
        raise InvalidArgument("available", available, "must be true or false")
    mek = ctx.mek(mek_id) if wallet is None else ctx.owned_mek(wallet, mek_id)
    ctx.require_scope(wallet_scope(mek.wallet))
    if not available:
        slot = next(iter(ctx.uow.find(SLOTS, mek_id=mek_id)), None)
        if slot is not None:
            raise MekBusy("mek_id", mek_id, f"works slot {slot.slot_number}; unslot it first")
    changed = replace(mek, available=available)
    ctx.uow.put(MEKS, changed)
    ctx.emit("MekAvailabilityChanged", mek.wallet, mek_id=mek_id, available=available)
    return changed


def owners(ctx: Context, mek_id: str) -> tuple[Ownership, ...]:
    ctx.mek(mek_id)
    return tuple(ctx.uow.scan(OWNERSHIPS, mek_id=mek_id))
