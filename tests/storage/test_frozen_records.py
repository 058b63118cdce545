"""Records and everything inside them are immutable in every store (issue 10, item 4): the
free-form payloads `CatalogVersion.catalog`, `Event.data` and `IdempotencyRecord.result` are
deeply frozen, so what a store hands out can never rewrite what it stores."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jobslot_core import Admin, JobSlots, ManualClock
from jobslot_core.catalog_io import catalog_fingerprint, loads_catalog
from jobslot_core.frozen import FrozenDict, FrozenList, deep_freeze, thaw
from jobslot_core.model import CatalogVersion, Event, IdempotencyRecord
from jobslot_core.serialization import from_dict, to_dict
from jobslot_core.storage import MemoryStore, SQLiteStore
from jobslot_core.storage.protocol import IDEMPOTENCY, Store
from jobslot_core.testing.commands import machine_catalog

SECRET = b"frozen test secret"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "f.db")
    yield made
    made.close()


MUTATIONS: list[Callable[[Any], object]] = [
    lambda d: d.__setitem__("x", 1),
    lambda d: d.update(x=1),
    lambda d: d.pop("job_types"),
    lambda d: d.clear(),
    lambda d: d.setdefault("x", 1),
    lambda d: d["job_types"].append({}),
    lambda d: d["job_types"].pop(),
    lambda d: d["job_types"][0].__setitem__("key", "hacked"),
    lambda d: d["job_types"].sort(),
    lambda d: d["job_types"].__delitem__(0),
]


@pytest.mark.parametrize("mutate", MUTATIONS)
def test_a_read_catalog_version_cannot_rewrite_the_stored_catalog(
    store: Store, mutate: Callable[[Any], object]
) -> None:
    """The issue's scenario: editing the catalog of `Admin.versions()` used to change the stored
    catalog (fingerprint unchanged) so a later service sold a job for 0 gold. Every edit is
    refused and the stored catalog still matches its fingerprint."""
    catalog = machine_catalog()
    JobSlots(store, catalog, secret=SECRET, secret_id="s1", clock=ManualClock(0))
    admin = Admin(store, clock=ManualClock(0))
    (version,) = admin.versions()
    with pytest.raises(TypeError):
        mutate(version.catalog)
    (again,) = admin.versions()
    assert again.catalog == json.loads(json.dumps(version.catalog))
    stored = loads_catalog(json.dumps(again.catalog), format="json")
    assert catalog_fingerprint(stored) == again.fingerprint == catalog_fingerprint(catalog)
    assert admin.catalog() == catalog


def test_event_data_and_idempotency_results_are_deeply_frozen(store: Store) -> None:
    game = JobSlots(store, machine_catalog(), secret=SECRET, secret_id="s1", clock=ManualClock(0))
    game.deposit("w", "gold", 5, idempotency_key="k1")
    events = game.events()
    assert events and all(isinstance(e.data, FrozenDict) for e in events)
    with pytest.raises(TypeError):
        events[-1].data["amount"] = 10**6  # type: ignore[index]
    with store.unit_of_work(write=False) as uow:
        (record,) = uow.find(IDEMPOTENCY)
    assert isinstance(record.result, FrozenDict)
    with pytest.raises(TypeError):
        record.result["amount"] = 10**6
    # The retry still returns the first result.
    assert game.deposit("w", "gold", 5, idempotency_key="k1").amount == 5
    assert game.balance("w", "gold") == 5


def test_records_built_from_mutable_data_do_not_share_it() -> None:
    """A record copies what it is built from: changing the caller's dict later changes nothing."""
    data: dict[str, Any] = {"a": [1, {"b": 2}]}
    event = Event(1, "K", None, 0, data)
    data["a"][1]["b"] = 3
    data["a"].append(4)
    assert event.data == {"a": [1, {"b": 2}]}
    result = {"x": [1]}
    record = IdempotencyRecord("s", "k", "c", "f", "T", result, 0)
    result["x"].append(2)
    assert record.result == {"x": [1]}
    doc = {"job_types": []}
    version = CatalogVersion(1, "f", doc, 0)
    doc["job_types"].append({})
    assert version.catalog == {"job_types": []}


def test_frozen_values_behave_as_plain_data() -> None:
    """Equal to plain data, JSON and cattrs round trips give plain data, pickle and copy keep
    them frozen, hashing works, thaw gives a mutable copy."""
    plain = {"a": [1, 2.5, {"b": None, "c": "s"}], "d": True}
    frozen = deep_freeze(plain)
    assert frozen == plain and isinstance(frozen["a"], FrozenList)
    assert json.loads(json.dumps(frozen)) == plain
    event = Event(1, "K", None, 0, plain)
    out = to_dict(event)
    assert type(out["data"]) is dict and type(out["data"]["a"]) is list
    assert from_dict(Event, out) == event
    assert pickle.loads(pickle.dumps(event)) == event
    assert isinstance(pickle.loads(pickle.dumps(frozen)), FrozenDict)
    assert copy.deepcopy(frozen) is frozen
    assert hash(event) == hash(Event(1, "K", None, 0, deep_freeze(plain)))
    warm = thaw(frozen)
    warm["a"].append(3)
    assert frozen == plain
    assert deep_freeze(frozen) is frozen
