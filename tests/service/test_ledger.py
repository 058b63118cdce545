"""The currency ledger (decision 16): deposits, withdrawals, refusals, balance = journal sum."""

from jobslot_core.errors import InsufficientFunds, InvalidArgument


def test_deposit_credits_the_balance_with_a_journal_line(world):
    """A deposit raises the balance and appends a journal line with the new balance."""
    entry = world.game.deposit("w1", "gold", 700, idempotency_key="dep-1")
    assert (entry.amount, entry.balance_after, entry.reason, entry.reference) == (
        700,
        700,
        "deposit",
        "dep-1",
    )
    assert world.game.balance("w1", "gold") == 700


def test_withdraw_debits_the_balance(world):
    """A withdrawal lowers the balance and journals a negative amount."""
    world.game.deposit("w1", "gold", 700)
    entry = world.game.withdraw("w1", "gold", 300)
    assert (entry.amount, entry.balance_after) == (-300, 400)
    assert world.game.balance("w1", "gold") == 400


def test_withdraw_beyond_the_balance_is_refused(world):
    """Withdrawing more than the balance raises InsufficientFunds naming the balance."""
    world.game.deposit("w1", "gold", 700)
    world.refused(InsufficientFunds, "balance[gold]", 700, world.game.withdraw, "w1", "gold", 701)


def test_withdraw_from_an_empty_currency_is_refused(world):
    """A currency the wallet never had has balance 0 and refuses any withdrawal."""
    world.refused(InsufficientFunds, "balance[essence]", 0, world.game.withdraw, "w1", "essence", 1)


def test_deposit_of_zero_is_refused(world):
    """Amounts must be positive integers."""
    world.refused(InvalidArgument, "amount", 0, world.game.deposit, "w1", "gold", 0)


def test_deposit_of_a_bool_is_refused(world):
    """A bool is not an amount."""
    world.refused(InvalidArgument, "amount", True, world.game.deposit, "w1", "gold", True)


def test_balance_equals_the_journal_sum(started):
    """After deposits, withdrawals and purchases, each balance is the sum of its journal."""
    g = started.game
    g.deposit("w1", "essence", 50)
    g.withdraw("w1", "gold", 1234)
    g.unlock_slot("w1", 2)
    for currency in ("gold", "essence"):
        lines = g.ledger("w1", currency)
        assert g.balance("w1", currency) == sum(e.amount for e in lines)
        assert lines[-1].balance_after == g.balance("w1", currency)
    assert g.balance("w1", "gold") == 100_000 - 100 - 1234 - 1000


def test_ledger_lists_all_currencies_in_order(started):
    """ledger(wallet) lists every line of the wallet oldest first; other wallets are apart."""
    g = started.game
    g.deposit("w1", "essence", 5)
    g.deposit("w2", "gold", 9)
    lines = g.ledger("w1")
    assert [(e.currency, e.amount) for e in lines] == [
        ("gold", 100_000),
        ("gold", -100),
        ("essence", 5),
    ]
    assert [e.seq for e in lines] == sorted(e.seq for e in lines)
