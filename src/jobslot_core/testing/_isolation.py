"""The isolation behaviours of `StorageContract`: what concurrent units of work may rely on,
shown with real threads (and processes, where the store can be shared by processes).

Every behaviour uses its own scopes and records, so each test also runs on a store shared with
other tests. A store that takes no lock fails `test_concurrent_read_modify_write_loses_nothing`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from .. import model
from ..errors import ConcurrencyConflict, JobSlotError, StorageError
from ..storage import protocol as p
from ..storage.protocol import DuplicateKey, Store

__all__ = ["IsolationBehaviours", "retrying"]

T = TypeVar("T")

THREADS = 6
"""Writers racing in the threaded behaviours."""

ROUNDS = 20
"""Units of work each racing writer commits."""

WAIT_S = 0.3
"""How long a behaviour waits to see that a blocked writer stays blocked."""

DEADLINE_S = 60.0
"""Longest a behaviour waits for a thread that should finish (a hang fails, never blocks CI)."""

_SCOPE = p.wallet_scope("wallet-race")


def retrying(work: Callable[[], T], attempts: int = 200) -> T:
    """Run `work` again on `ConcurrencyConflict`, as the service's runner does."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except ConcurrencyConflict:
            if attempt == attempts:
                raise
            time.sleep(0.0005 * min(attempt, 20))
    raise AssertionError("unreachable")


def _balance(store: Store, currency: str) -> int:
    with store.unit_of_work(write=False) as uow:
        found = uow.get(p.BALANCES, ("wallet-race", currency))
        return found.amount if found else 0


def _increment(store: Store, currency: str) -> None:
    """One read-modify-write of a balance under the wallet's scope, with a pause between the
    read and the write so that writers that do not exclude each other interleave."""

    def once() -> None:
        with store.unit_of_work() as uow:
            uow.lock([_SCOPE])
            found = uow.get(p.BALANCES, ("wallet-race", currency))
            time.sleep(0.0005)
            amount = (found.amount if found else 0) + 1
            uow.put(p.BALANCES, model.Balance("wallet-race", currency, amount))
            uow.commit()

    retrying(once)


def increment_in_process(opener: Callable[[], Store], currency: str, rounds: int) -> None:
    """A child process's share of the read-modify-write race (module level: picklable)."""
    store = opener()
    try:
        for _ in range(rounds):
            _increment(store, currency)
    finally:
        store.close()


