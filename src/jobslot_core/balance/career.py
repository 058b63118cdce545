"""Whole careers of one job through the real engine and the catalog's rules, summarised.

A career is one Mek working one job from level 1, resolving every pit stop in order with a
picking policy, then prestiging (policy 8.1 rewards, policy 8.3 buff carry) and starting again,
`prestiges` times. Offers come from `engine.make_offer`, totals from `buffs.mek_totals` and
`buffs.with_account_buff`, levels from `progression.level_for`: nothing here re-implements them.
Job tenure does not depend on buffs, so the time to each level and to each prestige is exact.
"""

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .. import progression
from ..buffs import mek_totals, with_account_buff
from ..catalog import BuffCarryMode, Catalog, JobType, PrestigeReward
from ..engine import OfferDraft, make_offer
from ..errors import InvalidArgument, UnknownJob
from ..model import ActiveBuff, _frozen_mapping
from ._stats import Summary, summarize
from .picks import Pick, pick_name, pick_named

__all__ = [
    "CAREER_SECRET_ID",
    "CareerReport",
    "Checkpoint",
    "Progress",
    "career_secret",
    "simulate_career",
]

CAREER_SECRET_ID = "career"
"""The secret id of simulated offers (the secret itself is derived from the seed)."""

_MAX_CAREERS = 10_000_000

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` now and then during long runs (a CLI shows a line)."""

_PROGRESS_EVERY = 1000


def career_secret(seed: int) -> bytes:
    """The 32-byte offer secret of a simulation seed: the same seed draws the same offers."""
    return hashlib.sha256(
        b"jobslot-career\x00v1\x00" + seed.to_bytes(8, "big", signed=True)
    ).digest()



@attrs.frozen
class Checkpoint:
    """A moment of the career: right after a pit stop is resolved, or right after a prestige."""

    label: str
    prestige: int
    pit_stop: int | None
    tenure_s: int
    level: int


@attrs.frozen
class CareerReport:
    """Careers of one job: each effect's total and each currency's credits at every checkpoint.

    `effects` and `currencies` hold one `Summary` per checkpoint (the p10/p50/p90 curves);
    `never` is the share of careers that never kept a buff of an effect type; `picked` the
    share of picks per buff type; `level_tenure_s[i]` the tenure of level i+1 and
    `prestige_tenure_s[n-1]` the tenure of the n-th prestige (exact: tenure ignores buffs).
    """

    job_key: str
    careers: int
    seed: int
    prestiges: int
    pick: str
    checkpoints: tuple[Checkpoint, ...]
    effects: Mapping[str, tuple[Summary, ...]] = attrs.field(converter=_frozen_mapping)
    currencies: Mapping[str, tuple[Summary, ...]] = attrs.field(converter=_frozen_mapping)
    never: Mapping[str, float] = attrs.field(converter=_frozen_mapping)
    picked: Mapping[str, float] = attrs.field(converter=_frozen_mapping)
    level_tenure_s: tuple[int, ...]
    prestige_tenure_s: tuple[int, ...]

    def final(self, name: str) -> Summary:
        """An effect's (or a currency's) summary at the end of the career."""
        curve = self.effects.get(name) or self.currencies.get(name)
        if curve is None:
            raise InvalidArgument(
                "name", name, f"is no effect or currency of {self.job_key} careers"
            )
        return curve[-1]

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per (quantity, checkpoint): what `--csv` writes."""
        out: list[dict[str, Any]] = []
        for kind, curves in (("effect", self.effects), ("currency", self.currencies)):
            for name, curve in curves.items():
                for point, s in zip(self.checkpoints, curve, strict=True):
                    out.append(
                        {
                            "kind": kind,
                            "name": name,
                            "checkpoint": point.label,
                            "tenure_s": point.tenure_s,
                            "level": point.level,
                            "mean": s.mean,
                            "p10": s.p10,
                            "p50": s.p50,
                            "p90": s.p90,
                        }
                    )
        return out

    def format(self) -> str:
        """A text summary for terminals: final totals, never-seen shares, picks, timings."""
        lines = [
            f"{self.careers} careers of {self.job_key} (seed {self.seed}, pick {self.pick}, "
            f"prestiges {self.prestiges})"
        ]
        for kind, curves in (("effect", self.effects), ("currency", self.currencies)):
            for name, curve in curves.items():
                s = curve[-1]
                never = self.never.get(name)
                tail = f"  never {never:.1%}" if never is not None else ""
                lines.append(
                    f"  {kind:<8} {name:<16} mean {s.mean:10.2f}  p10 {s.p10:10.2f}  "
                    f"p50 {s.p50:10.2f}  p90 {s.p90:10.2f}{tail}"
                )
        lines.append(
            "  picks: " + "  ".join(f"{k} {v:.1%}" for k, v in sorted(self.picked.items()))
        )
        levels = "  ".join(f"L{i + 1} {t}s" for i, t in enumerate(self.level_tenure_s))
        lines.append(f"  tenure to level: {levels}")
        if self.prestige_tenure_s:
            lines.append(
                "  tenure to prestige: "
                + "  ".join(f"#{i + 1} {t}s" for i, t in enumerate(self.prestige_tenure_s))
            )
        return "\n".join(lines)


@attrs.frozen
class _Raw:
    """Per checkpoint and quantity, every career's value (paired runs compare these)."""

    checkpoints: tuple[Checkpoint, ...]
    effects: dict[str, list[list[float]]]
    currencies: dict[str, list[list[float]]]
    seen: dict[str, int]
    picked: dict[str, int]


def _check(careers: Any, seed: Any, prestiges: Any) -> None:
    if isinstance(careers, bool) or not isinstance(careers, int) or not careers >= 1:
        raise InvalidArgument("careers", careers, "must be an integer >= 1")
    if careers > _MAX_CAREERS:
        raise InvalidArgument("careers", careers, f"must be at most {_MAX_CAREERS}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not -(2**63) <= seed < 2**63:
        raise InvalidArgument("seed", seed, "must be a 64-bit signed integer")
    if isinstance(prestiges, bool) or not isinstance(prestiges, int) or not 0 <= prestiges <= 100:
        raise InvalidArgument("prestiges", prestiges, "must be an integer in [0, 100]")


def _job(catalog: Catalog, job_key: Any) -> JobType:
    if not isinstance(catalog, Catalog):
        raise InvalidArgument("catalog", type(catalog).__name__, "must be a Catalog")
    job = catalog.job_types.get(job_key) if isinstance(job_key, str) else None
    if job is None:
        raise UnknownJob("job_key", job_key, "no such job type in the catalog")
    return job


def _checkpoints(job: JobType, prestiges: int) -> tuple[Checkpoint, ...]:
    final = job.level_tenure[-1]
    points = []
    for cycle in range(prestiges + 1):
        start = cycle * final
        for stop in job.pit_stops:
            tenure = job.pit_stop_tenure(stop.number)
            level = progression.level_for(job, tenure * 1000)
            label = f"p{cycle}.stop{stop.number}" if prestiges else f"stop{stop.number}"
            points.append(Checkpoint(label, cycle, stop.number, start + tenure, level))
        if cycle < prestiges:
            points.append(Checkpoint(f"prestige{cycle + 1}", cycle + 1, None, start + final, 1))
    return tuple(points)


def _run(
    catalog: Catalog,
    job_key: str,
    careers: int,
    seed: int,
    prestiges: int,
    pick: Pick,
    progress: Progress | None = None,
    offset: int = 0,
    total: int = 0,
) -> _Raw:
    """Play `careers` careers; the offers of career i depend only on (seed, i, context)."""
    job = _job(catalog, job_key)
    points = _checkpoints(job, prestiges)
    secret = career_secret(seed)
    policies = catalog.policies
    reward = policies.prestige
    carry = policies.buff_carry
    effects: dict[str, list[list[float]]] = {}
    currencies: dict[str, list[list[float]]] = {}
    for number in range(1, job.pit_stop_count + 1):
        for buff, _ in catalog.eligible_buffs(job_key, number):
            if buff.permanent:
                effects.setdefault(buff.effect_type, [[] for _ in points])
            elif buff.currency is not None:
                currencies.setdefault(buff.currency, [[] for _ in points])
    if prestiges:
        if reward.tokens:
            currencies.setdefault(reward.token_currency, [[] for _ in points])
        if reward.currency_reward is not None and reward.currency_reward.amount:
            currencies.setdefault(reward.currency_reward.currency, [[] for _ in points])
    seen = dict.fromkeys(effects, 0)
    picked: dict[str, int] = {}
    stops = job.pit_stops

    for career in range(careers):
        if progress is not None and career % _PROGRESS_EVERY == 0:
            progress(offset + career, total or careers)
        mek_id = f"career-{career}"
        kept: list[ActiveBuff] = []
        credited = dict.fromkeys(currencies, 0)
        seen_here: set[str] = set()
        k = 0
        for cycle in range(prestiges + 1):
            for stop in stops:
                offer = make_offer(
                    catalog,
                    secret=secret,
                    secret_id=CAREER_SECRET_ID,
                    mek_id=mek_id,
                    job_key=job_key,
                    prestige_sequence=cycle,
                    pit_stop_number=stop.number,
                )
                choice = offer.choices[_index(pick, offer)]
                picked[choice.buff_key] = picked.get(choice.buff_key, 0) + 1
                kept.append(
                    ActiveBuff(
                        offer.offer_id,
                        mek_id,
                        job_key,
                        choice.buff_key,
                        choice.effect_type,
                        choice.value,
                        choice.permanent,
                        choice.stacks,
                        cycle,
                        stop.number,
                        0,
                        consumed=not choice.permanent,
                    )
                )
                if choice.permanent:
                    seen_here.add(choice.effect_type)
                elif choice.currency is not None:
                    credited[choice.currency] += round(choice.value)
                _record(effects, currencies, k, kept, reward, cycle, credited)
                k += 1
            if cycle < prestiges:
                if carry.mode is BuffCarryMode.CLEAR:
                    kept = [b for b in kept if b.consumed]
                else:
                    kept = [
                        b if b.consumed else attrs.evolve(b, scale=b.scale * carry.factor)
                        for b in kept
                    ]
                if reward.tokens:
                    credited[reward.token_currency] += reward.tokens
                if reward.currency_reward is not None and reward.currency_reward.amount:
                    credited[reward.currency_reward.currency] += reward.currency_reward.amount
                _record(effects, currencies, k, kept, reward, cycle + 1, credited)
                k += 1
        for effect in seen_here:
            seen[effect] = seen.get(effect, 0) + 1
    if progress is not None:
        progress(offset + careers, total or careers)
    return _Raw(points, effects, currencies, seen, picked)


def _index(pick: Pick, offer: OfferDraft) -> int:
    index = pick(offer)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(
        offer.choices
    ):
        top = len(offer.choices) - 1
        raise InvalidArgument("pick", index, f"must return a choice index 0..{top}")
    return index


def _record(
    effects: dict[str, list[list[float]]],
    currencies: dict[str, list[list[float]]],
    k: int,
    kept: list[ActiveBuff],
    reward: PrestigeReward,
    prestige_count: int,
    credited: dict[str, int],
) -> None:
    totals = with_account_buff(mek_totals(kept), reward, prestige_count)
    for effect, columns in effects.items():
        columns[k].append(totals.get(effect, 0.0))
    for currency, columns in currencies.items():
        columns[k].append(float(credited[currency]))


def simulate_career(
    catalog: Catalog,
    job_key: str,
    *,
    careers: int,
    seed: int,
    prestiges: int = 0,
    pick: str | Pick = "first",
    progress: Progress | None = None,
) -> CareerReport:
    """Simulate `careers` careers of `job_key`; the same arguments give the same report.

    `pick` is ``first``, ``random``, ``greedy:EFFECT`` (the highest value of that effect type,
    else the first choice) or a function of the offer returning the index kept. `progress`,
    when given, is called as ``progress(done, total)`` every 1000 careers.

    Raises:
        UnknownJob: `job_key` is not a job type of the catalog.
        InvalidArgument: bad `careers`, `seed`, `prestiges` or `pick` (or a pick function
            returning something other than a choice index).
    """
    _check(careers, seed, prestiges)
    policy = pick_named(pick)
    raw = _run(catalog, job_key, careers, seed, prestiges, policy, progress)
    return _report(catalog, job_key, raw, careers, seed, prestiges, policy)


def _report(
    catalog: Catalog, job_key: str, raw: _Raw, careers: int, seed: int, prestiges: int, pick: Pick
) -> CareerReport:
    job = catalog.job_types[job_key]
    total_picks = sum(raw.picked.values())
    return CareerReport(
        job_key=job_key,
        careers=careers,
        seed=seed,
        prestiges=prestiges,
        pick=pick_name(pick),
        checkpoints=raw.checkpoints,
        effects={k: tuple(summarize(c) for c in cols) for k, cols in sorted(raw.effects.items())},
        currencies={
            k: tuple(summarize(c) for c in cols) for k, cols in sorted(raw.currencies.items())
        },
        never={k: 1.0 - raw.seen.get(k, 0) / careers for k in sorted(raw.effects)},
        picked={k: v / total_picks for k, v in sorted(raw.picked.items())},
        level_tenure_s=tuple(job.tenure_for_level(level) for level in range(1, job.max_level + 1)),
        prestige_tenure_s=tuple(n * job.level_tenure[-1] for n in range(1, prestiges + 1)),
    )
