"""JobSlots: the game service a host calls. Each command validates, loads, decides, saves and
records its events inside one unit of work, so a refused or failed command changes nothing.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from . import buffs as buff_math
from . import progression as prog
from .catalog import BuffCarryMode, Catalog, Cost, JobChangeMode, JobType
from .catalog_io import catalog_fingerprint, dump_catalog, loads_catalog
from .clock import Clock, SystemClock
from .engine import commitment, make_offer
from .errors import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidArgument,
    InvalidCatalog,
    InvalidChoice,
    JobLocked,
    MekBusy,
    MekUnavailable,
    NotOwned,
    OfferAlreadyResolved,
    PitStopNotReady,
    PolicyRefused,
    PrestigeNotReady,
    SlotLocked,
    SlotNotPurchased,
    UnknownJob,
    UnknownMek,
    UnknownOffer,
    UnknownSecret,
)
from .model import (
    ActiveBuff,
    Balance,
    CatalogVersion,
    Event,
    IdempotencyRecord,
    JobSlot,
    LedgerEntry,
    Mek,
    MekTotal,
    Offer,
    OfferSecret,
    OfferStatus,
    Ownership,
    PrestigeRecord,
    Progression,
    Reward,
    Selection,
    WalletStats,
    WalletTotal,
)
from .results import (
    AvailableJobs,
    LockedJob,
    MekBuffs,
    PlayerSlots,
    PrestigePreview,
    SlotView,
    WalletTotals,
)
from .serialization import from_dict, to_dict
from .storage.protocol import (
    ACTIVE_BUFFS,
    BALANCES,
    CATALOGS,
    CURSORS,
    EVENTS,
    IDEMPOTENCY,
    LEDGER,
    MEK_TOTALS,
    MEKS,
    OFFERS,
    OWNERSHIPS,
    PRESTIGES,
    PROGRESSIONS,
    SECRETS,
    SELECTIONS,
    SLOTS,
    WALLET_STATS,
    WALLET_TOTALS,
    Cursor,
    DuplicateKey,
    Store,
    UnitOfWork,
)

__all__ = ["JobSlots", "checkpoint", "publish_catalog", "read_clock"]

R = TypeVar("R")


def _check_id(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 200 or value != value.strip():
        raise InvalidArgument(field, value, "must be a non-empty string of at most 200 characters")
    return value


def _check_int(field: str, value: Any, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidArgument(field, value, f"must be an integer >= {low}")
    return value


def read_clock(clock: Clock) -> int:
    """The clock's time, refused unless it is integer milliseconds (decision 11)."""
    now = clock.now_ms()
    if type(now) is not int or now < 0:
        raise InvalidArgument("clock.now_ms", now, "a clock returns integer milliseconds >= 0")
    return now


def checkpoint(p: Progression, now_ms: int) -> Progression:
    """Write the tenure accrued so far into the record; the checkpoint never moves backwards."""
    return attrs.evolve(
        p, tenure_ms=p.tenure_at(now_ms), tenure_updated_ms=max(now_ms, p.tenure_updated_ms)
    )


def _check_secret_live(secret: OfferSecret) -> None:
    if secret.revealed_hex is not None or secret.retired_at_ms is not None:
        state = "revealed" if secret.revealed_hex is not None else "retired"
        raise UnknownSecret(
            "secret_id", secret.secret_id, f"was {state}; make offers under a new secret"
        )


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


def publish_catalog(uow: UnitOfWork, catalog: Catalog, now_ms: int) -> CatalogVersion:
    """Store `catalog` as a new version unless the latest version has the same content."""
    fingerprint = catalog_fingerprint(catalog)
    versions = uow.scan(CATALOGS)
    if versions and versions[-1].fingerprint == fingerprint:
        return versions[-1]
    if versions:
        before = {job["key"] for job in versions[-1].catalog.get("job_types", ())}
        for key in sorted(before - set(catalog.job_types)):
            if uow.find(PROGRESSIONS, job_key=key):
                raise InvalidCatalog(
                    f"job_types.{key}",
                    key,
                    "Meks have progression in this job: deactivate it"
                    " (active = false) instead of removing it",
                )
    data = json.loads(dump_catalog(catalog, format="json"))
    version = uow.append(CATALOGS, lambda seq: CatalogVersion(seq, fingerprint, data, now_ms))
    uow.append(
        EVENTS,
        lambda seq: Event(seq, "CatalogPublished", None, now_ms, {"version": version.seq}),
    )
    return version


class _Ctx:
    """What one command sees: its unit of work, the time, the catalog, and its event sink."""

    def __init__(self, uow: UnitOfWork, now_ms: int, catalog: Catalog, version: int) -> None:
        self.uow = uow
        self.now = now_ms
        self.catalog = catalog
        self.catalog_version = version
        self.reference = ""

    def emit(self, kind: str, wallet: str | None, **data: Any) -> None:
        now = self.now
        self.uow.append(EVENTS, lambda seq: Event(seq, kind, wallet, now, data))


