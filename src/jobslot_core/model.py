"""Frozen domain records: what the service stores and returns.

Records are plain values; the service builds new ones instead of mutating (decision: immutable
entities). Derived facts (level, next pit stop, totals with the account buff) live in
`progression` and `buffs`, not here.
"""

import enum
from collections.abc import Callable, Mapping
from types import MappingProxyType, MemberDescriptorType
from typing import Any, TypeVar

import attrs

from .engine import BuffChoice
from .frozen import deep_freeze

T = TypeVar("T")

__all__ = [
    "ActiveBuff",
    "Balance",
    "CatalogVersion",
    "Event",
    "IdempotencyRecord",
    "JobSlot",
    "LedgerEntry",
    "Mek",
    "MekTotal",
    "Offer",
    "OfferSecret",
    "OfferStatus",
    "Ownership",
    "PrestigeRecord",
    "Progression",
    "Reward",
    "Selection",
    "WalletStats",
    "WalletTotal",
]


_REPLACERS: dict[type, Callable[[Any, dict[str, Any]], Any]] = {}


def replace(record: T, **changes: Any) -> T:
    """`attrs.evolve(record, **changes)`, through code made once per class: the service evolves
    a few records in every command."""
    cls = record.__class__
    made = _REPLACERS.get(cls)
    if made is None:
        made = _REPLACERS[cls] = _replacer(cls)
    copy: T = made(record, changes)
    return copy


def _replacer(cls: type) -> Callable[[Any, dict[str, Any]], Any]:
    """A function `(record, changes) -> copy`: for a slotted class whose fields are plain
    (no converter, validator or alias, no init hooks), one that sets each slot of a new object
    directly, as its `__init__` would; for any other, `cls(**fields)` as `attrs.evolve` does."""
    fields = attrs.fields(cls)
    props = getattr(cls, "__attrs_props__", None)  # attrs 25.4 and later; else evolve's way
    direct = (
        props is not None
        and props.added_init  # not a hand-written __init__, which evolve would call
        and props.hashability.name != "HASHABLE_CACHED"  # its hash slot is set by __init__
        and not any(hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__"))
    ) and all(
        f.init
        and f.converter is None
        and f.validator is None
        and f.alias == f.name
        and isinstance(cls.__dict__.get(f.name), MemberDescriptorType)
        for f in fields
    )
    if not direct:
        init = tuple((f.name, f.alias) for f in fields if f.init)

        def evolve(record: Any, changes: dict[str, Any]) -> Any:
            for name, alias in init:
                if alias not in changes:
                    changes[alias] = getattr(record, name)
            return cls(**changes)

        return evolve
    names: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_fields": frozenset(
        f.name for f in fields), "_unknown": _unknown_field}  # fmt: skip
    lines = ["def replace(r, c):", "    if not _fields.issuperset(c):", "        _unknown(_cls, c)"]
    lines.append("    n = _new(_cls)")
    for i, f in enumerate(fields):
        names[f"_set{i}"] = cls.__dict__[f.name].__set__
        lines.append(f"    _set{i}(n, c[{f.name!r}] if {f.name!r} in c else r.{f.name})")
    lines.append("    return n")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), f"<replace {cls.__qualname__}>", "exec"), names, namespace)
    made: Callable[[Any, dict[str, Any]], Any] = namespace["replace"]
    return made


