"""The runner: lock scopes named before reads, whole-command retries on conflicts (never on
refusals), unknown commit outcomes settled exactly once, logs appended in one order, and
idempotency keys scoped per wallet."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from jobslot_core import JobSlots, ManualClock
from jobslot_core.errors import (
    CommitOutcomeUnknown,
    ConcurrencyConflict,
    IdempotencyConflict,
    InsufficientFunds,
)
from jobslot_core.service import RetryPolicy
from jobslot_core.storage import MemoryStore
from jobslot_core.storage.protocol import (
    EVENTS,
    IDEMPOTENCY,
    LEDGER,
    Capabilities,
    DuplicateKey,
    Table,
)

SECRET = b"scenario secret 0123"  # as in conftest.py
FAST = RetryPolicy(attempts=5, first_delay_s=0, max_delay_s=0)


class Faulty:
    """A MemoryStore whose units of work fail on cue, and that records what they were asked."""

    def __init__(self, *, unknown_commits: bool = False) -> None:
        self.inner = MemoryStore()
        self.capabilities = Capabilities(commit_outcome_can_be_unknown=unknown_commits)
        self.faults: list[str] = []  # consumed one per write unit of work that commits
        self.writes = 0
        self.locks: list[list[str]] = []
        self.appends: list[str] = []
        self.on_fault: Callable[[], None] = lambda: None

    def unit_of_work(self, *, write: bool = True) -> Any:
        return _FaultyUow(self, self.inner.unit_of_work(write=write), write)

    def close(self) -> None:
        self.inner.close()


class _FaultyUow:
    def __init__(self, store: Faulty, inner: Any, write: bool) -> None:
        self.store, self.inner = store, inner
        if write:
            store.writes += 1

    def lock(self, scopes: Iterable[str]) -> None:
        self.store.locks.append(list(scopes))
        self.inner.lock(scopes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def insert(self, table: Table[Any], record: Any) -> None:
        self.inner.insert(table, record)

    def add(self, table: Table[Any], record: Any) -> None:
        try:
            self.insert(table, record)
        except DuplicateKey as e:
            raise ConcurrencyConflict("insert", str(e), "the key is taken") from e

    def append(self, table: Table[Any], build: Callable[[int], Any]) -> Any:
        self.store.appends.append(table.name)
        return self.inner.append(table, build)

    def append_at_commit(self, table: Table[Any], build: Callable[[int], Any]) -> None:
        self.store.appends.append(table.name)
        self.inner.append_at_commit(table, build)

    def commit(self) -> None:
        fault = self.store.faults.pop(0) if self.store.faults else None
        if fault is not None:
            self.store.on_fault()
        if fault == "conflict":
            raise ConcurrencyConflict("store", "test", "serialization failure")
        if fault == "lost-before":  # the connection dropped before the server committed
            self.inner.rollback()
            raise CommitOutcomeUnknown("commit", "test", "connection lost")
        self.inner.commit()
        if fault == "lost-after":  # ... after it committed
            raise CommitOutcomeUnknown("commit", "test", "connection lost")

    def __enter__(self) -> _FaultyUow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)


def _game(store: Faulty, catalog: Any, clock: ManualClock | None = None) -> JobSlots:
    game = JobSlots(
        store, catalog, secret=SECRET, secret_id="s1", clock=clock or ManualClock(0), retry=FAST
    )
    store.locks.clear()
    store.appends.clear()
    store.writes = 0
    return game


def _ledger_and_balance(game: JobSlots, wallet: str = "w1") -> tuple[int, int]:
    return len(game.ledger(wallet)), game.balance(wallet, "gold")


def test_a_conflict_reruns_the_whole_command(catalog: Any) -> None:
    """Two conflicts, then success: the deposit is applied once, in the third attempt."""
    store = Faulty()
    game = _game(store, catalog)
    store.faults = ["conflict", "conflict"]
    entry = game.deposit("w1", "gold", 100)
    assert store.writes == 3
    assert (entry.seq, entry.balance_after) == (1, 100)
    assert _ledger_and_balance(game) == (1, 100)


def test_a_rerun_reads_the_clock_again(catalog: Any) -> None:
    """The attempt that commits stamps its own time, not the first attempt's."""
    store, clock = Faulty(), ManualClock(1_000)
    game = _game(store, catalog, clock)
    store.faults = ["conflict"]
    store.on_fault = lambda: clock.advance(ms=5)
    entry = game.deposit("w1", "gold", 100)
    assert entry.at_ms == 1_005
    assert game.events()[-1].at_ms == 1_005


def test_a_refusal_is_never_retried(catalog: Any) -> None:
    """InsufficientFunds is raised from the first attempt; nothing reruns."""
    store = Faulty()
    game = _game(store, catalog)
    with pytest.raises(InsufficientFunds):
        game.withdraw("w1", "gold", 5)
    assert store.writes == 1


