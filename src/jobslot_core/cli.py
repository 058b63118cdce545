"""`python -m jobslot_core` / `jobslot`: validate and simulate catalogs, preview and verify
offers, check and migrate SQLite databases; balance careers, comparisons and replays."""

import argparse
import csv
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import JobSlotError

if TYPE_CHECKING:
    from .storage.sqlite import SQLiteStore

__all__ = ["main"]


def _validate(args: argparse.Namespace) -> int:
    from .catalog_io import catalog_fingerprint, load_catalog
    from .lint import lint_file

    report = lint_file(args.catalog)
    if not report.ok:
        for problem in report.errors:
            line = problem.line
            where = problem.path if line is None else f"{problem.path} (line {line})"
            print(
                f"error: InvalidCatalog: {where}: {problem.value!r}: {problem.message}",
                file=sys.stderr,
            )
        print(f"{len(report.errors)} error(s) in {args.catalog}", file=sys.stderr)
        return 2
    catalog = load_catalog(args.catalog)
    print(
        f"ok: {len(catalog.job_types)} job types, {len(catalog.buff_types)} buff types, "
        f"{len(catalog.buff_ranges)} buff range cells; fingerprint {catalog_fingerprint(catalog)}"
    )
    for problem in report.warnings:
        print(problem.format())
    return 0


