"""`JobSlots`, the façade a host calls: each method names its command's scopes and hands a
handler of the domain module to the runner."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from .. import progression as prog
from ..catalog import Catalog
from ..catalog_io import catalog_fingerprint
from ..clock import Clock, SystemClock
from ..engine.stream import check_secret
from ..errors import InvalidArgument, InvalidChoice, UnknownSecret
from ..model import (
    CatalogVersion,
    Event,
    JobSlot,
    LedgerEntry,
    Mek,
    Offer,
    OfferStatus,
    Ownership,
    PrestigeRecord,
    Selection,
)
from ..results import AvailableJobs, MekBuffs, PlayerSlots, PrestigePreview, WalletTotals
from ..storage.protocol import (
    ACTIVE_BUFFS,
    ADMIN_SCOPE,
    BALANCES,
    CATALOGS,
    MEK_TOTALS,
    MEKS,
    OFFERS,
    PROGRESSIONS,
    SECRETS,
    SLOTS,
    WALLET_STATS,
    WALLET_TOTALS,
    Read,
    Store,
    UnitOfWork,
    mek_scope,
    wallet_scope,
)
from . import catalogs, ledger, meks, outbox, pit_stops, prestige, screens, secrets, slots, totals
from ._context import Context, Pending, check_clock, check_id, check_int, check_store
from ._runner import RetryPolicy, Runner

__all__ = ["JobSlots"]


def _slot_mek(wallet: str, slot_number: int) -> Callable[[UnitOfWork], Iterable[str]]:
    """Scopes of the Mek working the slot now (a first read; the body checks it held)."""

    def scopes(uow: UnitOfWork) -> Iterable[str]:
        slot = uow.get(SLOTS, (wallet, slot_number))
        return [mek_scope(slot.mek_id)] if slot is not None and slot.mek_id else []

    return scopes


def _owner_scope(mek_id: str) -> Callable[[UnitOfWork], str]:
    """The scope of the wallet owning the Mek now (a first read; the body checks it held)."""

    def scope(uow: UnitOfWork) -> str:
        mek = uow.get(MEKS, (mek_id,))
        return wallet_scope(mek.wallet) if mek is not None else mek_scope(mek_id)

    return scope


class _Seen:
    """What this JobSlots met lately, so that a command's first reads travel with its lock (a
    round trip less on a network store): the open offers it made or looked at (only their Mek,
    job and choices are used: those never change), and the pit stop each Mek's job is likely
    at next (a guess: the body reads under the lock, so a wrong one costs the round trip it was
    to save). At most `LIMIT` of each, the least recently put forgotten first."""

    __slots__ = ("_next_stops", "_offers")

    LIMIT = 4096

    def __init__(self) -> None:
        self._offers: dict[str, Offer] = {}
        self._next_stops: dict[tuple[str, str], tuple[int, int]] = {}

    def offer(self, offer_id: str) -> Offer | None:
        return self._offers.get(offer_id)

    def remember(self, offer: Offer) -> None:
        if offer.status is OfferStatus.OPEN:
            _keep(self._offers, offer.offer_id, offer)

    def forget(self, offer_id: str) -> None:
        self._offers.pop(offer_id, None)

    def expect(self, mek_id: str, job_key: str, prestige_sequence: int, number: int) -> None:
        """The Mek's job is next at pit stop `number` of run `prestige_sequence`."""
        _keep(self._next_stops, (mek_id, job_key), (prestige_sequence, number))

    def pit_stop_reads(self, mek_id: str, job_key: str) -> list[Read]:
        """The find of the next pit stop's offers `open_pit_stop` makes, if it is expected."""
        expected = self._next_stops.get((mek_id, job_key))
        if expected is None:
            return []
        run, number = expected
        where = {"prestige_sequence": run, "pit_stop_number": number}
        return [Read.find(OFFERS, mek_id=mek_id, job_key=job_key, **where)]

    def run_reads(self, mek_id: str, job_key: str) -> list[Read]:
        """The find of the current run's offers `prestige` makes, if the run is expected."""
        expected = self._next_stops.get((mek_id, job_key))
        if expected is None:
            return []
        return [Read.find(OFFERS, mek_id=mek_id, job_key=job_key, prestige_sequence=expected[0])]


