"""What PostgresStore sends per command: round trips and statements of the pit-stop commands,
and the commit's one statement for the queued writes, the tails and the events numbered there."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pg_support
from jobslot_core import JobSlots, ManualClock, load_catalog, model
from jobslot_core.storage import protocol as p
from jobslot_core.storage._pgwire import Wire
from jobslot_core.storage.postgres import PostgresStore

CATALOG = Path(__file__).resolve().parents[2] / "examples" / "catalog.toml"


class Sent:
    """Statements as the store sent them, and round trips (one pipeline each)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.trips = 0

    def clear(self) -> None:
        self.statements.clear()
        self.trips = 0


@contextlib.contextmanager
def sending() -> Iterator[Sent]:
    sent = Sent()
    round_trip = Wire.round_trip

    def counted(self: Wire, statements: Any, keep: int) -> Any:
        sent.statements.extend(sql for sql, _ in statements)
        sent.trips += 1
        return round_trip(self, statements, keep)

    Wire.round_trip = counted  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        Wire.round_trip = round_trip  # type: ignore[method-assign]


@pytest.fixture
def store(schemas: pg_support.Schemas) -> Iterator[PostgresStore]:
    s = PostgresStore(pg_support.dsn(), schema=schemas.new("trips"), max_size=2)
    yield s
    s.close()


def test_pit_stop_commands_take_two_round_trips_and_a_currency_buff_three(
    store: PostgresStore,
) -> None:
    """open_pit_stop, select_buff and prestige: 2 round trips each (the lock with the first
    reads, then the writes with COMMIT); a one-time buff crediting a currency: 3 (its balance
    travels with the lock; its ledger line locks the log tails). A Mek's first open_pit_stop
    takes 3: its offers are found once its progression is read. Every commit sends the
    command's writes as one statement (and the events numbered after the outbox tail in it,
    or, behind a ledger line, in one more), then COMMIT."""
    catalog = load_catalog(CATALOG)
    clock = ManualClock(start_ms=0)
    game = JobSlots(store, catalog, secret=b"round trip secret 2026", secret_id="s1", clock=clock)
    job = catalog.job_types["janitor"]
    meks = [(f"wallet-{n}", f"mek-{n}") for n in range(8)]
    for wallet, mek in meks:
        game.deposit(wallet, "gold", 10_000, idempotency_key=f"dep-{wallet}")
        game.register_mek(wallet, mek)
        game.unlock_slot(wallet, 1)
        game.purchase_job(wallet, 1, "janitor")
        game.assign_mek(wallet, 1, mek)
    start = clock.now_ms()
    trips: dict[str, set[int]] = {k: set() for k in ("first", "open", "permanent", "currency")}
    with sending() as sent:
        for number in range(1, job.pit_stop_count + 1):
            clock.set(start + job.pit_stop_tenure(number) * 1000)
            for n, (wallet, mek) in enumerate(meks):
                sent.clear()
                offer = game.open_pit_stop(wallet, mek, "janitor")
                trips["first" if number == 1 else "open"].add(sent.trips)
                assert _commit_statements(sent.statements)[0].startswith("WITH ")
                kinds = ["currency" if c.currency else "permanent" for c in offer.choices]
                want = "currency" if (n + number) % 2 else "permanent"
                index = kinds.index(want) if want in kinds else 0
                sent.clear()
                game.select_buff(wallet, offer.offer_id, index)
                trips[kinds[index]].add(sent.trips)
                # The ledger line's tail is set with the writes; the events get the outbox
                # tail in a statement of their own (the outbox tail is locked at commit only).
                statements = 3 if kinds[index] == "currency" else 2
                assert len(_commit_statements(sent.statements)) == statements, sent.statements
        prestiged: set[int] = set()
        for wallet, mek in meks:
            sent.clear()
            game.prestige(wallet, mek, "janitor")
            prestiged.add(sent.trips)
    assert trips == {"first": {3}, "open": {2}, "permanent": {2}, "currency": {3}}
    assert prestiged == {2}


