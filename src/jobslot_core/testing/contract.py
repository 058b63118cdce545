"""StorageContract: the behaviour every storage adapter must show, one pytest test per behaviour.

A host that keeps the library's state in its own database subclasses it and implements
`make_store`; pytest collects the inherited tests::

    class TestMyStore(StorageContract):
        def make_store(self, tmp_path):
            return MyStore(tmp_path / "state")

Implement `reopen` too when a second store object can open the same data (a file, a server):
the contract then checks that committed data is visible through it.

This module imports pytest (install it beside the `testing` extra); importing
`jobslot_core.testing` alone does not load it.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from .. import model
from ..engine import BuffChoice
from ..errors import ConcurrencyConflict
from ..storage import protocol as p
from ..storage.protocol import TABLES, DuplicateKey, Store, Table
from ._isolation import IsolationBehaviours, retrying

__all__ = ["StorageContract", "retrying", "sample_record"]


def _choice(buff_key: str, value: float, rarity: str, currency: str | None = None) -> BuffChoice:
    return BuffChoice(
        buff_key=buff_key,
        effect_type="gold_rate" if currency is None else "currency_grant",
        permanent=currency is None,
        stacks=True,
        currency=currency,
        value=value,
        rarity=rarity,
        min_value=0.1,
        max_value=5.0,
    )


_CHOICES = (
    _choice("gold_boost", 0.1, "common"),
    _choice("essence_boost", 1e-7, "common"),
    _choice("gold_bag", 4.75, "legendary", currency="gold"),
)

_BUFF = model.ActiveBuff(
    buff_id="buff-ü-1",
    mek_id="mek-7",
    job_key="miner",
    buff_key="gold_boost",
    effect_type="gold_rate",
    value=0.1,
    permanent=True,
    stacks=False,
    prestige_sequence=2,
    pit_stop_number=3,
    applied_at_ms=1_700_000_000_123,
    scale=0.5,
)

# WalletStats.jobs_purchased has `converter=tuple`, which mypy types as an unbound Iterable.
_JOBS_PURCHASED: Any = ("miner", "smith 🔨")

_SAMPLES: dict[str, Any] = {
    "meks": model.Mek("mek-7", "wallet-ä", 1_700_000_000_000, available=False),
    "ownerships": model.Ownership(1, "mek-7", "wallet-ä", 1_700_000_000_000),
    "slots": model.JobSlot("wallet-ä", 2, 1_700_000_000_000, "miner", 1_700_000_000_500, None),
    "progressions": model.Progression(
        "mek-7", "miner", 3_600_000, 1_700_000_100_000, 1_700_000_000_000, 2, "wallet-ä",
        pit_stops_resolved=4, prestige_count=1, lifetime_levels=12, last_prestige_ms=None,
    ),
    "offers": model.Offer(
        "offer-1", "wallet-ä", "mek-7", "miner", 2, 3, 0, 4, 5, _CHOICES, "secret-1", 1, 7,
        1_700_000_000_000, model.OfferStatus.SELECTED, 2, 1_700_000_000_999,
    ),
    "selections": model.Selection(
        "mek-7", "miner", 2, 3, "offer-1", "wallet-ä", 1, _CHOICES[1], 7, 1_700_000_000_999
    ),
    "active_buffs": _BUFF,
    "mek_totals": model.MekTotal("mek-7", "gold_rate", "wallet-ä", 1_250_000),
    "wallet_totals": model.WalletTotal("wallet-ä", "gold_rate", -3),
    "wallet_stats": model.WalletStats("wallet-ä", 3, _JOBS_PURCHASED),
    "prestiges": model.PrestigeRecord(
        "mek-7", "miner", 1, "wallet-ä", 10, 86_400_000, (_BUFF,),
        (attrs.evolve(_BUFF, buff_id="buff-2", scale=1e-7),),
        (model.Reward("currency", "gold", 500), model.Reward("account_buff", percent=0.1)),
        1_700_000_200_000,
    ),
    "balances": model.Balance("wallet-ä", "gold", 2**53 + 1),
    "ledger": model.LedgerEntry(1, "wallet-ä", "gold", -1000, 0, "slot_unlock", "cmd:ü-1", 17),
    "events": model.Event(
        1, "BuffSelected", None, 1_700_000_000_999,
        {"offer_id": "offer-1", "value": 0.1, "tiny": 1e-7, "nested": {"list": [1, "ä", None]},
         "none": None, "flag": True},
    ),
    "cursors": p.Cursor("mirror-ß", 42),
    "idempotency": model.IdempotencyRecord(
        "wallet:wallet-ä", "key-∆", "select_buff", "sha256:ab", "SelectionResult",
        {"offer_id": "offer-1", "values": [0.1, 1e-7, 2.5], "ok": None}, 1_700_000_000_999,
    ),
    "catalogs": model.CatalogVersion(
        7, "sha256:cd", {"jobs": [{"key": "miner", "name": "Mineur ⛏"}], "ratio": 0.1}, 1_700_000
    ),
    "secrets": model.OfferSecret("secret-1", "ab" * 32, 1_700_000_000_000, "cd" * 32, 1_700_500),
}  # fmt: skip


def sample_record(table: Table[Any]) -> Any:
    """A realistic record for one of `TABLES` (nested tuples, mappings, None, floats, unicode)."""
    try:
        return _SAMPLES[table.name]
    except KeyError:
        raise LookupError(f"the contract has no sample for table {table.name!r}") from None


def _field_value(record_type: type, field: str, n: int) -> Any:
    """A value for `field` that sorts like `n` (zero-padded text for strings)."""
    hint = typing.get_type_hints(record_type)[field]
    kinds = typing.get_args(hint) or (hint,)
    if str in kinds:
        return f"{field}-{n:03d}"
    if bool in kinds:
        return n % 2 == 1
    if int in kinds:
        return n
    raise TypeError(f"{record_type.__name__}.{field}: cannot make values of {hint}")


def _variant(table: Table[Any], n: int, fixed: dict[str, Any]) -> Any:
    """The table's sample with key fields set from `n` and the fields in `fixed` set as given."""
    changes = {f: _field_value(table.record, f, n) for f in table.key if f != "seq"}
    changes.update(fixed)
    return attrs.evolve(sample_record(table), **changes)


