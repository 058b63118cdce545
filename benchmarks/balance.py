"""Career simulation throughput: `balance.simulate_career` on the example janitor.

Run: ``python benchmarks/balance.py`` (``--quick`` for a smoke run). Prints careers/second of
`simulate_career` (gold-greedy, 3 pit stops per career, summaries included) beside two baselines
measured in the same run on the same catalog:

- engine floor: the bare loop a studio would write over `make_offer` (3 offers and a greedy
  pick per career, a running sum; no buff rules, no summaries) - the cost of the draws alone;
- JobSlots: the same careers played by the game service on MemoryStore (register, fund,
  unlock, buy, assign, then open and select each pit stop) - the real rules, with storage.

It also checks that the simulated careers end where JobSlots ends them (gold rate per career)
and states whether the goal of 2,000 careers/second is met.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from jobslot_core import JobSlots, ManualClock, load_catalog
from jobslot_core.balance import CAREER_SECRET_ID, career_secret, greedy, simulate_career
from jobslot_core.balance.career import _run
from jobslot_core.engine import make_offer
from jobslot_core.storage import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
GOAL = 2000.0
SEED = 1


def _best(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    """The fastest of `repeats` timed runs (seconds), to keep noise from other processes out."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def engine_floor(catalog, careers: int) -> float:  # type: ignore[no-untyped-def]
    secret = career_secret(SEED)
    pick = greedy("gold_rate")
    stops = [s.number for s in catalog.job_types["janitor"].pit_stops]
    total = 0.0
    for i in range(careers):
        mek = f"career-{i}"
        for number in stops:
            offer = make_offer(
                catalog, secret=secret, secret_id=CAREER_SECRET_ID, mek_id=mek,
                job_key="janitor", prestige_sequence=0, pit_stop_number=number,
            )
            choice = offer.choices[pick(offer)]
            if choice.effect_type == "gold_rate":
                total += choice.value
    return total


def jobslots_careers(catalog, careers: int) -> list[float]:  # type: ignore[no-untyped-def]
    clock = ManualClock(0)
    store = MemoryStore()
    game = JobSlots(
        store, catalog, secret=career_secret(SEED), secret_id=CAREER_SECRET_ID, clock=clock
    )
    job = catalog.job_types["janitor"]
    pick = greedy("gold_rate")
    finals = []
    for i in range(careers):
        wallet, mek = f"w{i}", f"career-{i}"
        game.register_mek(wallet, mek)
        game.deposit(wallet, "gold", 1000)
        game.unlock_slot(wallet, 1)
        game.purchase_job(wallet, 1, "janitor")
        game.assign_mek(wallet, 1, mek)
        worked = 0
        for stop in job.pit_stops:
            due = job.pit_stop_tenure(stop.number)
            clock.advance(seconds=due - worked)
            worked = due
            offer = game.open_pit_stop(wallet, mek, "janitor")
            game.select_buff(wallet, offer.offer_id, pick(offer))  # type: ignore[arg-type]
        game.unslot_mek(wallet, 1)
        finals.append(game.wallet_totals(wallet).totals.get("gold_rate", 0.0))
    store.close()
    return finals


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    catalog = load_catalog(ROOT / "examples" / "catalog.toml")
    n = 2_000 if quick else 50_000
    n_game = 100 if quick else 1_000
    repeats = 1 if quick else 3

    simulate_career(catalog, "janitor", careers=200, seed=SEED, pick="greedy:gold_rate")  # warm
    t_sim = _best(
        lambda: simulate_career(catalog, "janitor", careers=n, seed=SEED, pick="greedy:gold_rate"),
        repeats,
    )
    t_floor = _best(lambda: engine_floor(catalog, n), repeats)
    t_game = _best(lambda: jobslots_careers(catalog, n_game), 1)

    sim_rate, floor_rate, game_rate = n / t_sim, n / t_floor, n_game / t_game
    print("catalog: examples/catalog.toml, job janitor (3 pit stops), pick greedy:gold_rate")
    print(f"simulate_career    {n:>7} careers  {sim_rate:>10,.0f} careers/s")
    print(f"engine floor       {n:>7} careers  {floor_rate:>10,.0f} careers/s"
          f"   simulate_career at {sim_rate / floor_rate:.2f}x the bare draw loop")
    print(f"JobSlots+Memory    {n_game:>7} careers  {game_rate:>10,.0f} careers/s"
          f"   simulate_career is {sim_rate / game_rate:.1f}x faster than playing them")

    raw = _run(catalog, "janitor", n_game, SEED, 0, greedy("gold_rate"))
    played = jobslots_careers(catalog, n_game)
    simulated = raw.effects["gold_rate"][-1]
    same = sum(1 for a, b in zip(simulated, played, strict=True) if abs(a - b) < 1e-9)
    print(f"careers agree: {same}/{n_game} end at the same gold rate as JobSlots")
    met = "met" if sim_rate >= GOAL else "NOT met"
    print(f"goal {GOAL:,.0f} careers/s: {met}")
    return 0 if same == n_game else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
