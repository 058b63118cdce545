"""PostgresStore: many game-server processes, on many machines, sharing one PostgreSQL database.

Needs the `postgres` extra (psycopg 3 and psycopg_pool), imported when a store is constructed:
importing this module needs neither, and nothing connects at import.

Layout: the tables live in one schema (default `jobslot`). Each `protocol.TABLES` entry is a
table with a typed column per key and index field (`text COLLATE "C"`, so text orders by code
point as Python does; `bigint`; `boolean`), and `doc`, the record as compact sorted JSON text.
Besides them: `jobslot_meta` (the marker and schema version), `scopes` (one row per lock scope)
and `tails` (the last seq of each log).

Concurrency (docs/postgres.md says what each guarantee rests on): a write unit of work runs at
READ COMMITTED and takes its scopes as row locks (`SELECT ... FROM scopes ... ORDER BY name FOR
UPDATE`); its first log append locks the log tails (one statement; the outbox's only when it
appends there itself), and everything written after that is sent together with COMMIT in one
pipeline, so the tails are held for about one round trip. Records of `append_at_commit` (the
events) are numbered by the server in the statement carrying the queued writes, sent with
COMMIT: the outbox tail is held for the commit alone. Writes that need no answer (put, delete,
appends) are queued and travel with the next statement that does. Read units of work are
REPEATABLE READ READ ONLY: one snapshot.

Errors: SQLSTATE class 40 (serialization failure, deadlock) and 55P03 (lock not available)
become `ConcurrencyConflict`; a duplicate key on `insert` is `DuplicateKey` (or, for an insert
queued behind a log append, a `ConcurrencyConflict` from `commit`); the connection lost while
COMMIT was in flight is `CommitOutcomeUnknown`; anything else is `StorageError`, with the
SQLSTATE on `.sqlstate`. No psycopg exception leaves the adapter.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import typing
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import attrs
import cattrs

from ..errors import (
    CommitOutcomeUnknown,
    ConcurrencyConflict,
    CorruptStore,
    InvalidArgument,
    StorageError,
    UnsupportedSchema,
)
from . import _codecs
from ._codecs import columns as _columns
from ._pgwire import Result, Wire
from .protocol import EVENTS, TABLES, Capabilities, DuplicateKey, Read, Table

__all__ = ["APPLICATION", "MIGRATIONS", "SCHEMA_VERSION", "PostgresStore", "create_table_sql"]

R = TypeVar("R")
_Key = tuple[Any, ...]

APPLICATION = "jobslot_core"
"""The value of `jobslot_meta.application` in every schema this adapter made."""

_EXTRA_HINT = "PostgresStore needs the `postgres` extra: pip install 'jobslot_core[postgres]'"

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

_RETRYABLE = frozenset({"40001", "40P01", "55P03"})
"""Serialization failure, deadlock detected, lock not available (lock_timeout, NOWAIT)."""

_UNIQUE_VIOLATION = "23505"

_NO_PREPARED_STATEMENT = "26000"
"""invalid_sql_statement_name: a prepared statement the sender made is gone."""

_IDLE = 0
"""libpq's PQTRANS_IDLE: no transaction open on the connection (nothing to roll back)."""

_LOGS = tuple(sorted(t.name for t in TABLES if t.log))

_OUTBOX = EVENTS.name
"""The log every command appends to: its tail is locked last, and only when it must be."""


def _tail_order(log: str) -> tuple[bool, str]:
    """The order log tails are locked in: by name, the outbox's last."""
    return (log == _OUTBOX, log)


def _q(name: str) -> str:
    """Quote an identifier (field names such as `key` are SQL keywords)."""
    return '"' + name.replace('"', '""') + '"'


def _column_type(table: Table[Any], field: str) -> str:
    """The SQL type of one key or index column, from the record class's field type."""
    hint = typing.get_type_hints(table.record)[field]
    kinds = set(typing.get_args(hint) or (hint,)) - {type(None)}
    nullable = type(None) in (typing.get_args(hint) or ())
    if kinds == {str}:
        sql = 'text COLLATE "C"'
    elif kinds == {bool}:
        sql = "boolean"
    elif kinds == {int}:
        sql = "bigint"
    else:
        raise TypeError(f"{table.name}.{field}: no column type for {hint}")
    return sql if nullable and field not in table.key else sql + " NOT NULL"


def _column_kind(table: Table[Any], field: str) -> type:
    """The Python type of one key or index column's values."""
    return {"text": str, "boolean": bool, "bigint": int}[_column_type(table, field).split()[0]]


def _index_name(table: Table[Any], fields: tuple[str, ...]) -> str:
    return f"{table.name}__by__{'__'.join(fields)}"


def create_table_sql(schema: str, table: Table[Any]) -> list[str]:
    """DDL for one declared table and its indexes in `schema` (idempotent: IF NOT EXISTS)."""
    name = f"{_q(schema)}.{_q(table.name)}"
    cols = [f"{_q(c)} {_column_type(table, c)}" for c in _columns(table)]
    cols.append("doc text NOT NULL")
    cols.append(f"PRIMARY KEY ({', '.join(_q(c) for c in table.key)})")
    statements = [f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(cols)})"]
    for ix in table.indexes:
        # The key columns follow the index fields, so `find` reads rows already in key order.
        fields = (*ix, *(k for k in table.key if k not in ix))
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {_q(_index_name(table, ix))} "
            f"ON {name} ({', '.join(_q(c) for c in fields)})"
        )
    return statements


def _migrate_1(cur: Any, schema: str) -> None:
    """Version 1: the meta, scopes and tails tables, and every table of `TABLES`."""
    s = _q(schema)
    cur.execute(f"CREATE TABLE {s}.jobslot_meta (key text PRIMARY KEY, value text NOT NULL)")
    cur.execute(f'CREATE TABLE {s}.scopes (name text COLLATE "C" PRIMARY KEY)')
    cur.execute(f"CREATE TABLE {s}.tails (log text PRIMARY KEY, seq bigint NOT NULL)")
    for table in TABLES:
        for statement in create_table_sql(schema, table):
            cur.execute(statement)


MIGRATIONS: tuple[Callable[[Any, str], None], ...] = (_migrate_1,)
"""`MIGRATIONS[i](cursor, schema)` takes a schema from version `i` to `i + 1`, inside the one
transaction that opening runs under its advisory lock. Adding a table or an index to `TABLES`
needs no migration (opening creates what is missing); changing a key or a column does."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this library writes (`jobslot_meta.schema_version`)."""


def _psycopg() -> Any:
    """The psycopg module, or a StorageError naming the extra."""
    try:
        import psycopg
    except ImportError as e:
        raise StorageError("extra", "postgres", _EXTRA_HINT) from e
    return psycopg


