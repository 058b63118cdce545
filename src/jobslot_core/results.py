"""Frozen results of the service's queries (commands return the records of `model`)."""

from collections.abc import Mapping

import attrs

from .catalog import Cost, JobType
from .model import ActiveBuff, JobSlot, Reward, _frozen_mapping
from .progression import ProgressionView

__all__ = [
    "AvailableJobs",
    "LockedJob",
    "MekBuffs",
    "PlayerSlots",
    "PrestigePreview",
    "SlotView",
    "WalletTotals",
]


@attrs.frozen
class MekBuffs:
    """A Mek's kept buffs across all jobs and its totals by effect type (decision 14 applied)."""

    mek_id: str
    buffs: tuple[ActiveBuff, ...]
    consumed: tuple[ActiveBuff, ...]
    totals: Mapping[str, float] = attrs.field(converter=_frozen_mapping)


@attrs.frozen
class WalletTotals:
    """The host's hot path: a wallet's totals by effect type, with the account prestige buff."""

    wallet: str
    base: Mapping[str, float] = attrs.field(converter=_frozen_mapping)
    account_prestiges: int
    account_buff_percent: float
    totals: Mapping[str, float] = attrs.field(converter=_frozen_mapping)


@attrs.frozen
class LockedJob:
    """A job the wallet cannot buy yet: what it needs and where the wallet stands."""

    job: JobType
    needs_prestige_count: int
    needs_job_keys: tuple[str, ...]
    needs_total_meks: int
    current_prestige_count: int
    current_job_keys: tuple[str, ...]
    current_total_meks: int


@attrs.frozen
class AvailableJobs:
    """Active jobs split into those the wallet may purchase and those still locked."""

    unlocked: tuple[JobType, ...]
    locked: tuple[LockedJob, ...]


@attrs.frozen
class SlotView:
    """One unlocked slot with its Mek's progression in the slot's job, if any."""

    slot: JobSlot
    progression: ProgressionView | None


@attrs.frozen
class PlayerSlots:
    """A wallet's job slots (unlocked ones) and what the policy allows."""

    wallet: str
    slots: tuple[SlotView, ...]
    unlocked_slots: int
    purchased_slots: int
    max_slots: int
    next_slot_cost: Cost | None = None


@attrs.frozen
class PrestigePreview:
    """Whether a prestige may happen now, what it would take away and what it would grant."""

    mek_id: str
    job_key: str
    eligible: bool
    reasons: tuple[str, ...]
    level: int
    max_level: int
    pending_pit_stops: int
    buffs_lost: tuple[ActiveBuff, ...]
    buffs_diminished: tuple[ActiveBuff, ...]
    rewards: tuple[Reward, ...]
