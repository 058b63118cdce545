"""The speed paths (issue 9, point 6) are caches: bucket tables, batch offers and the tallying
`simulate` give exactly what the plain computations give. Timing lives in benchmarks/offers.py."""

import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from engine_catalogs import catalogs

from jobslot_core.catalog import Tier
from jobslot_core.engine import OfferContext, make_offer, make_offers
from jobslot_core.engine.distributions import BUCKET_BITS, cell_sampler
from jobslot_core.engine.stream import to_uniform
from jobslot_core.errors import InvalidArgument

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"speed path secret 0123"


@pytest.mark.parametrize("name", sorted(catalogs()))
def test_bucket_tables_agree_with_the_draw_at_every_bucket_edge(name: str) -> None:
    catalog = catalogs()[name]
    shift = 64 - BUCKET_BITS
    for cell in catalog.buff_ranges:
        sampler = cell_sampler(cell, catalog.buff_types[cell.buff_key].precision, catalog.rng)
        table = sampler.bucket_units()
        assert len(table) == 1 << BUCKET_BITS
        for i, k in enumerate(table):
            if k >= 0:
                for w in (i << shift, (i << shift) + (1 << (shift - 1)), ((i + 1) << shift) - 1):
                    assert sampler.units_at(to_uniform(w)) == k


@pytest.mark.parametrize("name", sorted(catalogs()))
def test_pick_tables_agree_with_the_exact_pick_at_every_prefix_edge(name: str) -> None:
    from jobslot_core.engine.offers import _pick, _plan

    catalog = catalogs()[name]
    shift = 64 - BUCKET_BITS
    for job_key, job in catalog.job_types.items():
        for number in range(1, len(job.pit_stops) + 1):
            plan = _plan(catalog, job_key, number, 2)
            assert len(plan.picks) == 1 << BUCKET_BITS
            if plan.triples <= 1 << BUCKET_BITS:  # each triple boundary spoils one prefix at most
                decided = sum(trio is not None for trio in plan.picks)
                assert decided >= (1 << BUCKET_BITS) - plan.triples
            for i, trio in enumerate(plan.picks):
                if trio is None:
                    continue
                for w in (i << shift, (i << shift) + (1 << (shift - 1)), ((i + 1) << shift) - 1):
                    a, b, c = _pick(plan, to_uniform(w), None)
                    assert trio == (plan.options[a], plan.options[b], plan.options[c])


def test_make_offers_equals_make_offer_one_by_one() -> None:
    catalog = catalogs()["guarantee"]
    contexts = [OfferContext("s1", f"m{i}", "janitor", i % 3, 1 + i % 3, i % 2) for i in range(300)]
    batch = make_offers(catalog, contexts, secret=SECRET)
    assert batch == tuple(
        make_offer(catalog, secret=SECRET, secret_id=c.secret_id, mek_id=c.mek_id,
                   job_key=c.job_key, prestige_sequence=c.prestige_sequence,
                   pit_stop_number=c.pit_stop_number, reroll=c.reroll)
        for c in contexts
    )
    old = make_offers(catalog, contexts[:5], secret=SECRET, engine_version=1)
    assert old[0].engine_version == 1
    with pytest.raises(InvalidArgument) as caught:
        make_offers(catalog, [contexts[0], ("s1", "m")], secret=SECRET)  # type: ignore[list-item]
    assert caught.value.field == "contexts[1]"


@pytest.mark.parametrize(
    "bad",
    [
        {"job_key": "nope", "secret_id": "\udc80"},  # the job is checked first, as one by one
        {"mek_id": "a\ud800"},
        {"prestige_sequence": 2**64},
        {"reroll": True},
        {"pit_stop_number": 9},
    ],
)
def test_make_offers_refuses_what_make_offer_refuses(bad: dict[str, object]) -> None:
    catalog = catalogs()["default"]
    good = OfferContext("s1", "m", "janitor", 0, 1, 0)
    args = dict(attrs.asdict(good), **bad)
    with pytest.raises(Exception) as one:
        make_offer(catalog, secret=SECRET, **args)  # type: ignore[arg-type]
    with pytest.raises(type(one.value)) as batch:
        make_offers(catalog, [good, OfferContext(**args)], secret=SECRET)  # type: ignore[arg-type]
    assert str(batch.value) == str(one.value)
    with pytest.raises(InvalidArgument):  # the secret, checked with the first context
        make_offers(catalog, [good], secret=b"short")
    assert make_offers(catalog, [], secret=b"short") == ()


def test_the_offer_benchmark_runs_and_its_fast_paths_match_their_references() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/offers.py", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert "choices equal to the reference for 2,000 of 2,000 contexts" in done.stdout
    assert "reports identical: True" in done.stdout


@pytest.mark.parametrize("name", sorted(catalogs()))
def test_simulate_reports_equal_the_per_draw_loop(name: str) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from offers import simulate_per_draw  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    from jobslot_core.engine import simulate

    catalog = catalogs()[name]
    for cell in catalog.buff_ranges:
        if cell.min_value == cell.max_value:
            continue
        args = {"buff_key": cell.buff_key, "tier": cell.tier, "level": cell.min_level,
                "n": 1_001, "seed": -3}
        assert simulate(catalog, **args, bins=9) == simulate_per_draw(catalog, **args, bins=9)


@pytest.mark.parametrize(("catalog_name", "buff_key"), [("default", "gold_per_hour"),
                                                       ("weighted", "crit_chance"),
                                                       ("far_tail", "gold_per_hour")])
def test_simulate_by_prefix_equals_the_per_draw_loop(catalog_name: str, buff_key: str) -> None:
    """From 200,000 draws on, simulate counts by word prefix: still the same report."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from offers import simulate_per_draw
    finally:
        sys.path.pop(0)
    from jobslot_core.engine import simulate
    from jobslot_core.engine.simulate import _PREFIX_MIN

    catalog = catalogs()[catalog_name]
    args = {"buff_key": buff_key, "tier": Tier.D, "level": 1, "n": _PREFIX_MIN + 3, "seed": 11}
    assert simulate(catalog, **args) == simulate_per_draw(catalog, **args)