def _psycopg_pool() -> Any:
    try:
        import psycopg_pool
    except ImportError as e:
        raise StorageError("extra", "postgres", _EXTRA_HINT) from e
    return psycopg_pool


def _sqlstate(e: BaseException) -> str | None:
    state = getattr(e, "sqlstate", None)
    return state if isinstance(state, str) else None


def _lost(e: BaseException, conn: Any) -> bool:
    """Whether the error means the connection is gone (not a statement the server refused)."""
    state = _sqlstate(e) or ""
    # Class 08 (connection exception) and 57Pxx (the server ended the session); not 57014 (a
    # statement cancelled, e.g. by statement_timeout: the server answered).
    ended = state.startswith(("08", "57P"))
    return bool(getattr(conn, "broken", False) or conn.closed or ended)


def _storage_error(e: BaseException, what: str) -> StorageError:
    """The typed error for a driver failure, with its SQLSTATE kept."""
    state = _sqlstate(e)
    message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    err: StorageError
    if state in _RETRYABLE or (state or "").startswith("40"):
        err = ConcurrencyConflict("postgres", what, f"{message} (SQLSTATE {state})")
    elif state == _NO_PREPARED_STATEMENT:
        # The session's prepared statements were dropped (a host's DISCARD ALL, a pooler
        # that moved the session): the sender prepares again, the runner runs it again.
        err = ConcurrencyConflict("postgres", what, f"{message} (SQLSTATE {state})")
    else:
        suffix = f" (SQLSTATE {state})" if state else ""
        err = StorageError("postgres", what, f"postgres failed: {message}{suffix}")
    err.sqlstate = state
    return err


def _taken(e: BaseException, what: str) -> ConcurrencyConflict:
    """A queued insert (`add`, or one behind a log append) met a taken key: a race."""
    err = ConcurrencyConflict("insert", what, f"a queued insert found its key taken: {e}")
    err.sqlstate = _UNIQUE_VIOLATION
    return err


def _closed_error() -> StorageError:
    return StorageError("unit_of_work", "closed", "the unit of work was committed or rolled back")


@attrs.frozen
class _TableSql:
    """SQL strings of one table, schema-qualified, built once per store."""

    columns: tuple[str, ...]
    insert: str
    insert_new: str
    upsert: str
    get: str
    delete: str
    select_doc: str
    order_by: str
    append_late: str
    """Two WITH terms inserting records numbered after the tail that term `t` advanced."""
    many: dict[str, str]
    """`insert`, `upsert` and `delete` of many rows (`{rows}`: their VALUES)."""


def _table_sql(schema: str, table: Table[Any]) -> _TableSql:
    name = f"{_q(schema)}.{_q(table.name)}"
    columns = _columns(table)
    col_list = ", ".join([*(_q(c) for c in columns), "doc"])
    marks = ", ".join(["%s"] * (len(columns) + 1))
    key_match = " AND ".join(f"{_q(c)} = %s" for c in table.key)
    keys = ", ".join(_q(c) for c in table.key)
    updates = ", ".join(
        f"{_q(c)} = EXCLUDED.{_q(c)}" for c in (*columns, "doc") if c not in table.key
    )
    insert = f"INSERT INTO {name} ({col_list}) VALUES ({marks})"
    # Every read of a log returns the seq column beside the doc, and the column wins (rows
    # numbered at commit by an earlier build of this adapter had no seq in their doc).
    doc = "doc, seq" if table.log else "doc"
    rest = [c for c in columns if c != "seq"]
    arrays = ", ".join(
        [*(f"%b::{_column_type(table, c).split()[0]}[]" for c in rest), "%b::text[], %b::text[]"]
    )
    # The records numbered after the tail, as two terms of the statement sent with COMMIT (the
    # tail's UPDATE is a third, `t`): the tail's row lock is held from there to the end of the
    # commit, no longer. A missing tail row makes the seq
    # NULL, and the insert fails instead of losing records. Each doc comes in two halves, the
    # fields sorted before and after `seq`, joined around the seq: the same text `append`
    # stores, which any release of the adapter reads.
    r = _q("r_" + table.name)
    append_late = (
        f"{r} AS (SELECT (SELECT seq FROM t) - %s + u.n AS seq, u.*"
        f" FROM unnest({arrays}) WITH ORDINALITY"
        f" AS u({', '.join([*(_q(c) for c in rest), 'pre', 'post', 'n'])})),"
        f" {_q('a_' + table.name)} AS (INSERT INTO {name} ({col_list})"
        f" SELECT r.seq, {', '.join(f'r.{_q(c)}' for c in rest)}"
        f"{', ' if rest else ''}r.pre || '\"seq\":' || r.seq::text || r.post FROM {r} r)"
        if table.log
        else ""
    )
    # `{rows}` takes one "(%s, ...)" per row (shapes repeat per command, so they are prepared).
    many = {
        "insert": f"INSERT INTO {name} ({col_list}) VALUES {{rows}}",
        "upsert": f"INSERT INTO {name} ({col_list}) VALUES {{rows}}"
        f" ON CONFLICT ({keys}) DO UPDATE SET {updates}",
        "delete": f"DELETE FROM {name} WHERE ({keys}) IN (VALUES {{rows}})",
    }
    return _TableSql(
        columns=columns,
        insert=insert,
        insert_new=insert + " ON CONFLICT DO NOTHING",
        upsert=f"{insert} ON CONFLICT ({keys}) DO UPDATE SET {updates}",
        get=f"SELECT {doc} FROM {name} WHERE {key_match}",
        delete=f"DELETE FROM {name} WHERE {key_match}",
        select_doc=f"SELECT {doc} FROM {name}",
        order_by=" ORDER BY " + keys,
        append_late=append_late,
        many=many,
    )


_RECORD_CACHE_SIZE = 4096
_UNCACHED = frozenset({"idempotency", "catalogs", "events"})
"""Tables whose records hold free-form payloads (dicts, lists): never shared between reads."""


_Statement = tuple[str, Sequence[Any] | None]
_Request = tuple[str, str, tuple[Any, ...]]
"""A read by kind (get, find, scan), table and arguments: what `prefetch` answers."""
_RowWrite = tuple[str, str, tuple[Any, ...], tuple[Any, ...]]
"""A queued write: kind (insert, upsert, delete), table, key, and the row (or the key)."""
_Late = tuple[frozenset[str], str, list[Any]]
"""WITH terms ending the statement sent with COMMIT: the tables they write besides `tails`,
their text, their parameters."""

_INT64 = (-(2**63), 2**63 - 1)

_MAX_AHEAD = 256
"""Reads `prefetch` sends ahead in one statement; further ones are left to the caller."""

_MAX_PARAMS = 65_535
"""Bind parameters one statement may carry (the protocol's limit): a batch starts another."""


