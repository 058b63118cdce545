"""SQLiteStore reads: shared decoded records, free-form payloads decoded afresh, schema_version."""

from pathlib import Path
from typing import Any

import attrs
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


def _mek(store: SQLiteStore) -> model.Mek | None:
    with store.unit_of_work() as uow:
        found: model.Mek | None = uow.get(MEKS, ("m1",))
        uow.commit()
    return found


def _put_mek(store: SQLiteStore, mek: model.Mek, *, commit: bool = True) -> None:
    with store.unit_of_work() as uow:
        uow.put(MEKS, mek)
        if commit:
            uow.commit()


def test_a_record_another_store_object_wrote_is_read_anew(tmp_path: Path) -> None:
    """A write unit of work does not answer from what its connection remembers once another
    connection committed (PRAGMA data_version changed)."""
    with SQLiteStore(tmp_path / "db") as a, SQLiteStore(tmp_path / "db") as b:
        _put_mek(a, model.Mek("m1", "w1", 0))
        assert _mek(a) == model.Mek("m1", "w1", 0)
        _put_mek(b, model.Mek("m1", "w2", 0))
        assert _mek(a) == model.Mek("m1", "w2", 0)
        with b.unit_of_work() as uow:
            uow.delete(MEKS, ("m1",))
            uow.commit()
        assert _mek(a) is None


def test_what_a_rolled_back_unit_of_work_wrote_is_not_remembered(tmp_path: Path) -> None:
    """Puts and deletes rolled back leave the next unit of work reading the committed record."""
    with SQLiteStore(tmp_path / "db") as store:
        _put_mek(store, model.Mek("m1", "w1", 0))
        assert _mek(store) == model.Mek("m1", "w1", 0)
        _put_mek(store, model.Mek("m1", "w2", 0), commit=False)
        assert _mek(store) == model.Mek("m1", "w1", 0)
        with store.unit_of_work() as uow:
            uow.delete(MEKS, ("m1",))
            assert uow.get(MEKS, ("m1",)) is None
        assert _mek(store) == model.Mek("m1", "w1", 0)


def test_a_write_through_a_raw_connection_is_read_anew(tmp_path: Path) -> None:
    """SQL run on a pooled connection outside a unit of work (tests, diagnostics) does not
    change that connection's data_version: what it remembered is dropped."""
    with SQLiteStore(tmp_path / "db") as store:
        _put_mek(store, model.Mek("m1", "w1", 0))
        assert _mek(store) == model.Mek("m1", "w1", 0)
        with store._raw() as conn:
            conn.execute("""UPDATE meks SET wallet = 'w3', doc = json_set(doc, '$.wallet', 'w3')""")
        assert _mek(store) == model.Mek("m1", "w3", 0)


def test_a_commit_that_fails_forgets_what_the_connection_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COMMIT raising after it wrote (its outcome unknown to the caller): the next unit of work
    reads the file, not the record remembered from before."""
    import sqlite3

    from jobslot_core.errors import StorageError
    from jobslot_core.storage import sqlite as sqlite_module

    class FailingCommit(sqlite3.Connection):
        fail = False

        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
            cursor = super().execute(sql, parameters)
            if sql == "COMMIT" and FailingCommit.fail:
                FailingCommit.fail = False
                raise sqlite3.OperationalError("disk I/O error")
            return cursor

    original = sqlite3.connect
    monkeypatch.setattr(
        sqlite_module.sqlite3, "connect", lambda *a, **k: original(*a, factory=FailingCommit, **k)
    )
    with SQLiteStore(tmp_path / "db") as store:
        _put_mek(store, model.Mek("m1", "w1", 0))
        assert _mek(store) == model.Mek("m1", "w1", 0)
        FailingCommit.fail = True
        with pytest.raises(StorageError):
            _put_mek(store, model.Mek("m1", "w2", 0))
        assert _mek(store) == model.Mek("m1", "w2", 0)  # it did commit


def test_a_log_record_appended_is_what_get_then_finds(tmp_path: Path) -> None:
    """get of a log seq before and after appending it in one unit of work: None, then the
    record (not the absence read first)."""
    from jobslot_core.storage.protocol import EVENTS

    with SQLiteStore(tmp_path / "db") as store, store.unit_of_work() as uow:
        assert uow.get(EVENTS, (1,)) is None
        event = uow.append(EVENTS, lambda seq: model.Event(seq, "Tick", None, 0))
        assert uow.get(EVENTS, (1,)) == event


def test_a_bounded_scan_to_the_end_of_a_log_is_remembered(tmp_path: Path) -> None:
    """A scan with a limit that found fewer records reached the tail: the next unit of work
    asks nothing for the same scan, yet sees an append made through another store object."""
    from jobslot_core.storage.protocol import EVENTS

    def tick(seq: int) -> model.Event:
        return model.Event(seq, "Tick", None, seq)

    with SQLiteStore(tmp_path / "db") as a, SQLiteStore(tmp_path / "db") as b:
        with a.unit_of_work() as uow:
            uow.append(EVENTS, tick)
            uow.commit()
        with a._raw() as conn:  # the pool's one connection
            statements: list[str] = []
            conn.set_trace_callback(statements.append)
        for _ in range(3):
            with a.unit_of_work() as uow:
                assert uow.scan(EVENTS, after=1, limit=1) == []
                uow.commit()
        conn.set_trace_callback(None)
        assert len([s for s in statements if s.startswith("SELECT")]) == 1
        with b.unit_of_work() as uow:
            uow.append(EVENTS, tick)
            uow.commit()
        with a.unit_of_work() as uow:
            assert [e.seq for e in uow.scan(EVENTS, after=1, limit=1)] == [2]


def test_a_record_read_or_written_before_is_not_queried_again(tmp_path: Path) -> None:
    """While no other connection commits, a write unit of work answers `get` of a key an
    earlier one read or wrote (also: no such record) without a query."""
    with SQLiteStore(tmp_path / "db") as store:
        with store._raw() as conn:  # the pool's one connection
            statements: list[str] = []
            conn.set_trace_callback(statements.append)
        _put_mek(store, model.Mek("m1", "w1", 0))
        with store.unit_of_work() as uow:
            assert uow.get(MEKS, ("m2",)) is None
            uow.commit()
        del statements[:]
        for _ in range(2):
            assert _mek(store) == model.Mek("m1", "w1", 0)
            with store.unit_of_work() as uow:
                assert uow.get(MEKS, ("m2",)) is None
                uow.commit()
        conn.set_trace_callback(None)
        assert [s for s in statements if s.startswith("SELECT")] == []


def test_every_key_column_holds_the_field_itself() -> None:
    """Writes take a record's key from its row (the key columns come first): that is the key
    only while every key field is a type the converter passes through as it is."""
    from jobslot_core.serialization import _is_plain, make_converter
    from jobslot_core.storage.protocol import TABLES
    from jobslot_core.storage.sqlite import _columns

    converter = make_converter()
    for table in TABLES:
        assert _columns(table)[: len(table.key)] == table.key
        fields = attrs.fields_dict(attrs.resolve_types(table.record))
        assert all(_is_plain(converter, fields[f].type) for f in table.key), table.name
