"""Several processes on one SQLite file: races resolve to one winner, nothing is lost."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_workers as workers

from jobslot_core.audit import audit
from jobslot_core.storage.protocol import BALANCES, EVENTS, LEDGER, PRESTIGES, SELECTIONS

CTX = multiprocessing.get_context("spawn")
RESULT_TIMEOUT_S = 120.0
JOIN_TIMEOUT_S = 30.0

pytestmark = pytest.mark.slow


def run_children(target: Callable[..., None], args: list[tuple[Any, ...]]) -> list[Any]:
    """Start one child per argument tuple (each gets the shared barrier and queue appended),
    collect one result from each, join every child with a timeout."""
    barrier = CTX.Barrier(len(args))
    results = CTX.Queue()
    children = [CTX.Process(target=target, args=(*a, barrier, results)) for a in args]
    for child in children:
        child.start()
    try:
        return [results.get(timeout=RESULT_TIMEOUT_S) for _ in children]
    finally:
        for child in children:
            child.join(JOIN_TIMEOUT_S)
            if child.is_alive():
                child.kill()
                child.join(JOIN_TIMEOUT_S)
        assert all(c.exitcode == 0 for c in children), [c.exitcode for c in children]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    """A SQLite file holding the machine catalog and Mek m1 working `quick` for wallet w1."""
    path = str(tmp_path / "shared.db")
    store, game, _ = workers.open_game(path)
    workers.start_mek(game, "w1", "m1")
    store.close()
    yield path


@pytest.fixture
def open_offer(db: str) -> tuple[str, str, int]:
    """The path, the id of m1's first open offer, and the time it was made."""
    store, game, clock = workers.open_game(db)
    clock.advance(seconds=40)
    offer = game.open_pit_stop("w1", "m1", "quick")
    store.close()
    return db, offer.offer_id, clock.now_ms()


PROCESSES = 4


def test_racing_selections_have_one_winner(open_offer: tuple[str, str, int]) -> None:
    """Processes selecting the same open offer at once: one succeeds, the rest get
    OfferAlreadyResolved."""
    path, offer_id, now = open_offer
    outcomes = run_children(workers.race_select, [(path, offer_id, now)] * PROCESSES)
    assert Counter(o[0] if o[0] == "ok" else o[1] for o in outcomes) == {
        "ok": 1,
        "OfferAlreadyResolved": PROCESSES - 1,
    }


def test_racing_selections_leave_one_selection(open_offer: tuple[str, str, int]) -> None:
    """After the selection race the file holds exactly one selection and every invariant holds."""
    path, offer_id, now = open_offer
    run_children(workers.race_select, [(path, offer_id, now)] * PROCESSES)
    store, _, _ = workers.open_game(path)
    with store.unit_of_work(write=False) as uow:
        selections = uow.find(SELECTIONS)
    assert [s.offer_id for s in selections] == [offer_id]
    assert audit(store) == ()
    store.close()


def test_racing_deposits_with_one_key_apply_once(db: str) -> None:
    """Processes depositing under one idempotency key raise the balance once and all return the
    same ledger entry."""
    outcomes = run_children(workers.race_deposit, [(db, "pay-1")] * PROCESSES)
    assert {o[0] for o in outcomes} == {"ok"}
    assert len({repr(o[1]) for o in outcomes}) == 1
    store, game, _ = workers.open_game(db)
    assert game.balance("w1", "gold") == 1000 + 100
    assert audit(store) == ()
    store.close()


WORKERS = 4
STEPS = 30


def test_processes_depositing_to_one_balance_lose_no_deposit(db: str) -> None:
    """Processes taking turns on one balance row: each deposit reads the amount the others
    committed (a connection's remembered records are dropped when another one commits)."""
    outcomes = run_children(workers.deposit_many, [(db, 20)] * PROCESSES)
    assert outcomes == [("ok", 20)] * PROCESSES
    store, game, _ = workers.open_game(db)
    assert game.balance("w1", "gold") == 1000 + PROCESSES * 20
    assert audit(store) == ()
    store.close()


def test_concurrent_pit_stop_cycles_lose_nothing(db: str) -> None:
    """Processes playing pit-stop cycles on their own Meks in one file: every selection and
    prestige they report is stored, the ledger adds up, every invariant holds."""
    reports = run_children(workers.play_cycles, [(db, w, STEPS) for w in range(WORKERS)])
    assert all(r[0] == "ok" and r[2] > 0 and r[3] > 0 for r in reports), reports
    store, _, _ = workers.open_game(db)
    with store.unit_of_work(write=False) as uow:
        selections = uow.find(SELECTIONS)
        prestiges = uow.find(PRESTIGES)
        ledger = uow.scan(LEDGER)
        balances = {(b.wallet, b.currency): b.amount for b in uow.find(BALANCES)}
        kinds = Counter(e.kind for e in uow.scan(EVENTS))
    assert audit(store) == ()
    store.close()
    assert len(selections) == sum(r[2] for r in reports) == kinds["BuffSelected"]
    assert len(prestiges) == sum(r[3] for r in reports) == kinds["Prestiged"]
    assert sum(r[2] + r[3] for r in reports) == WORKERS * STEPS
    sums: Counter[tuple[str, str]] = Counter()
    for entry in ledger:
        sums[(entry.wallet, entry.currency)] += entry.amount
    assert dict(sums) == balances
