"""Two catalogs on identical draws (paired): what the change moves, and not the noise.

Both catalogs see the same offer contexts under the same secret, so every uniform is the same
and a difference in an offer or a career is caused by the change itself. Identical catalogs
give no differences at all.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..catalog import Catalog
from ..catalog_io import catalog_to_dict
from ..engine import make_offer
from ..errors import InvalidArgument, UnknownJob
from ..model import _frozen_mapping
from ._stats import Summary, summarize
from .career import (
    CAREER_SECRET_ID,
    CareerReport,
    Progress,
    _check,
    _report,
    _run,
    career_secret,
)
from .picks import Pick, pick_named

__all__ = [
    "CareerShift",
    "Comparison",
    "FieldChange",
    "OfferShift",
    "TimingShift",
    "compare",
    "field_changes",
]



@attrs.frozen
class FieldChange:
    """One catalog field that differs, by key-based path (None: absent on that side)."""

    path: str
    before: Any
    after: Any


@attrs.frozen
class OfferShift:
    """One pit stop's offers on the same contexts: how many changed, and per buff type the
    mean value offered before and after (None where the type is not offered)."""

    job_key: str
    pit_stop: int
    offers: int
    changed: int
    mean_before: Mapping[str, float | None] = attrs.field(converter=_frozen_mapping)
    mean_after: Mapping[str, float | None] = attrs.field(converter=_frozen_mapping)

    @property
    def share_changed(self) -> float:
        return self.changed / self.offers


@attrs.frozen
class CareerShift:
    """One effect (or currency) of paired careers: at the end, both summaries, the mean of the
    per-career difference and the share of careers whose final value moved; along the curve,
    the mean paired difference at each checkpoint (empty when the two catalogs' careers have
    different checkpoints, such as another number of pit stops)."""

    job_key: str
    name: str
    before: Summary
    after: Summary
    mean_delta: float
    share_changed: float
    curve_delta: tuple[float, ...] = ()


@attrs.frozen
class TimingShift:
    """A checkpoint of a job's career reached at another tenure (level tenure changed)."""

    job_key: str
    checkpoint: str
    before_s: int
    after_s: int