def _unknown_field(cls: type, changes: dict[str, Any]) -> None:
    known = {f.name for f in attrs.fields(cls)}
    unknown = next(name for name in changes if name not in known)
    raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {unknown!r}")


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _frozen_data(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A free-form payload, deeply frozen (see `frozen`): stored records never change."""
    frozen: Mapping[str, Any] = deep_freeze(value)
    return frozen


@attrs.frozen
class Mek:
    """A character the host registered; `available` is false while the host has it busy."""

    mek_id: str
    wallet: str
    registered_at_ms: int
    available: bool = True


@attrs.frozen
class Ownership:
    """One owner's holding of a Mek (decision 13: history keeps who owned it when)."""

    seq: int
    mek_id: str
    wallet: str
    from_ms: int


@attrs.frozen
class JobSlot:
    """An unlocked job slot of a wallet, maybe with a purchased job and a working Mek."""

    wallet: str
    slot_number: int
    unlocked_at_ms: int
    job_key: str | None = None
    purchased_at_ms: int | None = None
    mek_id: str | None = None
    slotted_at_ms: int | None = None


@attrs.frozen
class Progression:
    """A Mek's progress in one job; tenure accrues lazily while `slot_number` is set.

    `tenure_ms` is exact up to `tenure_updated_ms` (decision 11).
    """

    mek_id: str
    job_key: str
    tenure_ms: int
    tenure_updated_ms: int
    first_started_ms: int
    slot_number: int | None = None
    slot_wallet: str | None = None
    pit_stops_resolved: int = 0
    prestige_count: int = 0
    lifetime_levels: int = 0
    last_prestige_ms: int | None = None

    @property
    def slotted(self) -> bool:
        return self.slot_number is not None

    def tenure_at(self, now_ms: int) -> int:
        """Exact tenure in milliseconds at `now_ms`."""
        if self.slot_number is None:
            return self.tenure_ms
        return self.tenure_ms + max(0, now_ms - self.tenure_updated_ms)


class OfferStatus(enum.StrEnum):
    """An offer is open until a choice is selected or a re-roll replaces it."""

    OPEN = "open"
    SELECTED = "selected"
    REROLLED = "rerolled"


@attrs.frozen
class Offer:
    """Three buff choices made by the engine and stored before they were shown (fix 1)."""

    offer_id: str
    wallet: str
    mek_id: str
    job_key: str
    prestige_sequence: int
    pit_stop_number: int
    reroll: int
    from_level: int
    to_level: int
    choices: tuple[BuffChoice, ...]
    secret_id: str
    engine_version: int
    catalog_version: int
    created_at_ms: int
    status: OfferStatus = OfferStatus.OPEN
    selected_index: int | None = None
    resolved_at_ms: int | None = None


@attrs.frozen
class Selection:
    """The pick at one pit stop; at most one per (Mek, job, prestige sequence, pit stop)."""

    mek_id: str
    job_key: str
    prestige_sequence: int
    pit_stop_number: int
    offer_id: str
    wallet: str
    selected_index: int
    choice: BuffChoice
    catalog_version: int
    selected_at_ms: int


@attrs.frozen
class ActiveBuff:
    """A kept buff: permanent ones count at `value * scale`; one-time ones are consumed."""

    buff_id: str
    mek_id: str
    job_key: str
    buff_key: str
    effect_type: str
    value: float
    permanent: bool
    stacks: bool
    prestige_sequence: int
    pit_stop_number: int
    applied_at_ms: int
    scale: float = 1.0
    consumed: bool = False

    @property
    def effective_value(self) -> float:
        return self.value * self.scale


@attrs.frozen
class MekTotal:
    """Projection: one Mek's total for one effect type, in integer micro-units (exact sums)."""

    mek_id: str
    effect_type: str
    wallet: str
    units: int


@attrs.frozen
class WalletTotal:
    """Projection: a wallet's total for one effect type in micro-units, before the account buff."""

    wallet: str
    effect_type: str
    units: int


@attrs.frozen
class WalletStats:
    """Per-wallet facts that unlock rules read: prestiges done and jobs ever purchased."""

    wallet: str
    prestige_count: int = 0
    jobs_purchased: tuple[str, ...] = ()


@attrs.frozen
class Reward:
    """Something a prestige granted: a currency amount or an account buff step."""

    kind: str
    currency: str | None = None
    amount: int = 0
    percent: float = 0.0


@attrs.frozen
class PrestigeRecord:
    """Audit of one prestige: what was lost or diminished and what was granted."""

    mek_id: str
    job_key: str
    prestige_number: int
    wallet: str
    level_before: int
    tenure_before_ms: int
    buffs_lost: tuple[ActiveBuff, ...]
    buffs_diminished: tuple[ActiveBuff, ...]
    rewards: tuple[Reward, ...]
    prestiged_at_ms: int
    catalog_version: int = 0


@attrs.frozen
class Balance:
    """A wallet's balance in one currency; never negative."""

    wallet: str
    currency: str
    amount: int


@attrs.frozen
class LedgerEntry:
    """One append-only journal line (decision 16); `reference` names the command that caused it."""

    seq: int
    wallet: str
    currency: str
    amount: int
    balance_after: int
    reason: str
    reference: str
    at_ms: int


@attrs.frozen
class Event:
    """A domain event in the outbox (decision 18), appended in the command's transaction."""

    seq: int
    kind: str
    wallet: str | None
    at_ms: int
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_data)


@attrs.frozen
class IdempotencyRecord:
    """The first result of a command run under an idempotency key, within its scope (the
    wallet the command acts for, the Mek for host commands on a Mek, or the admin scope)."""

    scope: str
    key: str
    command: str
    fingerprint: str
    result_type: str
    result: Any = attrs.field(converter=deep_freeze)
    at_ms: int = attrs.field()


@attrs.frozen
class CatalogVersion:
    """A published catalog; offers and history name the version (`seq`) they were made under."""

    seq: int
    fingerprint: str
    catalog: Any = attrs.field(converter=deep_freeze)
    published_at_ms: int = attrs.field()

    @property
    def version(self) -> int:
        return self.seq


@attrs.frozen
class OfferSecret:
    """A secret's public commitment (salted SHA-256 hex, `engine.commitment`); once retired no
    offer uses it, and once revealed the secret itself (hex) lets players recompute its offers.

    `salt_hex` is the commitment's salt: private until the secret is revealed (the public record
    withholds it), `None` in records registered before salts (plain SHA-256 of the secret)."""

    secret_id: str
    commitment: str
    registered_at_ms: int
    revealed_hex: str | None = None
    revealed_at_ms: int | None = None
    retired_at_ms: int | None = None
    salt_hex: str | None = None