def test_retries_are_bounded(catalog: Any) -> None:
    """Conflicts on every attempt: ConcurrencyConflict after `attempts` tries, nothing stored."""
    store = Faulty()
    game = _game(store, catalog)
    store.faults = ["conflict"] * FAST.attempts
    with pytest.raises(ConcurrencyConflict):
        game.deposit("w1", "gold", 100)
    assert store.writes == FAST.attempts
    assert _ledger_and_balance(game) == (0, 0)


def test_an_insert_race_is_a_conflict_not_a_duplicate_key(catalog: Any) -> None:
    """A DuplicateKey escaping a command body (another process inserted the same key first) is
    retried; the rerun sees the winner's record and refuses or returns like any command."""
    store = Faulty()
    game = _game(store, catalog)
    real_insert = _FaultyUow.insert
    raced = []

    def racing_insert(self: _FaultyUow, table: Table[Any], record: Any) -> None:
        if table.name == "meks" and not raced:
            raced.append(record)
            raise DuplicateKey("meks('m1',)")
        real_insert(self, table, record)

    _FaultyUow.insert = racing_insert  # type: ignore[method-assign]
    try:
        mek = game.register_mek("w1", "m1")
    finally:
        _FaultyUow.insert = real_insert  # type: ignore[method-assign]
    assert raced and store.writes == 2
    assert game.mek_owners("m1")[0].wallet == mek.wallet == "w1"


@pytest.mark.parametrize("fault", ["lost-after", "lost-before"])
@pytest.mark.parametrize("key", [None, "dep-1"])
def test_an_unknown_commit_outcome_counts_exactly_once(
    catalog: Any, fault: str, key: str | None
) -> None:
    """Whether the lost COMMIT happened or not, the deposit is stored once and its result is
    returned, with or without the caller's idempotency key."""
    store = Faulty(unknown_commits=True)
    game = _game(store, catalog)
    store.faults = [fault]
    entry = game.deposit("w1", "gold", 100, idempotency_key=key)
    assert store.writes == 2
    assert (entry.seq, entry.balance_after) == (1, 100)
    assert _ledger_and_balance(game) == (1, 100)
    assert game.ledger("w1") == (entry,)


def test_without_unknown_commits_no_record_is_written_for_keyless_commands(catalog: Any) -> None:
    """Stores that always know their commit outcome get no idempotency record per command."""
    store = Faulty()
    game = _game(store, catalog)
    game.deposit("w1", "gold", 100)
    with store.inner.unit_of_work(write=False) as uow:
        assert uow.find(IDEMPOTENCY) == []


def test_commands_lock_their_scopes(catalog: Any) -> None:
    """Each command locks its wallet, and the Meks and other wallets its invariants need."""
    store = Faulty()
    game = _game(store, catalog)
    game.register_mek("w1", "m1")
    game.deposit("w1", "gold", 100_000)
    game.unlock_slot("w1", 1)
    game.purchase_job("w1", 1, "janitor")
    game.assign_mek("w1", 1, "m1")
    game.unslot_mek("w1", 1)
    game.transfer_mek("m1", "w2")
    assert store.locks == [
        ["mek:m1", "wallet:w1"],
        ["wallet:w1"],
        ["wallet:w1"],
        ["wallet:w1"],
        ["mek:m1", "wallet:w1"],
        ["mek:m1", "wallet:w1"],
        ["mek:m1", "wallet:w1", "wallet:w2"],
    ]


def test_logs_are_appended_in_one_order_at_the_end(catalog: Any) -> None:
    """Ownership lines, then ledger lines, then events, whatever order the command made them."""
    store = Faulty()
    game = _game(store, catalog)
    game.register_mek("w1", "m1")
    assert store.appends == ["ownerships", EVENTS.name]
    store.appends.clear()
    game.deposit("w1", "gold", 100)
    assert store.appends == [LEDGER.name, EVENTS.name]
    event = game.events()[-1]
    assert event.kind == "CurrencyGranted"
    assert event.data["ledger_seq"] == game.ledger("w1")[-1].seq


def test_idempotency_keys_belong_to_a_wallet(catalog: Any) -> None:
    """Wallets A and B may both use key "k", even for other arguments; each applies once."""
    store = Faulty()
    game = _game(store, catalog)
    a = game.deposit("wA", "gold", 100, idempotency_key="k")
    b = game.deposit("wB", "gold", 7, idempotency_key="k")
    assert game.deposit("wA", "gold", 100, idempotency_key="k") == a
    assert game.deposit("wB", "gold", 7, idempotency_key="k") == b
    assert (game.balance("wA", "gold"), game.balance("wB", "gold")) == (100, 7)
    with pytest.raises(IdempotencyConflict):
        game.deposit("wA", "gold", 7, idempotency_key="k")