def _progress(label: str) -> "Callable[[int, int], None] | None":
    """A progress line on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r{label}: {done}/{total} ({done / max(total, 1):.0%})", end=end, file=sys.stderr)
        sys.stderr.flush()

    return show


def _emit(args: argparse.Namespace, text: str, data: Any, rows: list[dict[str, Any]]) -> None:
    """Print the result as text, or as JSON (`--json`) or CSV (`--csv`)."""
    if getattr(args, "json", False):
        from .serialization import to_dict

        print(json.dumps(to_dict(data), indent=2, allow_nan=False))
    elif getattr(args, "csv", False):
        writer = csv.DictWriter(
            sys.stdout, fieldnames=list(dict.fromkeys(k for r in rows for k in r)),
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(rows)
    else:
        print(text)


def _refuse_plot(path: str | None) -> bool:
    """Check --plot before computing; prints why and returns True when it cannot be written."""
    if not path:
        return False
    from .balance import plots

    try:
        plots.require(path)
    except (ImportError, JobSlotError) as err:
        print(f"error: --plot: {err}", file=sys.stderr)
        return True
    return False


def _simulate(args: argparse.Namespace) -> int:
    from .catalog_io import load_catalog
    from .engine import simulate
    from .lint import dead_cells

    if _refuse_plot(args.plot):
        return 2
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
    cell = catalog.buff_range(args.buff, args.tier, args.level)
    for i, why in dead_cells(catalog):
        if catalog.buff_ranges[i] == cell:
            print(f"warning: this cell is never drawn by an offer: {why}", file=sys.stderr)
    rows = [
        {"low": low, "high": high, "count": count} for low, high, count in report.histogram
    ]
    _emit(args, report.format(), report, rows)
    if args.plot:
        from .balance import plots

        plots.cell_figure(catalog, report, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def _career(args: argparse.Namespace) -> int:
    from .balance import plots, simulate_career
    from .catalog_io import load_catalog

    if _refuse_plot(args.plot):
        return 2
    catalog = load_catalog(args.catalog)
    report = simulate_career(
        catalog,
        args.job,
        careers=args.careers,
        seed=args.seed,
        prestiges=args.prestiges,
        pick=args.pick,
        progress=_progress(f"{args.job} careers"),
    )
    _emit(args, report.format(), report, report.rows())
    if args.plot:
        effect = args.effect or next(iter(report.effects))
        plots.career_figure(report, effect, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from .balance import compare, plots
    from .catalog_io import load_catalog

    if _refuse_plot(args.plot):
        return 2
    before, after = load_catalog(args.before), load_catalog(args.after)
    result = compare(
        before,
        after,
        seed=args.seed,
        careers=args.careers,
        offers=args.offers,
        prestiges=args.prestiges,
        pick=args.pick,
        job_keys=args.job or None,
        progress=_progress("careers"),
    )
    _emit(args, result.format(), result, result.rows())
    if args.plot:
        job = (args.job or sorted(result.careers))[0]
        effect = args.effect or next(iter(result.careers[job][0].effects))
        plots.comparison_figure(result, job, effect, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 1 if args.fail_on_difference and not result.identical else 0


def _replay(args: argparse.Namespace) -> int:
    from .balance import replay
    from .catalog_io import load_catalog
    from .errors import InvalidArgument

    secrets: dict[str, bytes] = {}
    sources = [("--secret-file", i) for i in args.secret_file]
    sources += [("--secret-env", i) for i in args.secret_env]
    if not sources:
        raise InvalidArgument("--secret-file", None, "give --secret-file or --secret-env")
    for option, item in sources:
        sid, sep, where = item.partition("=")
        if not sep or not sid or not where:
            place = "PATH" if option == "--secret-file" else "VARIABLE"
            raise InvalidArgument(option, item, f"must be SECRET_ID={place}")
        one = argparse.Namespace(
            secret_file=where if option == "--secret-file" else None,
            secret_env=where if option == "--secret-env" else None,
        )
        secret = _read_secret(one)
        assert secret is not None
        secrets[sid] = secret
    candidate = None if args.candidate == "stored" else load_catalog(args.candidate)
    store = _open_sqlite(args.db)
    try:
        report = replay(store, candidate, secrets=secrets, progress=_progress("offers"))
    finally:
        store.close()
    _emit(args, report.format(), report, report.rows())
    return 1 if args.fail_on_difference and not report.exact else 0


def _read_secret(args: argparse.Namespace, *, required: bool = True) -> bytes | None:
    """The secret, hex, from `--secret-file` or the variable `--secret-env` names: never from
    the command line itself, where process lists and shell histories would show it."""
    from .errors import InvalidArgument

    if args.secret_file is not None:
        with open(args.secret_file, encoding="utf-8") as handle:
            text, source = handle.read(), "--secret-file"
    elif args.secret_env is not None:
        if args.secret_env not in os.environ:
            raise InvalidArgument("--secret-env", args.secret_env, "no such environment variable")
        text, source = os.environ[args.secret_env], "--secret-env"
    elif required:
        raise InvalidArgument("--secret-file", None, "give --secret-file or --secret-env")
    else:
        return None
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        raise InvalidArgument(source, "<hidden>", "must hold the secret as hex") from None


def _secret_options(p: argparse.ArgumentParser, what: str) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--secret-file", help=f"a file holding {what} as hex")
    group.add_argument("--secret-env", help=f"an environment variable holding {what} as hex")


def _offer(args: argparse.Namespace) -> int:
    from .catalog_io import load_catalog
    from .engine import make_offer

    catalog = load_catalog(args.catalog)
    secret = _read_secret(args)
    assert secret is not None
    draft = make_offer(
        catalog,
        secret=secret,
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


def _open_sqlite(path: str, *, read_only: bool = False) -> "SQLiteStore":
    """Open an existing database file; a missing path is an error, not a new empty database."""
    from .errors import StorageError
    from .storage.sqlite import SQLiteStore

    if not os.path.exists(path):
        raise StorageError("path", path, "no such file")
    return SQLiteStore(path, read_only=read_only)


def _verify(args: argparse.Namespace) -> int:
    from .engine import verify_offer
    from .errors import UnknownSecret
    from .storage.protocol import CATALOGS, OFFERS, SECRETS

    secret = _read_secret(args, required=False)
    store = _open_sqlite(args.db, read_only=True)
    try:
        with store.unit_of_work(write=False) as uow:
            known = uow.get(SECRETS, (args.secret_id,))
            offers = [o for o in uow.find(OFFERS) if o.secret_id == args.secret_id]
            versions = {v.seq: v for v in uow.scan(CATALOGS)}
    finally:
        store.close()
    if known is None:
        raise UnknownSecret("--secret-id", args.secret_id, "no commitment is registered for it")
    if secret is None and known.revealed_hex is None:
        raise UnknownSecret(
            "--secret-id", args.secret_id, "is not revealed: give --secret-file or --secret-env"
        )
    checks = [
        verify_offer(o, versions.get(o.catalog_version), known, secret=secret) for o in offers
    ]
    bad = [c for c in checks if not c.ok]
    print(
        f"{len(offers) - len(bad)} of {len(offers)} offers under {args.secret_id!r} "
        "recomputed exactly, the secret checked against its commitment"
    )
    for check in bad:
        print(f"  MISMATCH {check.offer_id}: {'; '.join(check.problems)}")
    if not offers:
        print(f"nothing verified: no stored offer was made under {args.secret_id!r}")
    return 1 if bad or not offers else 0


def _verify_offer(args: argparse.Namespace) -> int:
    import json

    from .engine import verify_offer

    parts: dict[str, object] = {}
    if args.bundle is not None:
        with open(args.bundle, encoding="utf-8") as handle:
            parts.update(json.load(handle))
    for name in ("offer", "catalog_version", "secret_record"):
        path = getattr(args, name)
        if path is not None:
            with open(path, encoding="utf-8") as handle:
                parts[name] = json.load(handle)
    if "offer" not in parts:
        from .errors import InvalidArgument

        raise InvalidArgument("--offer", None, "give the offer (--offer FILE or a bundle)")
    check = verify_offer(
        parts["offer"],  # type: ignore[arg-type]
        parts.get("catalog_version"),  # type: ignore[arg-type]
        parts.get("secret_record"),  # type: ignore[arg-type]
        secret=_read_secret(args, required=False),
    )
    if check.ok:
        print(f"ok: offer {check.offer_id} recomputed exactly from the published record")
        return 0
    print(f"FAILED: offer {check.offer_id}")
    for problem in check.problems:
        print(f"  {problem}")
    return 1


def _db(args: argparse.Namespace) -> int:
    from .audit import audit

    store = _open_sqlite(args.path, read_only=args.action == "check")
    try:
        print(f"{args.path}: jobslot schema version {store.schema_version}")
        if args.action == "migrate":
            return 0
        problems = [f"integrity_check: {line}" for line in store.integrity_check()]
        try:
            problems += audit(store)
        except JobSlotError as err:  # damage the file's structure does not show (a bad record)
            problems.append(f"records: {type(err).__name__}: {err}")
    finally:
        store.close()
    for line in problems:
        print(f"  PROBLEM {line}")
    print("ok: every invariant holds" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


class _Defaults(argparse.HelpFormatter):
    """Help text that shows each option's default, where it has a meaningful one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            action.option_strings
            and not any(action.default is v for v in (None, False, argparse.SUPPRESS))
            and action.default != []
            and not action.required
            and "%(default)" not in text
        ):
            text += " (default: %(default)s)"
        return text


