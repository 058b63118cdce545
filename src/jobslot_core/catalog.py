"""The admin catalog: job types, pit stops, buff types, the buff range grid, RNG config, policies.

A `Catalog` is one immutable value validated as a whole when it is built, so an invalid one never
exists: every problem raises `InvalidCatalog` naming the field path (``job_types.janitor.
pit_stops[1].to_level``) and the offending value.
"""

import enum
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar, cast

import attrs

from .errors import InvalidCatalog

__all__ = [
    "RARITIES",
    "SPREAD_LIMITS",
    "BuffCarryMode",
    "BuffCarryPolicy",
    "BuffRange",
    "BuffType",
    "Catalog",
    "Cost",
    "Distribution",
    "JobChangeMode",
    "JobChangePolicy",
    "JobType",
    "PitStop",
    "Policies",
    "PrestigeReward",
    "RarityWeights",
    "RerollPolicy",
    "RngConfig",
    "SlotRule",
    "SlotUnlockPolicy",
    "Tier",
    "UnlockRequirements",
    "check_buff_range",
    "check_rng_config",
    "pit_stop_cells",
]

RARITIES: tuple[str, ...] = ("common", "uncommon", "rare", "epic", "legendary")
"""Rarity tiers from the bottom of a buff's range to the top (decision 4)."""


class Tier(enum.StrEnum):
    """A job's tier; buff ranges scale with it."""

    D = "D"
    C = "C"
    B = "B"
    A = "A"
    S = "S"

    @property
    def rank(self) -> int:
        """D=1 … S=5 (decision 9: derived, never stored)."""
        return "DCBAS".index(self.value) + 1


class Distribution(enum.StrEnum):
    """How a buff value is drawn inside [min, max]."""

    NORMAL = "normal"
    """Truncated normal around the mean, drawn by inverse CDF (never clamped)."""
    UNIFORM = "uniform"
    """Every value in [min, max] equally likely."""
    EXPONENTIAL = "exponential"
    """Truncated exponential decaying from min with scale = the cell's standard deviation."""
    WEIGHTED = "weighted"
    """A rarity tier by the RNG config's weights, then a uniform value inside that tier's band."""


class JobChangeMode(enum.StrEnum):
    """Policy 8.2: what happens when a player wants another job in a purchased slot."""

    LOCKED = "locked"
    REPURCHASE = "repurchase"
    SWAP = "swap"


class BuffCarryMode(enum.StrEnum):
    """Policy 8.3: what prestige does to the buffs a Mek earned in that job."""

    CLEAR = "clear"
    KEEP_DIMINISHED = "keep_diminished"


_INT64_MAX = 2**63 - 1
"""The largest integer a catalog holds (TOML integers are signed 64-bit)."""

_E = TypeVar("_E", bound=enum.Enum)


def _member(cls: type[_E], value: Any) -> Any:
    """`cls(value)` for a valid value; otherwise `value` itself, for `_validate` to refuse.

    Lenient enum converters let ``BuffRange(..., distribution="uniform")`` build the member while
    a bad value such as ``tier="X"`` still reaches validation, which raises `InvalidCatalog`
    naming the field (a converter could only raise a bare ValueError without the path).
    """
    try:
        return cls(value)
    except (ValueError, TypeError):
        return value


def _tier(value: Tier | str) -> Tier:
    """Lenient `Tier` converter (see `_member`)."""
    return cast(Tier, _member(Tier, value))


def _distribution(value: Distribution | str) -> Distribution:
    """Lenient `Distribution` converter (see `_member`)."""
    return cast(Distribution, _member(Distribution, value))


def _optional_distribution(value: Distribution | str | None) -> Distribution | None:
    """Lenient converter of an optional `Distribution`: None stays None (see `_member`)."""
    return None if value is None else _distribution(value)


def _job_change_mode(value: JobChangeMode | str) -> JobChangeMode:
    """Lenient `JobChangeMode` converter (see `_member`)."""
    return cast(JobChangeMode, _member(JobChangeMode, value))


def _buff_carry_mode(value: BuffCarryMode | str) -> BuffCarryMode:
    """Lenient `BuffCarryMode` converter (see `_member`)."""
    return cast(BuffCarryMode, _member(BuffCarryMode, value))


def _str_tuple(items: Iterable[str]) -> tuple[str, ...]:
    """A typed `tuple` converter (mypy cannot solve attrs' `converter=tuple`)."""
    return tuple(items)


