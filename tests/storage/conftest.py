"""Fixtures shared by the PostgreSQL tests of this folder."""

from collections.abc import Iterator

import pytest

import pg_support


@pytest.fixture(scope="module")
def schemas() -> Iterator[pg_support.Schemas]:
    """Fresh schemas on the test server for one module, dropped after it (skips without one)."""
    pg_support.require_server()
    made = pg_support.Schemas()
    yield made
    made.drop_all()