def _with_seq(record: Any) -> Callable[[int], Any]:
    """A builder for `append`: the record with the seq the store assigns."""
    return lambda seq: attrs.evolve(record, seq=seq)


def _prefixes(table: Table[Any]) -> list[tuple[str, ...]]:
    """Every non-empty prefix of every declared index."""
    return sorted({ix[:i] for ix in table.indexes for i in range(1, len(ix) + 1)})


_LOGS = [t for t in TABLES if t.log]
_INDEX_CASES = [(t, f) for t in TABLES for f in _prefixes(t)]
_KEY_PREFIX_CASES = [(t, t.key[:i]) for t in TABLES if not t.log for i in range(1, len(t.key))]


def _ids(case: tuple[Table[Any], tuple[str, ...]]) -> str:
    return f"{case[0].name}-{'+'.join(case[1])}"


def _same_types(a: Any, b: Any) -> bool:
    """Field by field the same Python types (1 did not come back as 1.0, nor a tuple as a list)."""
    return [type(getattr(a, f.name)) for f in attrs.fields(type(a))] == [
        type(getattr(b, f.name)) for f in attrs.fields(type(b))
    ]


def _mek(n: int, wallet: str = "wallet-a") -> model.Mek:
    return model.Mek(f"mek-{n:03d}", wallet, 1_000 + n)


def _event(kind: str, wallet: str | None = "wallet-a") -> Any:
    return lambda seq: model.Event(seq, kind, wallet, 1_000 + seq, {"n": seq})


