"""Fixtures for the service scenario tests: a game on every store (MemoryStore, a SQLite file,
PostgreSQL) +
ManualClock built from examples/catalog.toml, catalog variants for other policies, a whole-store
snapshot, and a teardown that requires `audit(store) == ()` after every test."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import pg_support
from jobslot_core import Admin, Catalog, JobSlots, ManualClock, load_catalog
from jobslot_core.audit import audit
from jobslot_core.catalog import (
    BuffCarryMode,
    BuffCarryPolicy,
    Cost,
    JobChangeMode,
    JobChangePolicy,
    RerollPolicy,
)
from jobslot_core.engine import BuffChoice
from jobslot_core.errors import JobSlotError
from jobslot_core.model import Offer
from jobslot_core.storage import MemoryStore, SQLiteStore, Store
from jobslot_core.storage.postgres import PostgresStore
from jobslot_core.storage.protocol import IDEMPOTENCY, TABLES

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog.toml"
SECRET = b"scenario secret 0123"
SECRET_ID = "s1"


PG_SCHEMAS = pg_support.SchemaRing()
"""PostgreSQL schemas for the scenario stores (emptied before reuse, dropped at the end)."""

STORES: dict[str, Callable[[Path], Store]] = {
    "memory": lambda path: MemoryStore(),
    "sqlite": lambda path: SQLiteStore(path / "game.db"),
    "postgres": lambda path: PostgresStore(pg_support.dsn(), schema=PG_SCHEMAS.take(), max_size=4),
}
"""Every store the scenarios run on, by name (a factory given a fresh directory)."""


def snapshot(store: Store) -> dict[str, list[Any]]:
    """Every record of every table: `find` for normal tables, `scan` for log tables.

    Leaves out the runner's settle markers (idempotency records under an automatic `~` key,
    written by every command on a store whose commit outcome can be unknown): they record
    that a command ran, not game state."""
    with store.unit_of_work(write=False) as uow:
        tables = {t.name: list(uow.scan(t) if t.log else uow.find(t)) for t in TABLES}
    tables[IDEMPOTENCY.name] = [r for r in tables[IDEMPOTENCY.name] if not r.key.startswith("~")]
    return tables


def variant(
    catalog: Catalog,
    *,
    buffs: Iterable[str] | None = None,
    job_change: JobChangeMode | None = None,
    swap_fee: Cost | None = None,
    keep_diminished: float | None = None,
    reroll: Cost | None = None,
    max_rerolls: int = 1,
) -> Catalog:
    """The catalog with other policies; `buffs` keeps only those buff types active."""
    policies = catalog.policies
    if job_change is not None:
        policies = attrs.evolve(policies, job_change=JobChangePolicy(job_change, swap_fee))
    if keep_diminished is not None:
        carry = BuffCarryPolicy(BuffCarryMode.KEEP_DIMINISHED, keep_diminished)
        policies = attrs.evolve(policies, buff_carry=carry)
    if reroll is not None:
        policies = attrs.evolve(policies, reroll=RerollPolicy(reroll, max_rerolls))
    buff_types = dict(catalog.buff_types)
    if buffs is not None:
        keep = set(buffs)
        buff_types = {k: attrs.evolve(b, active=k in keep) for k, b in buff_types.items()}
    return attrs.evolve(catalog, buff_types=buff_types, policies=policies)


def index_of(offer: Offer, pick: Callable[[BuffChoice], bool]) -> int:
    """The index of the first choice of `offer` that `pick` accepts."""
    return next(i for i, c in enumerate(offer.choices) if pick(c))


def permanent(choice: BuffChoice) -> bool:
    """Accept permanent buff choices."""
    return choice.permanent


@attrs.define
class World:
    """One game under test, with helpers that drive it the way a host would."""

    store: Store
    clock: ManualClock
    game: JobSlots
    admin: Admin
    catalog: Catalog
    secret: bytes = SECRET
    secret_id: str = SECRET_ID

    def snapshot(self) -> dict[str, list[Any]]:
        return snapshot(self.store)

    @staticmethod
    def index(offer: Offer, pick: Callable[[BuffChoice], bool] = permanent) -> int:
        return index_of(offer, pick)

    def refused(
        self,
        error: type[JobSlotError],
        field: str,
        value: Any,
        command: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> JobSlotError:
        """Run `command`, require `error` with this field and value, and no change to the store."""
        before = self.snapshot()
        with pytest.raises(error) as caught:
            command(*args, **kwargs)
        err = caught.value
        assert type(err) is error
        assert (err.field, err.value) == (field, value)
        assert self.snapshot() == before
        return err

    def start(
        self, wallet: str = "w1", mek: str = "m1", job: str = "janitor", *, gold: int = 100_000
    ) -> None:
        """Register `mek`, fund the wallet, unlock slot 1, buy `job` in it, assign the Mek."""
        self.game.register_mek(wallet, mek)
        if gold:
            self.game.deposit(wallet, "gold", gold)
        self.game.unlock_slot(wallet, 1)
        self.game.purchase_job(wallet, 1, job)
        self.game.assign_mek(wallet, 1, mek)

    def resolve(
        self,
        wallet: str = "w1",
        mek: str = "m1",
        job: str = "janitor",
        pick: Callable[[BuffChoice], bool] = permanent,
    ) -> tuple[Offer, int]:
        """Open the due pit stop and select the first choice `pick` accepts."""
        offer = self.game.open_pit_stop(wallet, mek, job)
        index = index_of(offer, pick)
        self.game.select_buff(wallet, offer.offer_id, index)
        return offer, index

    def to_max(
        self,
        wallet: str = "w1",
        mek: str = "m1",
        job: str = "janitor",
        pick: Callable[[BuffChoice], bool] = permanent,
    ) -> list[tuple[Offer, int]]:
        """Advance to the job's max level and resolve every pit stop in order."""
        left = self.game.progression(mek, job)
        need = self.catalog.job_types[job].level_tenure[-1] * 1000 - left.tenure_ms
        self.clock.advance(ms=max(0, need))
        done = []
        while self.game.progression(mek, job).pit_stop_ready:
            done.append(self.resolve(wallet, mek, job, pick))
        return done


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_schemas() -> Iterator[None]:
    """The PostgreSQL scenario schemas go when the session ends."""
    yield
    PG_SCHEMAS.drop_all()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The example catalog (policy defaults written out)."""
    return load_catalog(EXAMPLE)


@pytest.fixture(params=sorted(STORES))
def store_kind(request: pytest.FixtureRequest) -> str:
    """The name of the store each scenario runs on (every test runs on each)."""
    kind: str = request.param
    return kind


@pytest.fixture
def make_world(
    catalog: Catalog, store_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., World]]:
    """Build games on fresh stores; every store must pass `audit` when the test ends."""
    worlds: list[World] = []

    def make(cat: Catalog | None = None, *, start_ms: int = 1_000_000) -> World:
        cat = cat or catalog
        store = STORES[store_kind](tmp_path_factory.mktemp(store_kind))
        clock = ManualClock(start_ms=start_ms)
        game = JobSlots(store, cat, secret=SECRET, secret_id=SECRET_ID, clock=clock)
        world = World(store, clock, game, Admin(store, clock=clock), cat)
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        assert audit(world.store) == ()
        world.store.close()


@pytest.fixture
def variant_of(catalog: Catalog) -> Callable[..., Catalog]:
    """`variant` bound to the example catalog."""
    return lambda **changes: variant(catalog, **changes)


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    """A game on the example catalog, clock at 1,000,000 ms, nothing registered."""
    return make_world()


@pytest.fixture
def started(world: World) -> World:
    """Wallet w1 with Mek m1 working the janitor job in slot 1 since now; 99,900 gold left."""
    world.start()
    return world
