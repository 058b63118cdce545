"""The event outbox (decision 18): in order, paged from a cursor, acknowledged per consumer."""

import pytest

from jobslot_core.errors import InvalidArgument


def test_events_follow_the_commands_in_order(started):
    """A short session's events come out in command order with increasing seq."""
    started.clock.advance(seconds=200)
    started.resolve()
    kinds = [e.kind for e in started.game.events()]
    assert kinds[:7] == [
        "SecretCommitted",  # the service registered its secret's commitment before any offer
        "CatalogPublished",
        "MekRegistered",
        "CurrencyGranted",
        "SlotUnlocked",
        "CurrencySpent",
        "JobPurchased",
    ]
    assert kinds[7:] == ["MekAssigned", "PitStopOpened", "BuffSelected"]
    seqs = [e.seq for e in started.game.events()]
    assert seqs == list(range(1, len(seqs) + 1))


def test_event_data_names_what_changed(started):
    """The currency event of a purchase carries the amount, balance and ledger line."""
    spent = next(e for e in started.game.events() if e.kind == "CurrencySpent")
    assert (spent.wallet, spent.at_ms) == ("w1", 1_000_000)
    assert dict(spent.data) == {
        "currency": "gold",
        "amount": -100,
        "balance": 99_900,
        "reason": "purchase janitor",
        "ledger_seq": 2,
    }


def test_events_page_from_a_cursor(started):
    """events(after, limit) returns the next page after a seq."""
    page = started.game.events(after=2, limit=3)
    assert [e.seq for e in page] == [3, 4, 5]


def test_ack_moves_the_cursor(started):
    """ack(seq) stores the consumer's cursor; cursor() reads it back."""
    assert started.game.cursor() == 0
    assert started.game.ack(4) == 4
    assert started.game.cursor() == 4
    assert [e.seq for e in started.game.events(after=started.game.cursor())][:1] == [5]


def test_ack_never_moves_backwards(started):
    """Acknowledging an older seq keeps the cursor where it was."""
    started.game.ack(4)
    assert started.game.ack(2) == 4


def test_consumers_have_their_own_cursors(started):
    """Two consumers acknowledge independently."""
    started.game.ack(3, consumer="mirror")
    started.game.ack(5, consumer="push")
    assert (started.game.cursor("mirror"), started.game.cursor("push")) == (3, 5)


def test_ack_of_an_unknown_seq_is_refused(started):
    """A seq beyond the outbox raises InvalidArgument and leaves the cursor unchanged."""
    started.refused(InvalidArgument, "seq", 999, started.game.ack, 999)


@pytest.mark.parametrize("after", [-1, True])
def test_events_after_must_be_a_natural_number(started, after):
    """A negative or bool cursor is refused."""
    started.refused(InvalidArgument, "after", after, started.game.events, after)
