"""Hypothesis command sequences over the whole JobSlots command set, and a state machine that
checks the store's invariants after every step.

A host runs the same machine against its own adapter by subclassing `GameStateMachine` and
overriding `make_store`; the differential tests apply one generated sequence to two stores and
compare outcomes with `apply_command`.
"""

import json
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ..audit import audit
from ..catalog import (
    BuffCarryMode,
    BuffCarryPolicy,
    BuffRange,
    BuffType,
    Catalog,
    Cost,
    JobChangeMode,
    JobChangePolicy,
    JobType,
    PitStop,
    Policies,
    RerollPolicy,
    RngConfig,
    SlotRule,
    SlotUnlockPolicy,
    UnlockRequirements,
)
from ..clock import ManualClock
from ..errors import JobSlotError
from ..serialization import to_dict
from ..service import JobSlots
from ..storage.protocol import TABLES, Store

__all__ = [
    "Command",
    "GameStateMachine",
    "Outcome",
    "apply_command",
    "command_sequences",
    "commands",
    "machine_catalog",
    "snapshot",
]

WALLETS = ("w1", "w2")
MEKS = ("m1", "m2", "m3", "m4")
JOBS = ("quick", "slow", "elite")
CURRENCIES = ("gold", "essence")

Command = tuple[str, dict[str, Any]]
"""A command name and its arguments (`advance` moves the clock; `*_nth` pick a made offer)."""

Outcome = tuple[Any, ...]
"""("ok", result as plain data) or ("error", error class name, field, value)."""


def machine_catalog(*, keep_diminished: bool = False) -> Catalog:
    """A small catalog where pit stops come quickly, with every policy switched on."""
    levels = tuple(range(10, 100, 10))
    jobs = [
        JobType("quick", "D", levels, [PitStop(1, 1, 3), PitStop(2, 3, 6), PitStop(3, 6, 10)]),
        JobType(
            "slow",
            "B",
            tuple(t * 3 for t in levels),
            [PitStop(1, 1, 5), PitStop(2, 5, 10)],
            purchase_cost=Cost("gold", 50),
        ),
        JobType(
            "elite",
            "S",
            levels,
            [PitStop(1, 1, 10)],
            purchase_cost=Cost("gold", 100),
            unlock=UnlockRequirements(prestige_count=1, job_keys=("quick",)),
        ),
    ]
    buffs = [
        BuffType("gold_per_hour", "gold_rate"),
        BuffType("essence_per_day", "essence_rate"),
        BuffType("best_gold", "gold_rate", stacks=False, precision=1),
        BuffType("flat_gold", "flat_gold", permanent=False, precision=0, currency="gold"),
    ]
    cells = []
    for buff in buffs:
        for tier in ("D", "B", "S"):
            cells.append(BuffRange(buff.key, tier, 1, 5, 1.0, 10.0, 5.0))
            cells.append(BuffRange(buff.key, tier, 6, 10, 11.0, 30.0, 20.0))
    policies = Policies(
        job_change=JobChangePolicy(JobChangeMode.SWAP, Cost("gold", 20)),
        buff_carry=BuffCarryPolicy(
            BuffCarryMode.KEEP_DIMINISHED if keep_diminished else BuffCarryMode.CLEAR, 0.5
        ),
        slot_unlock=SlotUnlockPolicy(
            (SlotRule(1), SlotRule(2, Cost("gold", 100)), SlotRule(3, Cost("gold", 200), 1)),
            max_slots=3,
        ),
        reroll=RerollPolicy(Cost("gold", 10), max_rerolls=2),
    )
    return Catalog(jobs, buffs, cells, RngConfig(guarantee_one_common=True), policies)


def _cmd(name: str, **args: st.SearchStrategy[Any]) -> st.SearchStrategy[Command]:
    return st.fixed_dictionaries(args).map(lambda a: (name, a))


_w = st.sampled_from(WALLETS)
_m = st.sampled_from(MEKS)
_j = st.sampled_from(JOBS)
_slot = st.integers(1, 4)
_nth = st.integers(0, 7)


