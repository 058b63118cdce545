"""`python -m jobslot_core` / `jobslot`: validate and simulate catalogs, preview and verify
offers, check and migrate SQLite databases."""

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import JobSlotError

if TYPE_CHECKING:
    from .storage.sqlite import SQLiteStore

__all__ = ["main"]


def _validate(args: argparse.Namespace) -> int:
    from .catalog_io import catalog_fingerprint, load_catalog

    catalog = load_catalog(args.catalog)
    print(
        f"ok: {len(catalog.job_types)} job types, {len(catalog.buff_types)} buff types, "
        f"{len(catalog.buff_ranges)} buff range cells; fingerprint {catalog_fingerprint(catalog)}"
    )
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from .catalog_io import load_catalog
    from .engine import simulate

    catalog = load_catalog(args.catalog)
    report = simulate(
        catalog,
        buff_key=args.buff,
        tier=args.tier,
        level=args.level,
        n=args.n,
        seed=args.seed,
        bins=args.bins,
    )
    print(report.format())
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print(
                "--plot needs the 'plot' extra: pip install 'jobslot_core[plot]'", file=sys.stderr
            )
            return 2
        lows = [b[0] for b in report.histogram]
        widths = [b[1] - b[0] for b in report.histogram]
        counts = [b[2] for b in report.histogram]
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.bar(lows, counts, width=widths, align="edge", edgecolor="black")
        ax.set_title(
            f"{args.buff} tier {args.tier} level {args.level} (n={args.n}, seed={args.seed})"
        )
        ax.set_xlabel("value")
        ax.set_ylabel("draws")
        fig.savefig(args.plot, dpi=100, bbox_inches="tight")
        print(f"plot written to {args.plot}")
    return 0


def _offer(args: argparse.Namespace) -> int:
    from .catalog_io import load_catalog
    from .engine import make_offer

    catalog = load_catalog(args.catalog)
    draft = make_offer(
        catalog,
        secret=bytes.fromhex(args.secret_hex),
        secret_id=args.secret_id,
        mek_id=args.mek,
        job_key=args.job,
        prestige_sequence=args.prestige,
        pit_stop_number=args.pit_stop,
        reroll=args.reroll,
    )
    print(
        f"offer {draft.offer_id} (engine v{draft.engine_version}, "
        f"levels {draft.from_level}->{draft.to_level})"
    )
    for i, c in enumerate(draft.choices):
        kind = "permanent" if c.permanent else f"one-time {c.currency}"
        print(
            f"  [{i}] {c.buff_key:<20} {c.value:>12} {c.rarity:<10} "
            f"({kind}; range {c.min_value}-{c.max_value})"
        )
    return 0


def _open_sqlite(path: str) -> "SQLiteStore":
    """Open an existing database file; a missing path is an error, not a new empty database."""
    from .errors import StorageError
    from .storage.sqlite import SQLiteStore

    if not os.path.exists(path):
        raise StorageError("path", path, "no such file")
    return SQLiteStore(path)


def _verify(args: argparse.Namespace) -> int:
    from .admin import Admin
    from .storage.protocol import OFFERS

    store = _open_sqlite(args.db)
    try:
        with store.unit_of_work(write=False) as uow:
            offers = [o for o in uow.find(OFFERS) if o.secret_id == args.secret_id]
        admin = Admin(store)
        secret = bytes.fromhex(args.secret_hex)
        bad = [o.offer_id for o in offers if not admin.verify_offer(o.offer_id, secret)]
    finally:
        store.close()
    print(
        f"{len(offers) - len(bad)} of {len(offers)} offers under {args.secret_id!r} "
        "recomputed exactly"
    )
    for offer_id in bad:
        print(f"  MISMATCH {offer_id}")
    return 1 if bad else 0


def _db(args: argparse.Namespace) -> int:
    from .audit import audit

    store = _open_sqlite(args.path)
    try:
        print(f"{args.path}: jobslot schema version {store.schema_version}")
        if args.action == "migrate":
            return 0
        problems = audit(store)
    finally:
        store.close()
    for line in problems:
        print(f"  PROBLEM {line}")
    print("ok: every invariant holds" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobslot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="load and validate a catalog (.toml or .json)")
    p.add_argument("catalog")
    p.set_defaults(run=_validate)

    p = sub.add_parser(
        "simulate", help="draw many values of one grid cell: histogram and rarity shares"
    )
    p.add_argument("catalog")
    p.add_argument("--buff", required=True)
    p.add_argument("--tier", required=True)
    p.add_argument("--level", type=int, required=True)
    p.add_argument("-n", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bins", type=int, default=20)
    p.add_argument("--plot", help="write a PNG histogram (needs the 'plot' extra)")
    p.set_defaults(run=_simulate)

    p = sub.add_parser("offer", help="preview the offer the engine makes for one context")
    p.add_argument("catalog")
    p.add_argument("--secret-hex", required=True)
    p.add_argument("--secret-id", required=True)
    p.add_argument("--mek", required=True)
    p.add_argument("--job", required=True)
    p.add_argument("--prestige", type=int, default=0)
    p.add_argument("--pit-stop", type=int, default=1)
    p.add_argument("--reroll", type=int, default=0)
    p.set_defaults(run=_offer)

    p = sub.add_parser("verify", help="recompute every stored offer made under a revealed secret")
    p.add_argument("db")
    p.add_argument("--secret-hex", required=True)
    p.add_argument("--secret-id", required=True)
    p.set_defaults(run=_verify)

    p = sub.add_parser("db", help="SQLite database maintenance")
    p.add_argument("action", choices=["check", "migrate"])
    p.add_argument("path")
    p.set_defaults(run=_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (1 for problems found, 2 for errors)."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except JobSlotError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as err:  # a missing file, a malformed --secret-hex
        print(f"error: {err}", file=sys.stderr)
        return 2
    return code
