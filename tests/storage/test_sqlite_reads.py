"""SQLiteStore reads: shared decoded records, free-form payloads decoded afresh, schema_version."""

from pathlib import Path

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


def test_free_form_payloads_are_not_shared_between_reads(tmp_path: Path) -> None:
    """Mutating the dict of one read idempotency record does not change the next read."""
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
            first.result["amount"] = 99
            assert uow.get(IDEMPOTENCY, ("wallet:a", "k")) == record


def test_schema_version_is_the_files_user_version(tmp_path: Path) -> None:
    """schema_version reads the file's PRAGMA user_version: the current version after open."""
    with SQLiteStore(tmp_path / "db") as store:
        assert store.schema_version == SCHEMA_VERSION
    with SQLiteStore(":memory:") as memory:
        assert memory.schema_version == SCHEMA_VERSION