def _fits(kind: type | None, value: Any) -> bool:
    """`value` can be sent for a column of `kind` without the server refusing it (a refusal
    would abort the transaction: a read made ahead must never do that)."""
    if kind is None or type(value) is not kind:
        return False
    if isinstance(value, str):
        if "\x00" in value:
            return False
        if not value.isascii():  # ASCII always encodes
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
        return True
    if isinstance(value, int):  # a bool (0 or 1) fits too
        return _INT64[0] <= value <= _INT64[1]
    return True


def _renumber(record: Any) -> Callable[[int], Any]:
    """A builder giving `record` with another seq (a log record built ahead of its seq)."""
    return lambda seq: attrs.evolve(record, seq=seq)


class _Known:
    """What a unit of work answers without asking the server: what it prefetched after taking
    its locks, kept true by its own writes (a find by a key prefix also answers gets under it)."""

    __slots__ = ("finds", "gets", "scans")

    def __init__(self) -> None:
        self.gets: dict[tuple[str, _Key], Any] = {}
        self.finds: dict[tuple[str, tuple[tuple[str, Any], ...]], dict[_Key, Any]] = {}
        self.scans: dict[_Request, list[Any]] = {}

    def fetched(self, request: _Request, table: Table[Any], records: list[Any]) -> None:
        kind, name, args = request
        if kind == "get":
            self.gets[(name, args)] = records[0] if records else None
        elif kind == "find":
            self.finds[(name, args)] = {table.key_of(r): r for r in records}
        else:
            self.scans[request] = records

    def get(self, table: Table[Any], key: _Key) -> tuple[bool, Any]:
        name = table.name
        if (name, key) in self.gets:
            return True, self.gets[(name, key)]
        for (found_in, where), rows in self.finds.items():
            if found_in == name and all(
                i < len(key) and field == table.key[i] and value == key[i]
                for i, (field, value) in enumerate(where)
            ):
                return True, rows.get(key)
        return False, None

    def find(self, table: Table[R], where: tuple[tuple[str, Any], ...]) -> list[R] | None:
        rows = self.finds.get((table.name, where))
        return None if rows is None else [rows[k] for k in sorted(rows)]

    def scan(self, request: _Request) -> list[Any] | None:
        found = self.scans.get(request)
        return None if found is None else list(found)  # the caller's own list, as a read's

    def wrote(self, table: Table[Any], key: _Key, record: Any) -> None:
        """This unit of work put `record` (None: deleted) under `key`."""
        name = table.name
        self.gets[(name, key)] = record
        if table.log:  # a log written by key: what was scanned of it is no longer the answer
            self.scans = {k: v for k, v in self.scans.items() if k[1] != name}
        for (found_in, where), rows in self.finds.items():
            if found_in == name:
                if record is not None and all(getattr(record, f) == v for f, v in where):
                    rows[key] = record
                else:
                    rows.pop(key, None)

    def appended(self, table: Table[Any]) -> None:
        """A log grew: what was read of it is no longer the whole answer."""
        name = table.name
        self.gets = {k: v for k, v in self.gets.items() if k[0] != name}
        self.finds = {k: v for k, v in self.finds.items() if k[0] != name}
        self.scans = {k: v for k, v in self.scans.items() if k[1] != name}


_COMMIT_STATEMENT: tuple[str, None] = ("COMMIT", None)
_ROLLBACK_STATEMENT: tuple[tuple[str, None]] = (("ROLLBACK", None),)
"""Sent by the sender, never by psycopg: psycopg answers a ROLLBACK it sees by deallocating
every prepared statement of the session, the sender's too."""