def commands() -> st.SearchStrategy[Command]:
    """One command with arguments drawn from a small world (2 wallets, 3 Meks, 3 jobs)."""
    base = st.one_of(
        _cmd("advance", seconds=st.sampled_from([1, 9, 30, 60, 100, 300])),
        _cmd("register_mek", wallet=_w, mek_id=_m),
        _cmd("transfer_mek", mek_id=_m, to_wallet=_w),
        _cmd("set_mek_available", mek_id=_m, available=st.booleans()),
        _cmd(
            "deposit", wallet=_w, currency=st.sampled_from(CURRENCIES), amount=st.integers(1, 500)
        ),
        _cmd(
            "withdraw", wallet=_w, currency=st.sampled_from(CURRENCIES), amount=st.integers(1, 500)
        ),
        _cmd("unlock_slot", wallet=_w, slot_number=_slot),
        _cmd("purchase_job", wallet=_w, slot_number=_slot, job_key=_j),
        _cmd("change_job", wallet=_w, slot_number=_slot, job_key=_j),
        _cmd("assign_mek", wallet=_w, slot_number=_slot, mek_id=_m),
        _cmd("unslot_mek", wallet=_w, slot_number=_slot),
        _cmd("open_pit_stop", wallet=_w, mek_id=_m, job_key=_j),
        _cmd("open_pit_stop", wallet=_w, mek_id=_m, job_key=st.just("quick")),
        _cmd("select_nth", wallet=_w, nth=_nth, index=st.integers(-1, 3)),
        _cmd("select_nth", wallet=_w, nth=_nth, index=st.integers(0, 2)),
        _cmd("reroll_nth", wallet=_w, nth=_nth),
        _cmd("prestige", wallet=_w, mek_id=_m, job_key=_j),
    )
    # Mostly no key; sometimes a key named after the command (a retry replays it), sometimes a
    # shared key (another command under it conflicts).
    keyed = st.tuples(base, st.sampled_from([None] * 8 + ["own", "shared"]))
    return keyed.map(_with_key)


def _with_key(pair: tuple[Command, str | None]) -> Command:
    (name, args), kind = pair
    if kind is None:
        return (name, args)
    key = "shared" if kind == "shared" else f"{name}:{json.dumps(args, sort_keys=True)}"
    return (name, {**args, "idempotency_key": key})


def command_sequences(max_size: int = 60) -> st.SearchStrategy[list[Command]]:
    """Lists of commands for differential tests."""
    return st.lists(commands(), max_size=max_size)


def apply_command(
    game: JobSlots, clock: ManualClock, offers: list[str], command: Command
) -> Outcome:
    """Run one command; typed refusals become outcomes. `offers` collects offer ids made so far."""
    name, args = command
    args = dict(args)
    try:
        if name == "advance":
            clock.advance(seconds=args["seconds"])
            return ("ok", clock.now_ms())
        if name in ("select_nth", "reroll_nth"):
            if not offers:
                return ("skip",)
            offer_id = offers[args.pop("nth") % len(offers)]
            if name == "select_nth":
                result: Any = game.select_buff(
                    args.pop("wallet"), offer_id, args.pop("index"), **args
                )
            else:
                result = game.reroll_offer(args.pop("wallet"), offer_id, **args)
        else:
            result = getattr(game, name)(**args)
        if name in ("open_pit_stop", "reroll_nth") and result.offer_id not in offers:
            offers.append(result.offer_id)
        return ("ok", to_dict(result))
    except JobSlotError as err:
        return ("error", type(err).__name__, err.field, json.dumps(err.value, default=repr))


