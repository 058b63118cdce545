"""PostgresStore against the storage contract, on the real server, one fresh schema per test."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import pg_support
from jobslot_core.storage import Store
from jobslot_core.storage.postgres import PostgresStore
from jobslot_core.testing.contract import StorageContract


class TestPostgres(StorageContract):
    @pytest.fixture(autouse=True)
    def _schemas(self, schemas: pg_support.Schemas) -> None:
        self._made = schemas

    def make_store(self, tmp_path: Path) -> PostgresStore:
        # One schema per module, emptied before each test; a test that broke it gets a new one.
        if not self._made.made or not pg_support.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self._made.made[-1],)
        ):
            schema = self._made.new("contract")
        else:
            schema = self._made.made[-1]
            pg_support.reset_schema(schema)
        return PostgresStore(pg_support.dsn(), schema=schema, max_size=4)

    def reopen(self, store: Store, tmp_path: Path) -> PostgresStore:
        assert isinstance(store, PostgresStore)
        return PostgresStore(pg_support.dsn(), schema=store.schema, max_size=4)

    def opener(self, store: Store, tmp_path: Path) -> Callable[[], Store]:
        assert isinstance(store, PostgresStore)
        return functools.partial(PostgresStore, pg_support.dsn(), schema=store.schema, max_size=2)

    def break_store(self, store: Store) -> contextlib.AbstractContextManager[None]:
        return _schema_renamed(store)


@contextlib.contextmanager
def _schema_renamed(store: Store) -> Iterator[None]:
    """Every statement fails inside the server (42P01): the schema is renamed away meanwhile."""
    assert isinstance(store, PostgresStore)
    name = store.schema
    pg_support.execute(f'ALTER SCHEMA "{name}" RENAME TO "{name}_broken"')
    try:
        yield
    finally:
        pg_support.execute(f'ALTER SCHEMA "{name}_broken" RENAME TO "{name}"')