class _PostgresUnitOfWork:
    """One PostgreSQL transaction on a pooled connection; rolls back unless committed.

    Statements whose answer nobody waits for are queued in `_queue` and sent, pipelined, ahead
    of the next statement that needs an answer (or with COMMIT)."""

    def __init__(self, store: PostgresStore, write: bool) -> None:
        self._store = store
        self._write = write
        self._conn = store._getconn()
        self._open = True
        self._scopes: set[str] = set()
        self._next_seq: dict[str, int] | None = None  # set once the log tails are held
        self._first_seq: dict[str, int] = {}
        self._late_inserts = 0
        # Records of `append_at_commit`, per log, numbered while committing (or, once the tails
        # are held for an `append`, right then, so the log keeps the call order).
        self._at_commit: dict[str, tuple[Table[Any], list[Any]]] = {}
        self._queue: list[_Statement] = list(store._begin_write if write else store._begin_read)
        self._writes: list[_RowWrite] = []  # sent after `_queue`, batched (`_batch`)
        # The connection's libpq sender, kept with it (its prepared statements and adapters).
        self._wire: Wire = store._wire_of(self._conn)
        # `prefetch`: reads sent after the next statement, in its pipeline, and their rows by
        # request until the unit of work writes to their table.
        self._ahead: list[tuple[_Request, str, Sequence[Any]]] = []
        self._known = _Known()

    # -- sending -------------------------------------------------------------------------------

    def _send(self, sql: str, params: Sequence[Any] | None, what: str) -> Result:
        """Send the queue and this statement (and the reads sent ahead) in one round trip;
        return its answer."""
        if not self._open:
            raise _closed_error()
        queue = self._pending()
        queue.append((sql, params))
        ahead, self._ahead = self._ahead, []
        try:
            if ahead:
                queue.append(self._store._read_ahead(ahead))
                answer, fetched = self._wire.round_trip(queue, 2)
                self._fetched(ahead, fetched.rows)
                return answer
            return self._wire.round_trip(queue, 1)[0]
        except self._store._driver_errors as e:
            self._fail()
            if _sqlstate(e) == _UNIQUE_VIOLATION and self._late_inserts:
                raise _taken(e, what) from e
            raise _storage_error(e, what) from e

    def _pending(self, late: Sequence[_Late] = ()) -> list[_Statement]:
        """The queued statements, then the queued row writes in as few statements as can be,
        the first of `late`'s terms ending the last of them, and a statement per further one."""
        queue, self._queue = self._queue, []
        if self._writes or late:
            batch = self._store._batch
            queue.extend(batch(self._writes, late[0] if late else None))
            for more in late[1:]:
                queue.extend(batch([], more))
            self._writes = []
        return queue

    def _fail(self) -> None:
        """Roll back after an error (the transaction is aborted) and give the connection back."""
        conn = self._conn
        broken = True
        try:
            if not conn.closed and not getattr(conn, "broken", False):
                self._wire.round_trip(_ROLLBACK_STATEMENT, 0)
                broken = False
        except self._store._driver_errors:
            pass
        self._close(broken=broken)

    def _row(self, table: Table[Any], record: Any) -> tuple[Any, ...]:
        store = self._store
        name = table.name
        return (*store._values[name](record), store._to_json[name](record))

    def _decode(self, table: Table[R], row: tuple[Any, ...]) -> R:
        """A record from its row: `(doc,)`, or `(doc, seq)` for a log (the column wins)."""
        doc = row[0]
        cache = self._store._records
        cached = cache.get((table.name, row))
        if cached is not None:
            found: R = cached
            return found
        try:
            data = self._store._decode(doc)
            if table.log:
                data["seq"] = row[1]
            record: R = self._store._structure[table.name](data, table.record)
        except (ValueError, TypeError, KeyError, cattrs.BaseValidationError) as e:
            raise CorruptStore(table.name, doc[:200], f"stored record does not decode: {e}") from e
        if table.name not in _UNCACHED:
            if len(cache) >= _RECORD_CACHE_SIZE:
                cache.clear()
            cache[(table.name, row)] = record
        return record

    def _query(self, table: Table[Any], where: dict[str, Any], scan: bool) -> tuple[str, list[Any]]:
        """The SELECT of `find` (or `scan`) and its parameters, built once per shape."""
        fields = tuple(where)
        nulls = tuple(v is None for v in where.values())
        shape = (table.name, fields, nulls, scan)
        query = self._store._queries.get(shape)
        if query is None:
            if not table.queryable(fields):
                raise ValueError(f"{table.name}: no key or index starts with {fields}")
            sql = self._store._sql[table.name]
            conditions = [
                f"{_q(f)} IS NULL" if null else f"{_q(f)} = %s"
                for f, null in zip(fields, nulls, strict=True)
            ]
            if scan:
                conditions.insert(0, "seq > %s")
            query = sql.select_doc + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
            query += sql.order_by + (" LIMIT %s" if scan else "")
            self._store._queries[shape] = query
        return query, [v for v in where.values() if v is not None]

    # -- the protocol --------------------------------------------------------------------------

    def lock(self, scopes: Iterable[str]) -> None:
        """Hold each scope's row lock until the unit of work ends (rows made on first use)."""
        if not self._open:
            raise _closed_error()
        names = sorted(set(scopes) - self._scopes)
        if not names:
            return
        if not self._write:
            raise StorageError("unit_of_work", "read", "a read unit of work takes no lock scopes")
        for name in names:
            if not isinstance(name, str) or not name or "\x00" in name:
                raise InvalidArgument("scope", name, "must be a non-empty string")
        store = self._store
        # A later call, made while holding scopes, could deadlock against a writer that holds
        # these and waits for ours: NOWAIT turns that into an immediate ConcurrencyConflict
        # (55P03) instead of PostgreSQL's deadlock check after deadlock_timeout.
        if not self._scopes:
            self._send(store._lock_first, (names,), "lock")
            self._scopes.update(names)
            return
        ahead = list(self._ahead)
        rows = self._send(store._lock_scopes_nowait, (names, names), "lock").rows
        if len(rows) < len(names):
            # A scope row that another transaction inserted and committed while this statement
            # ran is outside its snapshot; the next statement sees (and locks) it. The reads
            # sent ahead ran before that scope was held: send them again, after it.
            self._ahead = ahead + self._ahead
            rows = self._send(store._lock_again_nowait, (names,), "lock").rows
        if len(rows) < len(names):
            self.rollback()
            raise ConcurrencyConflict("scope", names, "a scope row could not be locked")
        self._scopes.update(names)

    def prefetch(self, reads: Iterable[Read]) -> None:
        """Send these reads after the next statement (the lock), in its round trip. A read the
        server could refuse (a value that does not fit its column) is left to the caller."""
        for read in reads:
            if len(self._ahead) >= _MAX_AHEAD:
                return  # one UNION ALL of thousands of branches exceeds the server's stack
            ahead = self._ahead_read(read)
            if ahead is not None:
                self._ahead.append(ahead)

    def _fetched(
        self, ahead: list[tuple[_Request, str, Sequence[Any]]], rows: list[tuple[Any, ...]]
    ) -> None:
        """File the rows of the reads sent ahead (`(n, doc, seq)`: read n's rows) as known."""
        found: list[list[tuple[Any, ...]]] = [[] for _ in ahead]
        for n, doc, seq in rows:
            found[n].append((doc,) if seq is None else (doc, seq))
        tables = self._store._tables
        for (request, _, _), own in zip(ahead, found, strict=True):
            table = tables[request[1]]
            records = [self._decode(table, row) for row in own]
            if request[0] == "scan":
                records.sort(key=lambda r: r.seq)
            self._known.fetched(request, table, records)

    def _ahead_read(self, read: Read) -> tuple[_Request, str, Sequence[Any]] | None:
        table, name = read.table, read.table.name
        kinds = self._store._kinds.get(name, {})
        key = read.key
        if key is not None:
            if len(key) != len(table.key):
                return None
            for field, value in zip(table.key, key, strict=True):
                if not _fits(kinds.get(field), value):
                    return None
            return ("get", name, key), self._store._get_where[name], key
        fields = tuple(f for f, _ in read.where)
        if not table.queryable(fields):
            return None
        for field, value in read.where:
            if not _fits(kinds.get(field), value):
                return None
        if read.after is None:
            query, params = self._query(table, dict(read.where), scan=False)
            return ("find", name, read.where), self._after_select(table, query), params
        if not table.log or not all(_fits(int, v) for v in (read.after, read.limit or 0)):
            return None
        if read.limit is not None and read.limit < 0:
            return None  # LIMIT -1 is refused by the server
        query, params = self._query(table, dict(read.where), scan=True)
        request = ("scan", name, (read.after, read.limit, read.where))
        return request, self._after_select(table, query), [read.after, *params, read.limit]

    def _after_select(self, table: Table[Any], query: str) -> str:
        """The WHERE, ORDER BY and LIMIT of one of `_query`'s SELECTs."""
        return query[len(self._store._sql[table.name].select_doc) :]

    def get(self, table: Table[R], key: _Key) -> R | None:
        key = tuple(key)
        known, record = self._known.get(table, key)
        if known:
            return typing.cast("R | None", record)
        row = self._send(self._store._sql[table.name].get, key, table.name).first()
        return None if row is None else self._decode(table, row)

    def find(self, table: Table[R], **where: Any) -> list[R]:
        known = self._known.find(table, tuple(where.items()))
        if known is not None:
            return known
        query, params = self._query(table, where, scan=False)
        rows = self._send(query, params, table.name).rows
        return [self._decode(table, row) for row in rows]

    def insert(self, table: Table[R], record: R) -> None:
        row = self._row(table, record)
        sql = self._store._sql[table.name]
        if self._next_seq is not None:
            # Behind a log append (the tails are held): travels with COMMIT; a duplicate fails
            # the commit instead. Records of `append_at_commit` hold nothing yet.
            self._queue_write("insert", table, table.key_of(record), row)
            self._late_inserts += 1
        else:
            cur = self._send(sql.insert_new, row, table.name)
            if cur.rowcount == 0:
                raise DuplicateKey(f"{table.name}{table.key_of(record)}")
        self._known.wrote(table, table.key_of(record), record)

    def add(self, table: Table[R], record: R) -> None:
        """Queued: travels with the next statement; a taken key fails that statement (or
        COMMIT) as a `ConcurrencyConflict`."""
        self._queue_write("insert", table, table.key_of(record), self._row(table, record))
        self._late_inserts += 1
        self._known.wrote(table, table.key_of(record), record)

    def put(self, table: Table[R], record: R) -> None:
        self._queue_write("upsert", table, table.key_of(record), self._row(table, record))
        self._known.wrote(table, table.key_of(record), record)

    def delete(self, table: Table[R], key: _Key) -> None:
        self._queue_write("delete", table, tuple(key), tuple(key))
        self._known.wrote(table, tuple(key), None)

    def _queue_write(self, kind: str, table: Table[Any], key: _Key, row: tuple[Any, ...]) -> None:
        if not self._open:
            raise _closed_error()
        if not self._write:
            raise StorageError("unit_of_work", "read", "a read unit of work cannot write")
        self._writes.append((kind, table.name, key, row))

    def _check_append(self, table: Table[Any]) -> None:
        if not table.log:
            raise ValueError(f"{table.name} is not a log table")
        if not self._open:
            raise _closed_error()
        if not self._write:
            raise StorageError("unit_of_work", "read", "a read unit of work cannot write")

    def append(self, table: Table[R], build: Callable[[int], R]) -> R:
        self._check_append(table)
        if self._next_seq is None or table.name not in self._next_seq:
            self._hold_tails(table.name)
        return self._append_now(table, build)

    def _hold_tails(self, log: str) -> None:
        """Lock the log tails `append` to `log` needs, in the one order every unit of work
        takes them (the other logs' tails by name, the outbox's last): the first append to a
        log other than the outbox locks the other logs' tails, and leaves the outbox's to its
        records numbered at commit; an append to the outbox locks what is not held yet. Records
        queued at commit for a log now held are numbered now, in call order."""
        store = self._store
        if self._next_seq is None:
            sql = store._lock_tails if log == _OUTBOX else store._lock_log_tails
        else:
            sql = store._lock_outbox_tail  # the only tail not held with the others
        rows = self._send(sql, None, "tails").rows
        held = {name: int(seq) + 1 for name, seq in rows}
        self._next_seq = {**(self._next_seq or {}), **held}
        self._first_seq.update(held)
        for name in sorted(held, key=_tail_order):
            queued = self._at_commit.pop(name, None)
            if queued is not None:
                for late in queued[1]:
                    self._append_now(queued[0], _renumber(late))

    def _append_now(self, table: Table[R], build: Callable[[int], R]) -> R:
        assert self._next_seq is not None
        self._known.appended(table)
        seq = self._next_seq[table.name]
        record = build(seq)
        self._queue_write("insert", table, (seq,), self._row(table, record))
        self._next_seq[table.name] = seq + 1
        return record

    def append_at_commit(self, table: Table[R], build: Callable[[int], R]) -> None:
        """Numbered by the statement that advances the tail, sent with COMMIT (unless an
        `append` already holds the log's tail)."""
        if self._next_seq is not None and table.name in self._next_seq:
            self.append(table, build)
            return
        self._check_append(table)
        # Built now, as `append` would: what `build` reads may change before the commit.
        record: Any = build(0)
        if _renumber(record)(1) != build(1):
            self.append(table, build)  # the seq is used beyond `seq`: number it now
            return
        self._known.appended(table)
        self._at_commit.setdefault(table.name, (table, []))[1].append(record)

    def _late(self) -> list[_Late]:
        """The WITH terms that end the commit's statements: the held tails this unit of work
        moved, then, for each log holding `append_at_commit` records, its tail advanced and the
        records numbered after it by the server (a statement per log, in the tails' order)."""
        store = self._store
        late: list[_Late] = []
        if self._next_seq is not None:
            moved = [
                (log, seq - 1) for log, seq in self._next_seq.items() if seq != self._first_seq[log]
            ]
            if moved:
                logs, seqs = [log for log, _ in moved], [seq for _, seq in moved]
                late.append((frozenset(), store._set_tails, [logs, seqs]))
        for name in sorted(self._at_commit, key=_tail_order):
            records = self._at_commit[name][1]
            sql = store._sql[name]
            unstructure = store._unstructure[name]
            rest = [c for c in sql.columns if c != "seq"]
            columns: list[list[Any]] = [[] for _ in rest]
            pres: list[str] = []
            posts: list[str] = []
            for record in records:
                data = unstructure(record)
                for values, c in zip(columns, rest, strict=True):
                    values.append(data[c])
                # The doc's text but for `"seq":N`, which the server puts between the halves.
                before = store._encode({k: v for k, v in data.items() if k < "seq"})
                after = store._encode({k: v for k, v in data.items() if k > "seq"})
                pres.append(before[:-1] + ("," if len(before) > 2 else ""))
                posts.append(("," + after[1:]) if len(after) > 2 else "}")
            n = len(pres)
            terms = store._advance_tail + ", " + sql.append_late
            late.append((frozenset((name,)), terms, [n, name, n, *columns, pres, posts]))
        self._at_commit = {}
        return late

    def scan(
        self, table: Table[R], after: int = 0, limit: int | None = None, **where: Any
    ) -> list[R]:
        known = self._known.scan(("scan", table.name, (after, limit, tuple(where.items()))))
        if known is not None:
            return known
        query, params = self._query(table, where, scan=True)
        rows = self._send(query, [after, *params, limit], table.name).rows
        return [self._decode(table, row) for row in rows]

    def commit(self) -> None:
        """Send every queued write, the tails and COMMIT in one round trip."""
        if not self._open:
            raise _closed_error()
        store = self._store
        queue = self._pending(self._late())
        conn = self._conn
        begin = store._begin_write if self._write else store._begin_read
        if conn.pgconn.transaction_status == _IDLE and tuple(queue) == begin:
            self._close()  # nothing was sent: no transaction to commit
            return
        sent_commit = False
        try:
            if queue and not store._commit_in_pipeline:
                # The writes, then COMMIT in a round trip of its own (measured only).
                self._wire.round_trip(queue, 0)
                queue = []
            queue.append(_COMMIT_STATEMENT)
            sent_commit = True
            self._wire.round_trip(queue, 0)
        except store._driver_errors as e:
            lost = _lost(e, conn)
            self._fail()
            if lost and sent_commit:
                err: StorageError = CommitOutcomeUnknown(
                    "commit", "postgres", f"the connection was lost during COMMIT: {e}"
                )
                err.sqlstate = _sqlstate(e)
                raise err from e
            if _sqlstate(e) == _UNIQUE_VIOLATION and self._late_inserts:
                raise _taken(e, "commit") from e
            raise _storage_error(e, "commit") from e
        self._close()

    def rollback(self) -> None:
        if not self._open:
            return
        self._queue.clear()
        self._writes.clear()
        self._at_commit.clear()
        conn = self._conn
        try:
            if conn.pgconn.transaction_status != _IDLE:
                self._wire.round_trip(_ROLLBACK_STATEMENT, 0)
        except self._store._driver_errors as e:
            self._close(broken=True)
            raise _storage_error(e, "rollback") from e
        self._close()

    def _close(self, broken: bool = False) -> None:
        if self._open:
            self._open = False
            self._store._putconn(self._conn, broken=broken)

    def __enter__(self) -> _PostgresUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._open:
            self.rollback()