class JobSlots:
    """The job slot system for one game: commands (mutations) and queries over a store.

    Every command takes `idempotency_key=`: the same key with the same arguments returns the first
    result and changes nothing more; with other arguments it raises `IdempotencyConflict`. Keys
    are kept until `Admin.purge_idempotency` removes them.

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
    ) -> None:
        if not isinstance(secret, bytes) or len(secret) < 1:
            raise InvalidArgument("secret", "<hidden>", "must be non-empty bytes")
        self._store = store
        self._clock: Clock = clock or SystemClock()
        self._secret = secret
        self._secret_id = _check_id("secret_id", secret_id)
        self._catalogs: dict[int, Catalog] = {}
        self._latest: tuple[int, Catalog] | None = None
        with store.unit_of_work() as uow:
            now = read_clock(self._clock)
            known = uow.get(SECRETS, (secret_id,))
            digest = commitment(secret)
            if known is None:
                uow.insert(SECRETS, OfferSecret(secret_id, digest, now))
            elif known.commitment != digest:
                raise UnknownSecret("secret_id", secret_id, "is registered with another secret")
            else:
                _check_secret_live(known)
            if catalog is not None and not uow.find(
                CATALOGS, fingerprint=catalog_fingerprint(catalog)
            ):
                # Publish only content the store never had: a restart with the host's original
                # catalog must not undo the Admin edits published since (use Admin.publish to
                # return to an older version on purpose).
                version = publish_catalog(uow, catalog, now)
                self._catalogs[version.seq] = catalog
                self._latest = (version.seq, catalog)
            elif not uow.scan(CATALOGS, limit=1):
                raise InvalidArgument("catalog", None, "the store has no catalog yet; pass one")
            uow.commit()

    # -- plumbing ---------------------------------------------------------------------------

    def _catalog_version(self, uow: UnitOfWork, version: int) -> Catalog:
        cached = self._catalogs.get(version)
        if cached is None:
            record = uow.get(CATALOGS, (version,))
            if record is None:
                raise InvalidArgument("catalog_version", version, "is not stored")
            cached = self._catalogs[version] = loads_catalog(
                json.dumps(record.catalog), format="json"
            )
        return cached

    def _current(self, uow: UnitOfWork) -> tuple[int, Catalog]:
        after = self._latest[0] if self._latest else 0
        newer = uow.scan(CATALOGS, after=after)
        if newer:
            version = newer[-1].seq
            self._latest = (version, self._catalog_version(uow, version))
        assert self._latest is not None
        return self._latest

    def _run(
        self,
        command: str,
        args: dict[str, Any],
        idempotency_key: str | None,
        result_type: type[R],
        body: Callable[[_Ctx], R],
    ) -> R:
        with self._store.unit_of_work() as uow:
            now = read_clock(self._clock)
            fingerprint = ""
            if idempotency_key is not None:
                _check_id("idempotency_key", idempotency_key)
                fingerprint = hashlib.sha256(
                    json.dumps([command, args], sort_keys=True, default=str).encode()
                ).hexdigest()
                done = uow.get(IDEMPOTENCY, ("", idempotency_key))
                if done is not None:
                    if done.command != command or done.fingerprint != fingerprint:
                        raise IdempotencyConflict(
                            "idempotency_key",
                            idempotency_key,
                            f"was used for {done.command} with other arguments",
                        )
                    return from_dict(result_type, done.result)
            version, catalog = self._current(uow)
            ctx = _Ctx(uow, now, catalog, version)
            ctx.reference = idempotency_key or f"{command}@{now}"
            result = body(ctx)
            if idempotency_key is not None:
                uow.insert(
                    IDEMPOTENCY,
                    IdempotencyRecord(
                        "",
                        idempotency_key,
                        command,
                        fingerprint,
                        result_type.__name__,
                        to_dict(result),
                        now,
                    ),
                )
            uow.commit()
            return result

    def _query(self, body: Callable[[_Ctx], R]) -> R:
        with self._store.unit_of_work(write=False) as uow:
            now = read_clock(self._clock)
            version, catalog = self._current(uow)
            return body(_Ctx(uow, now, catalog, version))

    # -- loading with typed refusals --------------------------------------------------------

    @staticmethod
    def _mek(ctx: _Ctx, mek_id: str) -> Mek:
        mek = ctx.uow.get(MEKS, (_check_id("mek_id", mek_id),))
        if mek is None:
            raise UnknownMek("mek_id", mek_id, "is not registered")
        return mek

    def _owned_mek(self, ctx: _Ctx, wallet: str, mek_id: str) -> Mek:
        _check_id("wallet", wallet)
        mek = self._mek(ctx, mek_id)
        if mek.wallet != wallet:
            raise NotOwned("mek_id", mek_id, f"is not owned by wallet {wallet!r}")
        return mek

    @staticmethod
    def _job(ctx: _Ctx, job_key: str, *, active: bool = False) -> JobType:
        job = ctx.catalog.job_types.get(_check_id("job_key", job_key))
        if job is None or (active and not job.active):
            raise UnknownJob("job_key", job_key, "is not an active job type in the catalog")
        return job

    @staticmethod
    def _slot(ctx: _Ctx, wallet: str, slot_number: int) -> JobSlot:
        _check_id("wallet", wallet)
        _check_int("slot_number", slot_number, 1)
        slot = ctx.uow.get(SLOTS, (wallet, slot_number))
        if slot is None:
            raise SlotLocked("slot_number", slot_number, f"is not unlocked for wallet {wallet!r}")
        return slot

    @staticmethod
    def _progression(ctx: _Ctx, mek_id: str, job_key: str) -> Progression:
        p = ctx.uow.get(PROGRESSIONS, (mek_id, job_key))
        if p is None:
            raise UnknownJob("job_key", job_key, f"Mek {mek_id!r} never worked this job")
        return p

    @staticmethod
    def _stats(ctx: _Ctx, wallet: str) -> WalletStats:
        return ctx.uow.get(WALLET_STATS, (wallet,)) or WalletStats(wallet)

    # -- ledger -----------------------------------------------------------------------------

    @staticmethod
    def _post(ctx: _Ctx, wallet: str, currency: str, amount: int, reason: str) -> LedgerEntry:
        """Change a balance by `amount` with a journal line; refuses to go below zero."""
        current = ctx.uow.get(BALANCES, (wallet, currency))
        before = current.amount if current else 0
        after = before + amount
        if after < 0:
            raise InsufficientFunds(
                f"balance[{currency}]", before, f"needs {-amount} {currency} for {reason}"
            )
        ctx.uow.put(BALANCES, Balance(wallet, currency, after))
        ref, now = ctx.reference, ctx.now
        entry = ctx.uow.append(
            LEDGER,
            lambda seq: LedgerEntry(seq, wallet, currency, amount, after, reason, ref, now),
        )
        ctx.emit(
            "CurrencyGranted" if amount >= 0 else "CurrencySpent",
            wallet,
            currency=currency,
            amount=amount,
            balance=after,
            reason=reason,
            ledger_seq=entry.seq,
        )
        return entry

    def _charge(self, ctx: _Ctx, wallet: str, cost: Cost | None, reason: str) -> None:
        if cost is not None and cost.amount > 0:
            self._post(ctx, wallet, cost.currency, -cost.amount, reason)

    # -- totals projection ------------------------------------------------------------------

    @staticmethod
    def _refresh_totals(ctx: _Ctx, mek_id: str, wallet: str) -> None:
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

    @staticmethod
    def _add_stacking_buff(ctx: _Ctx, mek_id: str, wallet: str, buff: ActiveBuff) -> None:
        """A new stacking buff adds its units to the totals: the same result as recomputing
        (sums of integer units are exact) without reading the Mek's other buffs back."""
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

    # -- Meks -------------------------------------------------------------------------------

    def register_mek(self, wallet: str, mek_id: str, *, idempotency_key: str | None = None) -> Mek:
        """Tell the library about a Mek and its owner (decision 17)."""

        def body(ctx: _Ctx) -> Mek:
            _check_id("wallet", wallet)
            _check_id("mek_id", mek_id)
            existing = ctx.uow.get(MEKS, (mek_id,))
            if existing is not None:
                raise InvalidArgument(
                    "mek_id", mek_id, f"is already registered to wallet {existing.wallet!r}"
                )
            mek = Mek(mek_id, wallet, ctx.now)
            ctx.uow.insert(MEKS, mek)
            ctx.uow.append(OWNERSHIPS, lambda seq: Ownership(seq, mek_id, wallet, ctx.now))
            ctx.emit("MekRegistered", wallet, mek_id=mek_id)
            return mek

        return self._run(
            "register_mek", {"wallet": wallet, "mek_id": mek_id}, idempotency_key, Mek, body
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

        def body(ctx: _Ctx) -> Mek:
            _check_id("to_wallet", to_wallet)
            mek = (
                self._mek(ctx, mek_id)
                if from_wallet is None
                else self._owned_mek(ctx, from_wallet, mek_id)
            )
            if mek.wallet == to_wallet:
                raise InvalidArgument("to_wallet", to_wallet, f"already owns Mek {mek_id!r}")
            self._unslot_mek_anywhere(ctx, mek_id)
            moved = attrs.evolve(mek, wallet=to_wallet)
            ctx.uow.put(MEKS, moved)
            ctx.uow.append(OWNERSHIPS, lambda seq: Ownership(seq, mek_id, to_wallet, ctx.now))
            self._refresh_totals(ctx, mek_id, to_wallet)
            ctx.emit("MekTransferredAway", mek.wallet, mek_id=mek_id, to_wallet=to_wallet)
            ctx.emit("MekTransferred", to_wallet, mek_id=mek_id, from_wallet=mek.wallet)
            return moved

        args = {"mek_id": mek_id, "to_wallet": to_wallet, "from_wallet": from_wallet}
        return self._run("transfer_mek", args, idempotency_key, Mek, body)

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

        def body(ctx: _Ctx) -> Mek:
            if not isinstance(available, bool):
                raise InvalidArgument("available", available, "must be true or false")
            mek = self._mek(ctx, mek_id) if wallet is None else self._owned_mek(ctx, wallet, mek_id)
            if not available:
                slot = next(iter(ctx.uow.find(SLOTS, mek_id=mek_id)), None)
                if slot is not None:
                    raise MekBusy(
                        "mek_id", mek_id, f"works slot {slot.slot_number}; unslot it first"
                    )
            changed = attrs.evolve(mek, available=available)
            ctx.uow.put(MEKS, changed)
            ctx.emit("MekAvailabilityChanged", mek.wallet, mek_id=mek_id, available=available)
            return changed

        args = {"mek_id": mek_id, "available": available, "wallet": wallet}
        return self._run("set_mek_available", args, idempotency_key, Mek, body)

    def mek_owners(self, mek_id: str) -> tuple[Ownership, ...]:
        """Who owned the Mek since when, oldest first (decision 13)."""

        def body(ctx: _Ctx) -> tuple[Ownership, ...]:
            self._mek(ctx, mek_id)
            return tuple(ctx.uow.scan(OWNERSHIPS, mek_id=mek_id))

        return self._query(body)

    # -- ledger commands --------------------------------------------------------------------

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
        def body(ctx: _Ctx) -> LedgerEntry:
            _check_id("wallet", wallet)
            _check_id("currency", currency)
            _check_int("amount", amount, 1)
            signed = amount if command == "deposit" else -amount
            return self._post(ctx, wallet, currency, signed, command)

        args = {"wallet": wallet, "currency": currency, "amount": amount}
        return self._run(command, args, key, LedgerEntry, body)

    def balance(self, wallet: str, currency: str) -> int:
        """The wallet's balance in `currency` (0 when it never had any)."""

        def body(ctx: _Ctx) -> int:
            found = ctx.uow.get(
                BALANCES, (_check_id("wallet", wallet), _check_id("currency", currency))
            )
            return found.amount if found else 0

        return self._query(body)

    def ledger(self, wallet: str, currency: str | None = None) -> tuple[LedgerEntry, ...]:
        """The wallet's journal, oldest first (optionally one currency)."""

        def body(ctx: _Ctx) -> tuple[LedgerEntry, ...]:
            _check_id("wallet", wallet)
            where: dict[str, Any] = {"wallet": wallet}
            if currency is not None:
                where["currency"] = currency
            return tuple(sorted(ctx.uow.scan(LEDGER, **where), key=lambda e: e.seq))

        return self._query(body)

    # -- slots ------------------------------------------------------------------------------

    def unlock_slot(
        self, wallet: str, slot_number: int, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Unlock the wallet's next job slot, paying and meeting what policy 8.4 asks."""

        def body(ctx: _Ctx) -> JobSlot:
            _check_id("wallet", wallet)
            _check_int("slot_number", slot_number, 1)
            policy = ctx.catalog.policies.slot_unlock
            unlocked = len(ctx.uow.find(SLOTS, wallet=wallet))
            if slot_number <= unlocked:
                raise InvalidArgument("slot_number", slot_number, "is already unlocked")
            if slot_number != unlocked + 1:
                raise SlotLocked("slot_number", slot_number, f"unlock slot {unlocked + 1} first")
            if slot_number > policy.max_slots:
                raise SlotLocked(
                    "slot_number", slot_number, f"the policy allows {policy.max_slots} slots"
                )
            rule = policy.rule_for(slot_number)
            stats = self._stats(ctx, wallet)
            if stats.prestige_count < rule.min_prestiges:
                raise SlotLocked(
                    "prestige_count",
                    stats.prestige_count,
                    f"slot {slot_number} needs {rule.min_prestiges} prestiges",
                )
            meks = len(ctx.uow.find(MEKS, wallet=wallet))
            if meks < rule.min_meks:
                raise SlotLocked(
                    "total_meks", meks, f"slot {slot_number} needs {rule.min_meks} Meks"
                )
            self._charge(ctx, wallet, rule.cost, f"unlock slot {slot_number}")
            slot = JobSlot(wallet, slot_number, ctx.now)
            ctx.uow.insert(SLOTS, slot)
            ctx.emit("SlotUnlocked", wallet, slot_number=slot_number)
            return slot

        args = {"wallet": wallet, "slot_number": slot_number}
        return self._run("unlock_slot", args, idempotency_key, JobSlot, body)

    def _check_unlock(self, ctx: _Ctx, wallet: str, job: JobType) -> None:
        need = job.unlock
        stats = self._stats(ctx, wallet)
        if stats.prestige_count < need.prestige_count:
            raise JobLocked(
                "prestige_count",
                stats.prestige_count,
                f"{job.key} needs {need.prestige_count} prestiges",
            )
        missing = [k for k in need.job_keys if k not in stats.jobs_purchased]
        if missing:
            raise JobLocked(
                "job_keys", tuple(missing), f"{job.key} needs these jobs purchased first"
            )
        meks = len(ctx.uow.find(MEKS, wallet=wallet))
        if meks < need.total_meks:
            raise JobLocked("total_meks", meks, f"{job.key} needs {need.total_meks} Meks")

    def _put_job(self, ctx: _Ctx, wallet: str, slot: JobSlot, job: JobType) -> JobSlot:
        if slot.mek_id is not None:
            self._unslot(ctx, slot)
            slot = ctx.uow.get(SLOTS, (wallet, slot.slot_number)) or slot
        stats = self._stats(ctx, wallet)
        if job.key not in stats.jobs_purchased:
            ctx.uow.put(
                WALLET_STATS, attrs.evolve(stats, jobs_purchased=(*stats.jobs_purchased, job.key))
            )
        changed = attrs.evolve(slot, job_key=job.key, purchased_at_ms=ctx.now)
        ctx.uow.put(SLOTS, changed)
        return changed

    def purchase_job(
        self, wallet: str, slot_number: int, job_key: str, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Buy a job type for an unlocked, empty slot (the job's unlock requirements apply)."""

        def body(ctx: _Ctx) -> JobSlot:
            slot = self._slot(ctx, wallet, slot_number)
            job = self._job(ctx, job_key, active=True)
            if slot.job_key is not None:
                raise JobLocked(
                    "slot_number", slot_number, f"already holds {slot.job_key}; use change_job"
                )
            self._check_unlock(ctx, wallet, job)
            self._charge(ctx, wallet, job.purchase_cost, f"purchase {job.key}")
            changed = self._put_job(ctx, wallet, slot, job)
            ctx.emit("JobPurchased", wallet, slot_number=slot_number, job_key=job.key)
            return changed

        args = {"wallet": wallet, "slot_number": slot_number, "job_key": job_key}
        return self._run("purchase_job", args, idempotency_key, JobSlot, body)

    def change_job(
        self, wallet: str, slot_number: int, job_key: str, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Put another job in a purchased slot, as policy 8.2 allows: `repurchase` pays the job's
        price, `swap` pays the swap fee; the slot's Mek is unslotted and keeps its progression."""

        def body(ctx: _Ctx) -> JobSlot:
            policy = ctx.catalog.policies.job_change
            slot = self._slot(ctx, wallet, slot_number)
            if slot.job_key is None:
                raise SlotNotPurchased(
                    "slot_number", slot_number, "has no job yet; use purchase_job"
                )
            job = self._job(ctx, job_key, active=True)
            if policy.mode is JobChangeMode.LOCKED:
                raise JobLocked(
                    "policies.job_change.mode", policy.mode.value, "jobs in slots are permanent"
                )
            if job.key == slot.job_key:
                raise JobLocked("job_key", job_key, "the slot already holds this job")
            self._check_unlock(ctx, wallet, job)
            cost = job.purchase_cost if policy.mode is JobChangeMode.REPURCHASE else policy.swap_fee
            self._charge(ctx, wallet, cost, f"change slot {slot_number} to {job.key}")
            changed = self._put_job(ctx, wallet, slot, job)
            ctx.emit(
                "JobChanged",
                wallet,
                slot_number=slot_number,
                job_key=job.key,
                previous=slot.job_key,
            )
            return changed

        args = {"wallet": wallet, "slot_number": slot_number, "job_key": job_key}
        return self._run("change_job", args, idempotency_key, JobSlot, body)

    def assign_mek(
        self, wallet: str, slot_number: int, mek_id: str, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Put an owned, available, idle Mek to work in a slot; its tenure starts accruing."""

        def body(ctx: _Ctx) -> JobSlot:
            slot = self._slot(ctx, wallet, slot_number)
            if slot.job_key is None:
                raise SlotNotPurchased("slot_number", slot_number, "has no job purchased")
            mek = self._owned_mek(ctx, wallet, mek_id)
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
                attrs.evolve(
                    p,
                    slot_number=slot_number,
                    slot_wallet=wallet,
                    tenure_updated_ms=max(ctx.now, p.tenure_updated_ms),
                ),
            )
            changed = attrs.evolve(slot, mek_id=mek_id, slotted_at_ms=ctx.now)
            ctx.uow.put(SLOTS, changed)
            ctx.emit(
                "MekAssigned", wallet, slot_number=slot_number, mek_id=mek_id, job_key=slot.job_key
            )
            return changed

        args = {"wallet": wallet, "slot_number": slot_number, "mek_id": mek_id}
        return self._run("assign_mek", args, idempotency_key, JobSlot, body)

    def _unslot(self, ctx: _Ctx, slot: JobSlot) -> JobSlot:
        assert slot.mek_id is not None and slot.job_key is not None
        p = self._progression(ctx, slot.mek_id, slot.job_key)
        frozen = attrs.evolve(checkpoint(p, ctx.now), slot_number=None, slot_wallet=None)
        ctx.uow.put(PROGRESSIONS, frozen)
        empty = attrs.evolve(slot, mek_id=None, slotted_at_ms=None)
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

    def _unslot_mek_anywhere(self, ctx: _Ctx, mek_id: str) -> None:
        for slot in ctx.uow.find(SLOTS, mek_id=mek_id):
            self._unslot(ctx, slot)

    def unslot_mek(
        self, wallet: str, slot_number: int, *, idempotency_key: str | None = None
    ) -> JobSlot:
        """Take the Mek out of a slot: tenure freezes, nothing is lost."""

        def body(ctx: _Ctx) -> JobSlot:
            slot = self._slot(ctx, wallet, slot_number)
            if slot.mek_id is None:
                raise InvalidArgument("slot_number", slot_number, "has no Mek to unslot")
            return self._unslot(ctx, slot)

        args = {"wallet": wallet, "slot_number": slot_number}
        return self._run("unslot_mek", args, idempotency_key, JobSlot, body)

    # -- progression & pit stops ------------------------------------------------------------

    def progression(self, mek_id: str, job_key: str) -> prog.ProgressionView:
        """Level, tenure, next pit stop, progress and readiness, computed now (decision 11)."""

        def body(ctx: _Ctx) -> prog.ProgressionView:
            self._mek(ctx, mek_id)
            job = self._job(ctx, job_key)
            return prog.view(job, self._progression(ctx, mek_id, job_key), ctx.now)

        return self._query(body)

    def _due_pit_stop(
        self, ctx: _Ctx, mek_id: str, job_key: str
    ) -> tuple[JobType, Progression, int]:
        job = self._job(ctx, job_key)
        p = self._progression(ctx, mek_id, job_key)
        view = prog.view(job, p, ctx.now)
        if not view.pit_stop_ready or view.next_pit_stop is None:
            raise PitStopNotReady(
                "tenure_ms",
                view.tenure_ms,
                f"next pit stop of {job_key} needs {view.tenure_to_next_pit_stop_ms} ms more"
                if view.next_pit_stop
                else f"all pit stops of {job_key} are resolved; prestige to start again",
            )
        return job, p, view.next_pit_stop

    def _make_offer(
        self, ctx: _Ctx, wallet: str, p: Progression, number: int, reroll: int
    ) -> Offer:
        draft = make_offer(
            ctx.catalog,
            secret=self._secret,
            secret_id=self._secret_id,
            mek_id=p.mek_id,
            job_key=p.job_key,
            prestige_sequence=p.prestige_count,
            pit_stop_number=number,
            reroll=reroll,
        )
        offer = Offer(
            offer_id=draft.offer_id,
            wallet=wallet,
            mek_id=p.mek_id,
            job_key=p.job_key,
            prestige_sequence=p.prestige_count,
            pit_stop_number=number,
            reroll=reroll,
            from_level=draft.from_level,
            to_level=draft.to_level,
            choices=draft.choices,
            secret_id=self._secret_id,
            engine_version=draft.engine_version,
            catalog_version=ctx.catalog_version,
            created_at_ms=ctx.now,
        )
        ctx.uow.insert(OFFERS, offer)
        return offer

    def _check_secret_usable(self, ctx: _Ctx) -> None:
        secret = ctx.uow.get(SECRETS, (self._secret_id,))
        if secret is not None:
            _check_secret_live(secret)

    def open_pit_stop(
        self, wallet: str, mek_id: str, job_key: str, *, idempotency_key: str | None = None
    ) -> Offer:
        """The offer for the Mek's next due pit stop: made and stored on first call, the same
        stored offer on every later call (fixes 1 and 2)."""

        def body(ctx: _Ctx) -> Offer:
            self._owned_mek(ctx, wallet, mek_id)
            _, p, number = self._due_pit_stop(ctx, mek_id, job_key)
            made = ctx.uow.find(
                OFFERS,
                mek_id=mek_id,
                job_key=job_key,
                prestige_sequence=p.prestige_count,
                pit_stop_number=number,
            )
            for offer in made:
                if offer.status is OfferStatus.OPEN:
                    return offer
            self._check_secret_usable(ctx)
            offer = self._make_offer(ctx, wallet, p, number, reroll=0)
            ctx.emit(
                "PitStopOpened",
                wallet,
                offer_id=offer.offer_id,
                mek_id=mek_id,
                job_key=job_key,
                pit_stop_number=number,
                prestige_sequence=p.prestige_count,
            )
            return offer

        args = {"wallet": wallet, "mek_id": mek_id, "job_key": job_key}
        return self._run("open_pit_stop", args, idempotency_key, Offer, body)

    def _open_offer(self, ctx: _Ctx, wallet: str, offer_id: str) -> Offer:
        offer = ctx.uow.get(OFFERS, (_check_id("offer_id", offer_id),))
        if offer is None:
            raise UnknownOffer("offer_id", offer_id, "no such offer")
        _check_id("wallet", wallet)
        if self._mek(ctx, offer.mek_id).wallet != wallet:
            raise NotOwned("offer_id", offer_id, f"is for a Mek wallet {wallet!r} does not own")
        if offer.status is not OfferStatus.OPEN:
            raise OfferAlreadyResolved("offer_id", offer_id, f"is {offer.status.value}")
        return offer

    def reroll_offer(
        self, wallet: str, offer_id: str, *, idempotency_key: str | None = None
    ) -> Offer:
        """Pay the catalog's re-roll price to replace an open offer with the next one of the
        deterministic sequence; both stay in history."""

        def body(ctx: _Ctx) -> Offer:
            policy = ctx.catalog.policies.reroll
            offer = self._open_offer(ctx, wallet, offer_id)
            if policy.cost is None:
                raise PolicyRefused("policies.reroll.cost", None, "re-rolls are off")
            if offer.reroll >= policy.max_rerolls:
                raise PolicyRefused(
                    "reroll", offer.reroll, f"at most {policy.max_rerolls} re-rolls"
                )
            self._check_secret_usable(ctx)
            self._charge(ctx, wallet, policy.cost, f"re-roll {offer_id}")
            ctx.uow.put(
                OFFERS, attrs.evolve(offer, status=OfferStatus.REROLLED, resolved_at_ms=ctx.now)
            )
            p = self._progression(ctx, offer.mek_id, offer.job_key)
            new = self._make_offer(ctx, wallet, p, offer.pit_stop_number, offer.reroll + 1)
            ctx.emit("OfferRerolled", wallet, offer_id=offer_id, new_offer_id=new.offer_id)
            return new

        return self._run(
            "reroll_offer", {"wallet": wallet, "offer_id": offer_id}, idempotency_key, Offer, body
        )

    def select_buff(
        self, wallet: str, offer_id: str, index: int, *, idempotency_key: str | None = None
    ) -> Selection:
        """Keep choice `index` of an open offer: permanent buffs become active, one-time buffs
        credit the ledger at once and are kept as consumed. Exactly one selection per pit stop."""

        def body(ctx: _Ctx) -> Selection:
            offer = self._open_offer(ctx, wallet, offer_id)
            if (
                isinstance(index, bool)
                or not isinstance(index, int)
                or not 0 <= index < len(offer.choices)
            ):
                raise InvalidChoice("index", index, f"must be 0..{len(offer.choices) - 1}")
            choice = offer.choices[index]
            selection = Selection(
                offer.mek_id,
                offer.job_key,
                offer.prestige_sequence,
                offer.pit_stop_number,
                offer.offer_id,
                wallet,
                index,
                choice,
                offer.catalog_version,
                ctx.now,
            )
            try:
                ctx.uow.insert(SELECTIONS, selection)
            except DuplicateKey:
                raise OfferAlreadyResolved(
                    "offer_id", offer_id, "this pit stop was already selected"
                ) from None
            ctx.uow.put(
                OFFERS,
                attrs.evolve(
                    offer, status=OfferStatus.SELECTED, selected_index=index, resolved_at_ms=ctx.now
                ),
            )
            p = self._progression(ctx, offer.mek_id, offer.job_key)
            ctx.uow.put(
                PROGRESSIONS,
                attrs.evolve(checkpoint(p, ctx.now), pit_stops_resolved=p.pit_stops_resolved + 1),
            )
            buff = ActiveBuff(
                buff_id=offer.offer_id,
                mek_id=offer.mek_id,
                job_key=offer.job_key,
                buff_key=choice.buff_key,
                effect_type=choice.effect_type,
                value=choice.value,
                permanent=choice.permanent,
                stacks=choice.stacks,
                prestige_sequence=offer.prestige_sequence,
                pit_stop_number=offer.pit_stop_number,
                applied_at_ms=ctx.now,
                consumed=not choice.permanent,
            )
            ctx.uow.insert(ACTIVE_BUFFS, buff)
            ctx.emit(
                "BuffSelected",
                wallet,
                offer_id=offer_id,
                mek_id=offer.mek_id,
                job_key=offer.job_key,
                pit_stop_number=offer.pit_stop_number,
                index=index,
                buff_key=choice.buff_key,
                value=choice.value,
            )
            if choice.permanent and choice.stacks:
                self._add_stacking_buff(ctx, offer.mek_id, wallet, buff)
            elif choice.permanent:
                self._refresh_totals(ctx, offer.mek_id, wallet)
            else:
                assert choice.currency is not None
                ctx.reference = offer.offer_id
                self._post(
                    ctx,
                    wallet,
                    choice.currency,
                    round(choice.value),
                    f"buff {choice.buff_key}",
                )
            return selection

        args = {"wallet": wallet, "offer_id": offer_id, "index": index}
        return self._run("select_buff", args, idempotency_key, Selection, body)

    def buff_history(self, mek_id: str, job_key: str) -> tuple[Offer, ...]:
        """Every offer made for the Mek in this job (selected, re-rolled or open), in order."""

        def body(ctx: _Ctx) -> tuple[Offer, ...]:
            self._mek(ctx, mek_id)
            _check_id("job_key", job_key)
            offers = ctx.uow.find(OFFERS, mek_id=mek_id, job_key=job_key)
            return tuple(
                sorted(offers, key=lambda o: (o.prestige_sequence, o.pit_stop_number, o.reroll))
            )

        return self._query(body)

    # -- buffs ------------------------------------------------------------------------------

    def active_buffs(self, mek_id: str) -> MekBuffs:
        """The Mek's kept buffs in every job and its totals by effect type."""

        def body(ctx: _Ctx) -> MekBuffs:
            self._mek(ctx, mek_id)
            kept = ctx.uow.find(ACTIVE_BUFFS, mek_id=mek_id)
            totals = buff_math.mek_totals(kept)
            return MekBuffs(
                mek_id,
                tuple(b for b in kept if not b.consumed),
                tuple(b for b in kept if b.consumed),
                {k: buff_math.from_units(v) for k, v in sorted(totals.items())},
            )

        return self._query(body)

    def wallet_totals(self, wallet: str) -> WalletTotals:
        """Totals by effect type over the wallet's Meks, with the account prestige buff (hot path:
        reads one precomputed row per effect type)."""

        def body(ctx: _Ctx) -> WalletTotals:
            _check_id("wallet", wallet)
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

        return self._query(body)

    # -- prestige ---------------------------------------------------------------------------

    def _prestige_plan(
        self, ctx: _Ctx, mek_id: str, job_key: str
    ) -> tuple[
        JobType,
        Progression,
        prog.ProgressionView,
        list[str],
        list[ActiveBuff],
        list[ActiveBuff],
        list[Reward],
    ]:
        job = self._job(ctx, job_key)
        p = self._progression(ctx, mek_id, job_key)
        view = prog.view(job, p, ctx.now)
        reasons = []
        if view.level < job.max_level:
            reasons.append(f"level {view.level} is below max level {job.max_level}")
        if view.pending_pit_stops:
            reasons.append(f"{view.pending_pit_stops} pit stop(s) to resolve first")
        open_offers = [
            o
            for o in ctx.uow.find(
                OFFERS, mek_id=mek_id, job_key=job_key, prestige_sequence=p.prestige_count
            )
            if o.status is OfferStatus.OPEN
        ]
        if open_offers and not view.pending_pit_stops:
            reasons.append("an offer is still open")
        carry = ctx.catalog.policies.buff_carry
        kept = ctx.uow.find(ACTIVE_BUFFS, mek_id=mek_id, job_key=job_key, consumed=False)
        if carry.mode is BuffCarryMode.CLEAR:
            lost, diminished = kept, []
        else:
            lost, diminished = [], [attrs.evolve(b, scale=b.scale * carry.factor) for b in kept]
        policy = ctx.catalog.policies.prestige
        rewards = []
        if policy.account_buff_percent > 0:
            rewards.append(Reward("account_buff", percent=policy.account_buff_percent))
        if policy.tokens > 0:
            rewards.append(Reward("currency", policy.token_currency, policy.tokens))
        if policy.currency_reward is not None and policy.currency_reward.amount > 0:
            rewards.append(
                Reward("currency", policy.currency_reward.currency, policy.currency_reward.amount)
            )
        return job, p, view, reasons, lost, diminished, rewards

    def prestige_preview(self, mek_id: str, job_key: str) -> PrestigePreview:
        """Whether the Mek may prestige this job now, what it loses and what it gains."""

        def body(ctx: _Ctx) -> PrestigePreview:
            self._mek(ctx, mek_id)
            job, _, view, reasons, lost, diminished, rewards = self._prestige_plan(
                ctx, mek_id, job_key
            )
            return PrestigePreview(
                mek_id,
                job_key,
                not reasons,
                tuple(reasons),
                view.level,
                job.max_level,
                view.pending_pit_stops,
                tuple(lost),
                tuple(diminished),
                tuple(rewards),
            )

        return self._query(body)

    def prestige(
        self, wallet: str, mek_id: str, job_key: str, *, idempotency_key: str | None = None
    ) -> PrestigeRecord:
        """Reset the Mek's job to level 1 for rewards (policy 8.1); buffs per policy 8.3."""

        def body(ctx: _Ctx) -> PrestigeRecord:
            self._owned_mek(ctx, wallet, mek_id)
            job, p, view, reasons, lost, diminished, rewards = self._prestige_plan(
                ctx, mek_id, job_key
            )
            if reasons:
                field = "level" if view.level < job.max_level else "pending_pit_stops"
                value = view.level if field == "level" else view.pending_pit_stops
                raise PrestigeNotReady(field, value, "; ".join(reasons))
            for b in lost:
                ctx.uow.delete(ACTIVE_BUFFS, (b.buff_id,))
            for b in diminished:
                ctx.uow.put(ACTIVE_BUFFS, b)
            number = p.prestige_count + 1
            record = PrestigeRecord(
                mek_id,
                job_key,
                number,
                wallet,
                view.level,
                view.tenure_ms,
                tuple(lost),
                tuple(diminished),
                tuple(rewards),
                ctx.now,
                ctx.catalog_version,
            )
            ctx.uow.insert(PRESTIGES, record)
            ctx.uow.put(
                PROGRESSIONS,
                attrs.evolve(
                    p,
                    tenure_ms=0,
                    tenure_updated_ms=max(ctx.now, p.tenure_updated_ms),
                    pit_stops_resolved=0,
                    prestige_count=number,
                    lifetime_levels=p.lifetime_levels + view.level,
                    last_prestige_ms=ctx.now,
                ),
            )
            stats = self._stats(ctx, wallet)
            ctx.uow.put(WALLET_STATS, attrs.evolve(stats, prestige_count=stats.prestige_count + 1))
            self._refresh_totals(ctx, mek_id, wallet)
            ctx.emit(
                "Prestiged",
                wallet,
                mek_id=mek_id,
                job_key=job_key,
                prestige_number=number,
                buffs_lost=len(lost),
                buffs_diminished=len(diminished),
            )
            for reward in rewards:
                if reward.kind == "currency" and reward.currency is not None:
                    self._post(
                        ctx, wallet, reward.currency, reward.amount, f"prestige {job_key} #{number}"
                    )
            return record

        args = {"wallet": wallet, "mek_id": mek_id, "job_key": job_key}
        return self._run("prestige", args, idempotency_key, PrestigeRecord, body)

    def prestige_history(
        self, mek_id: str, job_key: str | None = None
    ) -> tuple[PrestigeRecord, ...]:
        """The Mek's prestige audit records (optionally in one job), oldest first per job."""

        def body(ctx: _Ctx) -> tuple[PrestigeRecord, ...]:
            self._mek(ctx, mek_id)
            if job_key is None:
                return tuple(ctx.uow.find(PRESTIGES, mek_id=mek_id))
            return tuple(
                ctx.uow.find(PRESTIGES, mek_id=mek_id, job_key=_check_id("job_key", job_key))
            )

        return self._query(body)

    # -- queries for the player's screens ---------------------------------------------------

    def available_jobs(self, wallet: str) -> AvailableJobs:
        """Active jobs the wallet may purchase, and the locked ones with what they need."""

        def body(ctx: _Ctx) -> AvailableJobs:
            _check_id("wallet", wallet)
            stats = self._stats(ctx, wallet)
            meks = len(ctx.uow.find(MEKS, wallet=wallet))
            unlocked: list[JobType] = []
            locked: list[LockedJob] = []
            jobs = sorted(
                (j for j in ctx.catalog.job_types.values() if j.active),
                key=lambda j: (j.sort_order, j.key),
            )
            for job in jobs:
                need = job.unlock
                ok = (
                    stats.prestige_count >= need.prestige_count
                    and all(k in stats.jobs_purchased for k in need.job_keys)
                    and meks >= need.total_meks
                )
                if ok:
                    unlocked.append(job)
                else:
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

        return self._query(body)

    def player_slots(self, wallet: str) -> PlayerSlots:
        """The wallet's unlocked slots with job, Mek and live progression."""

        def body(ctx: _Ctx) -> PlayerSlots:
            _check_id("wallet", wallet)
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
            next_cost = (
                policy.rule_for(len(slots) + 1).cost if len(slots) < policy.max_slots else None
            )
            return PlayerSlots(
                wallet,
                tuple(views),
                len(slots),
                sum(1 for s in slots if s.job_key),
                policy.max_slots,
                next_cost,
            )

        return self._query(body)

    # -- outbox -----------------------------------------------------------------------------

    def events(self, after: int = 0, limit: int = 1000) -> tuple[Event, ...]:
        """Outbox events with `seq > after`, oldest first (decision 18)."""
        _check_int("after", after)
        _check_int("limit", limit, 1)
        return self._query(lambda ctx: tuple(ctx.uow.scan(EVENTS, after=after, limit=limit)))

    def cursor(self, consumer: str = "default") -> int:
        """The last event `seq` the consumer acknowledged (0 before the first ack)."""

        def body(ctx: _Ctx) -> int:
            found = ctx.uow.get(CURSORS, (_check_id("consumer", consumer),))
            return found.seq if found else 0

        return self._query(body)

    def ack(self, seq: int, consumer: str = "default") -> int:
        """Move the consumer's cursor forward to `seq` (never backwards); returns the cursor."""
        _check_id("consumer", consumer)
        _check_int("seq", seq)
        with self._store.unit_of_work() as uow:
            found = uow.get(CURSORS, (consumer,))
            current = found.seq if found else 0
            if seq > current:
                event = uow.scan(EVENTS, after=seq - 1, limit=1)
                if not event or event[0].seq != seq:
                    raise InvalidArgument("seq", seq, "is not an event in the outbox")
                uow.put(CURSORS, Cursor(consumer, seq))
                current = seq
            uow.commit()
            return current