def _keep(memo: dict[Any, Any], key: Any, value: Any) -> None:
    """Put `key` last in a bounded memo, forgetting the least recently put entry when full."""
    if memo.pop(key, None) is None and len(memo) >= _Seen.LIMIT:
        with contextlib.suppress(StopIteration, RuntimeError, KeyError):  # another thread's
            del memo[next(iter(memo))]
    memo[key] = value


class _OfferPeek:
    """The offer as a first read shows it (or, on a first attempt, as this JobSlots saw it: its
    Mek never changes): its Mek's scope, and the reads the command makes once that is held (a
    guess from the peek: the body reads again under the lock and checks it holds that scope)."""

    __slots__ = ("_attempts", "_index", "_offer", "_offer_id", "_seen", "_wallet")

    def __init__(self, seen: _Seen, wallet: str, offer_id: str, index: int | None = None) -> None:
        self._seen = seen
        self._wallet = wallet
        self._offer_id = offer_id
        self._index = index  # the choice `select_buff` keeps
        self._offer: Offer | None = None
        self._attempts = 0

    def scopes(self, uow: UnitOfWork) -> Iterable[str]:
        self._attempts += 1
        offer = self._seen.offer(self._offer_id) if self._attempts == 1 else None
        if offer is None:  # not seen, or a rerun: what the store holds
            offer = uow.get(OFFERS, (self._offer_id,))
            if offer is not None:
                self._seen.remember(offer)
        self._offer = offer
        return [mek_scope(offer.mek_id)] if offer is not None else []

    def reads(self, uow: UnitOfWork) -> list[Read]:
        offer = self._offer
        if offer is None:
            return []
        first = [
            Read.get(OFFERS, self._offer_id),
            Read.get(MEKS, offer.mek_id),
            Read.get(PROGRESSIONS, offer.mek_id, offer.job_key),
        ]
        index = self._index
        if type(index) is int and 0 <= index < len(offer.choices):
            choice = offer.choices[index]
            if not choice.permanent and choice.currency is not None:
                # A one-time buff credits its currency (`ledger.post`), and leaves the totals.
                return [*first, Read.get(BALANCES, self._wallet, choice.currency)]
        return [*first, *_totals_reads(self._wallet, offer.mek_id)]


def _totals_reads(wallet: str, mek_id: str) -> list[Read]:
    """What keeping the totals projections reads (`totals.refresh`, `add_stacking_buff`)."""
    return [
        Read.find(MEK_TOTALS, mek_id=mek_id),
        Read.find(ACTIVE_BUFFS, mek_id=mek_id, consumed=False),
        Read.find(WALLET_TOTALS, wallet=wallet),
    ]


def _mek_job_reads(wallet: str, mek_id: str, job_key: str) -> list[Read]:
    """First reads of a command on a Mek's job: the Mek, its progression, the wallet's stats."""
    return [
        Read.get(MEKS, mek_id),
        Read.get(PROGRESSIONS, mek_id, job_key),
        Read.get(WALLET_STATS, wallet),
    ]


