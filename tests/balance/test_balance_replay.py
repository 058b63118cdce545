"""replay: stored offers drawn again; exact under their own catalog and secret (real SQLite)."""

from pathlib import Path

import attrs
import pytest

from jobslot_core import Catalog, JobSlots, ManualClock
from jobslot_core.balance import greedy, replay
from jobslot_core.errors import InvalidArgument, UnknownSecret
from jobslot_core.storage.sqlite import SQLiteStore

SECRET = b"replay-secret-0123456789abcdef"
SECRET_2 = b"replay-secret-rotated-fedcba987"


def _play(path: Path, catalog: Catalog) -> int:
    """Three wallets play the janitor on a SQLite file; two prestige, one leaves an offer open."""
    clock = ManualClock(0)
    store = SQLiteStore(str(path))
    game = JobSlots(store, catalog, secret=SECRET, secret_id="s1", clock=clock)
    job = catalog.job_types["janitor"]
    selections = 0
    for wallet, mek in (("w1", "m1"), ("w2", "m2"), ("w3", "m3")):
        game.register_mek(wallet, mek)
        game.deposit(wallet, "gold", 1000)
        game.unlock_slot(wallet, 1)
        game.purchase_job(wallet, 1, "janitor")
        game.assign_mek(wallet, 1, mek)
    for cycle in range(2):
        worked = 0
        for stop in job.pit_stops:
            clock.advance(seconds=job.pit_stop_tenure(stop.number) - worked)
            worked = job.pit_stop_tenure(stop.number)
            players = (("w1", "m1"), ("w2", "m2"), ("w3", "m3"))[: 3 - cycle]
            for i, (wallet, mek) in enumerate(players):
                offer = game.open_pit_stop(wallet, mek, "janitor")
                if wallet == "w3" and stop.number == 3:
                    continue  # left open
                game.select_buff(wallet, offer.offer_id, (i + stop.number) % 3)
                selections += 1
        if cycle == 0:
            clock.advance(seconds=job.level_tenure[-1] - worked)
            for wallet, mek in (("w1", "m1"), ("w2", "m2")):
                game.prestige(wallet, mek, "janitor")
            game.unslot_mek("w3", 1)
    store.close()
    return selections


@pytest.fixture
def played(tmp_path: Path, example: Catalog) -> tuple[Path, int]:
    path = tmp_path / "game.sqlite3"
    return path, _play(path, example)


def test_replay_with_the_catalog_and_secret_reproduces_every_offer(
    played: tuple[Path, int], example: Catalog
) -> None:
    path, selections = played
    store = SQLiteStore(str(path))
    try:
        for catalog in (example, None):  # given, or each offer's stored catalog version
            report = replay(store, catalog, secrets={"s1": SECRET})
            assert len(report.offers) == 3 * 3 + 2 * 3
            assert report.exact and not report.changed
            assert report.picks == selections and not report.picks_changed
            for o in report.offers:
                assert o.replayed == o.offer.choices
                assert o.replayed_id == o.offer.offer_id
    finally:
        store.close()


def test_a_candidate_catalog_changes_offers_and_picks(
    played: tuple[Path, int], example: Catalog
) -> None:
    path, _ = played
    cells = tuple(
        attrs.evolve(c, mean_value=4.5, standard_deviation=0.5)
        if (c.buff_key, c.tier.value, c.min_level) == ("gold_per_hour", "D", 1)
        else c
        for c in example.buff_ranges
    )
    candidate = attrs.evolve(example, buff_ranges=cells)
    store = SQLiteStore(str(path))
    try:
        report = replay(store, candidate, secrets={"s1": SECRET})
        with_gold = [
            o for o in report.offers
            if o.offer.pit_stop_number < 3
            and any(c.buff_key == "gold_per_hour" for c in o.offer.choices)
        ]
        assert with_gold and {id(o) for o in report.changed} == {id(o) for o in with_gold}
        for o in report.changed:
            assert o.replayed is not None
            assert o.replayed_id == o.offer.offer_id  # ids follow the context, not the catalog
            assert [c.buff_key for c in o.replayed] == [c.buff_key for c in o.offer.choices]
        moved = report.picks_changed
        assert moved and all(o.picked_before.buff_key == "gold_per_hour" for o in moved)
        assert "would change" in report.format()
        assert len(report.rows()) == len(report.offers)
        greedy_report = replay(store, candidate, secrets={"s1": SECRET}, pick=greedy("gold_rate"))
        assert greedy_report.picks_changed != ()
    finally:
        store.close()


def test_a_candidate_without_the_job_reports_why(
    played: tuple[Path, int], example: Catalog
) -> None:
    path, _ = played
    janitor = example.job_types["janitor"]
    short = attrs.evolve(janitor, pit_stops=janitor.pit_stops[:2])
    candidate = attrs.evolve(example, job_types={**example.job_types, "janitor": short})
    store = SQLiteStore(str(path))
    try:
        report = replay(store, candidate, secrets={"s1": SECRET})
        gone = [o for o in report.offers if o.replayed is None]
        assert {o.offer.pit_stop_number for o in gone} == {3}
        assert all(o.changed and "pit_stop_number" in (o.error or "") for o in gone)
    finally:
        store.close()


def test_missing_secret_and_bad_catalog_are_refused(
    played: tuple[Path, int]
) -> None:
    path, _ = played
    store = SQLiteStore(str(path))
    try:
        with pytest.raises(UnknownSecret) as caught:
            replay(store, None, secrets={"other": SECRET_2})
        assert (caught.value.field, caught.value.value) == ("secrets", "s1")
        with pytest.raises(InvalidArgument) as caught2:
            replay(store, "catalog.toml", secrets={})  # type: ignore[arg-type]
        assert caught2.value.field == "catalog"
    finally:
        store.close()