class StorageContract(IsolationBehaviours):
    """Subclass as `Test...`, implement `make_store`; pytest runs every behaviour against it.

    Optional hooks: `reopen` (a second store object on the same data), `opener` (a picklable
    way to open the data in another process) and `break_store` (make the backing store fail).
    """

    def make_store(self, tmp_path: Path) -> Store:
        """A new, empty store (`tmp_path` is a fresh directory for this test)."""
        raise NotImplementedError("implement make_store(self, tmp_path) -> Store")

    def reopen(self, store: Store, tmp_path: Path) -> Store | None:
        """A second store object on the same data as `store`, or None when there is none."""
        return None

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        """The store under test, closed afterwards."""
        store = self.make_store(tmp_path)
        yield store
        store.close()

    def _commit(self, store: Store, table: Table[Any], *records: Any) -> None:
        with store.unit_of_work() as uow:
            for record in records:
                uow.put(table, record)
            uow.commit()

    def _read(self, store: Store, table: Table[Any], key: tuple[Any, ...]) -> Any:
        with store.unit_of_work(write=False) as uow:
            return uow.get(table, key)

    # -- get, put, insert, delete ----------------------------------------------------------------

    def test_get_missing_returns_none(self, store: Store) -> None:
        """`get` of a key that was never stored returns None."""
        with store.unit_of_work(write=False) as uow:
            assert uow.get(p.MEKS, ("nobody",)) is None

    @pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
    def test_round_trips_every_table_exactly(self, store: Store, table: Table[Any]) -> None:
        """A committed record of every table reads back equal, with the same field types."""
        record = sample_record(table)
        with store.unit_of_work() as uow:
            if table.log:
                record = uow.append(table, _with_seq(record))
            else:
                uow.insert(table, record)
            uow.commit()
        got = self._read(store, table, table.key_of(record))
        assert got == record
        assert _same_types(got, record)

    def test_reads_its_own_writes(self, store: Store) -> None:
        """A unit of work sees its own uncommitted changes."""
        with store.unit_of_work() as uow:
            uow.put(p.MEKS, _mek(1))
            assert uow.get(p.MEKS, ("mek-001",)) == _mek(1)
            assert uow.find(p.MEKS, wallet="wallet-a") == [_mek(1)]

    def test_put_replaces(self, store: Store) -> None:
        """`put` of an existing key replaces the record."""
        self._commit(store, p.MEKS, _mek(1))
        self._commit(store, p.MEKS, _mek(1, wallet="wallet-b"))
        assert self._read(store, p.MEKS, ("mek-001",)) == _mek(1, wallet="wallet-b")

    def test_put_moves_record_between_index_values(self, store: Store) -> None:
        """After a replacing `put`, `find` by index sees the new value, not the old one."""
        self._commit(store, p.MEKS, _mek(1))
        self._commit(store, p.MEKS, _mek(1, wallet="wallet-b"))
        with store.unit_of_work(write=False) as uow:
            assert uow.find(p.MEKS, wallet="wallet-a") == []
            assert uow.find(p.MEKS, wallet="wallet-b") == [_mek(1, wallet="wallet-b")]

    def test_insert_duplicate_raises_and_changes_nothing(self, store: Store) -> None:
        """`insert` of an existing key raises DuplicateKey and leaves the stored record as is."""
        self._commit(store, p.MEKS, _mek(1))
        with store.unit_of_work() as uow:
            with pytest.raises(DuplicateKey):
                uow.insert(p.MEKS, _mek(1, wallet="wallet-b"))
            uow.put(p.MEKS, _mek(2))
            uow.commit()
        assert self._read(store, p.MEKS, ("mek-001",)) == _mek(1)
        assert self._read(store, p.MEKS, ("mek-002",)) == _mek(2)

    def test_add_stores_a_record_under_a_free_key(self, store: Store) -> None:
        """`add` of a free key stores the record, readable in the same unit of work."""
        with store.unit_of_work() as uow:
            uow.add(p.MEKS, _mek(1))
            assert uow.get(p.MEKS, ("mek-001",)) == _mek(1)
            uow.commit()
        assert self._read(store, p.MEKS, ("mek-001",)) == _mek(1)

    def test_add_of_a_taken_key_is_a_conflict_and_commits_nothing(self, store: Store) -> None:
        """`add` of an existing key raises ConcurrencyConflict (from itself, a later call or
        commit) and nothing of that unit of work is stored."""
        self._commit(store, p.MEKS, _mek(1))
        with store.unit_of_work() as uow, pytest.raises(ConcurrencyConflict):
            uow.put(p.MEKS, _mek(2))
            uow.add(p.MEKS, _mek(1, wallet="wallet-b"))
            uow.get(p.MEKS, ("mek-002",))
            uow.commit()
        assert self._read(store, p.MEKS, ("mek-001",)) == _mek(1)
        assert self._read(store, p.MEKS, ("mek-002",)) is None

    def test_delete_removes(self, store: Store) -> None:
        """`delete` removes the record from `get` and from index lookups."""
        self._commit(store, p.MEKS, _mek(1), _mek(2))
        with store.unit_of_work() as uow:
            uow.delete(p.MEKS, ("mek-001",))
            uow.commit()
        with store.unit_of_work(write=False) as uow:
            assert uow.get(p.MEKS, ("mek-001",)) is None
            assert uow.find(p.MEKS, wallet="wallet-a") == [_mek(2)]

    def test_delete_missing_is_a_no_op(self, store: Store) -> None:
        """`delete` of an absent key raises nothing and changes nothing."""
        self._commit(store, p.MEKS, _mek(1))
        with store.unit_of_work() as uow:
            uow.delete(p.MEKS, ("mek-999",))
            uow.commit()
        assert self._read(store, p.MEKS, ("mek-001",)) == _mek(1)

    # -- find ----------------------------------------------------------------------------------

    @pytest.mark.parametrize("case", _KEY_PREFIX_CASES, ids=_ids)
    def test_find_by_key_prefix_in_key_order(
        self, store: Store, case: tuple[Table[Any], tuple[str, ...]]
    ) -> None:
        """`find` on a prefix of the primary key returns the matches in primary-key order."""
        table, fields = case
        fixed = {f: _field_value(table.record, f, 7) for f in fields}
        other = {f: _field_value(table.record, f, 8) for f in fields}
        records = [_variant(table, n, fixed) for n in (3, 1, 2)]
        self._commit(store, table, *records, _variant(table, 4, other))
        with store.unit_of_work(write=False) as uow:
            found = uow.find(table, **fixed)
        assert found == sorted(records, key=table.key_of)

    @pytest.mark.parametrize("case", _INDEX_CASES, ids=_ids)
    def test_find_by_index_in_key_order(
        self, store: Store, case: tuple[Table[Any], tuple[str, ...]]
    ) -> None:
        """`find` on a declared index (or its prefix) returns the matches in primary-key order."""
        table, fields = case
        fixed = {f: _field_value(table.record, f, 7) for f in fields}
        other = {f: _field_value(table.record, f, 8) for f in fields}
        plan = [(3, fixed), (11, other), (1, fixed), (2, fixed)]
        if set(table.key) <= set(fields):
            plan = [(1, fixed), (2, other)]  # the index pins the whole key: one match at most
        stored = []
        with store.unit_of_work() as uow:
            for n, values in plan:
                record = _variant(table, n, values)
                if table.log:
                    record = uow.append(table, _with_seq(record))
                else:
                    uow.put(table, record)
                stored.append((record, values is fixed))
            uow.commit()
        with store.unit_of_work(write=False) as uow:
            found = uow.find(table, **fixed)
        expected = sorted((r for r, match in stored if match), key=table.key_of)
        assert found == expected

    def test_find_matches_none(self, store: Store) -> None:
        """`find` with a None value returns the records whose field is None."""
        empty = model.JobSlot("wallet-a", 1, 10)
        busy = model.JobSlot("wallet-a", 2, 10, "miner", 11, "mek-001", 12)
        self._commit(store, p.SLOTS, busy, empty)
        with store.unit_of_work(write=False) as uow:
            assert uow.find(p.SLOTS, mek_id=None) == [empty]

    def test_find_without_filter_returns_all_in_key_order(self, store: Store) -> None:
        """`find` with no filter returns every record in primary-key order."""
        self._commit(store, p.MEKS, _mek(3), _mek(1), _mek(2))
        with store.unit_of_work(write=False) as uow:
            assert uow.find(p.MEKS) == [_mek(1), _mek(2), _mek(3)]

    def test_find_on_undeclared_field_raises_value_error(self, store: Store) -> None:
        """`find` on a field that starts no key or index raises ValueError."""
        with store.unit_of_work(write=False) as uow, pytest.raises(ValueError):
            uow.find(p.MEKS, registered_at_ms=1)

    def test_find_on_index_suffix_raises_value_error(self, store: Store) -> None:
        """`find` on fields that are part of an index but not its prefix raises ValueError."""
        with store.unit_of_work(write=False) as uow, pytest.raises(ValueError):
            uow.find(p.OFFERS, job_key="miner")

    # -- logs ----------------------------------------------------------------------------------

    def test_append_assigns_increasing_seq_from_one(self, store: Store) -> None:
        """`append` gives a log's records seq 1, 2, 3 in order."""
        with store.unit_of_work() as uow:
            seqs = [uow.append(p.EVENTS, _event(k)).seq for k in ("a", "b", "c")]
            uow.commit()
        assert seqs == [1, 2, 3]

    def test_append_continues_across_units_of_work(self, store: Store) -> None:
        """A later unit of work appends after the last committed seq."""
        for kind in ("a", "b"):
            with store.unit_of_work() as uow:
                uow.append(p.EVENTS, _event(kind))
                uow.commit()
        with store.unit_of_work(write=False) as uow:
            assert [e.seq for e in uow.scan(p.EVENTS)] == [1, 2]

    @pytest.mark.parametrize("table", _LOGS, ids=lambda t: t.name)
    def test_logs_number_independently(self, store: Store, table: Table[Any]) -> None:
        """Each log has its own sequence: appends to one do not advance another."""
        with store.unit_of_work() as uow:
            for other in _LOGS:
                if other is not table:
                    uow.append(other, _with_seq(sample_record(other)))
            record = uow.append(table, _with_seq(sample_record(table)))
            uow.commit()
        assert record.seq == 1

    @pytest.mark.parametrize("table", _LOGS, ids=lambda t: t.name)
    def test_append_at_commit_keeps_call_order_and_the_record(
        self, store: Store, table: Table[Any]
    ) -> None:
        """`append_at_commit` numbers its records after what the log holds, in call order with
        `append` in either order, and stores exactly what `build(seq)` made."""
        sample = sample_record(table)
        with store.unit_of_work() as uow:
            uow.append(table, _with_seq(sample))
            uow.append_at_commit(table, _with_seq(sample))
            uow.append_at_commit(table, _with_seq(sample))
            uow.commit()
        with store.unit_of_work() as uow:
            uow.append_at_commit(table, _with_seq(sample))
            last = uow.append(table, _with_seq(sample))
            uow.commit()
        assert last.seq == 5
        with store.unit_of_work() as uow:
            uow.append_at_commit(table, _with_seq(sample))
            uow.rollback()
        with store.unit_of_work(write=False) as uow:
            assert uow.scan(table) == [attrs.evolve(sample, seq=n) for n in range(1, 6)]

    def test_prefetched_reads_answer_like_plain_reads(self, store: Store) -> None:
        """Reads named to `prefetch` return what they would have without it, before and after
        the unit of work writes to their tables; reads the store could not send (values that
        fit no column) change nothing."""
        mek = sample_record(p.MEKS)
        self._three_events(store)
        with store.unit_of_work() as uow:
            uow.put(p.MEKS, mek)
            uow.commit()
        other = attrs.evolve(mek, mek_id=mek.mek_id + "-2")
        reads = [
            p.Read.get(p.MEKS, mek.mek_id),
            p.Read.get(p.MEKS, other.mek_id),
            p.Read.find(p.MEKS, wallet=mek.wallet),
            p.Read.scan(p.EVENTS, 1, 1),
            p.Read.get(p.MEKS, "\udc80"),
            p.Read.get(p.MEKS, 7),
            p.Read.get(p.SLOTS, mek.wallet, "one"),
            p.Read.get(p.SLOTS, mek.wallet, 2**70),
            p.Read.find(p.MEKS, registered_at_ms=1),
        ]
        with store.unit_of_work() as uow:
            uow.prefetch(reads)
            uow.lock([p.wallet_scope(mek.wallet)])
            assert uow.get(p.MEKS, (mek.mek_id,)) == mek
            assert uow.get(p.MEKS, (other.mek_id,)) is None
            assert uow.find(p.MEKS, wallet=mek.wallet) == [mek]
            assert [e.kind for e in uow.scan(p.EVENTS, 1, 1)] == ["b"]
            uow.put(p.MEKS, other)
            uow.delete(p.MEKS, (mek.mek_id,))
            uow.append(p.EVENTS, _event("d"))
            assert uow.get(p.MEKS, (mek.mek_id,)) is None
            assert uow.get(p.MEKS, (other.mek_id,)) == other
            assert uow.find(p.MEKS, wallet=mek.wallet) == [other]
            assert [e.kind for e in uow.scan(p.EVENTS, 3, 1)] == ["d"]
            uow.commit()

    def _three_events(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            uow.append(p.EVENTS, _event("a", "wallet-a"))
            uow.append(p.EVENTS, _event("b", "wallet-b"))
            uow.append(p.EVENTS, _event("c", "wallet-a"))
            uow.commit()

    def test_scan_after(self, store: Store) -> None:
        """`scan(after=n)` returns the records with seq > n in seq order."""
        self._three_events(store)
        with store.unit_of_work(write=False) as uow:
            assert [e.kind for e in uow.scan(p.EVENTS, after=1)] == ["b", "c"]

    def test_scan_limit(self, store: Store) -> None:
        """`scan(limit=n)` returns at most n records, the earliest first."""
        self._three_events(store)
        with store.unit_of_work(write=False) as uow:
            assert [e.kind for e in uow.scan(p.EVENTS, limit=2)] == ["a", "b"]
            assert uow.scan(p.EVENTS, after=3, limit=2) == []

    def test_scan_where(self, store: Store) -> None:
        """`scan` with an index filter returns only the matching records, in seq order."""
        with store.unit_of_work() as uow:
            for wallet, amount in (("w1", 5), ("w2", 6), ("w1", 7)):
                entry = model.LedgerEntry(0, wallet, "gold", amount, amount, "deposit", "ref", 1)
                uow.append(p.LEDGER, _with_seq(entry))
            uow.commit()
        with store.unit_of_work(write=False) as uow:
            found = uow.scan(p.LEDGER, after=1, wallet="w1", currency="gold")
        assert [(e.seq, e.amount) for e in found] == [(3, 7)]

    # -- transactions --------------------------------------------------------------------------

    def test_commit_is_visible_to_a_new_unit_of_work(self, store: Store) -> None:
        """What a unit of work commits, the next unit of work reads."""
        self._commit(store, p.MEKS, _mek(1))
        with store.unit_of_work() as uow:
            assert uow.get(p.MEKS, ("mek-001",)) == _mek(1)

    def test_leaving_without_commit_rolls_back_puts(self, store: Store) -> None:
        """Puts of a unit of work left without commit are gone."""
        self._commit(store, p.MEKS, _mek(1))
        with store.unit_of_work() as uow:
            uow.put(p.MEKS, _mek(1, wallet="wallet-b"))
            uow.put(p.MEKS, _mek(2))
        with store.unit_of_work(write=False) as uow:
            assert uow.find(p.MEKS) == [_mek(1)]

    def test_leaving_without_commit_rolls_back_deletes(self, store: Store) -> None:
        """Deletes of a unit of work left without commit are undone."""
        self._commit(store, p.MEKS, _mek(1))
        with store.unit_of_work() as uow:
            uow.delete(p.MEKS, ("mek-001",))
        assert self._read(store, p.MEKS, ("mek-001",)) == _mek(1)

    def test_leaving_without_commit_rolls_back_appends(self, store: Store) -> None:
        """Appends of a unit of work left without commit are gone."""
        self._three_events(store)
        with store.unit_of_work() as uow:
            uow.append(p.EVENTS, _event("d"))
        with store.unit_of_work(write=False) as uow:
            assert [e.seq for e in uow.scan(p.EVENTS)] == [1, 2, 3]

    def test_append_after_rollback_reuses_no_committed_seq(self, store: Store) -> None:
        """After a rolled-back append, the next append follows the last committed record."""
        self._three_events(store)
        with store.unit_of_work() as uow:
            uow.append(p.EVENTS, _event("lost"))
            uow.append(p.EVENTS, _event("lost"))
        with store.unit_of_work() as uow:
            record = uow.append(p.EVENTS, _event("d"))
            uow.commit()
        assert record.seq == 4
        with store.unit_of_work(write=False) as uow:
            assert [e.kind for e in uow.scan(p.EVENTS)] == ["a", "b", "c", "d"]

    def test_explicit_rollback_discards_changes(self, store: Store) -> None:
        """`rollback()` discards the unit of work's changes."""
        with store.unit_of_work() as uow:
            uow.put(p.MEKS, _mek(1))
            uow.rollback()
        assert self._read(store, p.MEKS, ("mek-001",)) is None

    def test_exception_in_block_rolls_back(self, store: Store) -> None:
        """An exception inside the `with` block rolls back and propagates."""
        with pytest.raises(KeyError), store.unit_of_work() as uow:
            uow.put(p.MEKS, _mek(1))
            uow.append(p.EVENTS, _event("a"))
            raise KeyError("boom")
        with store.unit_of_work(write=False) as uow:
            assert uow.get(p.MEKS, ("mek-001",)) is None
            assert uow.scan(p.EVENTS) == []

    def test_read_unit_of_work_sees_committed_data(self, store: Store) -> None:
        """A `write=False` unit of work reads what was committed."""
        self._commit(store, p.MEKS, _mek(1))
        with store.unit_of_work(write=False) as uow:
            assert uow.find(p.MEKS, wallet="wallet-a") == [_mek(1)]

    def test_store_is_usable_after_many_units_of_work(self, store: Store) -> None:
        """Units of work release what they hold: many in a row neither block nor leak."""
        for n in range(50):
            with store.unit_of_work(write=n % 2 == 0) as uow:
                uow.get(p.MEKS, ("mek-001",))
                if n % 3 == 0:
                    uow.commit()
        self._commit(store, p.MEKS, _mek(1))
        assert self._read(store, p.MEKS, ("mek-001",)) == _mek(1)

    def test_second_store_object_sees_committed_data(self, store: Store, tmp_path: Path) -> None:
        """Another store object on the same data (`reopen`) reads what this one committed."""
        self._commit(store, p.MEKS, _mek(1))
        with store.unit_of_work() as uow:
            uow.append(p.EVENTS, _event("a"))
            uow.commit()
        other = self.reopen(store, tmp_path)
        if other is None:
            pytest.skip("this adapter has no second store object on the same data")
        try:
            with other.unit_of_work() as uow:
                assert uow.get(p.MEKS, ("mek-001",)) == _mek(1)
                assert uow.append(p.EVENTS, _event("b")).seq == 2
        finally:
            other.close()
