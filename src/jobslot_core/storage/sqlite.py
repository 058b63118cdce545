"""SQLiteStore: the embedded default adapter, on the standard library's `sqlite3`.

Layout: one SQL table per `protocol.TABLES` entry, with a column for each key and index field (so
SQLite can look them up and order by them) and `doc`, the record as compact sorted JSON of
`to_dict(record)`. Log tables use `seq INTEGER PRIMARY KEY`. A `meta` table, `PRAGMA
application_id` and `PRAGMA user_version` mark the file as a jobslot database of one schema
version.

Durability and locking: WAL journal, `synchronous=FULL` by default, a busy timeout, write units of
work start with `BEGIN IMMEDIATE` (writers serialise, also across processes), read units of work
with a deferred `BEGIN` (readers share and never block the writer). Connections come from a small
per-store pool, so threads may share a store object; `":memory:"` uses one connection.

Opening refuses, before writing anything, a file that is not a jobslot database
(`CorruptStore`) or that a newer library wrote (`UnsupportedSchema`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs

from ..errors import (
    ConcurrencyConflict,
    CorruptStore,
    InvalidArgument,
    StorageError,
    UnsupportedSchema,
)
from . import _codecs
from ._codecs import columns as _columns
from .protocol import IDEMPOTENCY, TABLES, Capabilities, DuplicateKey, Read, Table

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "SQLiteStore"]

R = TypeVar("R")
_Key = tuple[Any, ...]

APPLICATION_ID = 0x4A534C54
"""`PRAGMA application_id` of every jobslot database ("JSLT")."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_MAX_TIMEOUT_S = 2_147_483
"""SQLite's busy timeout is a 32-bit count of milliseconds."""


def _q(name: str) -> str:
    """Quote an identifier (field names such as `key` are SQL keywords)."""
    return '"' + name.replace('"', '""') + '"'


def _index_name(table: Table[Any], fields: tuple[str, ...]) -> str:
    return f"{table.name}__by__{'__'.join(fields)}"


def _create_table_sql(table: Table[Any]) -> list[str]:
    """DDL for one declared table and its indexes (idempotent: IF NOT EXISTS)."""
    if table.log:
        cols = ["seq INTEGER PRIMARY KEY"]
        cols += [f"{_q(c)}" for c in _columns(table) if c != "seq"]
    else:
        cols = [f"{_q(c)} NOT NULL" if c in table.key else _q(c) for c in _columns(table)]
    cols.append("doc TEXT NOT NULL")
    if not table.log:
        cols.append(f"PRIMARY KEY ({', '.join(_q(c) for c in table.key)})")
    statements = [f"CREATE TABLE IF NOT EXISTS {_q(table.name)} ({', '.join(cols)})"]
    for ix in table.indexes:
        # The key columns follow the index fields, so `find` reads rows already in key order.
        fields = ix if table.log else (*ix, *(k for k in table.key if k not in ix))
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {_q(_index_name(table, ix))} "
            f"ON {_q(table.name)} ({', '.join(_q(c) for c in fields)})"
        )
    return statements


def _migrate_1(conn: sqlite3.Connection) -> None:
    """Version 1: the meta table and every table of `TABLES`."""
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value NOT NULL)")
    for table in TABLES:
        for statement in _create_table_sql(table):
            conn.execute(statement)


def _migrate_2(conn: sqlite3.Connection) -> None:
    """Version 2: idempotency keys belong to a scope (decision 23). A stored key moves to the
    scope of the wallet its command acted for, which every command's result names (the buyer
    for a transfer)."""
    conn.execute(f"DROP INDEX IF EXISTS {_q(_index_name(IDEMPOTENCY, ('at_ms',)))}")
    conn.execute("ALTER TABLE idempotency RENAME TO idempotency_v1")
    for statement in _create_table_sql(IDEMPOTENCY):
        conn.execute(statement)
    conn.execute(
        "INSERT INTO idempotency (scope, key, at_ms, doc)"
        " SELECT scope, key, at_ms, json_set(doc, '$.scope', scope) FROM ("
        "  SELECT 'wallet:' || json_extract(doc, '$.result.wallet') AS scope, key, at_ms, doc"
        "  FROM idempotency_v1)"
    )
    conn.execute("DROP TABLE idempotency_v1")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_migrate_1, _migrate_2)
