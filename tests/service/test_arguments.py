"""Every argument checked (issue 10, items 3, 5 and 10): Admin methods, integer bounds (int64),
constructors; each refusal is a typed error naming the field and value, and changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from jobslot_core import Admin, JobSlots, ManualClock
from jobslot_core.errors import (
    CorruptStore,
    InvalidArgument,
    InvalidChoice,
    UnknownSecret,
)
from jobslot_core.storage import MemoryStore, SQLiteStore
from jobslot_core.storage.protocol import CATALOGS, IDEMPOTENCY, SECRETS
from jobslot_core.testing.commands import machine_catalog

World = Any  # conftest.World: tests/ is not a package
INT64_MAX = 2**63 - 1
HUGE = 10**5000  # past Python's 4,300-digit str() limit


def _id(value: object) -> str | None:
    """Test ids that never print an integer past str()'s digit limit."""
    if isinstance(value, int) and value.bit_length() > 64:
        return "huge" if value > 0 else "-huge"
    if isinstance(value, tuple) and any(_id(v) for v in value):
        return "-".join(_id(v) or type(v).__name__ for v in value)
    return None


OTHER_SECRET = b"another secret, 16+ bytes"


# -- item 3: Admin checks its arguments ---------------------------------------------------------


@pytest.mark.parametrize(
    ("secret_id", "secret", "field"),
    [
        (0, OTHER_SECRET, "secret_id"),
        (None, OTHER_SECRET, "secret_id"),
        ("", OTHER_SECRET, "secret_id"),
        ("s2", None, "secret"),
        ("s2", b"", "secret"),
        ("s2", b"short", "secret"),
        ("s2", "a str secret, long enough", "secret"),
    ],
)
def test_register_secret_validates(
    world: World, secret_id: object, secret: object, field: str
) -> None:
    """Bad ids and secrets are refused before anything is stored, so `secrets()` keeps
    working (a stored `register_secret(0, ...)` used to break it for good)."""
    before = world.snapshot()
    with pytest.raises(InvalidArgument) as caught:
        world.admin.register_secret(secret_id, secret)
    assert caught.value.field == field
    assert world.snapshot() == before
    assert [s.secret_id for s in world.admin.secrets()] == [world.secret_id]


def test_register_secret_accepts_a_real_secret(world: World) -> None:
    record = world.admin.register_secret("s2", OTHER_SECRET)
    assert record.secret_id == "s2"
    assert {s.secret_id for s in world.admin.secrets()} == {world.secret_id, "s2"}


@pytest.mark.parametrize(
    ("method", "args", "field"),
    [
        ("set_buff_range", (None,), "cell"),
        ("set_buff_range", ({},), "cell"),
        ("set_rng_config", ("x",), "rng"),
        ("set_job_type", ({},), "job"),
        ("set_policies", (None,), "policies"),
        ("retire_secret", (None,), "secret_id"),
        ("reveal_secret", ("s1", "a str"), "secret"),
        ("reveal_secret", (5, b"x"), "secret_id"),
        ("verify_offer", (None, b"x"), "offer_id"),
        ("verify_offer", ("o", "x"), "secret"),
        ("purge_idempotency", (None,), "older_than_ms"),
        ("purge_idempotency", (float("inf"),), "older_than_ms"),
        ("purge_idempotency", (1.5,), "older_than_ms"),
        ("purge_idempotency", (-1,), "older_than_ms"),
        ("purge_idempotency", (2**63,), "older_than_ms"),
        ("catalog", ("1",), "version"),
        ("catalog", (0,), "version"),
        ("catalog", (HUGE,), "version"),
        ("publish", ("x",), "catalog"),
    ],
    ids=_id,
)
def test_admin_methods_refuse_bad_arguments(
    world: World, method: str, args: tuple[Any, ...], field: str
) -> None:
    before = world.snapshot()
    with pytest.raises(InvalidArgument) as caught:
        getattr(world.admin, method)(*args)
    assert caught.value.field == field
    assert world.snapshot() == before


def test_purge_with_a_real_bound_still_purges(world: World) -> None:
    """0 purges nothing and 2**63 - 1 purges every key (a store whose commit outcome can be
    unknown also keeps the runner's settle markers, `~` keys, which go too)."""
    world.game.deposit("w1", "gold", 1, idempotency_key="k")
    assert world.admin.purge_idempotency(0) == 0
    assert [r.key for r in _idempotency(world) if not r.key.startswith("~")] == ["k"]
    assert world.admin.purge_idempotency(INT64_MAX) >= 1
    assert [r.key for r in _idempotency(world) if not r.key.startswith("~")] == []


