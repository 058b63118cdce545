"""A complete jobslot_core story, printed the way a player would see it.

Run from the repository root::

    python examples/quickstart.py

It loads examples/catalog.toml, keeps the game in a SQLite file in a temporary directory, and
walks one wallet through: register a Mek, fund the wallet, unlock a slot, buy the janitor job,
assign the Mek, let time pass, open and resolve every pit stop up to max level, and prestige.
The clock is a ManualClock and the offer secret is fixed, so the output is the same every run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from jobslot_core import JobSlots, ManualClock, load_catalog
from jobslot_core.audit import audit
from jobslot_core.catalog import RARITIES, Catalog
from jobslot_core.model import Offer
from jobslot_core.storage import SQLiteStore

CATALOG = Path(__file__).resolve().parent / "catalog.toml"
WALLET, MEK, JOB = "wallet-a", "mek-1", "janitor"
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: a fixed start keeps the output stable

UNITS = {
    "gold_rate": "gold/hour",
    "essence_rate": "essence/day",
    "tenure_rate": "% faster tenure",
    "flat_gold": "gold, once",
    "flat_essence": "essence, once",
}


def say(text: str = "") -> None:
    print(text)


def show_offer(catalog: Catalog, offer: Offer) -> None:
    say(
        f"  Pit stop {offer.pit_stop_number} (levels {offer.from_level} -> {offer.to_level}): "
        "choose one buff"
    )
    for i, c in enumerate(offer.choices):
        name = catalog.buff_types[c.buff_key].display_name
        say(
            f"    [{i}] {name:<16} +{c.value:g} {UNITS.get(c.effect_type, c.effect_type)}"
            f"  ({c.rarity}; range {c.min_value:g}-{c.max_value:g})"
        )


def pick(offer: Offer) -> int:
    """The player's habit: the rarest permanent buff on offer (the first of equals)."""

    def worth(i: int) -> tuple[bool, int, int]:
        c = offer.choices[i]
        return (c.permanent, RARITIES.index(c.rarity), -i)

    return max(range(len(offer.choices)), key=worth)


def show_totals(game: JobSlots) -> None:
    totals = game.wallet_totals(WALLET)
    if not totals.totals:
        say("  Wallet totals: no buffs")
        return
    bonus = (
        f" (account bonus +{totals.account_buff_percent * totals.account_prestiges:g}%)"
        if totals.account_prestiges
        else ""
    )
    say(f"  Wallet totals{bonus}:")
    for effect, value in totals.totals.items():
        base = totals.base[effect]
        before = f"  (before the bonus: {base:.2f})" if value != base else ""
        say(f"    {effect:<14} {value:.2f} {UNITS.get(effect, '')}{before}")


def main() -> None:
    catalog = load_catalog(CATALOG)
    clock = ManualClock(start_ms=START_MS)

    def elapsed() -> str:
        return f"t+{(clock.now_ms() - START_MS) // 1000}s"

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "game.db")
        try:
            game = JobSlots(
                store, catalog, secret=b"quickstart secret", secret_id="demo-1", clock=clock
            )
            say(f"Catalog: {', '.join(j.display_name for j in catalog.job_types.values())}")

            game.register_mek(WALLET, MEK)
            say(f"Registered {MEK} to {WALLET}")
            game.deposit(WALLET, "gold", 10_000, idempotency_key="welcome-bonus")
            game.deposit(WALLET, "gold", 10_000, idempotency_key="welcome-bonus")  # a retry
            gold = game.balance(WALLET, "gold")
            say(f"Deposited 10000 gold (sent twice, counted once): {gold} gold")

            game.unlock_slot(WALLET, 1)
            say("Unlocked slot 1 (free)")
            job = catalog.job_types[JOB]
            game.purchase_job(WALLET, 1, JOB)
            cost = job.purchase_cost
            say(f"Bought {job.display_name} for slot 1: {cost.amount if cost else 0} gold")
            game.assign_mek(WALLET, 1, MEK)
            say(f"Assigned {MEK} to slot 1")

            clock.advance(seconds=200)
            view = game.progression(MEK, JOB)
            say(
                f"{elapsed()}: level {view.level}/{view.max_level}, "
                f"{view.progress_percent:.0f}% to max, pit stop ready: {view.pit_stop_ready}"
            )
            offer = game.open_pit_stop(WALLET, MEK, JOB)
            show_offer(catalog, offer)
            again = game.open_pit_stop(WALLET, MEK, JOB)
            say(f"  Asked again: {'same offer' if again == offer else 'a different offer!'}")
            choice = pick(offer)
            game.select_buff(WALLET, offer.offer_id, choice)
            say(f"  Picked [{choice}] {offer.choices[choice].buff_key}")
            show_totals(game)

            say()
            clock.advance(seconds=job.level_tenure[-1] - 200)
            view = game.progression(MEK, JOB)
            say(
                f"{elapsed()}: level {view.level}/{view.max_level}, "
                f"{view.pending_pit_stops} pit stops waiting"
            )
            while game.progression(MEK, JOB).pit_stop_ready:
                offer = game.open_pit_stop(WALLET, MEK, JOB)
                show_offer(catalog, offer)
                choice = pick(offer)
                game.select_buff(WALLET, offer.offer_id, choice)
                say(f"  Picked [{choice}] {offer.choices[choice].buff_key}")
            show_totals(game)

            say()
            preview = game.prestige_preview(MEK, JOB)
            say(
                f"Prestige {job.display_name}: eligible {preview.eligible}, "
                f"loses {len(preview.buffs_lost)} buffs, "
                f"gains +{catalog.policies.prestige.account_buff_percent:g}% gold and essence"
            )
            record = game.prestige(WALLET, MEK, JOB)
            view = game.progression(MEK, JOB)
            say(
                f"Prestige #{record.prestige_number} done: {MEK} is back to level {view.level} "
                f"in {job.display_name}"
            )
            show_totals(game)

            say()
            clock.advance(seconds=200)
            offer = game.open_pit_stop(WALLET, MEK, JOB)
            choice = pick(offer)
            game.select_buff(WALLET, offer.offer_id, choice)
            say(
                f"{elapsed()}: new run, pit stop 1 again -> picked {offer.choices[choice].buff_key}"
            )
            show_totals(game)

            say()
            gold, essence = game.balance(WALLET, "gold"), game.balance(WALLET, "essence")
            say(f"Balance: {gold} gold, {essence} essence")
            for entry in game.ledger(WALLET):
                say(f"  {entry.amount:+7d} {entry.currency:<8} {entry.reason}")
            say(f"Events in the outbox: {len(game.events())}")
            problems = audit(store)
            say(f"Store audit: {'OK' if not problems else '; '.join(problems)}")
        finally:
            store.close()


if __name__ == "__main__":
    main()