"""`MIGRATIONS[i]` takes a database from schema version `i` to `i + 1`, inside one transaction.

Adding a table, an index or an index column to `TABLES` needs no migration: opening creates what
is missing and fills new columns from `doc`. Changing a key or reshaping records needs one.
"""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this library writes (`PRAGMA user_version` and `meta.schema_version`)."""


@attrs.frozen
class _TableSql:
    """Prepared SQL strings of one table (built once per store, reused by every unit of work)."""

    columns: tuple[str, ...]
    insert: str
    upsert: str
    get: str
    delete: str
    max_seq: str
    select_doc: str
    order_by: str


def _table_sql(table: Table[Any]) -> _TableSql:
    name = _q(table.name)
    columns = _columns(table)
    col_list = ", ".join([*(_q(c) for c in columns), "doc"])
    marks = ", ".join("?" * (len(columns) + 1))
    key_match = " AND ".join(f"{_q(c)} = ?" for c in table.key)
    return _TableSql(
        columns=columns,
        insert=f"INSERT INTO {name} ({col_list}) VALUES ({marks})",
        upsert=f"INSERT OR REPLACE INTO {name} ({col_list}) VALUES ({marks})",
        get=f"SELECT doc FROM {name} WHERE {key_match}",
        delete=f"DELETE FROM {name} WHERE {key_match}",
        max_seq=f"SELECT COALESCE(MAX(seq), 0) FROM {name}",
        select_doc=f"SELECT doc FROM {name}",
        order_by=" ORDER BY " + ", ".join(_q(c) for c in table.key),
    )


_SQLITE_ERRORS = (sqlite3.Error, UnicodeDecodeError)
"""What any sqlite3 call may raise: its own errors, and UnicodeDecodeError when a damaged file
makes SQLite report an error whose message is not UTF-8."""

_DRIVER_ERRORS = (*_SQLITE_ERRORS, OverflowError, UnicodeEncodeError)
"""What sqlite3 raises: its own errors, and for values it cannot bind (ints beyond 64 bits, text
with lone surrogates) OverflowError / UnicodeEncodeError."""


_UNDECODABLE = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    RecursionError,
    cattrs.BaseValidationError,
)
"""What decoding a damaged `doc` raises: bad JSON, wrong shapes, nesting too deep."""

_RECORD_CACHE_SIZE = 4096
"""Decoded records a store keeps (by table and doc text) before it starts over."""

_ROW_CACHE_SIZE = 4096
"""Records by key a connection remembers across write units of work before it starts over."""

_LOGS = frozenset(t.name for t in TABLES if t.log)

_MISSING: Any = object()
"""Not in a cache (`None` there means: no such record)."""


def _closed_error() -> StorageError:
    return StorageError("unit_of_work", "closed", "the unit of work was committed or rolled back")


_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


def _damaged(e: BaseException) -> bool:
    """Whether SQLite's error says the file's content is damaged (not busy, full or closed)."""
    if isinstance(e, UnicodeDecodeError):  # an error message (a schema) that is not UTF-8
        return True
    if not isinstance(e, sqlite3.DatabaseError):
        return False
    if getattr(e, "sqlite_errorcode", None) in _DAMAGE_CODES:
        return True
    text = str(e)
    return "malformed" in text or "Could not decode" in text or "not a database" in text


def _storage_error(path: str, e: BaseException, table: str | None = None) -> StorageError:
    """The typed error for a driver error: `CorruptStore` naming the table for damage."""
    if _damaged(e):
        return CorruptStore(table or "store", path, f"the database is damaged: {e}")
    code = getattr(e, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _BUSY:
        # Another connection held the write lock past `timeout_s`: retryable, like a lock
        # time-out on any store.
        return ConcurrencyConflict("store", path, f"waited timeout_s for the write lock: {e}")
    return StorageError("store", path, f"sqlite failed: {e}")


_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
"""SQLite's primary result codes for a lock another connection holds (the busy timeout ran
out); extended codes carry them in their low byte."""


class _Known:
    """What one connection knows of the committed state while no other connection commits
    (`PRAGMA data_version` tells when one did): the log tails (the highest `seq` per log, or a
    bound on it) and records by key (`None`: no such record) of the non-log tables."""

    __slots__ = ("data_version", "exact", "most", "rows")

    def __init__(self) -> None:
        self.data_version = -1
        self.exact: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.rows: dict[tuple[str, _Key], Any] = {}

    def clear(self) -> None:
        self.exact.clear()
        self.most.clear()
        self.rows.clear()

    def forget(self, name: str) -> None:
        self.exact.pop(name, None)
        self.most.pop(name, None)


class _SQLiteUnitOfWork:
    """One SQLite transaction on a pooled connection; rolls back unless committed.

    A write unit of work is the only writer, so it remembers within itself what it read and
    wrote by key, and, across units of work on its connection, while no other connection has
    committed, what those that committed read and wrote by key, and the log tails: a record read
    or written by an earlier command is not queried again, no `MAX(seq)` query per log per
    transaction, and no catalog query when nothing was published.
    """

    def __init__(self, store: SQLiteStore, write: bool) -> None:
        self._store = store
        self._conn = store._acquire()
        self._open = True
        self._next_seq: dict[str, int] = {}
        self._got: dict[tuple[str, _Key], Any] = {}
        self._known: _Known | None = None
        try:
            self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            if write:
                known = store._known.get(self._conn) or store._known.setdefault(
                    self._conn, _Known()
                )
                version = self._conn.execute("PRAGMA data_version").fetchone()[0]
                if version != known.data_version:
                    known.clear()
                    known.data_version = version
                self._known = known
        except _SQLITE_ERRORS as e:
            self._close()
            raise _storage_error(store.path, e) from e

    def _wrote(self, table: Table[Any], key: _Key, record: Any) -> None:
        """Remember what this unit of work wrote at `key` (`None`: deleted)."""
        self._got[(table.name, key)] = record
        if table.log:
            self._next_seq.pop(table.name, None)
            if self._known is not None:
                self._known.forget(table.name)

    # -- helpers -----------------------------------------------------------------------------

    def _exec(self, table: str, sql: str, params: Sequence[Any] = ()) -> None:
        if not self._open:
            raise _closed_error()
        try:
            self._conn.execute(sql, params)
        except _DRIVER_ERRORS as e:
            raise _storage_error(self._store.path, e, table) from e

    def _rows(self, table: str, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run a query and fetch every row: a damaged page or value is `CorruptStore`."""
        if not self._open:
            raise _closed_error()
        try:
            return self._conn.execute(sql, params).fetchall()
        except _DRIVER_ERRORS as e:
            raise _storage_error(self._store.path, e, table) from e

    def _matching(self, table: Table[R], rows: list[Any], where: dict[str, Any]) -> list[R]:
        """Decode rows and check each has the fields it was looked up by: a damaged index can
        hand back another wallet's row, which must not be shown as this one's."""
        records = [self._decode(table, row[0]) for row in rows]
        for record in records:
            for field, value in where.items():
                if getattr(record, field) != value:
                    raise CorruptStore(
                        table.name,
                        self._store.path,
                        f"a row found by {field}={value!r} holds {getattr(record, field)!r}",
                    )
        return records

    def _row(self, table: Table[Any], record: Any) -> tuple[Any, ...]:
        """The row's column values (the key fields first) and doc."""
        store = self._store
        doc = store._to_json[table.name](record)
        # The record written is what this doc decodes to: the next read of it (the offer a
        # selection reads back, the progression the next pit stop reads) skips decoding.
        cache = store._records
        if len(cache) >= _RECORD_CACHE_SIZE:
            cache.clear()
        cache[(table.name, doc)] = record
        return (*store._column_values[table.name](record), doc)

    def _decode(self, table: Table[R], doc: str) -> R:
        # Records are frozen all the way down (free-form payloads too, see `frozen`), so one
        # decoded object can serve every later read of the same doc, as MemoryStore hands out
        # its stored objects.
        cache = self._store._records
        cached = cache.get((table.name, doc))
        if cached is not None:
            found: R = cached
            return found
        if not isinstance(doc, str):  # damage can leave a NULL, a number or a blob there
            raise CorruptStore(table.name, repr(doc)[:200], "stored record is not text")
        try:
            record: R = self._store._structure[table.name](self._store._decode(doc), table.record)
        except _UNDECODABLE as e:
            raise CorruptStore(table.name, doc[:200], f"stored record does not decode: {e}") from e
        if len(cache) >= _RECORD_CACHE_SIZE:
            cache.clear()
        cache[(table.name, doc)] = record
        return record

    def _query(self, table: Table[Any], where: dict[str, Any], scan: bool) -> str:
        """The SELECT of `find` (or `scan`) filtering on these fields, built once per shape."""
        fields = tuple(where)
        shape = (table.name, fields, scan)
        query = self._store._queries.get(shape)
        if query is None:
            if not table.queryable(fields):
                raise ValueError(f"{table.name}: no key or index starts with {fields}")
            sql = self._store._sql[table.name]
            conditions = [f"{_q(f)} IS ?" for f in fields]
            if scan:
                conditions.insert(0, "seq > ?")
            query = sql.select_doc + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
            query += sql.order_by + (" LIMIT ?" if scan else "")
            self._store._queries[shape] = query
        return query

    # -- the protocol --------------------------------------------------------------------------

    def lock(self, scopes: Iterable[str]) -> None:
        """A no-op: `BEGIN IMMEDIATE` already made this the only writer."""
        if not self._open:
            raise _closed_error()

    def get(self, table: Table[R], key: _Key) -> R | None:
        key = tuple(key)
        at = (table.name, key)
        found: R | None = self._got.get(at, _MISSING)
        if found is not _MISSING:
            return found
        if self._known is not None:
            found = self._known.rows.get(at, _MISSING)
            if found is not _MISSING:
                return found
        rows = self._rows(table.name, self._store._sql[table.name].get, key)
        record = None
        if rows:
            record = self._decode(table, rows[0][0])
            if table.key_of(record) != key:  # a damaged page or key column
                raise CorruptStore(
                    table.name, self._store.path, f"the row of key {key!r} holds another record"
                )
        self._got[(table.name, key)] = record
        return record

    def find(self, table: Table[R], **where: Any) -> list[R]:
        query = self._query(table, where, scan=False)
        return self._matching(table, self._rows(table.name, query, tuple(where.values())), where)

    def insert(self, table: Table[R], record: R) -> None:
        row = self._row(table, record)
        if not self._open:
            raise _closed_error()
        try:
            self._conn.execute(self._store._sql[table.name].insert, row)
        except sqlite3.IntegrityError as e:
            raise DuplicateKey(f"{table.name}{table.key_of(record)}") from e
        except _DRIVER_ERRORS as e:
            raise _storage_error(self._store.path, e, table.name) from e
        self._wrote(table, row[: len(table.key)], record)

    def add(self, table: Table[R], record: R) -> None:
        try:
            self.insert(table, record)
        except DuplicateKey as e:
            raise ConcurrencyConflict("insert", str(e), "the key is taken") from e

    def put(self, table: Table[R], record: R) -> None:
        row = self._row(table, record)
        self._exec(table.name, self._store._sql[table.name].upsert, row)
        self._wrote(table, row[: len(table.key)], record)

    def delete(self, table: Table[R], key: _Key) -> None:
        self._exec(table.name, self._store._sql[table.name].delete, tuple(key))
        self._wrote(table, tuple(key), None)

    def append(self, table: Table[R], build: Callable[[int], R]) -> R:
        if not table.log:
            raise ValueError(f"{table.name} is not a log table")
        seq = self._next_seq.get(table.name)
        if seq is None and self._known is not None and table.name in self._known.exact:
            seq = self._known.exact[table.name] + 1
        if seq is None:
            last = self._rows(table.name, self._store._sql[table.name].max_seq)[0][0]
            if not isinstance(last, int):
                raise CorruptStore(table.name, self._store.path, f"holds a seq of {last!r}")
            seq = last + 1
        record = build(seq)
        self._exec(table.name, self._store._sql[table.name].insert, self._row(table, record))
        self._next_seq[table.name] = seq + 1
        self._got[(table.name, (seq,))] = record
        return record

    def prefetch(self, reads: Iterable[Read]) -> None:
        """Reads here are cheap: nothing to send ahead."""

    def append_at_commit(self, table: Table[R], build: Callable[[int], R]) -> None:
        self.append(table, build)  # writers take turns: the tail is not contended

    def scan(
        self, table: Table[R], after: int = 0, limit: int | None = None, **where: Any
    ) -> list[R]:
        tails, name = self._known, table.name
        if tails is not None and not where and name not in self._next_seq:
            most = tails.most.get(name)
            if most is not None and after >= most:
                return []  # nothing was appended since this connection last looked
        query = self._query(table, where, scan=True)
        params = (after, *where.values(), -1 if limit is None else limit)
        found: list[R] = self._matching(table, self._rows(name, query, params), where)
        if (
            tails is not None
            and not where
            and (limit is None or len(found) < limit)  # read to the end of the log
            and name not in self._next_seq
        ):
            tails.most[name] = table.key_of(found[-1])[0] if found else after
        return found

    def commit(self) -> None:
        if not self._open:
            raise _closed_error()
        try:
            self._conn.execute("COMMIT")
        except _SQLITE_ERRORS as e:
            if self._known is not None:  # whether it committed is unknown: forget everything
                self._known.data_version = -1
            self.rollback()
            raise _storage_error(self._store.path, e) from e
        known = self._known
        if known is not None:
            for name, seq in self._next_seq.items():
                known.exact[name] = known.most[name] = seq - 1
            rows = known.rows
            if len(rows) + len(self._got) > _ROW_CACHE_SIZE:
                rows.clear()
            for k, record in self._got.items():
                if k[0] not in _LOGS:
                    rows[k] = record
        self._close()

    def rollback(self) -> None:
        if not self._open:
            return
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except _SQLITE_ERRORS as e:
            self._close(broken=True)
            raise _storage_error(self._store.path, e) from e
        self._close()

    def _close(self, broken: bool = False) -> None:
        if self._open:
            self._open = False
            self._store._release(self._conn, broken=broken)

    def __enter__(self) -> _SQLiteUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._open:
            self.rollback()