def _stand_ins(catalog: Catalog) -> tuple[dict[str, str], int]:
    """Which of the catalog's jobs stands in for each vocabulary job, and the clock step scale.

    The machine catalog maps onto itself with scale 1. Otherwise ``quick`` is an entry job
    (no unlock requirements) and the others cycle over the remaining active jobs; the scale
    makes the vocabulary's 90-second step reach the entry job's last level.
    """
    if set(JOBS) <= set(catalog.job_types):
        return {key: key for key in JOBS}, 1
    active = sorted(
        (j for j in catalog.job_types.values() if j.active), key=lambda j: (j.sort_order, j.key)
    )
    entry = next(
        j for j in active if not j.unlock.job_keys and j.unlock.prestige_count == 0
    )
    others = [j.key for j in active if j.key != entry.key] or [entry.key]
    jobs = {JOBS[0]: entry.key}
    for i, key in enumerate(JOBS[1:]):
        jobs[key] = others[i % len(others)]
    return jobs, max(1, round(entry.level_tenure[-1] / 90))


def _funding(catalog: Catalog) -> dict[str, int]:
    """Enough of every cost currency of the catalog to unlock slots and buy jobs twice over."""
    policies = catalog.policies
    costs = [j.purchase_cost for j in catalog.job_types.values()]
    costs += [r.cost for r in policies.slot_unlock.rules]
    costs += [policies.job_change.swap_fee, policies.reroll.cost]
    funds: dict[str, int] = {}
    for cost in costs:
        if cost is not None and cost.amount:
            funds[cost.currency] = funds.get(cost.currency, 0) + 2 * cost.amount
    return funds


def snapshot(store: Store) -> dict[str, tuple[Any, ...]]:
    """Every record of every table, for before/after comparisons."""
    with store.unit_of_work(write=False) as uow:
        return {t.name: tuple(uow.scan(t) if t.log else uow.find(t)) for t in TABLES}


