"""Regressions from review: clock handling, ownership options, secret rotation, catalog edits."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from jobslot_core import JobSlots, ManualClock
from jobslot_core.errors import InvalidArgument, InvalidCatalog, NotOwned, UnknownSecret
from jobslot_core.storage import MemoryStore

SECRET = b"scenario secret 0123"  # as in conftest.py
SECRET_ID = "s1"
World = Any  # conftest.World: tests/ is not a package


class _Clock:
    """A host clock that returns whatever it was last told, even going backwards."""

    def __init__(self, now: object) -> None:
        self.now: object = now

    def now_ms(self) -> object:
        return self.now


def test_a_clock_that_is_not_integer_milliseconds_is_refused(started: World) -> None:
    """A fractional clock value is refused before anything is written."""
    clock = _Clock(2_000_000.5)
    game = JobSlots(started.store, None, secret=SECRET, secret_id=SECRET_ID, clock=started.clock)
    game._runner.clock = clock  # type: ignore[assignment]
    started.refused(InvalidArgument, "clock.now_ms", 2_000_000.5, game.unslot_mek, "w1", 1)


def test_manual_clock_moves_in_whole_units() -> None:
    """ManualClock refuses fractional steps, which would reach the store as floats."""
    with pytest.raises(InvalidArgument) as caught:
        ManualClock(0).advance(ms=0.5)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.value) == ("ms", 0.5)


def test_a_checkpoint_never_moves_backwards(started: World) -> None:
    """A late writer with an older clock reading cannot make tenure count twice."""
    started.clock.advance(seconds=100)
    started.game.unslot_mek("w1", 1)  # checkpoint at 1,100,000 ms with 100 s of tenure
    started.game.assign_mek("w1", 1, "m1")
    clock = _Clock(1_050_000)  # a second server whose clock lags 50 s
    lagging = JobSlots(started.store, None, secret=SECRET, secret_id=SECRET_ID, clock=clock)  # type: ignore[arg-type]
    lagging.unslot_mek("w1", 1)
    assert started.game.progression("m1", "janitor").tenure_ms == 100_000


def test_transfer_checks_the_seller_when_named(started: World) -> None:
    """transfer_mek(from_wallet=...) refuses a seller that does not own the Mek."""
    started.refused(
        NotOwned, "mek_id", "m1", started.game.transfer_mek, "m1", "w3", from_wallet="w2"
    )


def test_availability_checks_the_owner_when_named(started: World) -> None:
    """set_mek_available(wallet=...) refuses a wallet that does not own the Mek."""
    started.game.unslot_mek("w1", 1)
    started.refused(
        NotOwned, "mek_id", "m1", started.game.set_mek_available, "m1", False, wallet="w2"
    )


def test_transfer_tells_both_wallets_and_keeps_the_owners(started: World) -> None:
    """A transfer emits an event for the seller and one for the buyer; mek_owners lists both."""
    started.clock.advance(seconds=5)
    started.game.transfer_mek("m1", "w2", from_wallet="w1")
    kinds = [(e.kind, e.wallet) for e in started.game.events()][-2:]
    assert kinds == [("MekTransferredAway", "w1"), ("MekTransferred", "w2")]
    owners = started.game.mek_owners("m1")
    assert [(o.wallet, o.from_ms) for o in owners] == [("w1", 1_000_000), ("w2", 1_005_000)]


def test_prestige_history_records_the_catalog_version(started: World) -> None:
    """prestige_history returns the audit records, each naming its catalog version."""
    started.to_max()
    record = started.game.prestige("w1", "m1", "janitor")
    assert started.game.prestige_history("m1") == (record,)
    assert started.game.prestige_history("m1", "janitor")[0].catalog_version == 1


def test_a_retired_secret_makes_no_new_offers_but_old_ones_stay_selectable(started: World) -> None:
    """After retire_secret, open offers still resolve and new pit stops are refused."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    started.admin.retire_secret(SECRET_ID)
    started.game.select_buff("w1", offer.offer_id, 0)
    started.clock.advance(seconds=300)
    started.refused(
        UnknownSecret, "secret_id", SECRET_ID, started.game.open_pit_stop, "w1", "m1", "janitor"
    )


def test_a_service_cannot_start_on_a_retired_secret(started: World) -> None:
    """Constructing JobSlots with a retired secret id raises UnknownSecret."""
    started.admin.retire_secret(SECRET_ID)
    with pytest.raises(UnknownSecret):
        JobSlots(started.store, None, secret=SECRET, secret_id=SECRET_ID, clock=started.clock)


def test_revealing_a_secret_retires_it(started: World) -> None:
    """reveal_secret also retires the secret, so nothing predictable is offered after it."""
    revealed = started.admin.reveal_secret(SECRET_ID, SECRET)
    assert revealed.retired_at_ms is not None and revealed.revealed_hex == SECRET.hex()


def test_setting_a_cell_to_its_current_value_publishes_nothing(world: World) -> None:
    """Admin.set_buff_range with an unchanged cell keeps the current version."""
    cell = world.catalog.buff_ranges[0]
    assert world.admin.set_buff_range(cell).version == 1
    assert len(world.admin.versions()) == 1


def test_removing_a_job_that_meks_work_is_refused(started: World) -> None:
    """Publishing a catalog without a job some Mek has progression in changes nothing."""
    jobs = {k: j for k, j in started.catalog.job_types.items() if k != "janitor"}
    smaller = attrs.evolve(started.catalog, job_types=jobs)
    started.refused(InvalidCatalog, "job_types.janitor", "janitor", started.admin.publish, smaller)


def test_removing_a_job_nobody_worked_is_allowed() -> None:
    """A job without progressions can be dropped from the catalog."""
    from jobslot_core import Admin, load_catalog

    catalog = load_catalog("examples/catalog.toml")
    store = MemoryStore()
    JobSlots(store, catalog, secret=SECRET, secret_id=SECRET_ID, clock=ManualClock(0))
    jobs = {k: j for k, j in catalog.job_types.items() if k != "captain"}
    assert Admin(store).publish(attrs.evolve(catalog, job_types=jobs)).version == 2
