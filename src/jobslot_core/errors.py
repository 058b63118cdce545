"""The typed errors of jobslot_core: one hierarchy rooted at `JobSlotError`.

Every refusal names the offending field and value in its message and carries them as
attributes, so a host can map errors to its own responses without parsing text. A command that
raises leaves stored state exactly as it was.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CorruptStore",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidArgument",
    "InvalidCatalog",
    "InvalidChoice",
    "JobLocked",
    "JobSlotError",
    "MekBusy",
    "MekUnavailable",
    "NotOwned",
    "OfferAlreadyResolved",
    "PitStopNotReady",
    "PolicyRefused",
    "PrestigeNotReady",
    "SlotLocked",
    "SlotNotPurchased",
    "StorageError",
    "UnknownJob",
    "UnknownMek",
    "UnknownOffer",
    "UnknownSecret",
    "UnsupportedSchema",
]


class JobSlotError(Exception):
    """Base of every error the library raises on purpose.

    `field` names what was wrong (a dotted path for nested values) and `value` holds it.
    """

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.value, self.reason))


class InvalidCatalog(JobSlotError):
    """The catalog (admin configuration) is inconsistent; `field` is the path inside it."""


class InvalidArgument(JobSlotError):
    """An argument is malformed (wrong type, out of range, empty)."""


class NotOwned(JobSlotError):
    """The wallet does not own the Mek, slot or offer it tried to act on."""


class UnknownMek(JobSlotError):
    """No Mek with that id is registered."""


class UnknownJob(JobSlotError):
    """No (active) job type with that key is in the catalog, or the Mek never worked it."""


class UnknownOffer(JobSlotError):
    """No offer with that id exists."""


class UnknownSecret(JobSlotError):
    """No offer secret with that id exists, or it cannot be revealed yet."""


class SlotLocked(JobSlotError):
    """The slot is not unlocked, or unlocking it is not allowed yet."""


class SlotNotPurchased(JobSlotError):
    """The slot has no job purchased for it."""


class JobLocked(JobSlotError):
    """The job's unlock requirements are not met, or the slot's job cannot be changed."""


class MekBusy(JobSlotError):
    """The Mek (or the slot) is already occupied."""


class MekUnavailable(JobSlotError):
    """The host marked the Mek unavailable (for example, busy in an essence slot)."""


class InsufficientFunds(JobSlotError):
    """A balance would go negative."""


class PitStopNotReady(JobSlotError):
    """No pit stop is due for that Mek and job."""


class OfferAlreadyResolved(JobSlotError):
    """The offer was already selected or replaced by a re-roll."""


class InvalidChoice(JobSlotError):
    """The choice index is not one of the offer's choices."""


class PrestigeNotReady(JobSlotError):
    """The Mek is below the job's max level or has a pit stop to resolve."""


class PolicyRefused(JobSlotError):
    """The catalog's policy forbids the command (for example, re-rolls are off)."""


class IdempotencyConflict(JobSlotError):
    """The idempotency key was already used for a different command or other arguments."""


class StorageError(JobSlotError):
    """The storage adapter failed; the command was not applied."""


class CorruptStore(StorageError):
    """The stored data breaks an invariant or is not a jobslot database."""


class UnsupportedSchema(StorageError):
    """The database was written by a newer version of the library."""