def _output_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print the result as JSON")
    group.add_argument("--csv", action="store_true", help="print the result as CSV rows")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobslot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"jobslot_core {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "validate",
        help="load and lint a catalog (.toml or .json): every error at once, then warnings",
    )
    p.add_argument("catalog", help="catalog file (.toml or .json)")
    p.set_defaults(run=_validate)

    fmt = _Defaults
    p = sub.add_parser(
        "simulate",
        help="draw many values of one grid cell: histogram and rarity shares",
        formatter_class=fmt,
    )
    p.add_argument("catalog", help="catalog file (.toml or .json)")
    p.add_argument("--buff", required=True, help="buff type key")
    p.add_argument("--tier", required=True, help="job tier: D, C, B, A or S")
    p.add_argument("--level", type=int, required=True, help="level the cell must cover")
    p.add_argument("-n", type=int, default=100_000, help="number of draws")
    p.add_argument("--seed", type=int, default=0, help="random seed (64-bit signed)")
    p.add_argument("--bins", type=int, default=20, help="histogram bins")
    p.add_argument(
        "--plot", help="write a PNG histogram coloured by rarity band (needs the 'plot' extra)"
    )
    _output_options(p)
    p.set_defaults(run=_simulate)

    p = sub.add_parser(
        "career",
        help="simulate whole careers of one job: effect curves p10/p50/p90, picks, timings",
        formatter_class=fmt,
    )
    p.add_argument("catalog", help="catalog file (.toml or .json)")
    p.add_argument("--job", required=True, help="job type key")
    p.add_argument("--careers", type=int, default=10_000, help="number of careers")
    p.add_argument("--seed", type=int, default=0, help="random seed (64-bit signed)")
    p.add_argument("--prestiges", type=int, default=0, help="prestiges per career")
    p.add_argument("--pick", default="first", help="picking policy: first, random, greedy:EFFECT")
    p.add_argument("--plot", help="write a PNG of one effect's curve (needs the 'plot' extra)")
    p.add_argument("--effect", help="effect or currency to plot (default: the first effect)")
    _output_options(p)
    p.set_defaults(run=_career)

    p = sub.add_parser(
        "compare",
        help="compare two catalogs on identical draws: fields, offers and career ends",
        formatter_class=fmt,
    )
    p.add_argument("before", help="catalog file before the change")
    p.add_argument("after", help="catalog file after the change")
    p.add_argument("--seed", type=int, default=0, help="random seed (64-bit signed)")
    p.add_argument("--careers", type=int, default=2000, help="careers per job and catalog")
    p.add_argument("--offers", type=int, default=2000, help="offers per pit stop")
    p.add_argument("--prestiges", type=int, default=0, help="prestiges per career")
    p.add_argument("--pick", default="first", help="picking policy: first, random, greedy:EFFECT")
    p.add_argument(
        "--job", action="append", default=[], help="job to compare (repeat; default: all both have)"
    )
    p.add_argument("--plot", help="write a PNG overlay of one job's curves (needs 'plot' extra)")
    p.add_argument("--effect", help="effect or currency to plot (default: the first effect)")
    p.add_argument(
        "--fail-on-difference", action="store_true", help="exit 1 when anything differs"
    )
    _output_options(p)
    p.set_defaults(run=_compare)

    p = sub.add_parser(
        "replay",
        help="draw every stored offer again under a candidate catalog: what would change",
        formatter_class=fmt,
    )
    p.add_argument("db", help="SQLite database file")
    p.add_argument(
        "candidate",
        help="candidate catalog file, or 'stored' for the catalog each offer was made under",
    )
    p.add_argument(
        "--secret-file",
        action="append",
        default=[],
        metavar="SECRET_ID=PATH",
        help="a file holding, as hex, a secret the offers were made under (repeatable)",
    )
    p.add_argument(
        "--secret-env",
        action="append",
        default=[],
        metavar="SECRET_ID=VARIABLE",
        help="an environment variable holding such a secret as hex (repeatable)",
    )
    p.add_argument(
        "--fail-on-difference", action="store_true", help="exit 1 when any offer would change"
    )
    _output_options(p)
    p.set_defaults(run=_replay)

    p = sub.add_parser("offer", help="preview the offer the engine makes for one context")
    p.add_argument("catalog")
    _secret_options(p, "the secret")
    p.add_argument("--secret-id", required=True)
    p.add_argument("--mek", required=True)
    p.add_argument("--job", required=True)
    p.add_argument("--prestige", type=int, default=0)
    p.add_argument("--pit-stop", type=int, default=1)
    p.add_argument("--reroll", type=int, default=0)
    p.set_defaults(run=_offer)

    p = sub.add_parser(
        "verify",
        help="check a secret against its commitment and recompute every offer made under it",
    )
    p.add_argument("db")
    _secret_options(p, "the secret (default: the revealed one)")
    p.add_argument("--secret-id", required=True)
    p.set_defaults(run=_verify)

    p = sub.add_parser(
        "verify-offer", help="a player's check of one offer from exported JSON, with no database"
    )
    p.add_argument(
        "bundle", nargs="?", help="JSON {offer, catalog_version, secret_record} (export_offer)"
    )
    p.add_argument("--offer", help="the offer's JSON")
    p.add_argument("--catalog-version", help="the catalog version's JSON (with its document)")
    p.add_argument("--secret-record", help="the secret's published record (commitment, reveal)")
    _secret_options(p, "the secret (default: the revealed one in the record)")
    p.set_defaults(run=_verify_offer)

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
    except (OSError, ValueError) as err:  # a missing file, malformed JSON
        print(f"error: {err}", file=sys.stderr)
        return 2
    return code