def _int_tuple(items: Iterable[int]) -> tuple[int, ...]:
    """A typed `tuple` converter (mypy cannot solve attrs' `converter=tuple`)."""
    return tuple(items)


def _float_tuple(items: Iterable[float]) -> tuple[float, ...]:
    """A typed converter to a hashable tuple; ints become floats, other items stay for `_validate`.

    A value that is not an array (a string, a number) is kept as is, so `_validate` refuses it
    with its path instead of this converter raising a bare TypeError.
    """
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        return cast(tuple[float, ...], items)
    return tuple(
        float(x) if isinstance(x, int) and not isinstance(x, bool) and _exact_float(x) else x
        for x in items
    )


def _exact_float(value: int) -> bool:
    try:
        return float(value) == value
    except OverflowError:
        return False


@attrs.frozen
class Cost:
    """An amount of one ledger currency (whole units)."""

    currency: str
    amount: int


@attrs.frozen
class UnlockRequirements:
    """What a wallet needs before it may purchase a job type."""

    prestige_count: int = 0
    job_keys: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    total_meks: int = 0


@attrs.frozen
class PitStop:
    """A milestone between two levels of a job; its tenure is the tenure of `to_level`."""

    number: int
    from_level: int
    to_level: int


def _pit_stops(items: Iterable[PitStop]) -> tuple[PitStop, ...]:
    return tuple(items)


@attrs.frozen
class JobType:
    """A job a slot can hold; `level_tenure[i]` is the tenure (seconds worked) for level i+2."""

    key: str
    tier: Tier = attrs.field(converter=_tier)
    level_tenure: tuple[int, ...] = attrs.field(converter=_int_tuple)
    pit_stops: tuple[PitStop, ...] = attrs.field(converter=_pit_stops)
    display_name: str = ""
    description: str = ""
    max_level: int = 10
    unlock: UnlockRequirements = UnlockRequirements()
    purchase_cost: Cost | None = None
    sort_order: int = 0
    active: bool = True
    slot_art_url: str = ""
    icon_url: str | None = None
    theme_color: str | None = None

    @property
    def tier_rank(self) -> int:
        """D=1 … S=5."""
        return self.tier.rank

    @property
    def pit_stop_count(self) -> int:
        return len(self.pit_stops)

    def tenure_for_level(self, level: int) -> int:
        """Tenure (seconds) needed to reach `level`; level 1 needs none."""
        return 0 if level <= 1 else self.level_tenure[level - 2]

    def pit_stop_tenure(self, number: int) -> int:
        """Tenure (seconds) at which pit stop `number` becomes due."""
        return self.tenure_for_level(self.pit_stops[number - 1].to_level)

    def position_percent(self, number: int) -> float:
        """Where pit stop `number` sits on a 0-100 progress bar (derived from tenure)."""
        return 100.0 * self.pit_stop_tenure(number) / self.level_tenure[-1]


@attrs.frozen
class BuffType:
    """A kind of buff. Permanent buffs add to totals; one-time buffs credit `currency` at once."""

    key: str
    effect_type: str
    permanent: bool = True
    stacks: bool = True
    precision: int = 2
    currency: str | None = None
    category: str = ""
    display_name: str = ""
    description: str = ""
    sort_order: int = 0
    active: bool = True
    icon_url: str | None = None
    color: str | None = None


@attrs.frozen
class BuffRange:
    """One cell of the admin grid: buff type x job tier x level range -> value range."""

    buff_key: str
    tier: Tier = attrs.field(converter=_tier)
    min_level: int
    max_level: int
    min_value: float = attrs.field(converter=float)
    max_value: float = attrs.field(converter=float)
    mean_value: float = attrs.field(converter=float)
    standard_deviation: float | None = None
    distribution: Distribution | None = attrs.field(default=None, converter=_optional_distribution)

    def covers(self, level: int) -> bool:
        return self.min_level <= level <= self.max_level


@attrs.frozen
class RarityWeights:
    """Relative weights of the rarity tiers for the `weighted` distribution."""

    common: float = 50.0
    uncommon: float = 25.0
    rare: float = 15.0
    epic: float = 8.0
    legendary: float = 2.0

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        return (self.common, self.uncommon, self.rare, self.epic, self.legendary)