def _idempotency(world: World) -> list[Any]:
    with world.store.unit_of_work(write=False) as uow:
        return list(uow.find(IDEMPOTENCY))


# -- item 5: integers are int64 ---------------------------------------------------------------


@pytest.mark.parametrize("amount", [2**63, HUGE, -HUGE], ids=_id)
def test_deposit_refuses_amounts_past_int64(world: World, amount: int) -> None:
    before = world.snapshot()
    with pytest.raises(InvalidArgument) as caught:
        world.game.deposit("w1", "gold", amount)
    assert caught.value.field == "amount"
    assert world.snapshot() == before


def test_deposit_up_to_int64_and_no_further(world: World) -> None:
    """The largest amount is accepted; a deposit that would take the balance past int64 is
    refused naming the amount, on MemoryStore as on SQLite."""
    world.game.deposit("w1", "gold", INT64_MAX)
    world.refused(InvalidArgument, "amount", 1, world.game.deposit, "w1", "gold", 1)
    assert world.game.balance("w1", "gold") == INT64_MAX


def test_sqlite_deposit_past_int64_names_the_argument(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "big.db") as store:
        game = JobSlots(
            store,
            machine_catalog(),
            secret=b"sixteen byte secret",
            secret_id="s1",
            clock=ManualClock(0),
        )
        game.deposit("w", "gold", INT64_MAX)
        with pytest.raises(InvalidArgument) as caught:
            game.deposit("w", "gold", 1)
        assert caught.value.field == "amount"
        assert game.balance("w", "gold") == INT64_MAX


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda g: g.events(after=2**63), "after"),
        (lambda g: g.events(after=HUGE), "after"),
        (lambda g: g.events(limit=2**63), "limit"),
        (lambda g: g.unlock_slot("w1", 2**63), "slot_number"),
        (lambda g: g.unlock_slot("w1", HUGE), "slot_number"),
        (lambda g: g.purchase_job("w1", 2**63, "janitor"), "slot_number"),
        (lambda g: g.assign_mek("w1", HUGE, "m1"), "slot_number"),
        (lambda g: g.unslot_mek("w1", 2**63), "slot_number"),
        (lambda g: g.change_job("w1", 2**63, "janitor"), "slot_number"),
        (lambda g: g.ack(2**63), "seq"),
        (lambda g: g.withdraw("w1", "gold", HUGE), "amount"),
        (lambda g: g.ledger("w1", currency=[]), "currency"),
        (lambda g: g.ledger("w1", currency=5), "currency"),
    ],
)
def test_integer_and_currency_arguments_are_bounded(started: World, call: Any, field: str) -> None:
    before = started.snapshot()
    with pytest.raises(InvalidArgument) as caught:
        call(started.game)
    assert caught.value.field == field
    assert started.snapshot() == before


def test_select_buff_with_a_huge_index_is_invalid_choice(started: World) -> None:
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    before = started.snapshot()
    with pytest.raises(InvalidChoice):
        started.game.select_buff("w1", offer.offer_id, HUGE)
    assert started.snapshot() == before


@pytest.mark.parametrize("now", [2**63, HUGE], ids=_id)
def test_a_clock_at_or_past_int64_is_refused_naming_the_clock(started: World, now: int) -> None:
    game = JobSlots(
        started.store,
        None,
        secret=started.secret,
        secret_id=started.secret_id,
        clock=started.clock,
    )
    game._runner.clock = _Fixed(now)  # the host's clock jumps past int64 after start-up
    before = started.snapshot()
    with pytest.raises(InvalidArgument) as caught:
        game.deposit("w1", "gold", 1)
    assert caught.value.field == "clock.now_ms"
    assert started.snapshot() == before


class _Fixed:
    def __init__(self, now: int) -> None:
        self.now = now

    def now_ms(self) -> int:
        return self.now


