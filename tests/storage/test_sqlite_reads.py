"""SQLiteStore reads: shared decoded records, free-form payloads decoded afresh, schema_version."""

from pathlib import Path

import pytest

from jobslot_core import model
from jobslot_core.storage import SQLiteStore
from jobslot_core.storage.protocol import IDEMPOTENCY, MEKS
from jobslot_core.storage.sqlite import SCHEMA_VERSION


def test_reread_after_put_sees_the_new_record(tmp_path: Path) -> None:
    """A record read, replaced and read again comes back as the replacement."""
    with SQLiteStore(tmp_path / "db") as store:
        for available in (True, False, True):
            with store.unit_of_work() as uow:
                uow.put(MEKS, model.Mek("m1", "w1", 0, available))
                uow.commit()
            with store.unit_of_work(write=False) as uow:
                assert uow.get(MEKS, ("m1",)) == model.Mek("m1", "w1", 0, available)


def test_free_form_payloads_cannot_be_changed_by_a_reader(tmp_path: Path) -> None:
    """The dict of a read idempotency record refuses changes; the next read is unchanged."""
    record = model.IdempotencyRecord(
        "wallet:a", "k", "deposit", "f", "LedgerEntry", {"amount": 1}, 0
    )
    with SQLiteStore(tmp_path / "db") as store:
        with store.unit_of_work() as uow:
            uow.put(IDEMPOTENCY, record)
            uow.commit()
        with store.unit_of_work(write=False) as uow:
            first = uow.get(IDEMPOTENCY, ("wallet:a", "k"))
            assert first is not None
            with pytest.raises(TypeError):
                first.result["amount"] = 99
            assert uow.get(IDEMPOTENCY, ("wallet:a", "k")) == record


def test_schema_version_is_the_files_user_version(tmp_path: Path) -> None:
    """schema_version reads the file's PRAGMA user_version: the current version after open."""
    with SQLiteStore(tmp_path / "db") as store:
        assert store.schema_version == SCHEMA_VERSION
    with SQLiteStore(":memory:") as memory:
        assert memory.schema_version == SCHEMA_VERSION


def test_two_store_objects_interleaving_appends_number_every_log_gaplessly(
    tmp_path: Path,
) -> None:
    """Two stores on one file take turns appending: each sees the other's records (its cached
    log tail is dropped when another connection committed), seqs run 1, 2, 3, ..."""
    from jobslot_core.storage.protocol import EVENTS

    def event(seq: int) -> model.Event:
        return model.Event(seq, "Tick", None, seq)

    with SQLiteStore(tmp_path / "db") as a, SQLiteStore(tmp_path / "db") as b:
        seqs = []
        for n in range(12):
            store = a if n % 3 else b
            with store.unit_of_work() as uow:
                seqs.append(uow.append(EVENTS, event).seq)
                assert [e.seq for e in uow.scan(EVENTS, after=seqs[-1] - 1)] == [seqs[-1]]
                uow.commit()
        assert seqs == list(range(1, 13))
        for store in (a, b):
            with store.unit_of_work() as uow:
                assert [e.seq for e in uow.scan(EVENTS)] == seqs
                assert uow.scan(EVENTS, after=12) == []


def test_a_catalog_published_through_another_store_is_seen_at_once(tmp_path: Path) -> None:
    """A service on one store object applies an Admin edit made through another at once, in its
    next command (its connection's cached catalog tail is dropped when another one committed)."""
    import attrs

    from jobslot_core import Admin, JobSlots, ManualClock, load_catalog
    from jobslot_core.catalog import Cost

    catalog = load_catalog(Path(__file__).resolve().parents[2] / "examples" / "catalog.toml")
    clock = ManualClock(0)
    with SQLiteStore(tmp_path / "db") as one, SQLiteStore(tmp_path / "db") as two:
        game = JobSlots(one, catalog, secret=b"a long enough secret", secret_id="s", clock=clock)
        game.deposit("w", "gold", 5_000)
        game.unlock_slot("w", 1)  # a write that read the catalog on the game's connection
        policy = catalog.policies.slot_unlock
        rules = list(policy.rules)
        rules[1] = attrs.evolve(rules[1], cost=Cost("gold", 7))
        cheaper = attrs.evolve(
            catalog,
            policies=attrs.evolve(
                catalog.policies, slot_unlock=attrs.evolve(policy, rules=tuple(rules))
            ),
        )
        Admin(two, clock=clock).publish(cheaper)
        game.unlock_slot("w", 2)
        assert game.ledger("w")[-1].amount == -7
        assert [e.seq for e in game.ledger("w")] == [1, 2]