@attrs.frozen
class RngConfig:
    """Global settings of the offer engine.

    `default_spread` sets the standard deviation of cells that give none, as a fraction of the
    cell's range (0.25: [1, 5] -> sd 1.0, the seed's example). `rarity_thresholds` are the
    percent positions where uncommon, rare, epic and legendary start (decision 4).
    """

    distribution: Distribution = attrs.field(default=Distribution.NORMAL, converter=_distribution)
    default_spread: float = 0.25
    rarity_weights: RarityWeights = RarityWeights()
    rarity_thresholds: tuple[float, float, float, float] = attrs.field(
        default=(20.0, 50.0, 75.0, 95.0), converter=_float_tuple
    )
    allow_duplicates: bool = False
    guarantee_one_common: bool = False


@attrs.frozen
class PrestigeReward:
    """Policy 8.1: what a prestige grants; the parts combine."""

    account_buff_percent: float = 1.0
    account_buff_effects: tuple[str, ...] = attrs.field(
        default=("gold_rate", "essence_rate"), converter=_str_tuple
    )
    tokens: int = 0
    token_currency: str = "prestige_token"
    currency_reward: Cost | None = None


@attrs.frozen
class JobChangePolicy:
    """Policy 8.2: `locked`, `repurchase` (pay the job's price again) or `swap` (pay `swap_fee`)."""

    mode: JobChangeMode = attrs.field(default=JobChangeMode.LOCKED, converter=_job_change_mode)
    swap_fee: Cost | None = None


@attrs.frozen
class BuffCarryPolicy:
    """Policy 8.3: `clear` the job's buffs on prestige, or keep them scaled by `factor` each."""

    mode: BuffCarryMode = attrs.field(default=BuffCarryMode.CLEAR, converter=_buff_carry_mode)
    factor: float = 0.5


@attrs.frozen
class SlotRule:
    """Policy 8.4: what unlocking slot `slot` costs and requires."""

    slot: int
    cost: Cost | None = None
    min_prestiges: int = 0
    min_meks: int = 0


def _default_slot_rules() -> tuple[SlotRule, ...]:
    return (
        SlotRule(1),
        SlotRule(2, Cost("gold", 1000)),
        SlotRule(3, Cost("gold", 5000)),
        SlotRule(4, Cost("gold", 10000), min_prestiges=1),
    )


def _slot_rules(items: Iterable[SlotRule]) -> tuple[SlotRule, ...]:
    return tuple(items)


@attrs.frozen
class SlotUnlockPolicy:
    """Per-slot unlock rules; the last rule also applies to every later slot, up to `max_slots`."""

    rules: tuple[SlotRule, ...] = attrs.field(factory=_default_slot_rules, converter=_slot_rules)
    max_slots: int = 10

    def rule_for(self, slot: int) -> SlotRule:
        if slot <= len(self.rules):
            return self.rules[slot - 1]
        return attrs.evolve(self.rules[-1], slot=slot)


@attrs.frozen
class RerollPolicy:
    """A priced re-roll of an open offer; off while `cost` is None."""

    cost: Cost | None = None
    max_rerolls: int = 1


@attrs.frozen
class Policies:
    """The answers to the seed's open questions (decisions.md section 8)."""

    prestige: PrestigeReward = PrestigeReward()
    job_change: JobChangePolicy = JobChangePolicy()
    buff_carry: BuffCarryPolicy = BuffCarryPolicy()
    slot_unlock: SlotUnlockPolicy = SlotUnlockPolicy()
    reroll: RerollPolicy = RerollPolicy()


def _entries(name: str, items: Any, cls: type) -> list[Any]:
    """The entries of a catalog collection, each of `cls` (or `InvalidCatalog`)."""
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise InvalidCatalog(name, items, f"must be a list of {cls.__name__}")
    entries = list(items.values() if isinstance(items, Mapping) else items)
    for i, item in enumerate(entries):
        if not isinstance(item, cls):
            raise InvalidCatalog(f"{name}[{i}]", item, f"must be a {cls.__name__}")
    return entries


def _keyed(name: str, items: Any, cls: type) -> Mapping[str, Any]:
    """Index entities by key; two entries with one key are refused, never silently merged."""
    if isinstance(items, Mapping):
        _entries(name, items, cls)
        return MappingProxyType(dict(items))
    out: dict[str, Any] = {}
    for item in _entries(name, items, cls):
        key = item.key
        if key in out:
            raise InvalidCatalog(f"{name}.{key}", key, "two entries have this key")
        out[key] = item
    return MappingProxyType(out)


def _keyed_jobs(items: Iterable[JobType] | Mapping[str, JobType]) -> Mapping[str, JobType]:
    return _keyed("job_types", items, JobType)