def test_what_another_server_did_costs_one_round_trip_more(store: PostgresStore) -> None:
    """A JobSlots whose guess of the Mek's next pit stop is stale (another one moved the Mek
    on), or that never saw the offer it is asked to select: 3 round trips, one more than with
    what it remembers, and the same answers."""
    catalog = load_catalog(CATALOG)
    clock = ManualClock(start_ms=0)
    secret = b"round trip secret 2026"
    game = JobSlots(store, catalog, secret=secret, secret_id="s1", clock=clock)
    other = JobSlots(store, catalog, secret=secret, secret_id="s1", clock=clock)
    game.deposit("w", "gold", 10_000)
    game.register_mek("w", "m")
    game.unlock_slot("w", 1)
    game.purchase_job("w", 1, "janitor")
    game.assign_mek("w", 1, "m")
    clock.advance(seconds=5000)  # every pit stop due

    def permanent(offer: model.Offer) -> int:
        return next(i for i, c in enumerate(offer.choices) if c.permanent)

    with sending() as sent:
        first = game.open_pit_stop("w", "m", "janitor")
        game.select_buff("w", first.offer_id, permanent(first))  # expects pit stop 2 next
        second = other.open_pit_stop("w", "m", "janitor")
        other.select_buff("w", second.offer_id, permanent(second))
        sent.clear()
        third = game.open_pit_stop("w", "m", "janitor")  # expected 2: stale
        assert (third.pit_stop_number, sent.trips) == (3, 3)
        sent.clear()
        other.select_buff("w", third.offer_id, permanent(third))  # never saw it
        assert sent.trips == 3
        sent.clear()
        game.prestige("w", "m", "janitor")  # expected run 0: right
        assert sent.trips == 2


def _commit_statements(statements: list[str]) -> list[str]:
    """The statements of the last pipeline: from the last write, through COMMIT."""
    end = len(statements) - 1
    assert statements[end] == "COMMIT", statements
    start = end
    while start > 0 and statements[start - 1].startswith(("WITH", "INSERT", "UPDATE", "DELETE")):
        start -= 1
    return statements[start:]


def test_a_commit_sends_the_writes_the_tail_and_the_events_as_one_statement(
    store: PostgresStore,
) -> None:
    """Puts and `append_at_commit` events of one unit of work: one statement, then
    COMMIT; the events are numbered gaplessly after what the log held, and stored with the
    doc text `append` writes."""
    with store.unit_of_work() as uow:
        uow.lock([p.wallet_scope("w")])
        uow.append(p.EVENTS, lambda seq: model.Event(seq, "First", "w", 1, {"n": 1}))
        uow.commit()
    with sending() as sent, store.unit_of_work() as uow:
        uow.lock([p.wallet_scope("w")])
        sent.clear()
        uow.put(p.MEKS, model.Mek("m1", "w", 1))
        uow.put(p.MEKS, model.Mek("m2", "w", 2))
        for n in (2, 3):
            uow.append_at_commit(
                p.EVENTS, lambda seq, n=n: model.Event(seq, "Later", "w", n, {"n": n, "é": "x"})
            )
        uow.commit()
    assert sent.trips == 1
    assert len(sent.statements) == 2 and sent.statements[1] == "COMMIT", sent.statements
    assert sent.statements[0].startswith("WITH ")
    with store.unit_of_work() as uow:  # the same records through `append`, to compare texts
        uow.lock([p.wallet_scope("w")])
        for n in (2, 3):
            uow.append(
                p.EVENTS, lambda seq, n=n: model.Event(seq, "Later", "w", n, {"n": n, "é": "x"})
            )
        uow.commit()
    import psycopg

    with psycopg.connect(pg_support.dsn(), autocommit=True) as conn:
        rows = conn.execute(f'SELECT seq, doc FROM "{store.schema}".events ORDER BY seq').fetchall()
        tail = conn.execute(
            f"SELECT seq FROM \"{store.schema}\".tails WHERE log = 'events'"
        ).fetchone()
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5] and tail == (5,)
    docs = {seq: doc for seq, doc in rows}
    assert docs[2] == docs[4].replace('"seq":4', '"seq":2')
    assert docs[3] == docs[5].replace('"seq":5', '"seq":3')


def test_a_ledger_line_leaves_the_outbox_tail_to_the_commit(store: PostgresStore) -> None:
    """A unit of work that appended a ledger line (its seq is read at once: the log tails are
    locked) holds the outbox tail only while it commits: another unit of work commits events
    meanwhile, and the outbox stays gapless in commit order."""
    import threading

    with store.unit_of_work() as first:
        first.lock([p.wallet_scope("a")])
        line = first.append(
            p.LEDGER, lambda seq: model.LedgerEntry(seq, "a", "gold", 5, 5, "x", "", 1)
        )
        first.append_at_commit(
            p.EVENTS, lambda seq: model.Event(seq, "CurrencyGranted", "a", 1, {"ledger_seq": 1})
        )
        done = threading.Event()

        def other() -> None:
            with store.unit_of_work() as uow:
                uow.lock([p.wallet_scope("b")])
                uow.append_at_commit(p.EVENTS, lambda seq: model.Event(seq, "Other", "b", 2, {}))
                uow.commit()
            done.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert done.wait(10), "the events of another wallet waited for the ledger's unit of work"
        first.commit()
    thread.join(10)
    assert line.seq == 1
    with store.unit_of_work(write=False) as uow:
        assert [(e.seq, e.kind) for e in uow.scan(p.EVENTS)] == [
            (1, "Other"),
            (2, "CurrencyGranted"),
        ]
        assert [e.seq for e in uow.scan(p.LEDGER)] == [1]
