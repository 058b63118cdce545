"""What one command sees: its unit of work, the time, the catalog, typed loaders, and a buffer of
log records (ownerships, ledger lines, events) appended in one fixed order just before commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ..catalog import Catalog, JobType
from ..engine.context import check_text
from ..errors import (
    ConcurrencyConflict,
    InvalidArgument,
    NotOwned,
    SlotLocked,
    UnknownJob,
    UnknownMek,
)
from ..model import Event, JobSlot, Mek, Progression, WalletStats
from ..storage.protocol import (
    CATALOGS,
    EVENTS,
    LEDGER,
    MEKS,
    OWNERSHIPS,
    PROGRESSIONS,
    SLOTS,
    WALLET_STATS,
    Capabilities,
    Table,
    UnitOfWork,
)

__all__ = [
    "INT64_MAX",
    "LOG_ORDER",
    "Context",
    "Pending",
    "check_clock",
    "check_id",
    "check_int",
    "check_store",
]

INT64_MAX = 2**63 - 1
"""The largest integer any argument, stored amount or time may be (what every store holds)."""

R = TypeVar("R")

LOG_ORDER: tuple[Table[Any], ...] = (CATALOGS, OWNERSHIPS, LEDGER, EVENTS)
"""The order every command appends its log records in: one order for all, so two commands never
wait on each other's log tails in opposite orders (no deadlock), and an event can name the ledger
line it reports."""


def check_id(field: str, value: Any) -> str:
    """A non-empty, trimmed string of at most 200 characters, or `InvalidArgument`."""
    if not isinstance(value, str) or not value or len(value) > 200 or value != value.strip():
        raise InvalidArgument(field, value, "must be a non-empty string of at most 200 characters")
    if not value.isascii():
        check_text(field, value)  # no lone surrogates: stores and documents need valid Unicode
    return value


def check_int(field: str, value: Any, low: int = 0, high: int = INT64_MAX) -> int:
    """An integer (not a bool) from `low` to `high` (int64 by default), or `InvalidArgument`."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(field, value, f"must be an integer from {low} to {high}")
    return value


def check_store(store: Any) -> Any:
    """Something with the `Store` protocol's `unit_of_work` and `capabilities`."""
    if not callable(getattr(store, "unit_of_work", None)) or not isinstance(
        getattr(store, "capabilities", None), Capabilities
    ):
        raise InvalidArgument("store", type(store).__name__, "must be a Store (MemoryStore, ...)")
    return store


def check_clock(clock: Any) -> Any:
    """Something with a `now_ms()` method (`SystemClock`, `ManualClock`, the host's own)."""
    if not callable(getattr(clock, "now_ms", None)):
        raise InvalidArgument("clock", type(clock).__name__, "must be a Clock with now_ms()")
    return clock


class Pending(Generic[R]):
    """A log record that gets its `seq` when the buffer is flushed, just before commit."""

    __slots__ = ("_build", "_record")

    def __init__(self, build: Callable[[int], R]) -> None:
        self._build = build
        self._record: R | None = None

    @property
    def record(self) -> R:
        if self._record is None:
            raise RuntimeError("the log record is appended when the command commits")
        return self._record


class Context:
    """One command's view: `uow`, `now`, the current catalog (loaded on first use), the scopes it
    holds, and the buffered log appends."""

    __slots__ = ("_catalog", "_current", "_logs", "now", "reference", "scopes", "uow")

    def __init__(
        self,
        uow: UnitOfWork,
        now_ms: int,
        current: Callable[[UnitOfWork], tuple[int, Catalog]],
        scopes: frozenset[str] = frozenset(),
    ) -> None:
        self.uow = uow
        self.now = now_ms
        self.scopes = scopes
        self.reference = ""
        self._current = current
        self._catalog: tuple[int, Catalog] | None = None
        self._logs: dict[str, list[tuple[Table[Any], Pending[Any]]]] = {}

    # -- catalog ------------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = self._current(self.uow)
        return self._catalog[1]

    @property
    def catalog_version(self) -> int:
        if self._catalog is None:
            self._catalog = self._current(self.uow)
        return self._catalog[0]

    # -- buffered logs ------------------------------------------------------------------------

    def append(self, table: Table[R], build: Callable[[int], R]) -> Pending[R]:
        """Queue a log record; `build(seq)` runs at flush, in `LOG_ORDER`."""
        pending = Pending(build)
        self._logs.setdefault(table.name, []).append((table, pending))
        return pending

    def emit(self, kind: str, wallet: str | None, **data: Any) -> None:
        """Queue a domain event (past tense) for the outbox."""
        now = self.now
        self.append(EVENTS, lambda seq: Event(seq, kind, wallet, now, data))

    def emit_later(self, kind: str, wallet: str | None, data: Callable[[], dict[str, Any]]) -> None:
        """Queue an event whose data names other log records (read when it is appended)."""
        now = self.now
        self.append(EVENTS, lambda seq: Event(seq, kind, wallet, now, data()))

    def flush(self) -> None:
        """Append every queued record, log by log in `LOG_ORDER`, each log in queue order.
        Events are the last log and nothing reads their seqs: the store may number them while
        committing (`append_at_commit`), which keeps the outbox tail's lock short."""
        for table in LOG_ORDER:
            for _, pending in self._logs.pop(table.name, ()):
                if table is EVENTS:
                    self.uow.append_at_commit(table, pending._build)
                else:
                    pending._record = self.uow.append(table, pending._build)
        for queued in self._logs.values():  # a log outside LOG_ORDER: a programming error
            raise RuntimeError(f"no flush order for log {queued[0][0].name}")

    def require_scope(self, scope: str) -> None:
        """A command read, after locking, a record whose scope it did not lock (its owner
        changed since the command chose its scopes): run the command again."""
        if scope not in self.scopes:
            raise ConcurrencyConflict("scope", scope, "changed hands while the command started")

    # -- typed loaders ------------------------------------------------------------------------

    def mek(self, mek_id: str) -> Mek:
        found = self.uow.get(MEKS, (check_id("mek_id", mek_id),))
        if found is None:
            raise UnknownMek("mek_id", mek_id, "is not registered")
        return found

    def owned_mek(self, wallet: str, mek_id: str) -> Mek:
        check_id("wallet", wallet)
        found = self.mek(mek_id)
        if found.wallet != wallet:
            raise NotOwned("mek_id", mek_id, f"is not owned by wallet {wallet!r}")
        return found

    def job(self, job_key: str, *, active: bool = False) -> JobType:
        found = self.catalog.job_types.get(check_id("job_key", job_key))
        if found is None or (active and not found.active):
            raise UnknownJob("job_key", job_key, "is not an active job type in the catalog")
        return found

    def slot(self, wallet: str, slot_number: int) -> JobSlot:
        check_id("wallet", wallet)
        check_int("slot_number", slot_number, 1)
        found = self.uow.get(SLOTS, (wallet, slot_number))
        if found is None:
            raise SlotLocked("slot_number", slot_number, f"is not unlocked for wallet {wallet!r}")
        return found

    def progression(self, mek_id: str, job_key: str) -> Progression:
        found = self.uow.get(PROGRESSIONS, (mek_id, job_key))
        if found is None:
            raise UnknownJob("job_key", job_key, f"Mek {mek_id!r} never worked this job")
        return found

    def stats(self, wallet: str) -> WalletStats:
        return self.uow.get(WALLET_STATS, (wallet,)) or WalletStats(wallet)
