"""JobSlots service throughput on MemoryStore: pit-stop cycles and the `wallet_totals` hot path.

Run: ``python benchmarks/service.py`` (``--quick`` for a short smoke run). Prints:

1. Full pit-stop cycles per second: advance the clock to the next pit stop, `open_pit_stop`,
   `select_buff`; a `prestige` whenever every pit stop of the run is resolved (counted in the
   time, not as a cycle). Example catalog, janitor job, one Mek. The rate is printed for the
   first and the last of 10 windows, to show whether it degrades as the one Mek's history
   grows (totals refreshes and prestige plans read only live buffs, through an index).
2. `wallet_totals` latency for a wallet of 100 Meks that each hold 10 buffs in each of 5 jobs
   (5,000 kept buffs, built through the service so the projections are the real ones), beside
   the same totals computed in the same run from plain Python dicts (Mek -> list of
   (effect, value, stacks), summed per effect type, highest only for non-stacking buffs, with
   the account prestige multiplier): both latencies and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from jobslot_core import JobSlots, ManualClock, load_catalog
from jobslot_core.audit import audit
from jobslot_core.buffs import account_multiplier
from jobslot_core.catalog import Catalog, JobType, PitStop, SlotRule, SlotUnlockPolicy
from jobslot_core.storage import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "examples" / "catalog.toml"
SECRET = b"benchmark secret"


def pit_stop_cycles(catalog: Catalog, seconds: float) -> list[tuple[int, int, float]]:
    """Run cycles for about `seconds` in 10 equal windows; per window (cycles done before it,
    cycles in it, elapsed seconds), so a slowdown as history grows shows."""
    clock = ManualClock(start_ms=0)
    game = JobSlots(MemoryStore(), catalog, secret=SECRET, secret_id="b1", clock=clock)
    game.register_mek("w", "m")
    game.deposit("w", "gold", 1_000)
    game.unlock_slot("w", 1)
    game.purchase_job("w", 1, "janitor")
    game.assign_mek("w", 1, "m")
    job = catalog.job_types["janitor"]
    stops = [job.pit_stop_tenure(n) * 1000 for n in range(1, job.pit_stop_count + 1)]
    cycles = 0
    windows = []
    for _ in range(10):
        before = cycles
        start = time.perf_counter()
        deadline = start + seconds / 10
        while True:
            run_start = clock.now_ms()
            for due in stops:
                clock.set(run_start + due)
                offer = game.open_pit_stop("w", "m", "janitor")
                game.select_buff("w", offer.offer_id, cycles % 3)
                cycles += 1
            game.prestige("w", "m", "janitor")
            if time.perf_counter() >= deadline:
                break
        windows.append((before, cycles - before, time.perf_counter() - start))
    return windows


def wide_catalog(base: Catalog) -> Catalog:
    """Five free D-tier jobs with 10 one-level pit stops each (levels 1..11), free slots."""
    jobs = {
        f"job{j}": JobType(
            key=f"job{j}",
            tier="D",
            max_level=11,
            level_tenure=tuple(10 * n for n in range(1, 11)),
            pit_stops=tuple(PitStop(n, n, n + 1) for n in range(1, 11)),
            display_name=f"Job {j}",
        )
        for j in range(1, 6)
    }
    permanent = {k: attrs.evolve(b, active=b.permanent) for k, b in base.buff_types.items()}
    slots = SlotUnlockPolicy(rules=(SlotRule(1),), max_slots=10)
    policies = attrs.evolve(base.policies, slot_unlock=slots)
    return attrs.evolve(base, job_types=jobs, buff_types=permanent, policies=policies)


def build_wallet(catalog: Catalog, meks: int) -> tuple[JobSlots, MemoryStore, ManualClock]:
    """A wallet whose `meks` Meks each resolved all 10 pit stops of all 5 jobs, plus 1 prestige."""
    clock = ManualClock(start_ms=0)
    store = MemoryStore()
    game = JobSlots(store, catalog, secret=SECRET, secret_id="b2", clock=clock)
    jobs = sorted(catalog.job_types)
    for slot, job in enumerate(jobs, start=1):
        game.unlock_slot("w", slot)
        game.register_mek("w", f"m{slot - 1:03d}")
        game.purchase_job("w", slot, job)
    for m in range(len(jobs), meks):
        game.register_mek("w", f"m{m:03d}")
    for m in range(meks):
        mek = f"m{m:03d}"
        for slot, job in enumerate(jobs, start=1):
            game.assign_mek("w", slot, mek)
            clock.advance(seconds=catalog.job_types[job].level_tenure[-1])
            while game.progression(mek, job).pit_stop_ready:
                offer = game.open_pit_stop("w", mek, job)
                game.select_buff("w", offer.offer_id, (m + slot) % 3)
            game.unslot_mek("w", slot)
    # One prestige on an extra Mek so the account multiplier is part of the computation.
    game.register_mek("w", "prestiger")
    game.assign_mek("w", 1, "prestiger")
    clock.advance(seconds=catalog.job_types[jobs[0]].level_tenure[-1])
    while game.progression("prestiger", jobs[0]).pit_stop_ready:
        offer = game.open_pit_stop("w", "prestiger", jobs[0])
        game.select_buff("w", offer.offer_id, 0)
    game.prestige("w", "prestiger", jobs[0])
    return game, store, clock


def add_crowd(game: JobSlots, clock: ManualClock, catalog: Catalog, wallets: int) -> None:
    """Other wallets in the same store, each with one Mek holding one permanent buff."""
    job = sorted(catalog.job_types)[0]
    for n in range(wallets):
        wallet, mek = f"crowd{n:05d}", f"crowd-mek{n:05d}"
        game.register_mek(wallet, mek)
        game.unlock_slot(wallet, 1)
        game.purchase_job(wallet, 1, job)
        game.assign_mek(wallet, 1, mek)
        clock.advance(seconds=catalog.job_types[job].level_tenure[0])
        offer = game.open_pit_stop(wallet, mek, job)
        game.select_buff(wallet, offer.offer_id, n % 3)
        game.unslot_mek(wallet, 1)


def baseline_totals(
    buffs: dict[str, list[tuple[str, float, bool]]], catalog: Catalog, prestiges: int
) -> dict[str, float]:
    """The plain-dict computation: per Mek, stacking buffs add up and a non-stacking effect
    counts its highest value; then the wallet sums the Meks and applies the account buff."""
    totals: dict[str, float] = {}
    for kept in buffs.values():
        best: dict[str, float] = {}
        for effect, value, stacks in kept:
            if stacks:
                totals[effect] = totals.get(effect, 0.0) + value
            elif value > best.get(effect, float("-inf")):
                best[effect] = value
        for effect, value in best.items():
            totals[effect] = totals.get(effect, 0.0) + value
    policy = catalog.policies.prestige
    return {e: v * account_multiplier(policy, prestiges, e) for e, v in sorted(totals.items())}


def latency_us(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and best per-call latency in microseconds over `repeat` batches of calls."""
    per_batch = 50
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(per_batch):
            call()
        samples.append((time.perf_counter() - start) / per_batch * 1e6)
    return statistics.median(samples), min(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (smoke test)")
    args = parser.parse_args(argv)
    seconds, meks, repeat, crowd = (0.3, 10, 5, 50) if args.quick else (3.0, 100, 40, 1000)

    catalog = load_catalog(CATALOG)
    print(f"Python {sys.version.split()[0]}, MemoryStore, catalog {CATALOG.relative_to(ROOT)}")

    windows = pit_stop_cycles(catalog, seconds)
    cycles = sum(n for _, n, _ in windows)
    elapsed = sum(t for _, _, t in windows)
    first, last = windows[0], windows[-1]
    print(
        f"pit-stop cycles: {cycles} cycles (+{cycles // 3} prestiges) in {elapsed:.2f} s "
        f"= {cycles / elapsed:,.0f} cycles/s overall ({elapsed / cycles * 1e6:,.0f} us per cycle)"
    )
    print(
        f"  first window (history 0): {first[1] / first[2]:,.0f} cycles/s; "
        f"last window (history {last[0]} cycles): {last[1] / last[2]:,.0f} cycles/s"
    )

    wide = wide_catalog(catalog)
    start = time.perf_counter()
    game, store, clock = build_wallet(wide, meks)
    built = time.perf_counter() - start
    problems = audit(store)
    if problems:
        print("audit failed:", *problems, sep="\n  ")
        return 1
    mek_ids = [f"m{m:03d}" for m in range(meks)]
    kept = {m: game.active_buffs(m).buffs for m in mek_ids}
    n_buffs = sum(len(b) for b in kept.values())
    plain = {
        m: [(b.effect_type, b.effective_value, b.stacks) for b in bs] for m, bs in kept.items()
    }
    prestiges = game.wallet_totals("w").account_prestiges
    print(
        f"wallet state: {meks} Meks x 5 jobs x 10 buffs = {n_buffs} kept buffs "
        f"(+{len(game.active_buffs('prestiger').buffs)} on the prestiged Mek: none, cleared), "
        f"built through the service in {built:.1f} s, audit OK"
    )

    service = game.wallet_totals("w").totals
    expected = baseline_totals(plain, wide, prestiges)
    if service.keys() != expected.keys() or any(
        abs(service[k] - expected[k]) > 1e-6 * max(1.0, abs(expected[k])) for k in expected
    ):
        print(f"MISMATCH: service {dict(service)} vs baseline {expected}")
        return 1
    print("totals agree: " + ", ".join(f"{k} {v:,.2f}" for k, v in service.items()))

    svc_med, svc_best = latency_us(lambda: game.wallet_totals("w"), repeat)
    base_med, base_best = latency_us(lambda: baseline_totals(plain, wide, prestiges), repeat)
    print(
        f"wallet_totals (service, MemoryStore): median {svc_med:8.1f} us  best {svc_best:8.1f} us"
    )
    print(
        f"plain dict baseline (same data)     : median {base_med:8.1f} us  best {base_best:8.1f} us"
    )
    print(f"ratio service / baseline            : {svc_med / base_med:.3f} (median)")

    start = time.perf_counter()
    add_crowd(game, clock, wide, crowd)
    built = time.perf_counter() - start
    assert game.wallet_totals("w").totals == service
    crowd_med, crowd_best = latency_us(lambda: game.wallet_totals("w"), repeat)
    print(
        f"wallet_totals with {crowd} other wallets in the store (built in {built:.1f} s): "
        f"median {crowd_med:.1f} us  best {crowd_best:.1f} us ({crowd_med / svc_med:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