def _keyed_buffs(items: Iterable[BuffType] | Mapping[str, BuffType]) -> Mapping[str, BuffType]:
    return _keyed("buff_types", items, BuffType)


def _buff_ranges(items: Iterable[BuffRange]) -> tuple[BuffRange, ...]:
    return tuple(_entries("buff_ranges", items, BuffRange))


@attrs.frozen
class _Index:
    """Lookups derived once from a valid catalog (not part of its value)."""

    cells: Mapping[tuple[str, Tier], tuple[BuffRange, ...]]
    eligible: Mapping[tuple[str, int], tuple[tuple[BuffType, BuffRange], ...]]


@attrs.frozen
class Catalog:
    """The whole admin configuration, validated as one value (see module docstring)."""

    job_types: Mapping[str, JobType] = attrs.field(converter=_keyed_jobs)
    buff_types: Mapping[str, BuffType] = attrs.field(converter=_keyed_buffs)
    buff_ranges: tuple[BuffRange, ...] = attrs.field(converter=_buff_ranges)
    rng: RngConfig = RngConfig()
    policies: Policies = Policies()
    _index: _Index = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", _validate(self))

    def buff_range(self, buff_key: str, tier: Tier | str, level: int) -> BuffRange:
        """The grid cell for (buff, tier) whose level range contains `level` (decision 7)."""
        for cell in self._index.cells.get((buff_key, Tier(tier)), ()):
            if cell.covers(level):
                return cell
        raise InvalidCatalog(
            f"buff_ranges[{buff_key},{Tier(tier).value}]", level, "no cell covers this level"
        )

    def eligible_buffs(
        self, job_key: str, pit_stop_number: int
    ) -> tuple[tuple[BuffType, BuffRange], ...]:
        """The buff types (with their cell) an offer at this pit stop draws from, in fixed order."""
        try:
            return self._index.eligible[(job_key, pit_stop_number)]
        except KeyError:
            raise InvalidCatalog(
                "pit_stop", f"{job_key}#{pit_stop_number}", "no such job pit stop"
            ) from None


# -- validation ---------------------------------------------------------------------------------


SPREAD_LIMITS = (1e-9, 1e6)
"""A standard deviation lies within these multiples of its cell's width: within them every
draw resolves the grid (docs/engine.md); outside them the engine could not keep that promise."""


def _fail(path: str, value: Any, reason: str) -> InvalidCatalog:
    return InvalidCatalog(path, value, reason)


def _check_unicode(path: str, text: str) -> None:
    """Text UTF-8 can encode: a lone surrogate ("\\udc80") fits no document, store or offer."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _fail(
            path, text, f"is not valid Unicode text (lone surrogate at index {exc.start})"
        ) from None


def _check_key(path: str, key: Any) -> None:
    if not isinstance(key, str) or not key or key != key.strip():
        raise _fail(path, key, "must be a non-empty string without surrounding spaces")
    _check_unicode(path, key)


def _check_int(path: str, value: Any, low: int, high: int = _INT64_MAX) -> None:
    """An integer in [low, high]; `high` is at most 2**63 - 1, which TOML can still hold."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, value, "must be an integer")
    if not low <= value <= min(high, _INT64_MAX):
        bound = f"in [{low}, {high}]" if high < _INT64_MAX else f"in [{low}, 2**63 - 1]"
        raise _fail(path, value, f"must be {bound}")