@attrs.frozen
class Comparison:
    """What differs between `before` and `after`: fields, offers and career ends.

    `careers` holds each compared job's two career reports (for curves and plots).
    """

    fields: tuple[FieldChange, ...]
    offers: tuple[OfferShift, ...]
    career_shifts: tuple[CareerShift, ...]
    timings: tuple[TimingShift, ...]
    careers: Mapping[str, tuple[CareerReport, CareerReport]] = attrs.field(
        converter=_frozen_mapping
    )

    @property
    def identical(self) -> bool:
        """No field, offer, career value or career timing differs."""
        return not (self.fields or self.offers or self.career_shifts or self.timings)

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per difference (field, pit stop or career end): what `--csv` writes."""
        out: list[dict[str, Any]] = []
        for c in self.fields:
            out.append({"kind": "field", "where": c.path, "before": c.before, "after": c.after})
        for o in self.offers:
            for key in sorted({*o.mean_before, *o.mean_after}):
                out.append(
                    {
                        "kind": "offer_mean",
                        "where": f"{o.job_key}.pit_stops[{o.pit_stop - 1}].{key}",
                        "before": o.mean_before.get(key),
                        "after": o.mean_after.get(key),
                        "share_changed": o.share_changed,
                    }
                )
        for t in self.timings:
            out.append(
                {
                    "kind": "timing",
                    "where": f"{t.job_key}.{t.checkpoint}",
                    "before": t.before_s,
                    "after": t.after_s,
                }
            )
        for s in self.career_shifts:
            for stat in ("mean", "p10", "p50", "p90"):
                out.append(
                    {
                        "kind": f"career_{stat}",
                        "where": f"{s.job_key}.{s.name}",
                        "before": getattr(s.before, stat),
                        "after": getattr(s.after, stat),
                        "share_changed": s.share_changed,
                    }
                )
        return out

    def format(self) -> str:
        """A text summary for terminals."""
        if self.identical:
            return "no differences"
        lines = [f"{len(self.fields)} field(s) differ:"]
        lines += [f"  {c.path}: {c.before!r} -> {c.after!r}" for c in self.fields]
        lines.append(f"{len(self.offers)} pit stop(s) offer differently:")
        for o in self.offers:
            moved = [
                f"{k} {_num(o.mean_before.get(k))}->{_num(o.mean_after.get(k))}"
                for k in sorted({*o.mean_before, *o.mean_after})
                if o.mean_before.get(k) != o.mean_after.get(k)
            ]
            lines.append(
                f"  {o.job_key} pit stop {o.pit_stop}: {o.changed}/{o.offers} offers changed"
                + (f"; mean {', '.join(moved)}" if moved else "")
            )
        lines.append(f"{len(self.career_shifts)} career curve(s) move:")
        for c in self.career_shifts:
            lines.append(
                f"  {c.job_key} {c.name}: end p50 {c.before.p50:.2f} -> {c.after.p50:.2f}, "
                f"mean {c.before.mean:.2f} -> {c.after.mean:.2f} "
                f"(paired delta {c.mean_delta:+.3f}; {c.share_changed:.1%} of careers moved)"
            )
            if c.curve_delta:
                lines.append(
                    "    paired mean delta per checkpoint: "
                    + " ".join(f"{d:+.3f}" for d in c.curve_delta)
                )
        if self.timings:
            lines.append(f"{len(self.timings)} checkpoint(s) reached at another tenure:")
            lines += [
                f"  {t.job_key} {t.checkpoint}: {t.before_s}s -> {t.after_s}s" for t in self.timings
            ]
        return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, item in enumerate(value):
            _flatten(item, f"{path}{_element(path, item, i)}", out)
    else:
        out[path] = value


def _element(path: str, item: dict[str, Any], i: int) -> str:
    """Key-based names of array elements: job and buff types by key, cells by coordinates."""
    if path in ("job_types", "buff_types") and "key" in item:
        return f".{item['key']}"
    if path == "buff_ranges":
        return f"[{item['buff_key']},{item['tier']},{item['min_level']}-{item['max_level']}]"
    return f"[{i}]"


def field_changes(before: Catalog, after: Catalog) -> tuple[FieldChange, ...]:
    """Every field that differs between two catalogs, by key-based path, sorted."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    _flatten(catalog_to_dict(before), "", a)
    _flatten(catalog_to_dict(after), "", b)
    return tuple(
        FieldChange(path, a.get(path), b.get(path))
        for path in sorted({*a, *b})
        if a.get(path) != b.get(path)
    )


def _offer_shifts(
    before: Catalog, after: Catalog, job_key: str, n: int, secret: bytes
) -> list[OfferShift]:
    stops = min(
        before.job_types[job_key].pit_stop_count, after.job_types[job_key].pit_stop_count
    )
    shifts = []
    for number in range(1, stops + 1):
        changed = 0
        sums: list[dict[str, list[float]]] = [{}, {}]
        for i in range(n):
            drafts = [
                make_offer(
                    catalog,
                    secret=secret,
                    secret_id=CAREER_SECRET_ID,
                    mek_id=f"compare-{i}",
                    job_key=job_key,
                    prestige_sequence=0,
                    pit_stop_number=number,
                )
                for catalog in (before, after)
            ]
            if drafts[0].choices != drafts[1].choices:
                changed += 1
            for side, draft in zip(sums, drafts, strict=True):
                for choice in draft.choices:
                    side.setdefault(choice.buff_key, []).append(choice.value)
        means = [{k: sum(v) / len(v) for k, v in side.items()} for side in sums]
        keys = sorted({*means[0], *means[1]})
        if changed:
            shifts.append(
                OfferShift(
                    job_key,
                    number,
                    n,
                    changed,
                    {k: means[0].get(k) for k in keys},
                    {k: means[1].get(k) for k in keys},
                )
            )
    return shifts


