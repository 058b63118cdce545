"""MemoryStore: the in-memory adapter, with real transactions (an undo log and one lock)."""

import operator
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..errors import ConcurrencyConflict, StorageError
from .protocol import TABLES, Capabilities, DuplicateKey, Read, Table

__all__ = ["MemoryStore"]

R = TypeVar("R")
_Key = tuple[Any, ...]


def _values_of(fields: tuple[str, ...]) -> Callable[[Any], _Key]:
    """A function giving a record's values of `fields`, as a tuple."""
    get = operator.attrgetter(*fields)
    return get if len(fields) > 1 else lambda r: (get(r),)


class _TableData:
    """Rows of one table plus its secondary indexes (index fields -> values -> keys)."""

    def __init__(self, table: Table[Any]) -> None:
        self.table = table
        self.rows: dict[_Key, Any] = {}
        # One index per queryable field tuple: every prefix of the key and of each index.
        self.indexes: dict[tuple[str, ...], dict[_Key, set[_Key]]] = {
            fields[:n]: {}
            for fields in (table.key, *table.indexes)
            for n in range(1, len(fields) + 1)
            if fields[:n] != table.key
        }
        # Each index's values of a record, read by one prepared getter.
        self.by: list[tuple[Callable[[Any], _Key], dict[_Key, set[_Key]]]] = [
            (_values_of(fields), index) for fields, index in self.indexes.items()
        ]
        self.last_seq = 0

    def set(self, key: _Key, record: Any | None) -> None:
        old = self.rows.get(key)
        if old is not None and record is not None:
            # A replacement touches only the indexes whose fields changed (most puts change a
            # count or a time, not the wallet or Mek the record is found by).
            self.rows[key] = record
            for values, index in self.by:
                before, after = values(old), values(record)
                if before != after:
                    index[before].discard(key)
                    index.setdefault(after, set()).add(key)
            return
        if old is not None:
            for values, index in self.by:
                index[values(old)].discard(key)
        if record is None:
            self.rows.pop(key, None)
            return
        self.rows[key] = record
        for values, index in self.by:
            index.setdefault(values(record), set()).add(key)

    def candidates(self, where: dict[str, Any]) -> list[_Key]:
        fields = tuple(where)
        if fields == self.table.key:
            key = tuple(where.values())
            return [key] if key in self.rows else []
        index = self.indexes.get(fields)
        if index is None:
            return list(self.rows)
        return list(index.get(tuple(where.values()), ()))


class _MemoryUnitOfWork:
    def __init__(self, store: "MemoryStore") -> None:
        self._store = store
        self._undo: list[tuple[str, _Key, Any | None, int]] = []
        if getattr(store._owner, "active", False):
            raise StorageError(
                "unit_of_work", "nested", "this thread already has a unit of work open"
            )
        store._lock.acquire()
        store._owner.active = True
        self._open = True

    def _data(self, table: Table[Any]) -> _TableData:
        return self._store._tables[table.name]

    def _write(self, table: Table[Any], key: _Key, record: Any | None) -> None:
        if not self._open:
            raise RuntimeError("unit of work is closed")
        data = self._data(table)
        self._undo.append((table.name, key, data.rows.get(key), data.last_seq))
        data.set(key, record)
        if table.log and record is not None and key[0] > data.last_seq:
            data.last_seq = key[0]  # a log row written by key: append continues after it

    def lock(self, scopes: Iterable[str]) -> None:
        """A no-op: the store's one lock already made this the only unit of work."""
        if not self._open:
            raise RuntimeError("unit of work is closed")

    def get(self, table: Table[R], key: _Key) -> R | None:
        result: R | None = self._data(table).rows.get(tuple(key))
        return result

    def find(self, table: Table[R], **where: Any) -> list[R]:
        if not table.queryable(tuple(where)):
            raise ValueError(f"{table.name}: no key or index starts with {tuple(where)}")
        data = self._data(table)
        rows = data.rows
        keys = [
            k
            for k in data.candidates(where)
            if all(getattr(rows[k], f) == v for f, v in where.items())
        ]
        keys.sort()
        return [rows[k] for k in keys]

    def insert(self, table: Table[R], record: R) -> None:
        key = table.key_of(record)
        if key in self._data(table).rows:
            raise DuplicateKey(f"{table.name}{key}")
        self._write(table, key, record)

    def add(self, table: Table[R], record: R) -> None:
        try:
            self.insert(table, record)
        except DuplicateKey as e:
            raise ConcurrencyConflict("insert", str(e), "the key is taken") from e

    def put(self, table: Table[R], record: R) -> None:
        self._write(table, table.key_of(record), record)

    def delete(self, table: Table[R], key: _Key) -> None:
        if tuple(key) in self._data(table).rows:
            self._write(table, tuple(key), None)

    def append(self, table: Table[R], build: Callable[[int], R]) -> R:
        data = self._data(table)
        seq = data.last_seq + 1
        record = build(seq)
        self._write(table, (seq,), record)
        data.last_seq = seq
        return record

    def prefetch(self, reads: Iterable[Read]) -> None:
        """Reads here are cheap: nothing to send ahead."""

    def append_at_commit(self, table: Table[R], build: Callable[[int], R]) -> None:
        self.append(table, build)  # writers take turns: the tail is not contended

    def scan(
        self, table: Table[R], after: int = 0, limit: int | None = None, **where: Any
    ) -> list[R]:
        if table.log and not where:
            # Seqs are 1..last_seq in order: read just the rows asked for, not the whole log.
            data = self._data(table)
            found: list[R] = []
            for seq in range(max(after, 0) + 1, data.last_seq + 1):
                if limit is not None and len(found) >= limit:
                    break
                row = data.rows.get((seq,))
                if row is not None:
                    found.append(row)
            return found
        rows = [r for r in self.find(table, **where) if table.key_of(r)[0] > after]
        return rows if limit is None else rows[:limit]

    def commit(self) -> None:
        self._undo.clear()
        self._close()

    def rollback(self) -> None:
        for name, key, old, last_seq in reversed(self._undo):
            data = self._store._tables[name]
            data.set(key, old)
            data.last_seq = last_seq
        self._undo.clear()
        self._close()

    def _close(self) -> None:
        if self._open:
            self._open = False
            self._store._owner.active = False
            self._store._lock.release()

    def __enter__(self) -> "_MemoryUnitOfWork":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._open:
            self.rollback()


class MemoryStore:
    """Keeps everything in this process's memory; transactions are real (rollback undoes all)."""

    capabilities = Capabilities()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner = threading.local()
        self._tables = {t.name: _TableData(t) for t in TABLES}

    def unit_of_work(self, *, write: bool = True) -> _MemoryUnitOfWork:
        return _MemoryUnitOfWork(self)

    def close(self) -> None:
        """Nothing to release."""
