"""The currency ledger (decision 16): balances that never go negative, an append-only journal."""

from __future__ import annotations

from typing import Any

from ..catalog import Cost
from ..errors import InsufficientFunds, InvalidArgument
from ..model import Balance, LedgerEntry
from ..storage.protocol import BALANCES, LEDGER
from ._context import INT64_MAX, Context, Pending, check_id, check_int

__all__ = ["balance", "charge", "journal", "move_funds", "post"]


def post(
    ctx: Context, wallet: str, currency: str, amount: int, reason: str
) -> Pending[LedgerEntry]:
    """Change a balance by `amount` with a journal line and its event; refuses to go below 0."""
    current = ctx.uow.get(BALANCES, (wallet, currency))
    before = current.amount if current else 0
    after = before + amount
    if after < 0:
        raise InsufficientFunds(
            f"balance[{currency}]", before, f"needs {-amount} {currency} for {reason}"
        )
    if after > INT64_MAX:
        raise InvalidArgument(
            "amount", amount, f"would take the {currency} balance of {before} past {INT64_MAX}"
        )
    ctx.uow.put(BALANCES, Balance(wallet, currency, after))
    ref, now = ctx.reference, ctx.now
    entry = ctx.append(
        LEDGER, lambda seq: LedgerEntry(seq, wallet, currency, amount, after, reason, ref, now)
    )
    data = {"currency": currency, "amount": amount, "balance": after, "reason": reason}
    ctx.emit_later(
        "CurrencyGranted" if amount >= 0 else "CurrencySpent",
        wallet,
        lambda: {**data, "ledger_seq": entry.record.seq},
    )
    return entry


def charge(ctx: Context, wallet: str, cost: Cost | None, reason: str) -> None:
    """Pay a catalog price (nothing when free)."""
    if cost is not None and cost.amount > 0:
        post(ctx, wallet, cost.currency, -cost.amount, reason)


def move_funds(
    ctx: Context, command: str, wallet: str, currency: str, amount: int
) -> Pending[LedgerEntry]:
    """`deposit` credits, `withdraw` debits: the host's own income and spending."""
    check_id("currency", currency)
    check_int("amount", amount, 1)
    return post(ctx, wallet, currency, amount if command == "deposit" else -amount, command)


def balance(ctx: Context, wallet: str, currency: str) -> int:
    found = ctx.uow.get(BALANCES, (check_id("wallet", wallet), check_id("currency", currency)))
    return found.amount if found else 0


def journal(ctx: Context, wallet: str, currency: str | None) -> tuple[LedgerEntry, ...]:
    check_id("wallet", wallet)
    where: dict[str, Any] = {"wallet": wallet}
    if currency is not None:
        where["currency"] = check_id("currency", currency)
    return tuple(sorted(ctx.uow.scan(LEDGER, **where), key=lambda e: e.seq))