def test_sqlite_clock_at_int64_names_the_clock(tmp_path: Path) -> None:
    """SQLite used to refuse such a time as a StorageError naming "store"."""
    with SQLiteStore(tmp_path / "clock.db") as store:
        with pytest.raises(InvalidArgument) as caught:
            JobSlots(
                store,
                machine_catalog(),
                secret=b"sixteen byte secret",
                secret_id="s1",
                clock=_Fixed(2**63),
            )
        assert caught.value.field == "clock.now_ms"
        game = JobSlots(
            store,
            machine_catalog(),
            secret=b"sixteen byte secret",
            secret_id="s1",
            clock=_Fixed(INT64_MAX),
        )
        assert game.deposit("w", "gold", 1).at_ms == INT64_MAX


# -- item 10: constructors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"store": None}, "store"),
        ({"store": "x"}, "store"),
        ({"catalog": "x"}, "catalog"),
        ({"catalog": {}}, "catalog"),
        ({"clock": 5}, "clock"),
        ({"retry": 3}, "retry"),
        ({"secret": None}, "secret"),
        ({"secret_id": None}, "secret_id"),
    ],
)
def test_jobslots_constructor_arguments(kwargs: dict[str, Any], field: str) -> None:
    store = MemoryStore()
    args: dict[str, Any] = {
        "store": store,
        "catalog": machine_catalog(),
        "secret": b"sixteen byte secret",
        "secret_id": "s1",
        "clock": ManualClock(0),
        **kwargs,
    }
    with pytest.raises(InvalidArgument) as caught:
        JobSlots(args.pop("store"), args.pop("catalog"), **args)
    assert caught.value.field == field
    with store.unit_of_work(write=False) as uow:
        assert uow.scan(CATALOGS) == [] and uow.find(SECRETS) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"store": None}, "store"), ({"clock": "now"}, "clock"), ({"retry": 1}, "retry")],
)
def test_admin_constructor_arguments(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"store": MemoryStore(), **kwargs}
    with pytest.raises(InvalidArgument) as caught:
        Admin(args.pop("store"), **args)
    assert caught.value.field == field


# -- item 1: a damaged stored catalog is damage ------------------------------------------------


def test_a_damaged_catalog_record_is_corrupt_store_not_invalid_catalog(tmp_path: Path) -> None:
    """A stored catalog that decodes but no longer validates is CorruptStore('catalogs'), for
    the service, for Admin and for a restart."""
    path = tmp_path / "catalog.db"
    with SQLiteStore(path) as store:
        JobSlots(
            store,
            machine_catalog(),
            secret=b"sixteen byte secret",
            secret_id="s1",
            clock=ManualClock(0),
        )
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE catalogs SET doc = json_set(doc, '$.catalog.job_types', json('[]'))")
    conn.close()
    with SQLiteStore(path) as store:
        game = JobSlots(
            store, None, secret=b"sixteen byte secret", secret_id="s1", clock=ManualClock(0)
        )
        for call in (
            lambda: game.available_jobs("A"),
            lambda: Admin(store).catalog(),
            lambda: Admin(store).set_rng_config(machine_catalog().rng),
        ):
            with pytest.raises(CorruptStore) as caught:
                call()
            assert caught.value.field == "catalogs"


def test_unknown_secret_is_still_not_found(world: World) -> None:
    with pytest.raises(UnknownSecret):
        world.admin.retire_secret("never-registered")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda g: g.set_mek_available("m1", HUGE, idempotency_key="k"), "available"),
        (lambda g: g.set_mek_available("m1", True, wallet=HUGE, idempotency_key="k"), "wallet"),
        (lambda g: g.purchase_job("w1", 2, HUGE, idempotency_key="k"), "job_key"),
        (lambda g: g.change_job("w1", 1, HUGE, idempotency_key="k"), "job_key"),
        (lambda g: g.open_pit_stop("w1", "m1", HUGE, idempotency_key="k"), "job_key"),
        (lambda g: g.prestige("w1", "m1", HUGE, idempotency_key="k"), "job_key"),
    ],
)
def test_keyed_commands_check_arguments_before_fingerprinting(
    started: World, call: Any, field: str
) -> None:
    """A keyed command fingerprints its arguments: each is checked first, so a huge integer is
    `InvalidArgument`, not a `ValueError` from JSON (found by the thorough fuzz run)."""
    before = started.snapshot()
    with pytest.raises(InvalidArgument) as caught:
        call(started.game)
    assert caught.value.field == field
    assert started.snapshot() == before