class PostgresStore:
    """Keeps the game's state in one schema of a PostgreSQL database, shared by many processes.

    Give a `conninfo` (a libpq connection string or URL) and the store makes its own pool of
    `min_size`..`max_size` connections, each checked before use when idle for more than
    `check_idle_s`, replaced after `max_lifetime_s`, and configured with `lock_timeout_ms`,
    `statement_timeout_ms` and `idle_in_transaction_timeout_ms`. Or give `pool`, the host's own
    `psycopg_pool.ConnectionPool`: the store then sets those timeouts per transaction
    (`SET LOCAL`), and leaves the pool to the host (`close()` does not close it).

    `prepare_threshold` is set on the pool's connections, as psycopg's: the store prepares a
    statement on the server after that many runs; pass None behind PgBouncer in transaction
    pooling mode (before 1.21).

    Raises:
        StorageError: the `postgres` extra is missing, or the server cannot be reached or set up.
        CorruptStore: the schema holds tables that are not a jobslot schema (left untouched).
        UnsupportedSchema: a newer library wrote the schema (left untouched).
    """

    capabilities = Capabilities(
        parallel_scopes=True,
        shared_by_processes=True,
        commit_outcome_can_be_unknown=True,
        prefetch=True,
    )

    _commit_in_pipeline = True
    """COMMIT travels with the queued writes (False only to measure what that saves)."""

    def __init__(
        self,
        conninfo: str | None = None,
        *,
        pool: Any = None,
        schema: str = "jobslot",
        min_size: int = 1,
        max_size: int = 8,
        max_lifetime_s: float = 1800.0,
        check_idle_s: float = 5.0,
        lock_timeout_ms: int = 10_000,
        statement_timeout_ms: int = 30_000,
        idle_in_transaction_timeout_ms: int = 60_000,
        prepare_threshold: int | None = 5,
        connect_timeout_s: float = 30.0,
    ) -> None:
        if (conninfo is None) == (pool is None):
            raise InvalidArgument("conninfo", conninfo, "give exactly one of conninfo and pool")
        if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
            raise InvalidArgument(
                "schema", schema, "must be a lower-case identifier ([a-z_][a-z0-9_]*, <= 63)"
            )
        for field, value in (
            ("lock_timeout_ms", lock_timeout_ms),
            ("statement_timeout_ms", statement_timeout_ms),
            ("idle_in_transaction_timeout_ms", idle_in_transaction_timeout_ms),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidArgument(field, value, "must be an integer of milliseconds >= 0")
        if not (isinstance(min_size, int) and isinstance(max_size, int) and min_size > 0):
            raise InvalidArgument("min_size", min_size, "must be an integer >= 1")
        if max_size < min_size:
            raise InvalidArgument("max_size", max_size, f"must be >= min_size ({min_size})")
        psycopg = _psycopg()
        pool_module = _psycopg_pool()
        self.schema = schema
        self._driver_errors: tuple[type[BaseException], ...] = (
            psycopg.Error,
            pool_module.PoolTimeout,
            UnicodeError,
            OverflowError,
        )
        self._settings = {
            "lock_timeout": f"{lock_timeout_ms}ms",
            "statement_timeout": f"{statement_timeout_ms}ms",
            "idle_in_transaction_session_timeout": f"{idle_in_transaction_timeout_ms}ms",
        }
        self._check_idle_s = float(check_idle_s)
        self._last_used: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        self._owns_pool = pool is None
        self._closed = False
        self._in_uow = threading.local()
        self._host_autocommit: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
        self._conn_wires: weakref.WeakKeyDictionary[Any, Wire] = weakref.WeakKeyDictionary()
        self._wires_lock = threading.Lock()
        self._texts: dict[str, Any] = {}  # each SQL text as libpq takes it (`_pgwire`)
        s = _q(schema)
        # One statement takes every scope row in name order, made on first use: an upsert
        # locks the row it meets whether it inserts it or finds it ("all rows will be locked
        # when the ON CONFLICT DO UPDATE action is taken", and `WHERE false` writes no new
        # version of an existing row), so no writer ever holds a later scope while it waits for
        # an earlier one.
        self._lock_first = (
            f"INSERT INTO {s}.scopes (name)"
            f' SELECT n FROM unnest(%s::text[]) AS n ORDER BY n COLLATE "C"'
            f" ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name WHERE false"
        )
        self._lock_scopes = (
            f"WITH made AS (INSERT INTO {s}.scopes (name) SELECT unnest(%s::text[])"
            f" ON CONFLICT DO NOTHING)"
            f" SELECT name FROM {s}.scopes WHERE name = ANY(%s::text[]) ORDER BY name FOR UPDATE"
        )
        self._lock_again = (
            f"SELECT name FROM {s}.scopes WHERE name = ANY(%s::text[]) ORDER BY name FOR UPDATE"
        )
        self._lock_scopes_nowait = self._lock_scopes + " NOWAIT"
        self._lock_again_nowait = self._lock_again + " NOWAIT"
        # The tails are locked in one order (by name, the outbox's last; rows are locked in
        # the order sorted), so two units of work never wait for each other's.
        self._lock_tails = (
            f"SELECT log, seq FROM {s}.tails ORDER BY log = '{_OUTBOX}', log FOR UPDATE"
        )
        self._lock_log_tails = (
            f"SELECT log, seq FROM {s}.tails WHERE log <> '{_OUTBOX}' ORDER BY log FOR UPDATE"
        )
        self._lock_outbox_tail = (
            f"SELECT log, seq FROM {s}.tails WHERE log = '{_OUTBOX}' FOR UPDATE"
        )
        # The tails term `t` of a statement sent with COMMIT: one tail advanced by the records
        # numbered there (one log per statement: several rows of one UPDATE would be locked in
        # no set order, and could deadlock against the ordered `_lock_tails`), or the tails this
        # unit of work holds set to what they reached (their locks are held already).
        self._advance_tail = (
            f"t AS (UPDATE {s}.tails SET seq = seq + %s WHERE log = %s RETURNING seq)"
        )
        self._set_tails = (
            f"t AS (UPDATE {s}.tails AS x SET seq = d.seq"
            f" FROM unnest(%s::text[], %s::bigint[]) AS d(log, seq) WHERE x.log = d.log)"
        )
        begin_write: list[_Statement] = [("BEGIN ISOLATION LEVEL READ COMMITTED", None)]
        begin_read: list[_Statement] = [("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", None)]
        if pool is not None:
            # The host's connections are configured by the host: set the timeouts per
            # transaction (queued, so they travel with the first statement).
            local = [("SELECT set_config(%s, %s, true)", (k, v)) for k, v in self._settings.items()]
            begin_write += local
            begin_read += local
        self._begin_write = tuple(begin_write)
        self._begin_read = tuple(begin_read)
        self._tables = {t.name: t for t in TABLES}
        self._sql = {t.name: _table_sql(schema, t) for t in TABLES}
        # `get` without its SELECT: the term of a read sent ahead.
        self._get_where = {n: sql.get[len(sql.select_doc) :] for n, sql in self._sql.items()}
        self._unstructure = _codecs.UNSTRUCTURE
        self._structure = _codecs.STRUCTURE
        # A row's column values and doc straight from the record's fields (same text as
        # `_encode` of the unstructured record, without building it).
        self._to_json = _codecs.TO_JSON
        self._values = _codecs.VALUES
        self._encode = json.JSONEncoder(
            sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode
        self._decode = json.JSONDecoder().decode
        self._ahead_sql: dict[tuple[tuple[str, str], ...], str] = {}
        self._batch_sql: dict[tuple[tuple[tuple[str, str, int], ...], str | None], str] = {}
        self._kinds: dict[str, dict[str, type]] = {
            t.name: {c: _column_kind(t, c) for c in _columns(t)} for t in TABLES
        }
        self._queries: dict[tuple[str, tuple[str, ...], tuple[bool, ...], bool], str] = {}
        self._records: dict[tuple[str, tuple[Any, ...]], Any] = {}
        if pool is None:
            try:
                self._pool = pool_module.ConnectionPool(
                    conninfo,
                    min_size=min_size,
                    max_size=max_size,
                    max_lifetime=max_lifetime_s,
                    kwargs={"autocommit": True, "prepare_threshold": prepare_threshold},
                    configure=self._configure,
                    check=self._check,
                    open=False,
                    name=f"jobslot:{schema}",
                    timeout=connect_timeout_s,
                )
                self._pool.open(wait=True, timeout=connect_timeout_s)
            except self._driver_errors as e:
                raise StorageError(
                    "conninfo", _redact(conninfo or ""), f"cannot connect to PostgreSQL: {e}"
                ) from e
        else:
            self._pool = pool
        try:
            self._open_schema()
        except BaseException:
            if self._owns_pool:
                self._pool.close()
            raise

    # -- connections -----------------------------------------------------------------------------

    def _batch(self, writes: list[_RowWrite], late: _Late | None = None) -> list[_Statement]:
        """Row writes in call order as few statements as can be: a statement gathers writes
        of several tables (one data-modifying WITH term per table, with its rows' VALUES)
        until a row it already writes, or another kind of write to a table it writes, comes
        (a statement changes a row at most once and a table one way; CockroachDB asks that
        too). The terms `late` (the log tails and the records numbered after them) end the
        last statement, or, if it writes one of their tables, make one more."""
        statements: list[_Statement] = []
        groups: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        touched: set[tuple[str, _Key]] = set()
        kinds: dict[str, str] = {}

        def emit(tail: _Late | None = None) -> None:
            if tail is None and len(groups) == 1 and len(rows := next(iter(groups.values()))) == 1:
                kind, name = next(iter(groups))
                forms = self._sql[name]
                single = {"insert": forms.insert, "upsert": forms.upsert, "delete": forms.delete}
                statements.append((single[kind], rows[0]))
            elif groups or tail is not None:
                shape = (
                    tuple((kind, name, len(rows)) for (kind, name), rows in groups.items()),
                    None if tail is None else tail[1],
                )
                sql = self._batch_sql.get(shape)
                if sql is None:
                    sql = self._batch_text(groups, tail)
                    if len(self._batch_sql) < 1024:
                        self._batch_sql[shape] = sql
                params = [v for rows in groups.values() for row in rows for v in row]
                if tail is not None:
                    params.extend(tail[2])
                statements.append((sql, params))
            groups.clear()
            touched.clear()
            kinds.clear()

        params = 0
        for kind, name, key, row in writes:
            if (
                (name, key) in touched
                or kinds.get(name, kind) != kind
                or params + len(row) > _MAX_PARAMS
            ):
                emit()
                params = 0
            params += len(row)
            groups.setdefault((kind, name), []).append(row)
            touched.add((name, key))
            kinds[name] = kind
        if late is not None and (
            not late[0].isdisjoint(kinds) or params + len(late[2]) > _MAX_PARAMS
        ):
            emit()
        emit(late)
        return statements

    def _batch_text(
        self, groups: dict[tuple[str, str], list[tuple[Any, ...]]], tail: _Late | None
    ) -> str:
        """The statement of `_batch` writing these groups of rows (and ending with `tail`)."""
        bodies = [
            self._sql[name]
            .many[kind]
            .format(rows=", ".join(["(" + ", ".join(["%s"] * len(rows[0])) + ")"] * len(rows)))
            for (kind, name), rows in groups.items()
        ]
        if tail is None and len(bodies) == 1:
            return bodies[0]
        terms = [f"w{n} AS ({body})" for n, body in enumerate(bodies)]
        if tail is not None:
            terms.append(tail[1])
        return "WITH " + ", ".join(terms) + " SELECT 1"

    def _read_ahead(
        self, ahead: list[tuple[_Request, str, Sequence[Any]]]
    ) -> tuple[str, list[Any]]:
        """One statement for every read sent ahead: each read's rows tagged with its number
        (one statement of a few shapes per command, prepared by the server, instead of many)."""
        shape = tuple((request[1], tail) for request, tail, _ in ahead)
        sql = self._ahead_sql.get(shape)
        if sql is None:
            sql = " UNION ALL ".join(
                f"(SELECT {n} AS n, doc, {'seq' if self._tables[name].log else 'NULL::bigint'}"
                f" FROM {_q(self.schema)}.{_q(name)}{tail})"
                for n, (name, tail) in enumerate(shape)
            )
            if len(self._ahead_sql) < 1024:
                self._ahead_sql[shape] = sql
        return sql, [p for _, _, params in ahead for p in params]

    def _wire_of(self, conn: Any) -> Wire:
        """The sender a unit of work sends through on `conn`, kept with the connection."""
        wire = self._conn_wires.get(conn)
        if wire is None:
            with self._wires_lock:
                # A sender holds its connection: the entry of a connection closed since (lost,
                # or retired by the pool) goes now, or it would keep that connection alive.
                for closed in [c for c in self._conn_wires if c.closed]:
                    self._conn_wires.pop(closed, None)
                wire = self._conn_wires[conn] = Wire(conn, self._texts)
        return wire

    def _configure(self, conn: Any) -> None:
        """Each new connection of the store's own pool: its timeouts, set once per session."""
        for key, value in self._settings.items():
            conn.execute("SELECT set_config(%s, %s, false)", (key, value))

    def _check(self, conn: Any) -> None:
        """Check a pooled connection before use, when it sat idle long enough to have died."""
        last = self._last_used.get(conn)
        if last is None or time.monotonic() - last > self._check_idle_s:
            type(self._pool).check_connection(conn)

    def _getconn(self) -> Any:
        if getattr(self._in_uow, "open", False):
            raise StorageError(
                "unit_of_work", "nested", "this thread already has a unit of work open here"
            )
        if self._closed:
            raise StorageError("store", self.schema, "the store is closed")
        try:
            conn = self._pool.getconn()
        except self._driver_errors as e:
            raise _storage_error(e, "connect") from e
        if not self._owns_pool and not conn.autocommit:
            try:
                conn.autocommit = True
            except self._driver_errors as e:
                self._pool.putconn(conn)
                raise _storage_error(e, "connect") from e
            self._host_autocommit[conn] = False
        self._in_uow.open = True
        return conn

    def _putconn(self, conn: Any, *, broken: bool = False) -> None:
        self._in_uow.open = False
        if broken and not conn.closed:
            conn.close()  # the pool drops a closed connection and makes a new one
        if self._host_autocommit.pop(conn, None) is False and not conn.closed:
            try:
                conn.autocommit = False
            except self._driver_errors:
                conn.close()
        self._last_used[conn] = time.monotonic()
        with contextlib.suppress(*self._driver_errors):
            self._pool.putconn(conn)

    # -- opening ---------------------------------------------------------------------------------

    def _inspect(self, cur: Any) -> tuple[set[str], int | None]:
        """The schema's tables, and its recorded schema version (None: not a jobslot schema).

        Raises CorruptStore for a schema holding tables that are not ours."""
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (self.schema,),
        )
        tables = {r[0] for r in cur.fetchall()}
        if not tables:
            return tables, None
        if "jobslot_meta" not in tables:
            raise CorruptStore(
                "schema", self.schema, f"holds tables that are not jobslot's: {sorted(tables)[:5]}"
            )
        cur.execute(f"SELECT key, value FROM {_q(self.schema)}.jobslot_meta")
        meta = dict(cur.fetchall())
        if meta.get("application") != APPLICATION:
            raise CorruptStore(
                "schema", self.schema, f"jobslot_meta names application {meta.get('application')!r}"
            )
        try:
            version = int(meta["schema_version"])
        except (KeyError, ValueError) as e:
            raise CorruptStore("schema", self.schema, "jobslot_meta has no schema_version") from e
        if version > SCHEMA_VERSION:
            raise UnsupportedSchema(
                "schema",
                self.schema,
                f"schema version {version} is newer than this library's {SCHEMA_VERSION}",
            )
        return tables, version

    def _complete(self, cur: Any, tables: set[str]) -> bool:
        """Whether every declared table, index and tail row exists."""
        if not {t.name for t in TABLES} | {"scopes", "tails"} <= tables:
            return False
        cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", (self.schema,))
        indexes = {r[0] for r in cur.fetchall()}
        if any(_index_name(t, ix) not in indexes for t in TABLES for ix in t.indexes):
            return False
        cur.execute(f"SELECT log FROM {_q(self.schema)}.tails")
        return {r[0] for r in cur.fetchall()} == set(_LOGS)

    def _open_schema(self) -> None:
        """Check the schema read only; create or migrate it under an advisory lock if needed."""
        conn = self._getconn()
        broken = False
        try:
            with conn.cursor() as cur:
                cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                tables, version = self._inspect(cur)
                ready = version == SCHEMA_VERSION and self._complete(cur, tables)
                cur.execute("ROLLBACK")
                if not ready:
                    self._upgrade(cur)
        except self._driver_errors as e:
            broken = True
            raise StorageError("schema", self.schema, f"cannot open the jobslot schema: {e}") from e
        except BaseException:
            broken = True
            raise
        finally:
            self._putconn(conn, broken=broken)

    def _upgrade(self, cur: Any) -> None:
        """Create or migrate the schema in one transaction, one process at a time."""
        s = _q(self.schema)
        cur.execute("BEGIN")
        try:
            # Many processes may open at once: one migrates, the others wait and find it done.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("jobslot:" + self.schema,))
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
            _tables, version = self._inspect(cur)
            for step in range(version or 0, SCHEMA_VERSION):
                MIGRATIONS[step](cur, self.schema)
            for table in TABLES:
                for statement in create_table_sql(self.schema, table):
                    cur.execute(statement)
            cur.execute(
                f'CREATE TABLE IF NOT EXISTS {s}.scopes (name text COLLATE "C" PRIMARY KEY)'
            )
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {s}.tails (log text PRIMARY KEY, seq bigint NOT NULL)"
            )
            for log in _LOGS:
                cur.execute(
                    f"INSERT INTO {s}.tails (log, seq)"
                    f" SELECT %s, COALESCE(MAX(seq), 0) FROM {s}.{_q(log)}"
                    " ON CONFLICT DO NOTHING",
                    (log,),
                )
            for key, value in (("application", APPLICATION), ("schema_version", SCHEMA_VERSION)):
                cur.execute(
                    f"INSERT INTO {s}.jobslot_meta (key, value) VALUES (%s, %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (key, str(value)),
                )
            cur.execute("COMMIT")
        except BaseException:
            if not cur.connection.closed:
                cur.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        with self.unit_of_work(write=False) as uow:
            row = uow._send(
                f"SELECT value FROM {_q(self.schema)}.jobslot_meta WHERE key = 'schema_version'",
                None,
                "jobslot_meta",
            ).first()
            assert row is not None
            return int(row[0])

    # -- the Store protocol --------------------------------------------------------------------

    def unit_of_work(self, *, write: bool = True) -> _PostgresUnitOfWork:
        """Begin a transaction: READ COMMITTED with row-lock scopes when `write`, else one
        REPEATABLE READ READ ONLY snapshot."""
        return _PostgresUnitOfWork(self, write)

    def close(self) -> None:
        """Close the store's own pool (a host's pool stays open)."""
        self._closed = True
        if self._owns_pool:
            self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _redact(conninfo: str) -> str:
    """The conninfo without its password (errors carry the value they name)."""
    conninfo = re.sub(r"(password\s*=\s*)\S+", r"\1***", conninfo)
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", conninfo)
