"""Fuzz every public entry point (issue 10): `JobSlots` and `Admin` methods and constructors, the
engine, catalog I/O, the stores and the command line get valid and hostile arguments mixed;
only `JobSlotError`s may escape, and a call that raises one changes nothing in the store.

The default run makes a few thousand calls in some seconds; `HYPOTHESIS_PROFILE=thorough` runs
40 times more examples. `FUZZ_REPORT=1` prints the figures (calls, outcomes)."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobslot_core import Admin, JobSlots, ManualClock
from jobslot_core.catalog import Catalog, Policies, RngConfig
from jobslot_core.catalog_io import (
    catalog_fingerprint,
    dump_catalog,
    load_catalog,
    loads_catalog,
    save_catalog,
)
from jobslot_core.cli import main as cli_main
from jobslot_core.engine import draw_value, make_offer, rarity_of, simulate
from jobslot_core.engine.stream import OfferStream
from jobslot_core.errors import JobSlotError, _shown
from jobslot_core.service import RetryPolicy
from jobslot_core.storage import MemoryStore, SQLiteStore
from jobslot_core.storage.protocol import Store
from jobslot_core.testing.commands import machine_catalog, snapshot

CATALOG = machine_catalog()
SECRET = b"fuzz test secret!"
OUTCOMES: Counter[str] = Counter()

_HUGE = [2**63, -(2**63) - 1, 10**5000, -(10**5000), 2**63 - 1, -1, 0]
HOSTILE: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(_HUGE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.sampled_from(["", " w1", "w1 ", "x" * 201, "\x00", "\ud800", "../etc", "quick\n"]),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.tuples(),
    st.builds(object),
)


def _pick(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


VALID: dict[str, st.SearchStrategy[Any]] = {
    "wallet": _pick("w1", "w2", "w3"),
    "to_wallet": _pick("w1", "w2", "w3"),
    "from_wallet": _pick(None, "w1", "w2"),
    "mek_id": _pick("m1", "m2", "m3", "m9"),
    "job_key": _pick("quick", "slow", "elite", "nope"),
    "slot_number": st.integers(1, 4),
    "currency": _pick("gold", "essence", None),
    "amount": st.integers(1, 2_000),
    "index": st.integers(0, 3),
    "available": st.booleans(),
    "seq": st.integers(0, 60),
    "after": st.integers(0, 60),
    "limit": st.integers(1, 100),
    "consumer": _pick("default", "c2"),
    "idempotency_key": _pick(None, "k1", "k2"),
    "version": _pick(None, 1, 2, 3),
    "older_than_ms": st.integers(0, 10**7),
    "secret_id": _pick("s1", "s2"),
    "secret": _pick(SECRET, b"the s2 secret, long", b"wrong"),
    "cell": st.sampled_from(CATALOG.buff_ranges),
    "rng": st.builds(RngConfig, default_spread=st.floats(0.05, 1.0)),
    "job": st.sampled_from(list(CATALOG.job_types.values())),
    "policies": st.just(Policies()),
    "catalog": st.just(CATALOG),
    "prestige_sequence": st.integers(0, 3),
    "pit_stop_number": st.integers(1, 4),
    "reroll": st.integers(0, 3),
    "value": st.floats(1.0, 30.0),
    "min_value": st.just(1.0),
    "max_value": st.just(30.0),
    "buff_range": st.sampled_from(CATALOG.buff_ranges),
    "rng_config": st.just(RngConfig()),
    "precision": st.integers(0, 6),
    "buff_key": _pick("gold_per_hour", "flat_gold", "nope"),
    "tier": _pick("D", "B", "S", "X"),
    "level": st.integers(1, 12),
    "n": st.integers(1, 200),
    "seed": st.integers(-(2**63), 2**63 - 1),
    "bins": st.integers(1, 30),
    "format": _pick("toml", "json", None),
    "text": _pick(dump_catalog(CATALOG, "json"), dump_catalog(CATALOG, "toml"), "{}", "[x"),
    "offer_id": st.just("<offer>"),  # replaced by a real offer id when there is one
}


def arg(name: str) -> st.SearchStrategy[Any]:
    """Mostly a plausible value for the parameter, sometimes a hostile one."""
    valid = VALID.get(name, HOSTILE)
    return st.integers(0, 3).flatmap(lambda i: HOSTILE if i == 0 else valid)


# Each entry: the name, then the parameters it takes (positional, then `*`-keyword ones).
GAME_CALLS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("register_mek", ("wallet", "mek_id"), ("idempotency_key",)),
    ("transfer_mek", ("mek_id", "to_wallet"), ("from_wallet", "idempotency_key")),
    ("set_mek_available", ("mek_id", "available"), ("wallet", "idempotency_key")),
    ("mek_owners", ("mek_id",), ()),
    ("deposit", ("wallet", "currency", "amount"), ("idempotency_key",)),
    ("withdraw", ("wallet", "currency", "amount"), ("idempotency_key",)),
    ("balance", ("wallet", "currency"), ()),
    ("ledger", ("wallet", "currency"), ()),
    ("unlock_slot", ("wallet", "slot_number"), ("idempotency_key",)),
    ("purchase_job", ("wallet", "slot_number", "job_key"), ("idempotency_key",)),
    ("change_job", ("wallet", "slot_number", "job_key"), ("idempotency_key",)),
    ("assign_mek", ("wallet", "slot_number", "mek_id"), ("idempotency_key",)),
    ("unslot_mek", ("wallet", "slot_number"), ("idempotency_key",)),
    ("progression", ("mek_id", "job_key"), ()),
    ("open_pit_stop", ("wallet", "mek_id", "job_key"), ("idempotency_key",)),
    ("reroll_offer", ("wallet", "offer_id"), ("idempotency_key",)),
    ("select_buff", ("wallet", "offer_id", "index"), ("idempotency_key",)),
    ("buff_history", ("mek_id", "job_key"), ()),
    ("active_buffs", ("mek_id",), ()),
    ("wallet_totals", ("wallet",), ()),
    ("prestige_preview", ("mek_id", "job_key"), ()),
    ("prestige", ("wallet", "mek_id", "job_key"), ("idempotency_key",)),
    ("prestige_history", ("mek_id", "job_key"), ()),
    ("available_jobs", ("wallet",), ()),
    ("player_slots", ("wallet",), ()),
    ("events", ("after", "limit"), ()),
    ("cursor", ("consumer",), ()),
    ("ack", ("seq", "consumer"), ()),
]
ADMIN_CALLS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("publish", ("catalog",), ()),
    ("catalog", ("version",), ()),
    ("versions", (), ()),
    ("set_buff_range", ("cell",), ()),
    ("set_rng_config", ("rng",), ()),
    ("set_job_type", ("job",), ()),
    ("set_policies", ("policies",), ()),
    ("secrets", (), ()),
    ("register_secret", ("secret_id", "secret"), ()),
    ("retire_secret", ("secret_id",), ()),
    ("reveal_secret", ("secret_id", "secret"), ()),
    ("verify_offer", ("offer_id", "secret"), ()),
    ("purge_idempotency", ("older_than_ms",), ()),
]


def call_strategy(
    calls: list[tuple[str, tuple[str, ...], tuple[str, ...]]],
) -> st.SearchStrategy[tuple[str, list[Any], dict[str, Any]]]:
    def one(entry: tuple[str, tuple[str, ...], tuple[str, ...]]) -> st.SearchStrategy[Any]:
        name, positional, keywords = entry
        return st.tuples(
            st.just(name),
            st.tuples(*(arg(p) for p in positional)).map(list),
            st.fixed_dictionaries({k: arg(k) for k in keywords}),
        )

    return st.sampled_from(calls).flatmap(one)


def _text(value: Any) -> str:
    """`str(value)` for a command line argument (an int past the digit limit has none)."""
    try:
        return str(value)
    except ValueError:
        return "<huge>"


def record(outcome: str) -> None:
    OUTCOMES[outcome] += 1


class World:
    """A game with Meks working, funds and a pit stop due, on one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock = ManualClock(1_000_000)
        self.game = JobSlots(store, CATALOG, secret=SECRET, secret_id="s1", clock=self.clock)
        self.admin = Admin(store, clock=self.clock)
        for mek, wallet in (("m1", "w1"), ("m2", "w1"), ("m3", "w2")):
            self.game.register_mek(wallet, mek)
        for wallet in ("w1", "w2"):
            self.game.deposit(wallet, "gold", 1_000)
            self.game.unlock_slot(wallet, 1)
            self.game.purchase_job(wallet, 1, "quick")
        self.game.assign_mek("w1", 1, "m1")
        self.game.assign_mek("w2", 1, "m3")
        self.clock.advance(seconds=60)
        self.offers = [self.game.open_pit_stop("w1", "m1", "quick").offer_id]

    def run(self, target: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        args = [self.offers[-1] if a == "<offer>" else a for a in args]
        before = snapshot(self.store)
        try:
            result = getattr(target, name)(*args, **kwargs)
        except JobSlotError as err:
            record(f"{type(err).__name__}")
            after = snapshot(self.store)
            assert after == before, f"{name}{_shown(args)} raised {err!r} and changed the store"
            return
        except Exception as err:  # pragma: no cover - what the test exists to catch
            raise AssertionError(
                f"{name}({_shown(args)}, {_shown(kwargs)}) raised {err!r}"
            ) from err
        record("ok")
        offer_id = getattr(result, "offer_id", None)
        if isinstance(offer_id, str) and offer_id not in self.offers:
            self.offers.append(offer_id)


@pytest.fixture(scope="module")
def report() -> Iterator[Counter[str]]:
    yield OUTCOMES
    if os.environ.get("FUZZ_REPORT"):
        total = sum(OUTCOMES.values())
        print(f"\nfuzz: {total} calls; " + ", ".join(f"{k} {v}" for k, v in OUTCOMES.most_common()))


def _stores() -> list[tuple[str, Callable[[Path], Store]]]:
    return [("memory", lambda _: MemoryStore()), ("sqlite", lambda p: SQLiteStore(p / "f.db"))]


@pytest.mark.parametrize(("kind", "make"), _stores(), ids=[k for k, _ in _stores()])
@given(data=st.data())
def test_game_and_admin_calls_raise_only_typed_errors_and_refusals_change_nothing(
    kind: str, make: Callable[[Path], Store], data: st.DataObject, report: Counter[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = make(Path(tmp))
        try:
            world = World(store)
            steps = data.draw(
                st.lists(
                    st.one_of(
                        call_strategy(GAME_CALLS).map(lambda c: ("game", *c)),
                        call_strategy(ADMIN_CALLS).map(lambda c: ("admin", *c)),
                        st.integers(1, 120).map(lambda s: ("clock", s, [], {})),
                    ),
                    min_size=20,
                    max_size=60,
                )
            )
            for target, name, args, kwargs in steps:
                if target == "clock":
                    world.clock.advance(seconds=name)
                    continue
                world.run(world.game if target == "game" else world.admin, name, args, kwargs)
        finally:
            store.close()


# -- constructors, the engine, catalog I/O, the stores, the CLI --------------------------------

FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[str, ...], tuple[str, ...]]] = {
    "JobSlots": (
        lambda store, catalog, **kw: JobSlots(store, catalog, **kw),
        ("store", "catalog"),
        ("secret", "secret_id", "clock", "retry"),
    ),
    "Admin": (lambda store, **kw: Admin(store, **kw), ("store",), ("clock", "retry")),
    # The engine's owner checks `catalog` in make_offer and simulate (another branch): here they
    # get a valid catalog and hostile everything else.
    "make_offer": (
        make_offer,
        ("valid_catalog",),
        (
            "secret",
            "secret_id",
            "mek_id",
            "job_key",
            "prestige_sequence",
            "pit_stop_number",
            "reroll",
        ),
    ),
    "draw_value": (draw_value, ("buff_range", "rng_config", "stream", "precision"), ()),
    "rarity_of": (rarity_of, ("value", "min_value", "max_value"), ()),
    "simulate": (simulate, ("valid_catalog",), ("buff_key", "tier", "level", "n", "seed", "bins")),
    "loads_catalog": (loads_catalog, ("text", "format"), ()),
    "dump_catalog": (dump_catalog, ("catalog", "format"), ()),
    "catalog_fingerprint": (catalog_fingerprint, ("catalog",), ()),
    "Catalog": (
        Catalog,
        ("job_types", "buff_types", "buff_ranges", "rng", "policies"),
        (),
    ),
    "RetryPolicy": (RetryPolicy, ("attempts", "first_delay_s", "max_delay_s"), ()),
    "ManualClock": (ManualClock, ("start_ms",), ()),
}

EXTRA: dict[str, st.SearchStrategy[Any]] = {
    "store": st.builds(MemoryStore),
    "clock": st.builds(ManualClock, st.integers(0, 10**9)),
    "retry": st.just(RetryPolicy()),
    "stream": st.builds(OfferStream, st.just(b"k"), st.binary(max_size=8)),
    "job_types": st.just(list(CATALOG.job_types.values())),
    "buff_types": st.just(list(CATALOG.buff_types.values())),
    "buff_ranges": st.just(list(CATALOG.buff_ranges)),
    "attempts": st.integers(1, 5),
    "first_delay_s": st.floats(0, 1),
    "max_delay_s": st.floats(0, 1),
    "start_ms": st.integers(0, 10**9),
}


def any_arg(name: str) -> st.SearchStrategy[Any]:
    if name == "valid_catalog":
        return st.just(CATALOG)
    valid = EXTRA[name] if name in EXTRA else VALID.get(name, HOSTILE)
    return st.integers(0, 3).flatmap(lambda i: HOSTILE if i == 0 else valid)


@given(name=st.sampled_from(sorted(FUNCTIONS)), data=st.data())
def test_functions_and_constructors_raise_only_typed_errors(
    name: str, data: st.DataObject, report: Counter[str]
) -> None:
    function, positional, keywords = FUNCTIONS[name]
    args = [data.draw(any_arg(p), label=p) for p in positional]
    kwargs = {k: data.draw(any_arg(k), label=k) for k in keywords}
    if name == "simulate" and isinstance(kwargs.get("n"), int) and kwargs["n"] > 10_000:
        kwargs["n"] = 10_000  # a valid but slow request: simulate has no upper bound on n
    try:
        function(*args, **kwargs)
    except JobSlotError as err:
        record(type(err).__name__)
    except Exception as err:  # pragma: no cover - what the test exists to catch
        raise AssertionError(f"{name}({_shown(args)}, {_shown(kwargs)}) raised {err!r}") from err
    else:
        record("ok")


@given(
    path=st.one_of(HOSTILE, st.sampled_from(["missing.toml", "dir", "catalog.json", "bad.toml"])),
    fmt=st.one_of(HOSTILE, st.sampled_from(["toml", "json", None])),
    read_only=st.one_of(st.booleans(), HOSTILE),
    timeout=st.one_of(st.floats(0, 5), HOSTILE),
    synchronous=st.one_of(st.sampled_from(["FULL", "NORMAL", "off"]), HOSTILE),
)
def test_files_stores_and_cli_raise_only_typed_errors(
    path: Any, fmt: Any, read_only: Any, timeout: Any, synchronous: Any, report: Counter[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "dir").mkdir()
        save_catalog(CATALOG, root / "catalog.json")
        (root / "bad.toml").write_text("job_types = [" * 50)
        target = root / path if isinstance(path, str) and "\x00" not in path else path
        calls: list[tuple[str, Callable[[], Any]]] = [
            ("load_catalog", lambda: load_catalog(target, fmt)),
            ("save_catalog", lambda: save_catalog(CATALOG, root / "out.toml", fmt)),
            (
                "SQLiteStore",
                lambda: SQLiteStore(
                    target if not isinstance(path, str) else root / f"{path}.db",
                    timeout_s=timeout,
                    synchronous=synchronous,
                    read_only=read_only,
                ).close(),
            ),
        ]
        for name, call in calls:
            try:
                call()
            except JobSlotError as err:
                record(type(err).__name__)
            except Exception as err:  # pragma: no cover
                raise AssertionError(
                    f"{name}({_shown(path)}, {_shown(fmt)}) raised {err!r}"
                ) from err
            else:
                record("ok")
        for argv in (
            ["validate", _text(target)],
            ["db", "check", _text(target)],
            [
                "simulate",
                str(root / "catalog.json"),
                "--buff",
                _text(fmt),
                "--tier",
                "D",
                "--level",
                "1",
                "-n",
                "50",
            ],
            [
                "offer",
                str(root / "catalog.json"),
                "--secret-hex",
                _text(path)[:40],
                "--secret-id",
                "s",
                "--mek",
                "m",
                "--job",
                "quick",
            ],
        ):
            try:
                code = cli_main(argv)
            except SystemExit as done:  # argparse's usage error
                code = done.code
            except Exception as err:  # pragma: no cover
                raise AssertionError(f"jobslot {argv!r} raised {err!r}") from err
            assert code in (0, 1, 2)
            record(f"cli exit {code}")
