"""Fixtures of the engine tests: catalogs built in code (see engine_catalogs.py)."""

import pytest
from engine_catalogs import catalogs, make_catalog

from jobslot_core.catalog import Catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The default-RNG test catalog."""
    return make_catalog()


@pytest.fixture(scope="session")
def all_catalogs() -> dict[str, Catalog]:
    """Every RNG variant of the test catalog, by name."""
    return catalogs()
