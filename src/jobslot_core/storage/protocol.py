"""The storage protocol: a unit of work over a few declared tables, and lock scopes.

A host that wants the library on its own database implements `Store` and `UnitOfWork` for the
tables in `TABLES` and runs `jobslot_core.testing.StorageContract` against it. The domain never
sees SQL: each table declares its primary key, its secondary indexes and whether it is an
append-only log whose `seq` the store assigns.

Concurrency is stated, not assumed: every write command first names the consistency scopes it
touches (`wallet_scope`, `mek_scope`, `ADMIN_SCOPE`) with `UnitOfWork.lock`; two units of work
holding a common scope never interleave, and a store may run units of work on disjoint scopes at
once (`Capabilities.parallel_scopes`). docs/storage.md ("Concurrency") says which scope
protects which invariant.
"""

import operator
from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar

import attrs

from .. import model

__all__ = [
    "ACTIVE_BUFFS",
    "ADMIN_SCOPE",
    "BALANCES",
    "CATALOGS",
    "CURSORS",
    "EVENTS",
    "IDEMPOTENCY",
    "LEDGER",
    "MEKS",
    "MEK_TOTALS",
    "OFFERS",
    "OWNERSHIPS",
    "PRESTIGES",
    "PROGRESSIONS",
    "SECRETS",
    "SELECTIONS",
    "SLOTS",
    "TABLES",
    "WALLET_STATS",
    "WALLET_TOTALS",
    "Capabilities",
    "Cursor",
    "DuplicateKey",
    "Read",
    "Store",
    "Table",
    "UnitOfWork",
    "mek_scope",
    "wallet_scope",
]

R = TypeVar("R")


class DuplicateKey(Exception):
    """`insert` found a record with the same primary key (the store changed nothing).

    Never reaches a host: the service turns one escaping a command into a retry (an insert race
    between two processes) or into a typed refusal.
    """


ADMIN_SCOPE = "admin"
"""The scope of catalog versions, offer secrets and other admin state."""


def wallet_scope(wallet: str) -> str:
    """The scope of one wallet: its balances, ledger, slots, stats, totals and its commands'
    idempotency keys."""
    return "wallet:" + wallet


def mek_scope(mek_id: str) -> str:
    """The scope of one Mek: its owner and availability, its slot, progressions, offers and
    buffs."""
    return "mek:" + mek_id


@attrs.frozen
class Capabilities:
    """What a store says about its own concurrency; the contract tests what it claims.

    - `parallel_scopes`: write units of work on disjoint scopes run at the same time (else
      writers take turns, which is always correct).
    - `shared_by_processes`: several processes (each with its own store object) may share the
      data, and every guarantee holds across them.
    - `commit_outcome_can_be_unknown`: `commit()` may raise `CommitOutcomeUnknown` (a network
      store whose connection drops during COMMIT); the service then writes a record in every
      write unit of work so it can tell afterwards whether the commit happened.
    - `prefetch`: `UnitOfWork.prefetch` saves round trips, so the service names each command's
      first reads (elsewhere it does not spend the time).
    """

    parallel_scopes: bool = False
    shared_by_processes: bool = False
    commit_outcome_can_be_unknown: bool = False
    prefetch: bool = False