def _check_bool(path: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(path, value, "must be true or false")


def _check_texts(
    path: str, entity: Any, required: tuple[str, ...], optional: tuple[str, ...]
) -> None:
    """Display fields are strings (the optional ones may be None), so documents hold them."""
    for name in required:
        if not isinstance(getattr(entity, name), str):
            raise _fail(f"{path}.{name}", getattr(entity, name), "must be a string")
        _check_unicode(f"{path}.{name}", getattr(entity, name))
    for name in optional:
        value = getattr(entity, name)
        if value is not None and not isinstance(value, str):
            raise _fail(f"{path}.{name}", value, "must be a string or none")
        if value is not None:
            _check_unicode(f"{path}.{name}", value)


def _check_number(path: str, value: Any) -> None:
    """A finite float, or an int that a float holds exactly (documents write floats)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, value, "must be a finite number")
    if isinstance(value, int):
        if not _exact_float(value):
            raise _fail(path, value, "must be a number a float holds exactly")
    elif not math.isfinite(value):
        raise _fail(path, value, "must be a finite number")


def _check_cost(path: str, cost: Cost | None) -> None:
    if cost is None:
        return
    _check_key(f"{path}.currency", cost.currency)
    _check_int(f"{path}.amount", cost.amount, 0)


def _on_grid(value: float, precision: int) -> bool:
    return round(value, precision) == value


def check_buff_range(cell: BuffRange, precision: int = 2, path: str = "buff_range") -> None:
    """Check one cell on its own: numbers finite, min <= mean <= max, sd > 0, bounds on the grid.

    Raises:
        InvalidCatalog: naming `path.field` and the value.
    """
    if not isinstance(cell.tier, Tier):
        raise _fail(f"{path}.tier", cell.tier, "must be one of D, C, B, A, S")
    _check_int(f"{path}.min_level", cell.min_level, 1)
    _check_int(f"{path}.max_level", cell.max_level, cell.min_level)
    for name in ("min_value", "max_value", "mean_value"):
        _check_number(f"{path}.{name}", getattr(cell, name))
    if cell.min_value > cell.max_value:
        raise _fail(f"{path}.min_value", cell.min_value, f"is above max_value {cell.max_value}")
    if not cell.min_value <= cell.mean_value <= cell.max_value:
        raise _fail(
            f"{path}.mean_value",
            cell.mean_value,
            f"is outside [{cell.min_value}, {cell.max_value}]",
        )
    if cell.standard_deviation is not None:
        _check_number(f"{path}.standard_deviation", cell.standard_deviation)
        if cell.standard_deviation <= 0:
            raise _fail(f"{path}.standard_deviation", cell.standard_deviation, "must be > 0")
        width = cell.max_value - cell.min_value
        if width > 0 and not SPREAD_LIMITS[0] * width <= cell.standard_deviation:
            raise _fail(
                f"{path}.standard_deviation",
                cell.standard_deviation,
                f"must be at least {SPREAD_LIMITS[0]:g} times the cell's width {width:g}",
            )
        if width > 0 and not cell.standard_deviation <= SPREAD_LIMITS[1] * width:
            raise _fail(
                f"{path}.standard_deviation",
                cell.standard_deviation,
                f"must be at most {SPREAD_LIMITS[1]:g} times the cell's width {width:g}: wider "
                "draws lose the precision to tell values apart (use a uniform cell)",
            )
    for name in ("min_value", "max_value"):
        value = getattr(cell, name)
        if not _on_grid(value, precision):
            raise _fail(
                f"{path}.{name}", value, f"has more decimals than the buff's precision {precision}"
            )
    if abs(cell.min_value) >= 1e12 or abs(cell.max_value) >= 1e12:
        raise _fail(f"{path}.max_value", cell.max_value, "must be below 1e12 in magnitude")
    if cell.distribution is not None and not isinstance(cell.distribution, Distribution):
        raise _fail(f"{path}.distribution", cell.distribution, "is not a distribution")


def _validate_job(path: str, job: JobType, job_keys: Mapping[str, JobType]) -> None:
    _check_key(f"{path}.key", job.key)
    if not isinstance(job.tier, Tier):
        raise _fail(f"{path}.tier", job.tier, "must be one of D, C, B, A, S")
    _check_int(f"{path}.max_level", job.max_level, 2, 100)
    if len(job.level_tenure) != job.max_level - 1:
        raise _fail(
            f"{path}.level_tenure",
            list(job.level_tenure),
            f"needs {job.max_level - 1} entries (levels 2..{job.max_level})",
        )
    previous = 0
    for i, tenure in enumerate(job.level_tenure):
        _check_int(f"{path}.level_tenure[{i}]", tenure, 1)
        if tenure <= previous:
            raise _fail(f"{path}.level_tenure[{i}]", tenure, f"must exceed {previous}")
        previous = tenure
    if not 1 <= len(job.pit_stops) <= 10:
        raise _fail(f"{path}.pit_stops", len(job.pit_stops), "a job has 1 to 10 pit stops")
    last_to = 1
    for i, stop in enumerate(job.pit_stops):
        sp = f"{path}.pit_stops[{i}]"
        _check_int(f"{sp}.number", stop.number, 1)
        if stop.number != i + 1:
            raise _fail(
                f"{sp}.number", stop.number, f"pit stops are numbered 1..n; expected {i + 1}"
            )
        _check_int(f"{sp}.from_level", stop.from_level, 1)
        _check_int(f"{sp}.to_level", stop.to_level, 2, job.max_level)
        if stop.from_level >= stop.to_level:
            raise _fail(
                f"{sp}.from_level", stop.from_level, f"must be below to_level {stop.to_level}"
            )
        if stop.from_level < last_to:
            raise _fail(
                f"{sp}.from_level",
                stop.from_level,
                f"overlaps the previous pit stop (to {last_to})",
            )
        last_to = stop.to_level
    for i, other in enumerate(job.unlock.job_keys):
        if not isinstance(other, str) or other not in job_keys or other == job.key:
            raise _fail(f"{path}.unlock.job_keys[{i}]", other, "is not another known job type")
    _check_int(f"{path}.unlock.prestige_count", job.unlock.prestige_count, 0)
    _check_int(f"{path}.unlock.total_meks", job.unlock.total_meks, 0)
    _check_cost(f"{path}.purchase_cost", job.purchase_cost)
    _check_int(f"{path}.sort_order", job.sort_order, -(2**31), 2**31)
    _check_bool(f"{path}.active", job.active)
    _check_texts(
        path, job, ("display_name", "description", "slot_art_url"), ("icon_url", "theme_color")
    )


def _validate_buff(path: str, buff: BuffType) -> None:
    _check_key(f"{path}.key", buff.key)
    _check_key(f"{path}.effect_type", buff.effect_type)
    _check_int(f"{path}.precision", buff.precision, 0, 6)
    if buff.permanent and buff.currency is not None:
        raise _fail(f"{path}.currency", buff.currency, "only one-time buffs credit a currency")
    if not buff.permanent:
        _check_key(f"{path}.currency", buff.currency)
        if buff.precision != 0:
            raise _fail(
                f"{path}.precision", buff.precision, "one-time buffs credit whole currency units: 0"
            )
    _check_int(f"{path}.sort_order", buff.sort_order, -(2**31), 2**31)
    for name in ("permanent", "stacks", "active"):
        _check_bool(f"{path}.{name}", getattr(buff, name))
    _check_texts(path, buff, ("category", "display_name", "description"), ("icon_url", "color"))


def check_rng_config(rng: RngConfig) -> None:
    """Validate an RNG config on its own, as a catalog would (for engine helpers called with
    one directly). Raises `InvalidCatalog` naming the `rng.*` field."""
    if not isinstance(rng, RngConfig):
        raise _fail("rng", rng, "must be an RngConfig")
    _validate_rng(rng)


def _validate_rng(rng: RngConfig) -> None:
    if not isinstance(rng.distribution, Distribution):
        raise _fail("rng.distribution", rng.distribution, "is not a distribution")
    _check_bool("rng.allow_duplicates", rng.allow_duplicates)
    _check_bool("rng.guarantee_one_common", rng.guarantee_one_common)
    _check_number("rng.default_spread", rng.default_spread)
    if not SPREAD_LIMITS[0] <= rng.default_spread <= SPREAD_LIMITS[1]:
        raise _fail(
            "rng.default_spread",
            rng.default_spread,
            f"must be in [{SPREAD_LIMITS[0]:g}, {SPREAD_LIMITS[1]:g}] (a fraction of the width)",
        )
    for name, weight in zip(RARITIES, rng.rarity_weights.as_tuple(), strict=True):
        _check_number(f"rng.rarity_weights.{name}", weight)
        if weight < 0:
            raise _fail(f"rng.rarity_weights.{name}", weight, "must be >= 0")
    if sum(rng.rarity_weights.as_tuple()) <= 0:
        raise _fail("rng.rarity_weights", rng.rarity_weights.as_tuple(), "must not all be zero")
    thresholds = rng.rarity_thresholds
    if not isinstance(thresholds, tuple) or len(thresholds) != 4:
        raise _fail("rng.rarity_thresholds", thresholds, "needs 4 percent positions")
    previous = 0.0
    for i, t in enumerate(thresholds):
        _check_number(f"rng.rarity_thresholds[{i}]", t)
        if not previous < t < 100:
            raise _fail(
                f"rng.rarity_thresholds[{i}]", t, f"must be in ({previous}, 100) and increasing"
            )
        previous = t


def _validate_policies(p: Policies) -> None:
    pr = p.prestige
    _check_number("policies.prestige.account_buff_percent", pr.account_buff_percent)
    if pr.account_buff_percent < 0:
        raise _fail(
            "policies.prestige.account_buff_percent", pr.account_buff_percent, "must be >= 0"
        )
    for i, effect in enumerate(pr.account_buff_effects):
        _check_key(f"policies.prestige.account_buff_effects[{i}]", effect)
    _check_int("policies.prestige.tokens", pr.tokens, 0)
    _check_key("policies.prestige.token_currency", pr.token_currency)
    _check_cost("policies.prestige.currency_reward", pr.currency_reward)
    if not isinstance(p.job_change.mode, JobChangeMode):
        raise _fail("policies.job_change.mode", p.job_change.mode, "is not a job change mode")
    _check_cost("policies.job_change.swap_fee", p.job_change.swap_fee)
    if not isinstance(p.buff_carry.mode, BuffCarryMode):
        raise _fail("policies.buff_carry.mode", p.buff_carry.mode, "is not a buff carry mode")
    _check_number("policies.buff_carry.factor", p.buff_carry.factor)
    if not 0 < p.buff_carry.factor <= 1:
        raise _fail("policies.buff_carry.factor", p.buff_carry.factor, "must be in (0, 1]")
    rules = p.slot_unlock.rules
    if not rules:
        raise _fail("policies.slot_unlock.rules", (), "needs at least the rule for slot 1")
    for i, rule in enumerate(rules):
        rp = f"policies.slot_unlock.rules[{i}]"
        _check_int(f"{rp}.slot", rule.slot, 1)
        if rule.slot != i + 1:
            raise _fail(f"{rp}.slot", rule.slot, f"rules are numbered 1..n; expected {i + 1}")
        _check_cost(f"{rp}.cost", rule.cost)
        _check_int(f"{rp}.min_prestiges", rule.min_prestiges, 0)
        if i == 0 and rule.min_prestiges != 0:
            raise _fail(
                f"{rp}.min_prestiges",
                rule.min_prestiges,
                "must be 0: a wallet cannot prestige before it has a slot",
            )
        _check_int(f"{rp}.min_meks", rule.min_meks, 0)
    _check_int("policies.slot_unlock.max_slots", p.slot_unlock.max_slots, len(rules), 1000)
    _check_cost("policies.reroll.cost", p.reroll.cost)
    _check_int("policies.reroll.max_rerolls", p.reroll.max_rerolls, 0, 1000)


def _validate_account_buff_effects(catalog: Catalog) -> None:
    """Each prestige account-buff effect is the effect type of some permanent buff type."""
    permanent = {b.effect_type for b in catalog.buff_types.values() if b.permanent}
    for i, effect in enumerate(catalog.policies.prestige.account_buff_effects):
        if effect not in permanent:
            raise _fail(
                f"policies.prestige.account_buff_effects[{i}]",
                effect,
                "is not the effect_type of any permanent buff type"
                + (f" (known: {', '.join(sorted(permanent))})" if permanent else ""),
            )


def _validate_unlocks(jobs: Mapping[str, JobType]) -> None:
    """The unlock graph is playable: an entry job, no cycles, active jobs need active jobs."""
    for key, job in jobs.items():
        if not job.active:
            continue
        for i, other in enumerate(job.unlock.job_keys):
            if not jobs[other].active:
                raise _fail(
                    f"job_types.{key}.unlock.job_keys[{i}]",
                    other,
                    "is an inactive job type: nobody could buy it to unlock this one",
                )
    # Depth-first search for a cycle, iterative so a long unlock chain cannot hit the recursion
    # limit. state: 1 while a job is on the current path, 2 once all it needs has been explored.
    state: dict[str, int] = {}
    for root in jobs:
        if root in state:
            continue
        need: str | None
        state[root] = 1
        path = [root]
        stack = [iter(jobs[root].unlock.job_keys)]
        while stack:
            need = next(stack[-1], None)
            if need is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(need) == 1:
                cycle = [*path[path.index(need) :], need]
                raise _fail(
                    f"job_types.{need}.unlock.job_keys",
                    list(jobs[need].unlock.job_keys),
                    "unlock cycle: " + " -> ".join(cycle),
                )
            elif need not in state:
                state[need] = 1
                path.append(need)
                stack.append(iter(jobs[need].unlock.job_keys))
    if not any(
        job.active and job.unlock.prestige_count == 0 and not job.unlock.job_keys
        for job in jobs.values()
    ):
        raise _fail(
            "job_types",
            sorted(key for key, job in jobs.items() if job.active),
            "needs an active entry job (unlock.prestige_count 0 and no unlock.job_keys)",
        )


def _validate(catalog: Catalog) -> _Index:
    for key, job in catalog.job_types.items():
        if key != job.key:
            raise _fail(f"job_types.{key}.key", job.key, "differs from its mapping key")
        _validate_job(f"job_types.{key}", job, catalog.job_types)
    for key, buff in catalog.buff_types.items():
        if key != buff.key:
            raise _fail(f"buff_types.{key}.key", buff.key, "differs from its mapping key")
        _validate_buff(f"buff_types.{key}", buff)
    check_rng_config(catalog.rng)
    if not isinstance(catalog.policies, Policies):
        raise _fail("policies", catalog.policies, "must be a Policies")
    _validate_policies(catalog.policies)
    _validate_account_buff_effects(catalog)
    _validate_unlocks(catalog.job_types)

    grouped: dict[tuple[str, Tier], list[tuple[int, BuffRange]]] = {}
    for i, cell in enumerate(catalog.buff_ranges):
        path = f"buff_ranges[{i}]"
        buff_type = (
            catalog.buff_types.get(cell.buff_key) if isinstance(cell.buff_key, str) else None
        )
        if buff_type is None:
            raise _fail(f"{path}.buff_key", cell.buff_key, "is not a known buff type")
        check_buff_range(cell, buff_type.precision, path)
        if not buff_type.permanent and cell.min_value <= 0:
            raise _fail(
                f"{path}.min_value",
                cell.min_value,
                f"must be > 0: one-time buff {cell.buff_key!r} credits its value as currency",
            )
        grouped.setdefault((cell.buff_key, cell.tier), []).append((i, cell))

    cells: dict[tuple[str, Tier], tuple[BuffRange, ...]] = {}
    for group_key, members in grouped.items():
        members.sort(key=lambda m: m[1].min_level)
        for (_, a), (j, b) in itertools.pairwise(members):
            if b.min_level <= a.max_level:
                raise _fail(
                    f"buff_ranges[{j}].min_level",
                    b.min_level,
                    f"overlaps levels {a.min_level}-{a.max_level} of {group_key[0]}/{group_key[1]}",
                )
        cells[group_key] = tuple(cell for _, cell in members)

    eligible, problems = pit_stop_cells(
        catalog.job_types, catalog.buff_types, cells, catalog.rng.allow_duplicates
    )
    if problems:
        raise _fail(*problems[0])
    return _Index(cells=MappingProxyType(cells), eligible=MappingProxyType(eligible))


def pit_stop_cells(
    job_types: Mapping[str, JobType],
    buff_types: Mapping[str, BuffType],
    cells: Mapping[tuple[str, Tier], Sequence[BuffRange]],
    allow_duplicates: bool,
) -> tuple[
    dict[tuple[str, int], tuple[tuple[BuffType, BuffRange], ...]], list[tuple[str, Any, str]]
]:
    """The cell each active buff type draws from at each pit stop, and every (path, value,
    reason) where the grid fails one: a gap at a reached level, too few eligible buff types.

    Every job counts, active or not: a Mek already working a job that admins deactivate must
    still resolve its pit stops (`active` only gates buying the job).
    """
    buffs = sorted(
        (b for b in buff_types.values() if b.active), key=lambda b: (b.sort_order, b.key)
    )
    needed = 1 if allow_duplicates else 3
    eligible: dict[tuple[str, int], tuple[tuple[BuffType, BuffRange], ...]] = {}
    problems: list[tuple[str, Any, str]] = []
    for key, job in job_types.items():
        for stop in job.pit_stops:
            found: list[tuple[BuffType, BuffRange]] = []
            for buff in buffs:
                row = cells.get((buff.key, job.tier))
                if row is None:
                    continue
                hit = next((c for c in row if c.covers(stop.from_level)), None)
                if hit is None:
                    problems.append(
                        (
                            f"buff_ranges[{buff.key},{job.tier.value}]",
                            stop.from_level,
                            f"gap: no cell covers level {stop.from_level}, "
                            f"reached by job_types.{key}.pit_stops[{stop.number - 1}]",
                        )
                    )
                    continue
                found.append((buff, hit))
            if len(found) < needed:
                problems.append(
                    (
                        f"job_types.{key}.pit_stops[{stop.number - 1}]",
                        [b.key for b, _ in found],
                        f"needs at least {needed} eligible buff types"
                        + ("" if allow_duplicates else " (duplicates are not allowed)"),
                    )
                )
            eligible[(key, stop.number)] = tuple(found)
    return eligible, problems