def _run_threads(targets: list[Callable[[], None]]) -> None:
    """Run each target in its own thread; re-raise the first failure; fail on a hang."""
    errors: list[BaseException] = []

    def guard(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as e:
                errors.append(e)

        return run

    threads = [threading.Thread(target=guard(t), daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE_S)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    if errors:
        raise errors[0]


class IsolationBehaviours:
    """Concurrency behaviours every adapter must show (mixed into `StorageContract`)."""

    def opener(self, store: Store, tmp_path: Path) -> Callable[[], Store] | None:
        """A picklable callable that opens a store on the same data in another process (for
        stores whose capabilities say `shared_by_processes`), or None."""
        return None

    def break_store(self, store: Store) -> contextlib.AbstractContextManager[None] | None:
        """A context in which the backing store fails (its driver raises), or None when the
        store has no driver to fail. The contract checks the failure arrives as StorageError."""
        return None

    # -- writers -----------------------------------------------------------------------------

    def test_concurrent_read_modify_write_loses_nothing(self, store: Store) -> None:
        """Threads incrementing one balance under one scope: every increment is kept."""
        def writer() -> None:
            for _ in range(ROUNDS):
                _increment(store, "gold")

        _run_threads([writer] * THREADS)
        assert _balance(store, "gold") == THREADS * ROUNDS

    def test_processes_read_modify_write_loses_nothing(
        self, store: Store, tmp_path: Path
    ) -> None:
        """Processes, each with its own store object, incrementing one balance: nothing lost."""
        opener = self.opener(store, tmp_path)
        if opener is None or not store.capabilities.shared_by_processes:
            pytest.skip("this store is not shared by processes")
        context = multiprocessing.get_context("spawn")
        children = [
            context.Process(target=increment_in_process, args=(opener, "essence", ROUNDS))
            for _ in range(4)
        ]
        for child in children:
            child.start()
        for child in children:
            child.join(DEADLINE_S * 2)
        assert [c.exitcode for c in children] == [0] * len(children)
        assert _balance(store, "essence") == 4 * ROUNDS

    def test_concurrent_insert_of_one_absent_key_has_one_winner(self, store: Store) -> None:
        """Threads inserting the same new key at once: one commits, every other gets
        DuplicateKey or ConcurrencyConflict, and the stored record is the winner's."""
        barrier = threading.Barrier(THREADS)
        winners: list[int] = []
        losers: list[type[BaseException]] = []

        def insert(n: int) -> Callable[[], None]:
            def run() -> None:
                barrier.wait(DEADLINE_S)
                try:
                    with store.unit_of_work() as uow:
                        uow.insert(p.MEKS, model.Mek("mek-race", f"wallet-{n}", n))
                        uow.commit()
                    winners.append(n)
                except (DuplicateKey, ConcurrencyConflict) as e:
                    losers.append(type(e))

            return run

        _run_threads([insert(n) for n in range(THREADS)])
        assert len(winners) == 1 and len(losers) == THREADS - 1
        with store.unit_of_work(write=False) as uow:
            assert uow.get(p.MEKS, ("mek-race",)) == model.Mek(
                "mek-race", f"wallet-{winners[0]}", winners[0]
            )

    def test_writers_in_one_scope_exclude_each_other(self, store: Store) -> None:
        """While one unit of work holds a scope, another writer locking it does not get in (or
        gets ConcurrencyConflict); once the first commits, the second reads its write."""
        held, second_in = threading.Event(), threading.Event()
        seen: list[int] = []

        def second() -> None:
            held.wait(DEADLINE_S)

            def once() -> None:
                with store.unit_of_work() as uow:
                    uow.lock([_SCOPE])
                    second_in.set()
                    found = uow.get(p.BALANCES, ("wallet-race", "tokens"))
                    seen.append(found.amount if found else 0)
                    uow.commit()

            retrying(once)

        thread = threading.Thread(target=second, daemon=True)
        thread.start()
        with store.unit_of_work() as uow:
            uow.lock([_SCOPE])
            uow.put(p.BALANCES, model.Balance("wallet-race", "tokens", 7))
            held.set()
            assert not second_in.wait(WAIT_S), "a second writer got into a held scope"
            uow.commit()
        thread.join(DEADLINE_S)
        assert not thread.is_alive()
        assert seen[-1] == 7

    def test_writers_in_different_scopes_do_not_block_each_other(self, store: Store) -> None:
        """With `capabilities.parallel_scopes`, a writer commits in its own scope (appending to
        a log too) while another unit of work holds a different scope open."""
        if not store.capabilities.parallel_scopes:
            pytest.skip("this store runs one writer at a time (parallel_scopes is False)")
        done = threading.Event()

        def other() -> None:
            with store.unit_of_work() as uow:
                uow.lock([p.wallet_scope("wallet-other")])
                uow.put(p.BALANCES, model.Balance("wallet-other", "gold", 1))
                uow.append(p.EVENTS, _event("Other"))
                uow.commit()
            done.set()

        with store.unit_of_work() as uow:
            uow.lock([_SCOPE])
            uow.put(p.BALANCES, model.Balance("wallet-race", "gold", 1))
            thread = threading.Thread(target=other, daemon=True)
            thread.start()
            assert done.wait(DEADLINE_S / 4), "a writer in another scope waited"
            uow.append(p.EVENTS, _event("Held"))
            uow.commit()
        thread.join(DEADLINE_S)
        with store.unit_of_work(write=False) as uow:
            assert [e.kind for e in uow.scan(p.EVENTS)] == ["Other", "Held"]

    # -- readers -----------------------------------------------------------------------------

    def test_a_tailing_reader_sees_appends_in_seq_order_with_nothing_skipped(
        self, store: Store
    ) -> None:
        """Writers append events while a reader tails the log: every batch the reader sees
        starts right after the last seq it saw, so it never skips one that commits later."""
        stop = threading.Event()
        seen: list[int] = []

        def write(n: int) -> Callable[[], None]:
            def run() -> None:
                for r in range(ROUNDS):

                    def once(r: int = r) -> None:
                        with store.unit_of_work() as uow:
                            uow.lock([p.wallet_scope(f"wallet-{n}")])
                            for i in range(1 + r % 3):
                                # Both ways of appending, mixed: the store may number records
                                # of `append_at_commit` while committing.
                                add = uow.append if (n + r + i) % 2 else uow.append_at_commit
                                add(p.EVENTS, _tail_event(f"wallet-{n}"))
                            uow.commit()

                    retrying(once)

            return run

        def tail() -> None:
            while True:
                finished = stop.is_set()
                with store.unit_of_work(write=False) as uow:
                    batch = [e.seq for e in uow.scan(p.EVENTS, after=seen[-1] if seen else 0)]
                expected = list(range(len(seen) + 1, len(seen) + 1 + len(batch)))
                assert batch == expected, f"after seq {len(seen)} the reader saw {batch[:5]}"
                seen.extend(batch)
                if finished:
                    return
                time.sleep(0.001)

        errors: list[BaseException] = []

        def guarded() -> None:
            try:
                tail()
            except BaseException as e:
                errors.append(e)

        reader = threading.Thread(target=guarded, daemon=True)
        reader.start()
        try:
            _run_threads([write(n) for n in range(THREADS)])
        finally:
            stop.set()
            reader.join(DEADLINE_S)
        if errors:
            raise errors[0]
        total = THREADS * sum(1 + r % 3 for r in range(ROUNDS))
        assert seen == list(range(1, total + 1))

    def test_a_read_unit_of_work_sees_one_snapshot(self, store: Store) -> None:
        """A reader that read one record before a writer committed two sees the other one as
        it was too (never half of another unit of work)."""
        first = model.Balance("wallet-race", "gold", 1)
        second = model.Balance("wallet-race", "essence", 1)
        with store.unit_of_work() as uow:
            uow.put(p.BALANCES, first)
            uow.put(p.BALANCES, second)
            uow.commit()
        writer_done = threading.Event()

        def write() -> None:
            def once() -> None:
                with store.unit_of_work() as uow:
                    uow.lock([_SCOPE])
                    uow.put(p.BALANCES, model.Balance("wallet-race", "gold", 2))
                    uow.put(p.BALANCES, model.Balance("wallet-race", "essence", 2))
                    uow.commit()

            retrying(once)
            writer_done.set()

        thread = threading.Thread(target=write, daemon=True)
        with store.unit_of_work(write=False) as uow:
            a = uow.get(p.BALANCES, ("wallet-race", "gold"))
            thread.start()
            writer_done.wait(WAIT_S)  # committed meanwhile, or waiting for this reader
            b = uow.get(p.BALANCES, ("wallet-race", "essence"))
        thread.join(DEADLINE_S)
        assert not thread.is_alive()
        assert (a, b) == (first, second)

    # -- failures ----------------------------------------------------------------------------

    def test_driver_errors_arrive_as_storage_errors(self, store: Store) -> None:
        """When the backing store fails (`break_store`), the unit of work raises StorageError,
        a JobSlotError, never the driver's own exception; afterwards the store works again."""
        broken = self.break_store(store)
        if broken is None:
            pytest.skip("this store has no driver that can fail (break_store is not provided)")
        with broken, pytest.raises(StorageError) as caught, store.unit_of_work() as uow:
            uow.put(p.MEKS, model.Mek("mek-broken", "wallet-a", 0))
            uow.get(p.MEKS, ("mek-broken",))
            uow.commit()
        assert isinstance(caught.value, JobSlotError)
        with store.unit_of_work(write=False) as uow:
            assert uow.get(p.MEKS, ("mek-broken",)) is None


def _tail_event(wallet: str) -> Any:
    """An event whose seq is only its `seq` (as the service's are: a store may number it while
    committing)."""
    return lambda seq: model.Event(seq, "Tail", wallet, 1_000, {"wallet": wallet})


def _event(kind: str, wallet: str | None = "wallet-a") -> Any:
    return lambda seq: model.Event(seq, kind, wallet, 1_000 + seq, {"n": seq})

