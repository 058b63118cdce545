"""simulate_career: whole careers through the real engine, checked against JobSlots itself."""

from collections.abc import Callable

import attrs
import pytest

from jobslot_core import Catalog, JobSlots, ManualClock
from jobslot_core.balance import (
    CAREER_SECRET_ID,
    career_secret,
    first,
    greedy,
    random_pick,
    simulate_career,
)
from jobslot_core.balance.career import _run
from jobslot_core.catalog import BuffCarryMode, BuffCarryPolicy
from jobslot_core.engine import OfferDraft
from jobslot_core.errors import InvalidArgument, UnknownJob
from jobslot_core.storage import MemoryStore


def _diminished(catalog: Catalog, factor: float = 0.5) -> Catalog:
    carry = BuffCarryPolicy(BuffCarryMode.KEEP_DIMINISHED, factor)
    return attrs.evolve(catalog, policies=attrs.evolve(catalog.policies, buff_carry=carry))


def test_same_seed_same_report_other_seed_other_report(example: Catalog) -> None:
    a = simulate_career(example, "janitor", careers=300, seed=7, pick="random")
    b = simulate_career(example, "janitor", careers=300, seed=7, pick="random")
    c = simulate_career(example, "janitor", careers=300, seed=8, pick="random")
    assert a == b
    assert a.effects != c.effects


def test_gold_greedy_janitor_matches_the_catalog_in_expectation(example: Catalog) -> None:
    """3 pit stops offer 3 of 5 types: gold is offered with p 3/5 each time; its cells are
    symmetric (mean 3 in [1, 5] at stops 1 and 2, mean 6 in [3, 9] at stop 3)."""
    report = simulate_career(example, "janitor", careers=20_000, seed=1, pick="greedy:gold_rate")
    gold = report.final("gold_rate")
    assert gold.mean == pytest.approx(0.6 * (3 + 3 + 6), abs=0.15)
    assert report.never["gold_rate"] == pytest.approx(0.4**3, abs=0.01)
    assert report.picked["gold_per_hour"] == pytest.approx(0.6, abs=0.01)
    assert gold.p10 < gold.p50 < gold.p90
    # the curve rises pit stop by pit stop
    means = [s.mean for s in report.effects["gold_rate"]]
    assert means == sorted(means) and means[0] < means[-1]
    assert [p.tenure_s for p in report.checkpoints] == [200, 500, 1000]
    assert [p.level for p in report.checkpoints] == [4, 7, 10]
    assert report.level_tenure_s == (0, 50, 120, 200, 280, 380, 500, 650, 820, 1000)


def test_prestige_clears_then_the_account_buff_applies(example: Catalog) -> None:
    report = simulate_career(
        example, "janitor", careers=20_000, seed=3, prestiges=1, pick="greedy:gold_rate"
    )
    labels = [p.label for p in report.checkpoints]
    assert labels == [
        "p0.stop1", "p0.stop2", "p0.stop3", "prestige1", "p1.stop1", "p1.stop2", "p1.stop3",
    ]
    gold = report.effects["gold_rate"]
    assert gold[3] == type(gold[3])(0.0, 0.0, 0.0, 0.0)  # policy 8.3 clear
    # second run: same cells, +1% account buff: mean about 1.01 x the first's
    assert gold[6].mean == pytest.approx(gold[2].mean * 1.01, rel=0.02)
    assert report.prestige_tenure_s == (1000,)


def test_keep_diminished_halves_the_kept_buffs(example: Catalog) -> None:
    catalog = _diminished(example, 0.5)
    raw = _run(catalog, "janitor", 500, 4, 1, greedy("gold_rate"))
    before, after = raw.effects["gold_rate"][2], raw.effects["gold_rate"][3]
    for x, y in zip(before, after, strict=True):
        # account buff +1% after the first prestige, buffs kept at half
        assert y == pytest.approx(x * 0.5 * 1.01, abs=1e-9)