class SQLiteStore:
    """Keeps the game's state in one SQLite file (or `":memory:"`); threads and processes may share.

    `timeout_s` is how long a writer waits for another writer; `synchronous` is SQLite's
    durability level (`FULL`: a committed unit of work survives power loss). `read_only` opens
    an existing file for reading only (also on a read-only mount), as `jobslot db check` does:
    it never creates, migrates or writes the file. A create that fails leaves no file behind.

    Raises:
        CorruptStore: the file is not a jobslot database (the file is left untouched).
        UnsupportedSchema: a newer library wrote the file (the file is left untouched).
        StorageError: SQLite failed to open or set up the database.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout_s: float = 30.0,
        synchronous: str = "FULL",
        read_only: bool = False,
    ) -> None:
        if not isinstance(path, str | os.PathLike) or not isinstance(os.fspath(path), str):
            raise InvalidArgument("path", path, "must be a str or os.PathLike path")
        self.path = os.fspath(path)
        if "\0" in self.path:
            raise InvalidArgument("path", self.path, "must not contain a NUL character")
        try:
            os.fsencode(self.path)
        except UnicodeError:
            raise InvalidArgument("path", self.path, "is not a file system path") from None
        if not isinstance(synchronous, str) or synchronous.upper() not in _SYNCHRONOUS:
            raise InvalidArgument("synchronous", synchronous, f"must be one of {_SYNCHRONOUS}")
        if (
            isinstance(timeout_s, bool)
            or not isinstance(timeout_s, int | float)
            or not 0 <= timeout_s <= _MAX_TIMEOUT_S
        ):
            raise InvalidArgument(
                "timeout_s", timeout_s, f"must be a number of seconds from 0 to {_MAX_TIMEOUT_S}"
            )
        if not isinstance(read_only, bool):
            raise InvalidArgument("read_only", read_only, "must be True or False")
        self._timeout_s = float(timeout_s)
        self._synchronous = synchronous.upper()
        self._memory = self.path == ":memory:" or self.path == ""
        if read_only and self._memory:
            raise InvalidArgument("read_only", read_only, "a :memory: database cannot be read-only")
        self.read_only = read_only
        self.capabilities = Capabilities(shared_by_processes=not self._memory)
        self._to_json = _codecs.TO_JSON
        self._column_values = _codecs.VALUES
        self._structure = _codecs.STRUCTURE
        self._decode = json.JSONDecoder().decode
        self._sql = {t.name: _table_sql(t) for t in TABLES}
        self._queries: dict[tuple[str, tuple[str, ...], bool], str] = {}
        self._records: dict[tuple[str, str], Any] = {}
        self._known: dict[sqlite3.Connection, _Known] = {}
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._every: list[sqlite3.Connection] = []
        # ":memory:" is one database per connection: one connection, one unit of work at a time.
        self._memory_gate = threading.Lock() if self._memory else None
        self._in_uow = threading.local()
        self._pid = os.getpid()
        self._closed = False
        creating = not self._memory and not os.path.lexists(self.path)
        if creating and read_only:
            raise StorageError("path", self.path, "no such file (a read-only store opens one)")
        try:
            if not self._memory:
                self._check_header()
            conn = self._connect()
            try:
                self._open_schema(conn)
                if not self._memory and not read_only:
                    self._enable_wal(conn)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            if creating:
                self._remove_unfinished()
            raise
        self._every.append(conn)
        self._idle.append(conn)

    # -- opening -----------------------------------------------------------------------------

    def _check_header(self) -> None:
        """Refuse a foreign or newer file by its header, before SQLite may touch it."""
        try:
            with open(self.path, "rb") as f:
                header = f.read(100)
        except FileNotFoundError:
            return
        except IsADirectoryError as e:
            raise StorageError("path", self.path, "is a directory") from e
        except OSError as e:
            raise StorageError("path", self.path, f"cannot read: {e}") from e
        if not header:
            return  # an empty file is an empty database: SQLite initialises it
        if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
            raise CorruptStore("path", self.path, "not a SQLite database")
        application_id = int.from_bytes(header[68:72], "big")
        if application_id != APPLICATION_ID:
            raise CorruptStore(
                "path", self.path, f"not a jobslot database (application_id={application_id:#x})"
            )
        user_version = int.from_bytes(header[60:64], "big")
        if user_version > SCHEMA_VERSION:
            raise UnsupportedSchema(
                "path",
                self.path,
                f"schema version {user_version} is newer than this library's {SCHEMA_VERSION}",
            )

    def _remove_unfinished(self) -> None:
        """After a failed create, remove the file (and its journals) unless another process
        finished creating it meanwhile: a failed open leaves nothing behind."""
        try:
            with open(self.path, "rb") as f:
                header = f.read(100)
        except OSError:
            return
        if len(header) == 100 and int.from_bytes(header[68:72], "big") == APPLICATION_ID:
            return
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.remove(self.path + suffix)

    def _target(self) -> tuple[str, bool]:
        """What `sqlite3.connect` opens: the path, or for a read-only store a `file:` URI.

        A WAL database needs its `-shm` file even to read; on a read-only mount a cleanly
        closed database has none and none can be made, so it is opened `immutable` (nothing
        can write to it there either)."""
        if not self.read_only:
            return self.path, False
        uri = Path(self.path).absolute().as_uri() + "?mode=ro"
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.access(directory, os.W_OK) and not os.path.exists(self.path + "-wal"):
            uri += "&immutable=1"
        return uri, True

    def _connect(self) -> sqlite3.Connection:
        target, uri = self._target()
        try:
            conn = sqlite3.connect(
                target,
                timeout=self._timeout_s,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=256,
                uri=uri,
            )
        except _SQLITE_ERRORS as e:
            raise _storage_error(self.path, e) from e
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout_s * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        except _SQLITE_ERRORS as e:
            conn.close()
            raise _storage_error(self.path, e) from e
        return conn

    def _inspect(self, conn: sqlite3.Connection) -> tuple[int, int, dict[str, set[str]]]:
        """application_id, user_version and {table: columns} of the database, read only."""
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                " AND name NOT LIKE 'sqlite_%'"
            )
        ]
        tables = {n: {r[1] for r in conn.execute(f"PRAGMA table_info({_q(n)})")} for n in names}
        return application_id, user_version, tables

    def _verdict(self, application_id: int, user_version: int, tables: dict[str, set[str]]) -> bool:
        """Raise for a foreign or newer database; True when it is empty (to be created)."""
        if application_id == 0 and user_version == 0 and not tables:
            return True
        if application_id != APPLICATION_ID:
            raise CorruptStore(
                "path", self.path, f"not a jobslot database (application_id={application_id:#x})"
            )
        if user_version > SCHEMA_VERSION:
            raise UnsupportedSchema(
                "path",
                self.path,
                f"schema version {user_version} is newer than this library's {SCHEMA_VERSION}",
            )
        if "meta" not in tables:
            raise CorruptStore("path", self.path, "jobslot database without its meta table")
        return False

    def _missing(self, conn: sqlite3.Connection, tables: dict[str, set[str]]) -> bool:
        """Whether a declared table, column or index is missing (a newer library added it)."""
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        for table in TABLES:
            have = tables.get(table.name)
            if have is None or not set(_columns(table)) <= have:
                return True
            if any(_index_name(table, ix) not in indexes for ix in table.indexes):
                return True
        return False

    def _open_schema(self, conn: sqlite3.Connection) -> None:
        """Check the file (read only), then create or migrate it in one write transaction."""
        try:
            conn.execute("BEGIN")
            try:
                found = self._inspect(conn)
                self._verdict(*found)
                meta_version = self._meta_version(conn, found[2])
                stale = found[1] < SCHEMA_VERSION or self._missing(conn, found[2])
            finally:
                conn.execute("ROLLBACK")
            if meta_version is not None and meta_version != found[1]:
                raise CorruptStore(
                    "path", self.path, f"meta says version {meta_version}, header {found[1]}"
                )
            if stale and self.read_only:
                raise StorageError(
                    "path",
                    self.path,
                    f"schema version {found[1]} needs migrating to {SCHEMA_VERSION}"
                    " (open it writable, or run `jobslot db migrate`)",
                )
            if stale:
                self._upgrade(conn)
        except (ValueError, TypeError) as e:
            raise CorruptStore("path", self.path, f"not a usable jobslot database: {e}") from e
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError):
                raise _storage_error(self.path, e) from e
            raise CorruptStore("path", self.path, f"not a usable SQLite database: {e}") from e

    def _meta_version(self, conn: sqlite3.Connection, tables: dict[str, set[str]]) -> int | None:
        if "meta" not in tables:
            return None
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return None if row is None else int(row[0])

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        """Apply pending migrations and create missing objects, all in one IMMEDIATE transaction."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Check again under the write lock: another process may have done it meanwhile.
            application_id, user_version, tables = self._inspect(conn)
            self._verdict(application_id, user_version, tables)
            for version in range(user_version, SCHEMA_VERSION):
                MIGRATIONS[version](conn)
            _, _, tables = self._inspect(conn)
            for table in TABLES:
                have = tables.get(table.name)
                if have is not None:
                    for column in _columns(table):
                        if column not in have:
                            conn.execute(f"ALTER TABLE {_q(table.name)} ADD COLUMN {_q(column)}")
                            conn.execute(
                                f"UPDATE {_q(table.name)} SET {_q(column)} = json_extract(doc, ?)",
                                (f"$.{column}",),
                            )
                for statement in _create_table_sql(table):
                    conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (SCHEMA_VERSION,),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
        except _SQLITE_ERRORS as e:
            raise _storage_error(self.path, e) from e

    # -- the connection pool ---------------------------------------------------------------------

    def _acquire(self) -> sqlite3.Connection:
        if getattr(self._in_uow, "open", False):
            raise StorageError(
                "unit_of_work", "nested", "this thread already has a unit of work open here"
            )
        if self._memory_gate is not None:
            self._memory_gate.acquire()
        try:
            with self._pool_lock:
                if self._closed:
                    raise StorageError("store", self.path, "the store is closed")
                if self._pid != os.getpid() and not self._memory:
                    # A forked child must not touch its parent's connections (SQLite forbids
                    # it); abandon them unclosed and open its own.
                    self._idle.clear()
                    self._every.clear()
                    self._known.clear()
                    self._pid = os.getpid()
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._connect()
                with self._pool_lock:
                    self._every.append(conn)
        except BaseException:
            if self._memory_gate is not None:
                self._memory_gate.release()
            raise
        self._in_uow.open = True
        return conn

    def _release(self, conn: sqlite3.Connection, *, broken: bool = False) -> None:
        self._in_uow.open = False
        with self._pool_lock:
            if broken or self._closed:
                self._every.remove(conn)
                self._known.pop(conn, None)
                conn.close()
            else:
                self._idle.append(conn)
        if self._memory_gate is not None:
            self._memory_gate.release()

    @property
    def schema_version(self) -> int:
        """The file's schema version (`PRAGMA user_version`), read from the database."""
        with self._raw() as conn:
            try:
                return int(conn.execute("PRAGMA user_version").fetchone()[0])
            except _SQLITE_ERRORS as e:
                raise _storage_error(self.path, e) from e

    # -- the Store protocol --------------------------------------------------------------------

    def unit_of_work(self, *, write: bool = True) -> _SQLiteUnitOfWork:
        """Begin a transaction: `BEGIN IMMEDIATE` when `write`, else a shared read snapshot."""
        if write and self.read_only:
            raise StorageError("store", self.path, "opened read_only: no write unit of work")
        return _SQLiteUnitOfWork(self, write)

    def integrity_check(self) -> tuple[str, ...]:
        """What `PRAGMA integrity_check` finds wrong with the file (pages, indexes, rows), and
        rows whose key or index columns disagree with their record: empty when all is well.
        For `jobslot db check`; reads the whole file."""
        with self._raw() as conn:
            try:
                lines = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
            except _SQLITE_ERRORS as e:
                return (f"integrity_check failed: {e}",)
            if lines == ["ok"]:
                lines = []
            return (*lines, *self._column_drift(conn))

    def _column_drift(self, conn: sqlite3.Connection) -> list[str]:
        """Rows whose key or index columns disagree with their record's `doc`: SQLite sees a
        consistent row, but lookups by that column would miss it or find it under another key."""
        problems = []
        for table in TABLES:
            differs = " OR ".join(
                f"{_q(c)} IS NOT json_extract(doc, '$.{c}')" for c in _columns(table)
            )
            try:
                rows = conn.execute(
                    f"SELECT rowid FROM {_q(table.name)} WHERE {differs} LIMIT 10"
                ).fetchall()
            except _SQLITE_ERRORS as e:
                problems.append(f"{table.name}: records do not read: {e}")
                continue
            problems += [
                f"{table.name}: row {rowid}: a key or index column disagrees with its record"
                for (rowid,) in rows
            ]
        return problems

    def close(self) -> None:
        """Close every idle connection; connections in use close when their unit of work ends."""
        with self._pool_lock:
            self._closed = True
            for conn in self._idle:
                self._every.remove(conn)
                conn.close()
            self._idle.clear()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _raw(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection outside any transaction (for tests and diagnostics)."""
        conn = self._acquire()
        try:
            yield conn
        finally:
            # What it wrote does not change its own `data_version`: forget what it knew.
            self._known.pop(conn, None)
            self._release(conn)