def compare(
    before: Catalog,
    after: Catalog,
    *,
    seed: int,
    careers: int = 2000,
    offers: int = 2000,
    prestiges: int = 0,
    pick: str | Pick = "first",
    job_keys: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Compare two catalogs on identical draws: fields, `offers` offers per pit stop and
    `careers` careers per job (the jobs both catalogs have, or `job_keys`); `progress` as in
    `simulate_career`, over all the careers of both catalogs.

    Raises:
        UnknownJob: a job of `job_keys` missing from either catalog.
        InvalidArgument: bad `seed`, `careers`, `offers`, `prestiges` or `pick`.
    """
    for name, catalog in (("before", before), ("after", after)):
        if not isinstance(catalog, Catalog):
            raise InvalidArgument(name, type(catalog).__name__, "must be a Catalog")
    _check(careers, seed, prestiges)
    if isinstance(offers, bool) or not isinstance(offers, int) or not 1 <= offers <= 10_000_000:
        raise InvalidArgument("offers", offers, "must be an integer in [1, 10000000]")
    policy = pick_named(pick)
    if job_keys is None:
        jobs = sorted(set(before.job_types) & set(after.job_types))
    else:
        jobs = list(job_keys)
        for key in jobs:
            if key not in before.job_types or key not in after.job_types:
                raise UnknownJob("job_keys", key, "is not a job type of both catalogs")
    secret = career_secret(seed)
    offer_shifts: list[OfferShift] = []
    career_shifts: list[CareerShift] = []
    timings: list[TimingShift] = []
    reports: dict[str, tuple[CareerReport, CareerReport]] = {}
    total = 2 * careers * len(jobs)
    for n, key in enumerate(jobs):
        offer_shifts += _offer_shifts(before, after, key, offers, secret)
        raws = [
            _run(c, key, careers, seed, prestiges, policy, progress, (2 * n + i) * careers, total)
            for i, c in enumerate((before, after))
        ]
        reports[key] = (
            _report(before, key, raws[0], careers, seed, prestiges, policy),
            _report(after, key, raws[1], careers, seed, prestiges, policy),
        )
        labels = [p.label for p in raws[0].checkpoints]
        paired = labels == [p.label for p in raws[1].checkpoints]
        if paired:
            timings += [
                TimingShift(key, a.label, a.tenure_s, b.tenure_s)
                for a, b in zip(raws[0].checkpoints, raws[1].checkpoints, strict=True)
                if a.tenure_s != b.tenure_s
            ]
        for kind in ("effects", "currencies"):
            a, b = getattr(raws[0], kind), getattr(raws[1], kind)
            for name in sorted({*a, *b}):
                shift = _career_shift(key, name, a.get(name), b.get(name), careers, paired)
                if shift is not None:
                    career_shifts.append(shift)
    return Comparison(
        field_changes(before, after),
        tuple(offer_shifts),
        tuple(career_shifts),
        tuple(timings),
        reports,
    )


def _career_shift(
    job_key: str,
    name: str,
    before: list[list[float]] | None,
    after: list[list[float]] | None,
    careers: int,
    paired: bool,
) -> CareerShift | None:
    """The shift of one quantity, or None when no career's value moved at any checkpoint."""
    zero = [0.0] * careers
    a = before or [zero]
    b = after or [zero]
    deltas: tuple[float, ...] = ()
    if paired and before is not None and after is not None:
        deltas = tuple(
            sum(y - x for x, y in zip(xs, ys, strict=True)) / careers
            for xs, ys in zip(a, b, strict=True)
        )
    xs, ys = a[-1], b[-1]
    moved = sum(1 for x, y in zip(xs, ys, strict=True) if x != y)
    if not moved and not (paired and any(ca != cb for ca, cb in zip(a, b, strict=False))):
        return None
    return CareerShift(
        job_key,
        name,
        summarize(xs),
        summarize(ys),
        sum(y - x for x, y in zip(xs, ys, strict=True)) / careers,
        moved / careers,
        deltas,
    )