class _KeyGetters(dict[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]):
    """Key fields -> a function giving a record's values of them as a tuple (made once)."""

    def __missing__(self, fields: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
        get = operator.attrgetter(*fields)  # a tuple for two or more fields
        made = self[fields] = get if len(fields) > 1 else _one(get)
        return made


def _one(get: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    return lambda record: (get(record),)


_KEY_GETTERS = _KeyGetters()


@attrs.frozen
class Table(Generic[R]):
    """A declared table: records of one class, a primary key, secondary indexes.

    A log table (`log=True`) has the primary key `("seq",)`, assigned by `UnitOfWork.append` in
    increasing order; logs are append-only.
    """

    name: str
    record: type[R]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    log: bool = False

    def key_of(self, record: R) -> tuple[Any, ...]:
        return _KEY_GETTERS[self.key](record)

    def queryable(self, fields: tuple[str, ...]) -> bool:
        """`find` may filter on a prefix of the key or of an index, nothing else."""
        return any(fields == ix[: len(fields)] for ix in (self.key, *self.indexes))


@attrs.frozen
class Cursor:
    """A host consumer's position in the event outbox."""

    consumer: str
    seq: int


MEKS = Table("meks", model.Mek, ("mek_id",), (("wallet",),))
OWNERSHIPS = Table("ownerships", model.Ownership, ("seq",), (("mek_id",),), log=True)
SLOTS = Table("slots", model.JobSlot, ("wallet", "slot_number"), (("mek_id",),))
PROGRESSIONS = Table("progressions", model.Progression, ("mek_id", "job_key"), (("job_key",),))
OFFERS = Table(
    "offers",
    model.Offer,
    ("offer_id",),
    (("mek_id", "job_key", "prestige_sequence", "pit_stop_number"),),
)
SELECTIONS = Table(
    "selections",
    model.Selection,
    ("mek_id", "job_key", "prestige_sequence", "pit_stop_number"),
    (("wallet",),),
)
ACTIVE_BUFFS = Table(
    "active_buffs",
    model.ActiveBuff,
    ("buff_id",),
    (("mek_id", "consumed"), ("mek_id", "job_key", "consumed")),
)
MEK_TOTALS = Table("mek_totals", model.MekTotal, ("mek_id", "effect_type"), (("wallet",),))
WALLET_TOTALS = Table("wallet_totals", model.WalletTotal, ("wallet", "effect_type"))
WALLET_STATS = Table("wallet_stats", model.WalletStats, ("wallet",))
PRESTIGES = Table(
    "prestiges", model.PrestigeRecord, ("mek_id", "job_key", "prestige_number"), (("wallet",),)
)
BALANCES = Table("balances", model.Balance, ("wallet", "currency"))
LEDGER = Table("ledger", model.LedgerEntry, ("seq",), (("wallet", "currency"),), log=True)
EVENTS = Table("events", model.Event, ("seq",), log=True)
CURSORS = Table("cursors", Cursor, ("consumer",))
IDEMPOTENCY = Table("idempotency", model.IdempotencyRecord, ("scope", "key"), (("at_ms",),))
CATALOGS = Table("catalogs", model.CatalogVersion, ("seq",), (("fingerprint",),), log=True)
SECRETS = Table("secrets", model.OfferSecret, ("secret_id",))

TABLES: tuple[Table[Any], ...] = (
    MEKS, OWNERSHIPS, SLOTS, PROGRESSIONS, OFFERS, SELECTIONS, ACTIVE_BUFFS, MEK_TOTALS,
    WALLET_TOTALS, WALLET_STATS, PRESTIGES, BALANCES, LEDGER, EVENTS, CURSORS, IDEMPOTENCY,
    CATALOGS, SECRETS,
)  # fmt: skip
"""Every table the service uses, in a stable order (adapters create them all)."""


@attrs.frozen
class Read:
    """A read a command is about to make, named ahead for `UnitOfWork.prefetch`: a `get` of
    `key`, a `find` by `where`, or (with `after` set) a `scan`."""

    table: Table[Any]
    key: tuple[Any, ...] | None = None
    where: tuple[tuple[str, Any], ...] = ()
    after: int | None = None
    limit: int | None = None

    @classmethod
    def get(cls, table: Table[Any], *key: Any) -> "Read":
        return cls(table, key=key)

    @classmethod
    def find(cls, table: Table[Any], **where: Any) -> "Read":
        return cls(table, where=tuple(where.items()))

    @classmethod
    def scan(
        cls, table: Table[Any], after: int = 0, limit: int | None = None, **where: Any
    ) -> "Read":
        return cls(table, where=tuple(where.items()), after=after, limit=limit)


class UnitOfWork(Protocol):
    """One transaction. Nothing is visible to others until `commit`; leaving the `with` block
    without committing rolls back every change.

    Raises `jobslot_core.errors.StorageError` (or a subclass) for driver failures, and
    `ConcurrencyConflict` where a concurrent unit of work got in the way (the caller reruns).
    """

    def lock(self, scopes: Iterable[str]) -> None:
        """Hold these scopes until the unit of work ends: no other write unit of work holding
        one of them runs meanwhile. Called before reading what they protect; a second call
        adds scopes (the store may then raise `ConcurrencyConflict` rather than deadlock). A
        no-op where write units of work already take turns (SQLite, MemoryStore)."""
        ...

    def prefetch(self, reads: Iterable[Read]) -> None:
        """A hint: the caller makes these reads next, once it holds the scopes of its next
        `lock` call. A store whose every statement is a network round trip may send them with
        the lock and answer those calls from what came back (a later write to a table drops
        what was fetched from it). A no-op where reads are cheap (SQLite, MemoryStore)."""
        ...

    def get(self, table: Table[R], key: tuple[Any, ...]) -> R | None:
        """The record with this primary key, or None."""
        ...

    def find(self, table: Table[R], **where: Any) -> list[R]:
        """Records whose fields equal `where` (a key or index prefix), in primary-key order."""
        ...

    def insert(self, table: Table[R], record: R) -> None:
        """Add a record; raises `DuplicateKey` when its key exists."""
        ...

    def add(self, table: Table[R], record: R) -> None:
        """`insert` for a record whose key the caller knows is free (it holds the scope that
        guards it), so a taken key means a race: `ConcurrencyConflict`, raised by this call,
        a later one or `commit` (a network store sends the row with its next statement), and
        the unit of work commits nothing."""
        ...

    def put(self, table: Table[R], record: R) -> None:
        """Insert or replace by primary key."""
        ...

    def delete(self, table: Table[R], key: tuple[Any, ...]) -> None:
        """Remove the record with this key (no error when absent)."""
        ...

    def append(self, table: Table[R], build: Callable[[int], R]) -> R:
        """Append to a log: `build(seq)` makes the record for the next sequence number."""
        ...

    def append_at_commit(self, table: Table[R], build: Callable[[int], R]) -> None:
        """`append` for a record whose `seq` nothing reads before `commit`: a store may assign
        the seq while committing, in the statement that advances the log's tail, so the tail is
        held only for the commit itself. Appends keep their call order in the log either way
        (where writers already take turns this is simply `append`)."""
        ...

    def scan(
        self, table: Table[R], after: int = 0, limit: int | None = None, **where: Any
    ) -> list[R]:
        """Log records with `seq > after` (and `where`), in `seq` order, at most `limit`."""
        ...

    def commit(self) -> None:
        """Make every change visible at once. Raises `CommitOutcomeUnknown` only when
        `Capabilities.commit_outcome_can_be_unknown`."""
        ...

    def rollback(self) -> None: ...

    def __enter__(self) -> "UnitOfWork": ...

    def __exit__(self, *exc: object) -> None: ...


class Store(Protocol):
    """A place to keep the game's state.

    `unit_of_work(write=True)` starts a transaction that serialises with every other writer
    holding one of the scopes it `lock`s (also across processes, for stores that several
    processes share); `write=False` reads one consistent snapshot beside the writers.
    """

    capabilities: Capabilities

    def unit_of_work(self, *, write: bool = True) -> UnitOfWork: ...

    def close(self) -> None: ...