def _play(
    catalog: Catalog, careers: int, seed: int, prestiges: int, pick: Callable[[OfferDraft], int]
) -> dict[str, list[float]]:
    """The same careers played by JobSlots: one wallet and one Mek per career."""
    clock = ManualClock(0)
    store = MemoryStore()
    game = JobSlots(
        store, catalog, secret=career_secret(seed), secret_id=CAREER_SECRET_ID, clock=clock
    )
    job = catalog.job_types["janitor"]
    finals: dict[str, list[float]] = {"gold_rate": [], "tenure_rate": [], "gold": []}
    for i in range(careers):
        wallet, mek = f"w{i}", f"career-{i}"
        game.register_mek(wallet, mek)
        game.deposit(wallet, "gold", 1000)
        game.unlock_slot(wallet, 1)
        game.purchase_job(wallet, 1, "janitor")
        game.assign_mek(wallet, 1, mek)
        for cycle in range(prestiges + 1):
            worked = 0
            for stop in job.pit_stops:
                due = job.pit_stop_tenure(stop.number)
                clock.advance(seconds=due - worked)
                worked = due
                offer = game.open_pit_stop(wallet, mek, "janitor")
                game.select_buff(wallet, offer.offer_id, pick(offer))  # type: ignore[arg-type]
            if cycle < prestiges:
                clock.advance(seconds=job.level_tenure[-1] - worked)
                game.prestige(wallet, mek, "janitor")
        totals = game.wallet_totals(wallet).totals
        finals["gold_rate"].append(totals.get("gold_rate", 0.0))
        finals["tenure_rate"].append(totals.get("tenure_rate", 0.0))
        finals["gold"].append(float(game.balance(wallet, "gold") - 1000 + 100))
    store.close()
    return finals


@pytest.mark.parametrize("diminished", [False, True], ids=["clear", "keep_diminished"])
@pytest.mark.parametrize(
    "pick", [greedy("tenure_rate"), random_pick, first], ids=["greedy", "random", "first"]
)
def test_every_career_equals_the_game_played_by_jobslots(
    example: Catalog, diminished: bool, pick: Callable[[OfferDraft], int]
) -> None:
    """Stacking gold, non-stacking tenure_rate, one-time gold, prestige carry and account buff:
    each simulated career ends exactly where JobSlots ends the same career."""
    catalog = _diminished(example) if diminished else example
    raw = _run(catalog, "janitor", 12, 11, 2, pick)
    played = _play(catalog, 12, 11, 2, pick)
    for name in ("gold_rate", "tenure_rate"):
        assert raw.effects[name][-1] == pytest.approx(played[name], abs=1e-9), name
    assert raw.currencies["gold"][-1] == played["gold"]
    assert any(v > 0 for v in played["tenure_rate"])


def test_bad_arguments_are_refused(example: Catalog) -> None:
    cases = [
        (dict(careers=0), InvalidArgument, "careers", 0),
        (dict(careers=True), InvalidArgument, "careers", True),
        (dict(seed=2**63), InvalidArgument, "seed", 2**63),
        (dict(prestiges=-1), InvalidArgument, "prestiges", -1),
        (dict(pick="best"), InvalidArgument, "pick", "best"),
        (dict(pick=lambda offer: 3), InvalidArgument, "pick", 3),
        (dict(job_key="pilot"), UnknownJob, "job_key", "pilot"),
    ]
    for overrides, error, field, value in cases:
        kwargs = {"job_key": "janitor", "careers": 5, "seed": 0, **overrides}
        with pytest.raises(error) as caught:
            simulate_career(example, **kwargs)  # type: ignore[arg-type]
        assert (caught.value.field, caught.value.value) == (field, value)
    with pytest.raises(InvalidArgument) as caught:
        simulate_career(example, "janitor", careers=5, seed=0).final("mana")
    assert caught.value.field == "name"


def test_rows_and_format(example: Catalog) -> None:
    report = simulate_career(example, "engineer", careers=200, seed=2, pick="greedy:gold_rate")
    rows = report.rows()
    assert {r["name"] for r in rows} >= {"gold_rate", "essence_rate", "gold", "essence"}
    assert len(rows) == (len(report.effects) + len(report.currencies)) * 5
    text = report.format()
    assert "gold_rate" in text and "never" in text and "L10 8000s" in text