class JobSlots:
    """The job slot system for one game: commands (mutations) and queries over a store.

    Every command takes `idempotency_key=`: the same key with the same arguments returns the first
    result and changes nothing more; with other arguments it raises `IdempotencyConflict`. Keys
    belong to the wallet the command acts for (the buyer for `transfer_mek`, the owner for
    `set_mek_available`) and are kept until `Admin.purge_idempotency` removes them.

    Commands that meet a concurrent command (`ConcurrencyConflict` from the store) run again from
    the start, at most `retry.attempts` times.

    `catalog` is published as the next version only when the store never held that content;
    otherwise the store's latest version (maybe an Admin edit of it) stays current.
    """

    def __init__(
        self,
        store: Store,
        catalog: Catalog | None = None,
        *,
        secret: bytes,
        secret_id: str,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        check_store(store)
        if catalog is not None and not isinstance(catalog, Catalog):
            raise InvalidArgument("catalog", type(catalog).__name__, "must be a Catalog or None")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidArgument("retry", type(retry).__name__, "must be a RetryPolicy or None")
        secret = check_secret(secret)  # at least 16 bytes (decision 24), the error says why
        self._secret = (secret, check_id("secret_id", secret_id))
        self._catalogs = catalogs.CatalogCache()
        self._seen = _Seen()
        self._runner = Runner(
            store,
            SystemClock() if clock is None else check_clock(clock),
            retry=retry,
            current=self._catalogs.current,
            catalog_read=lambda: Read.scan(CATALOGS, self._catalogs.latest_seq, 1),
        )

        def start(ctx: Context) -> int:
            published.clear()  # what an attempt that did not commit queued is gone
            known = ctx.uow.get(SECRETS, (secret_id,))
            if known is None:
                secrets.register_commitment(ctx, secret_id, secret)
            elif not secrets.matches(known, secret):
                raise UnknownSecret("secret_id", secret_id, "is registered with another secret")
            else:
                pit_stops.check_secret_live(known)
            same = [] if catalog is None else ctx.uow.find(CATALOGS, fingerprint=fingerprint)
            if catalog is not None and not same:
                # Publish only content the store never had: a restart with the host's original
                # catalog must not undo the Admin edits published since (use Admin.publish to
                # return to an older version on purpose).
                published.append(catalogs.publish_catalog(ctx, catalog))
            elif not same and not ctx.uow.scan(CATALOGS, limit=1):
                raise InvalidArgument("catalog", None, "the store has no catalog yet; pass one")
            elif same and catalog is not None:
                # The host's catalog is stored: the first command looks for newer versions
                # from there (a search, not a read of every version).
                stored.append((same[-1].seq, catalog))
            return 0

        fingerprint = catalog_fingerprint(catalog) if catalog is not None else ""
        published: list[CatalogVersion | Pending[CatalogVersion]] = []
        stored: list[tuple[int, Catalog]] = []
        self._runner.write("start", {}, None, int, start, scope=ADMIN_SCOPE)
        for seq, same_catalog in stored[-1:]:
            self._catalogs.remember(seq, same_catalog)
        if published and catalog is not None:
            version = published[-1]
            seq = version.record.seq if isinstance(version, Pending) else version.seq
            self._catalogs.remember(seq, catalog)

    # -- Meks -------------------------------------------------------------------------------

    def register_mek(self, wallet: str, mek_id: str, *, idempotency_key: str | None = None) -> Mek:
        """Tell the library about a Mek and its owner (decision 17)."""
        check_id("wallet", wallet)
        check_id("mek_id", mek_id)
        return self._runner.write(
            "register_mek",
            {"wallet": wallet, "mek_id": mek_id},
            idempotency_key,
            Mek,
            lambda ctx: meks.register_mek(ctx, wallet, mek_id),
            scope=wallet_scope(wallet),
            also=[mek_scope(mek_id)],
        )

    def transfer_mek(
        self,
        mek_id: str,
        to_wallet: str,
        *,
        from_wallet: str | None = None,
        idempotency_key: str | None = None,
    ) -> Mek:
        """Move a Mek to another wallet (decision 13): it is unslotted, tenure frozen, and its
        progression and buffs follow it; the ownership history keeps the old owner.

        Pass `from_wallet` to have the library check the seller still owns the Mek.
        """
        check_id("mek_id", mek_id)
        check_id("to_wallet", to_wallet)
        if from_wallet is not None:
            check_id("wallet", from_wallet)

        def scopes(uow: UnitOfWork) -> Iterable[str]:
            mek = uow.get(MEKS, (mek_id,))
            return [mek_scope(mek_id)] + ([wallet_scope(mek.wallet)] if mek is not None else [])

        args = {"mek_id": mek_id, "to_wallet": to_wallet, "from_wallet": from_wallet}
        return self._runner.write(
            "transfer_mek",
            args,
            idempotency_key,
            Mek,
            lambda ctx: meks.transfer_mek(ctx, mek_id, to_wallet, from_wallet),
            scope=wallet_scope(to_wallet),
            also=scopes,
        )

    def set_mek_available(
        self,
        mek_id: str,
        available: bool,
        *,
        wallet: str | None = None,
        idempotency_key: str | None = None,
    ) -> Mek:
        """Mark a Mek busy elsewhere (unavailable) or free again; unslot a working Mek first.

        Pass `wallet` to have the library check that wallet owns the Mek.
        """
        check_id("mek_id", mek_id)
        if not isinstance(available, bool):
            raise InvalidArgument("available", available, "must be true or false")
        if wallet is not None:
            check_id("wallet", wallet)
        args = {"mek_id": mek_id, "available": available, "wallet": wallet}
        return self._runner.write(
            "set_mek_available",
            args,
            idempotency_key,
            Mek,
            lambda ctx: meks.set_mek_available(ctx, mek_id, available, wallet),
            scope=_owner_scope(mek_id),
            also=[mek_scope(mek_id)],
        )

    def mek_owners(self, mek_id: str) -> tuple[Ownership, ...]:
        """Who owned the Mek since when, oldest first (decision 13)."""
        return self._runner.read(lambda ctx: meks.owners(ctx, mek_id))

    # -- ledger -----------------------------------------------------------------------------

    def deposit(
        self, wallet: str, currency: str, amount: int, *, idempotency_key: str | None = None
    ) -> LedgerEntry:
        """Credit a wallet (the host's own income, purchases with real money, ...)."""
        return self._move_funds("deposit", wallet, currency, amount, idempotency_key)

    def withdraw(
        self, wallet: str, currency: str, amount: int, *, idempotency_key: str | None = None
    ) -> LedgerEntry:
        """Debit a wallet; refuses with `InsufficientFunds` rather than go negative."""
        return self._move_funds("withdraw", wallet, currency, amount, idempotency_key)

    def _move_funds(
        self, command: str, wallet: str, currency: str, amount: int, key: str | None
    ) -> LedgerEntry:
        check_id("wallet", wallet)
        check_id("currency", currency)
        check_int("amount", amount, 1)
        return self._runner.write(
            command,
            {"wallet": wallet, "currency": currency, "amount": amount},
            key,
            LedgerEntry,
            lambda ctx: ledger.move_funds(ctx, command, wallet, currency, amount),
            scope=wallet_scope(wallet),
        )

    def balance(self, wallet: str, currency: str) -> int:
        """The wallet's balance in `currency` (0 when it never had any)."""
        return self._runner.read(lambda ctx: ledger.balance(ctx, wallet, currency))

    def ledger(self, wallet: str, currency: str | None = None) -> tuple[LedgerEntry, ...]:
        """The wallet's journal, oldest first (optionally one currency)."""
        return self._runner.read(lambda ctx: ledger.journal(ctx, wallet, currency))

    # -- slots ------------------------------------------------------------------------------

    def unlock_slot(
        self, wallet: str, slot_number: int, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Unlock the wallet's next job slot, paying and meeting what policy 8.4 asks."""
        check_id("wallet", wallet)
        check_int("slot_number", slot_number, 1)
        return self._runner.write(
            "unlock_slot",
            {"wallet": wallet, "slot_number": slot_number},
            idempotency_key,
            JobSlot,
            lambda ctx: slots.unlock_slot(ctx, wallet, slot_number),
            scope=wallet_scope(wallet),
        )

    def purchase_job(
        self, wallet: str, slot_number: int, job_key: str, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Buy a job type for an unlocked, empty slot (the job's unlock requirements apply)."""
        check_id("wallet", wallet)
        check_int("slot_number", slot_number, 1)
        check_id("job_key", job_key)
        return self._runner.write(
            "purchase_job",
            {"wallet": wallet, "slot_number": slot_number, "job_key": job_key},
            idempotency_key,
            JobSlot,
            lambda ctx: slots.purchase_job(ctx, wallet, slot_number, job_key),
            scope=wallet_scope(wallet),
        )

    def change_job(
        self, wallet: str, slot_number: int, job_key: str, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Put another job in a purchased slot, as policy 8.2 allows: `repurchase` pays the job's
        price, `swap` pays the swap fee; the slot's Mek is unslotted and keeps its progression."""
        check_id("wallet", wallet)
        check_int("slot_number", slot_number, 1)
        check_id("job_key", job_key)
        return self._runner.write(
            "change_job",
            {"wallet": wallet, "slot_number": slot_number, "job_key": job_key},
            idempotency_key,
            JobSlot,
            lambda ctx: slots.change_job(ctx, wallet, slot_number, job_key),
            scope=wallet_scope(wallet),
            also=_slot_mek(wallet, slot_number),
        )

    def assign_mek(
        self, wallet: str, slot_number: int, mek_id: str, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Put an owned, available, idle Mek to work in a slot; its tenure starts accruing."""
        check_id("wallet", wallet)
        check_int("slot_number", slot_number, 1)
        check_id("mek_id", mek_id)
        return self._runner.write(
            "assign_mek",
            {"wallet": wallet, "slot_number": slot_number, "mek_id": mek_id},
            idempotency_key,
            JobSlot,
            lambda ctx: slots.assign_mek(ctx, wallet, slot_number, mek_id),
            scope=wallet_scope(wallet),
            also=[mek_scope(mek_id)],
        )

    def unslot_mek(
        self, wallet: str, slot_number: int, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Take the Mek out of a slot: tenure freezes, nothing is lost."""
        check_id("wallet", wallet)
        check_int("slot_number", slot_number, 1)
        return self._runner.write(
            "unslot_mek",
            {"wallet": wallet, "slot_number": slot_number},
            idempotency_key,
            JobSlot,
            lambda ctx: slots.unslot_mek(ctx, wallet, slot_number),
            scope=wallet_scope(wallet),
            also=_slot_mek(wallet, slot_number),
        )

    # -- progression & pit stops ------------------------------------------------------------

    def progression(self, mek_id: str, job_key: str) -> prog.ProgressionView:
        """Level, tenure, next pit stop, progress and readiness, computed now (decision 11)."""
        return self._runner.read(lambda ctx: pit_stops.progression_view(ctx, mek_id, job_key))

    def open_pit_stop(
        self, wallet: str, mek_id: str, job_key: str, *, idempotency_key: str | None = None
    ) -> Offer:
        """The offer for the Mek's next due pit stop: made and stored on first call, the same
        stored offer on every later call (fixes 1 and 2)."""
        check_id("wallet", wallet)
        check_id("mek_id", mek_id)
        check_id("job_key", job_key)
        offer = self._runner.write(
            "open_pit_stop",
            {"wallet": wallet, "mek_id": mek_id, "job_key": job_key},
            idempotency_key,
            Offer,
            lambda ctx: pit_stops.open_pit_stop(ctx, self._secret, wallet, mek_id, job_key),
            scope=wallet_scope(wallet),
            also=[mek_scope(mek_id)],
            reads=lambda uow: [
                *_mek_job_reads(wallet, mek_id, job_key),
                Read.get(SECRETS, self._secret[1]),
                *self._seen.pit_stop_reads(mek_id, job_key),
            ],
        )
        self._seen.expect(mek_id, job_key, offer.prestige_sequence, offer.pit_stop_number)
        self._seen.remember(offer)
        return offer

    def reroll_offer(
        self, wallet: str, offer_id: str, *, idempotency_key: str | None = None
    ) -> Offer:
        """Pay the catalog's re-roll price to replace an open offer with the next one of the
        deterministic sequence; both stay in history."""
        check_id("wallet", wallet)
        check_id("offer_id", offer_id)
        offer = self._runner.write(
            "reroll_offer",
            {"wallet": wallet, "offer_id": offer_id},
            idempotency_key,
            Offer,
            lambda ctx: pit_stops.reroll_offer(ctx, self._secret, wallet, offer_id),
            scope=wallet_scope(wallet),
            also=(peek := _OfferPeek(self._seen, wallet, offer_id)).scopes,
            reads=peek.reads,
        )
        self._seen.forget(offer_id)  # replaced by `offer`
        self._seen.remember(offer)
        return offer

    def select_buff(
        self, wallet: str, offer_id: str, index: int, *, idempotency_key: str | None = None
    ) -> Selection:
        """Keep choice `index` of an open offer: permanent buffs become active, one-time buffs
        credit the ledger at once and are kept as consumed. Exactly one selection per pit stop."""
        check_id("wallet", wallet)
        check_id("offer_id", offer_id)
        if isinstance(index, int) and not isinstance(index, bool) and index.bit_length() > 63:
            raise InvalidChoice("index", index, "is not a choice of the offer")
        selection = self._runner.write(
            "select_buff",
            {"wallet": wallet, "offer_id": offer_id, "index": index},
            idempotency_key,
            Selection,
            lambda ctx: pit_stops.select_buff(ctx, wallet, offer_id, index),
            scope=wallet_scope(wallet),
            also=(peek := _OfferPeek(self._seen, wallet, offer_id, index)).scopes,
            reads=peek.reads,
        )
        self._seen.forget(offer_id)  # resolved
        self._seen.expect(
            selection.mek_id,
            selection.job_key,
            selection.prestige_sequence,
            selection.pit_stop_number + 1,
        )
        return selection

    def buff_history(self, mek_id: str, job_key: str) -> tuple[Offer, ...]:
        """Every offer made for the Mek in this job (selected, re-rolled or open), in order."""
        return self._runner.read(lambda ctx: pit_stops.buff_history(ctx, mek_id, job_key))

    # -- buffs ------------------------------------------------------------------------------

    def active_buffs(self, mek_id: str) -> MekBuffs:
        """The Mek's kept buffs in every job and its totals by effect type."""
        return self._runner.read(lambda ctx: totals.active_buffs(ctx, mek_id))

    def wallet_totals(self, wallet: str) -> WalletTotals:
        """Totals by effect type over the wallet's Meks, with the account prestige buff (hot path:
        reads one precomputed row per effect type)."""
        return self._runner.read(lambda ctx: totals.wallet_totals(ctx, wallet))

    # -- prestige ---------------------------------------------------------------------------

    def prestige_preview(self, mek_id: str, job_key: str) -> PrestigePreview:
        """Whether the Mek may prestige this job now, what it loses and what it gains."""
        return self._runner.read(lambda ctx: prestige.preview(ctx, mek_id, job_key))

    def prestige(
        self, wallet: str, mek_id: str, job_key: str, *, idempotency_key: str | None = None
    ) -> PrestigeRecord:
        """Reset the Mek's job to level 1 for rewards (policy 8.1); buffs per policy 8.3."""
        check_id("wallet", wallet)
        check_id("mek_id", mek_id)
        check_id("job_key", job_key)
        record = self._runner.write(
            "prestige",
            {"wallet": wallet, "mek_id": mek_id, "job_key": job_key},
            idempotency_key,
            PrestigeRecord,
            lambda ctx: prestige.prestige(ctx, wallet, mek_id, job_key),
            scope=wallet_scope(wallet),
            also=[mek_scope(mek_id)],
            reads=lambda uow: [
                *_mek_job_reads(wallet, mek_id, job_key),
                Read.find(ACTIVE_BUFFS, mek_id=mek_id, job_key=job_key, consumed=False),
                *_totals_reads(wallet, mek_id),
                *self._seen.run_reads(mek_id, job_key),
            ],
        )
        self._seen.expect(mek_id, job_key, record.prestige_number, 1)
        return record

    def prestige_history(
        self, mek_id: str, job_key: str | None = None
    ) -> tuple[PrestigeRecord, ...]:
        """The Mek's prestige audit records (optionally in one job), oldest first per job."""
        return self._runner.read(lambda ctx: prestige.history(ctx, mek_id, job_key))

    # -- the player's screens ---------------------------------------------------------------

    def available_jobs(self, wallet: str) -> AvailableJobs:
        """Active jobs the wallet may purchase, and the locked ones with what they need."""
        return self._runner.read(lambda ctx: screens.available_jobs(ctx, wallet))

    def player_slots(self, wallet: str) -> PlayerSlots:
        """The wallet's unlocked slots with job, Mek and live progression."""
        return self._runner.read(lambda ctx: screens.player_slots(ctx, wallet))

    # -- outbox -----------------------------------------------------------------------------

    def events(self, after: int = 0, limit: int = 1000) -> tuple[Event, ...]:
        """Outbox events with `seq > after`, oldest first (decision 18)."""
        check_int("after", after)
        check_int("limit", limit, 1)
        return self._runner.read(lambda ctx: outbox.events(ctx, after, limit))

    def cursor(self, consumer: str = "default") -> int:
        """The last event `seq` the consumer acknowledged (0 before the first ack)."""
        return self._runner.read(lambda ctx: outbox.cursor(ctx, consumer))

    def ack(self, seq: int, consumer: str = "default") -> int:
        """Move the consumer's cursor forward to `seq` (never backwards); returns the cursor."""
        check_id("consumer", consumer)
        check_int("seq", seq)
        return self._runner.write(
            "ack",
            {"consumer": consumer, "seq": seq},
            None,
            int,
            lambda ctx: outbox.ack(ctx, consumer, seq),
            scope="outbox:" + consumer,
        )
