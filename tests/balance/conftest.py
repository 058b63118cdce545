"""Fixtures of the balance tests: the example catalog and small variants of it."""

from pathlib import Path

import pytest

from jobslot_core import Catalog, load_catalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def example() -> Catalog:
    return load_catalog(EXAMPLES / "catalog.toml")
