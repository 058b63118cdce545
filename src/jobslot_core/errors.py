"""The typed errors of jobslot_core: one hierarchy rooted at `JobSlotError`.

Every refusal names the offending field and value in its message and carries them as
attributes, so a host can map errors to its own responses without parsing text. A command that
raises leaves stored state exactly as it was.

Five families sit under `JobSlotError`, so a host can answer by family:

- `InvalidRequest`: the arguments or the catalog are malformed (fix the request);
- `NotFound`: something named does not exist;
- `Refused`: the game's rules forbid the command now (the state may change later);
- `Conflict`: the command collides with what was already done (a key, a selection, a record);
- `StorageError`: the store failed; `ConcurrencyConflict` is retryable and is retried by the
  service before it ever reaches the host.

Every class has a stable `code` (snake case), and `jobslot_core.to_dict(error)` gives
`{"code", "field", "value", "message"}`, JSON-safe, for a host to send as it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AlreadyExists",
    "CommitOutcomeUnknown",
    "ConcurrencyConflict",
    "Conflict",
    "CorruptStore",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidArgument",
    "InvalidCatalog",
    "InvalidChoice",
    "InvalidRequest",
    "JobLocked",
    "JobSlotError",
    "MekBusy",
    "MekUnavailable",
    "NotFound",
    "NotOwned",
    "OfferAlreadyResolved",
    "PitStopNotReady",
    "PolicyRefused",
    "PrestigeNotReady",
    "Refused",
    "SlotEmpty",
    "SlotLocked",
    "SlotNotPurchased",
    "StorageError",
    "UnknownJob",
    "UnknownMek",
    "UnknownOffer",
    "UnknownSecret",
    "UnsupportedSchema",
    "error_codes",
]


_HUGE_BITS = 14_000  # below str()'s 4,300-digit limit (14,284 bits)
_SHOWN_CHARS = 500


def _shown(value: Any) -> str:
    """`repr(value)` for a message, cut short for a huge value (a 50 MB document, a deep list)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # nested too deeply, or a huge int inside
        return f"<{type(value).__name__}>"
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "...(cut)"


class JobSlotError(Exception):
    """Base of every error the library raises on purpose.

    `field` names what was wrong (a dotted path for nested values) and `value` holds it.
    """

    code: ClassVar[str] = "jobslot_error"

    def __init__(self, field: str, value: Any, reason: str) -> None:
        if isinstance(value, int) and value.bit_length() > _HUGE_BITS:
            # Hostile input: an integer past str()'s digit limit cannot even be shown.
            value = f"<integer of {value.bit_length()} bits>"
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={_shown(value)}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.value, self.reason))


# -- the families ----------------------------------------------------------------------------


class InvalidRequest(JobSlotError):
    """The request is malformed: a bad argument, choice or catalog."""

    code = "invalid_request"


class NotFound(JobSlotError):
    """Something the request names does not exist."""

    code = "not_found"


class Refused(JobSlotError):
    """The game's rules forbid the command in the current state."""

    code = "refused"


class Conflict(JobSlotError):
    """The command collides with something already done."""

    code = "conflict"


class StorageError(JobSlotError):
    """The storage adapter failed; the command was not applied.

    `sqlstate` carries the driver's error code where it has one (PostgreSQL's SQLSTATE).
    """

    code = "storage_error"
    sqlstate: str | None = None


# -- invalid requests ------------------------------------------------------------------------


class InvalidCatalog(InvalidRequest):
    """The catalog (admin configuration) is inconsistent; `field` is the path inside it."""

    code = "invalid_catalog"


class InvalidArgument(InvalidRequest):
    """An argument is malformed (wrong type, out of range, empty)."""

    code = "invalid_argument"


class InvalidChoice(InvalidRequest):
    """The choice index is not one of the offer's choices."""

    code = "invalid_choice"


# -- not found -------------------------------------------------------------------------------


class UnknownMek(NotFound):
    """No Mek with that id is registered."""

    code = "unknown_mek"


class UnknownJob(NotFound):
    """No (active) job type with that key is in the catalog, or the Mek never worked it."""

    code = "unknown_job"


class UnknownOffer(NotFound):
    """No offer with that id exists."""

    code = "unknown_offer"


class UnknownSecret(NotFound):
    """No offer secret with that id exists, or it cannot be used or revealed."""

    code = "unknown_secret"


# -- refused ---------------------------------------------------------------------------------


class NotOwned(Refused):
    """The wallet does not own the Mek, slot or offer it tried to act on."""

    code = "not_owned"


class SlotLocked(Refused):
    """The slot is not unlocked, or unlocking it is not allowed yet."""

    code = "slot_locked"


class SlotNotPurchased(Refused):
    """The slot has no job purchased for it."""

    code = "slot_not_purchased"


class JobLocked(Refused):
    """The job's unlock requirements are not met, or the slot's job cannot be changed."""

    code = "job_locked"


class MekBusy(Refused):
    """The Mek (or the slot) is already occupied."""

    code = "mek_busy"


class SlotEmpty(Refused):
    """The slot has no Mek to take out."""

    code = "slot_empty"


class MekUnavailable(Refused):
    """The host marked the Mek unavailable (for example, busy in an essence slot)."""

    code = "mek_unavailable"


class InsufficientFunds(Refused):
    """A balance would go negative."""

    code = "insufficient_funds"


class PitStopNotReady(Refused):
    """No pit stop is due for that Mek and job."""

    code = "pit_stop_not_ready"


class PrestigeNotReady(Refused):
    """The Mek is below the job's max level or has a pit stop to resolve."""

    code = "prestige_not_ready"


class PolicyRefused(Refused):
    """The catalog's policy forbids the command (for example, re-rolls are off)."""

    code = "policy_refused"


# -- conflicts -------------------------------------------------------------------------------


class IdempotencyConflict(Conflict):
    """The idempotency key was already used for a different command or other arguments."""

    code = "idempotency_conflict"


class OfferAlreadyResolved(Conflict):
    """The offer was already selected or replaced by a re-roll."""

    code = "offer_already_resolved"


class AlreadyExists(Conflict):
    """The record the command would create exists already (a Mek, a slot, a secret)."""

    code = "already_exists"


# -- storage ---------------------------------------------------------------------------------


class ConcurrencyConflict(StorageError):
    """A concurrent command got in the way (serialization failure, deadlock, lock time-out,
    an insert race). Retryable: the service reruns the whole command a bounded number of
    times, and raises this only when every attempt met a conflict."""

    code = "concurrency_conflict"


class CommitOutcomeUnknown(StorageError):
    """The connection was lost during COMMIT: the unit of work may or may not be stored.

    Adapters raise it from `commit()`; the service settles it (it looks for the command's own
    record) and never lets it reach the host.
    """

    code = "commit_outcome_unknown"


class CorruptStore(StorageError):
    """The stored data breaks an invariant or is not a jobslot database."""

    code = "corrupt_store"


class UnsupportedSchema(StorageError):
    """The database was written by a newer version of the library."""

    code = "unsupported_schema"


def error_codes() -> dict[str, type[JobSlotError]]:
    """Every error class of the library by its `code` (what docs/errors.md lists)."""
    found: dict[str, type[JobSlotError]] = {}
    stack: list[type[JobSlotError]] = [JobSlotError]
    while stack:
        cls = stack.pop()
        found[cls.code] = cls
        stack.extend(c for c in cls.__subclasses__() if c.__module__ == __name__)
    return dict(sorted(found.items()))