class GameStateMachine(RuleBasedStateMachine):
    """Random command sequences with the store's invariants checked after every step.

    Subclass and override `make_store` to run it against another adapter.
    """

    keep_diminished = False
    catalog: Catalog | None = None
    """A studio's own catalog to run on (None: `machine_catalog`); see `for_catalog`."""

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> type["GameStateMachine"]:
        """A subclass running on `catalog`: its jobs stand in for the vocabulary's three (the
        entry job for ``quick``) and the clock moves in steps scaled to the entry job's tenure.
        Run it with ``GameStateMachine.for_catalog(catalog).TestCase``."""
        return type(f"{cls.__name__}ForCatalog", (cls,), {"catalog": catalog})

    def make_store(self) -> Store:
        from ..storage.memory import MemoryStore

        return MemoryStore()

    def make_catalog(self) -> Catalog:
        if self.catalog is not None:
            return self.catalog
        return machine_catalog(keep_diminished=self.keep_diminished)

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(0)
        self.store = self.make_store()
        catalog = self.make_catalog()
        self.jobs, self.time_scale = _stand_ins(catalog)
        self.job_keys = frozenset(catalog.job_types)
        self.game = JobSlots(
            self.store,
            catalog,
            secret=b"machine secret 0123",
            secret_id="s1",
            clock=self.clock,
        )
        self.offers: list[str] = []
        self.setup_world()
        self.tenure: dict[tuple[str, str], tuple[int, int]] = {}
        self.before = snapshot(self.store)

    def setup_world(self) -> None:
        """Start where pit stops are reachable: Meks registered, funds, one job each."""
        game = self.game
        for mek, wallet in (("m1", "w1"), ("m2", "w1"), ("m3", "w2")):
            game.register_mek(wallet, mek)
        for wallet in WALLETS:
            game.deposit(wallet, "gold", 1000)
            if self.catalog is not None:  # a studio's costs: fund them generously
                for currency, amount in _funding(self.catalog).items():
                    game.deposit(wallet, currency, amount)
            game.unlock_slot(wallet, 1)
            game.purchase_job(wallet, 1, self.jobs["quick"])
        game.assign_mek("w1", 1, "m1")
        game.assign_mek("w2", 1, "m3")

    def teardown(self) -> None:
        self.store.close()

    @rule(command=commands())
    def step(self, command: Command) -> None:
        self.apply(command)

    @rule(wallet=_w, index=st.integers(0, 2), seconds=st.sampled_from([5, 20, 40, 90]))
    def play_pit_stops(self, wallet: str, index: int, seconds: int) -> None:
        """Advance time, then open and select the due pit stop of every working Mek of a wallet."""
        self.apply(("advance", {"seconds": seconds}))
        for slot in self.game.player_slots(wallet).slots:
            if slot.slot.mek_id is None or slot.slot.job_key is None:
                continue
            target = {"wallet": wallet, "mek_id": slot.slot.mek_id, "job_key": slot.slot.job_key}
            opened = self.apply(("open_pit_stop", target))
            if opened[0] == "ok":
                offer_id = opened[1]["offer_id"]
                self.apply(
                    ("select_buff", {"wallet": wallet, "offer_id": offer_id, "index": index})
                )

    @rule(wallet=_w)
    def prestige_working_meks(self, wallet: str) -> None:
        """Try to prestige every working Mek of a wallet in its job."""
        for slot in self.game.player_slots(wallet).slots:
            if slot.slot.mek_id is not None and slot.slot.job_key is not None:
                self.apply(
                    (
                        "prestige",
                        {
                            "wallet": wallet,
                            "mek_id": slot.slot.mek_id,
                            "job_key": slot.slot.job_key,
                        },
                    )
                )

    def apply(self, command: Command) -> Outcome:
        """Run one command and check what every command must respect."""
        before = self.before
        command = self.translate(command)
        outcome = apply_command(self.game, self.clock, self.offers, command)
        event(f"{command[0]}: {outcome[0]} {outcome[1] if outcome[0] == 'error' else ''}".strip())
        after = snapshot(self.store)
        if outcome[0] == "error":
            assert after == before, f"{command} failed with {outcome} but changed the store"
        for name in ("events", "ledger", "ownerships", "catalogs"):
            assert after[name][: len(before[name])] == before[name], f"{name} was rewritten"
        assert {o.offer_id for o in before["offers"]} <= {o.offer_id for o in after["offers"]}
        assert set(before["selections"]) <= set(after["selections"]), "a selection was lost"
        self.before = after
        return outcome

    def translate(self, command: Command) -> Command:
        """The vocabulary's job keys and clock steps mapped onto the catalog run on."""
        name, args = command
        if name == "advance" and self.time_scale != 1:
            args = {**args, "seconds": args["seconds"] * self.time_scale}
        if args.get("job_key") in self.jobs and args["job_key"] not in self.job_keys:
            args = {**args, "job_key": self.jobs[args["job_key"]]}
        return (name, args)

    @rule(data=st.data())
    def replay_is_idempotent(self, data: st.DataObject) -> None:
        """Running a keyed command twice returns the first result and changes nothing."""
        wallet = data.draw(_w)
        key = f"replay-{len(self.before['events'])}"
        first = apply_command(
            self.game,
            self.clock,
            self.offers,
            (
                "deposit",
                {"wallet": wallet, "currency": "gold", "amount": 7, "idempotency_key": key},
            ),
        )
        middle = snapshot(self.store)
        again = apply_command(
            self.game,
            self.clock,
            self.offers,
            (
                "deposit",
                {"wallet": wallet, "currency": "gold", "amount": 7, "idempotency_key": key},
            ),
        )
        assert again == first
        assert snapshot(self.store) == middle
        conflict = apply_command(
            self.game,
            self.clock,
            self.offers,
            (
                "deposit",
                {"wallet": wallet, "currency": "gold", "amount": 8, "idempotency_key": key},
            ),
        )
        assert conflict[:2] == ("error", "IdempotencyConflict")
        self.before = snapshot(self.store)

    @invariant()
    def store_is_consistent(self) -> None:
        assert audit(self.store) == ()

    @invariant()
    def tenure_never_decreases_except_by_prestige(self) -> None:
        now = self.clock.now_ms()
        for p in self.before.get("progressions", ()):
            key = (p.mek_id, p.job_key)
            tenure = p.tenure_at(now)
            seen = self.tenure.get(key)
            if seen is not None and p.prestige_count == seen[1]:
                assert tenure >= seen[0], f"tenure of {key} went from {seen[0]} to {tenure}"
            self.tenure[key] = (tenure, p.prestige_count)
