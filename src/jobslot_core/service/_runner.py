"""The runner: the one place a transaction starts.

A write command runs as: open a write unit of work, lock its scopes, read the clock, look up its
idempotency record, run the body, append the buffered log records, record the result, commit. A
`ConcurrencyConflict` (or a `DuplicateKey` escaping the body: an insert race) reruns the whole
command after a jittered backoff, with the clock read again, a bounded number of times; a refusal
is never retried. A commit whose outcome is unknown is settled by running the command again under
the same idempotency key: the rerun waits for the scopes the first attempt held, then finds that
attempt's record if it committed (and returns its result) or runs afresh if it did not.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from ..catalog import Catalog
from ..clock import Clock
from ..errors import CommitOutcomeUnknown, ConcurrencyConflict, IdempotencyConflict, InvalidArgument
from ..model import IdempotencyRecord
from ..serialization import from_dict, to_dict
from ..storage.protocol import IDEMPOTENCY, DuplicateKey, Read, Store, UnitOfWork
from ._context import INT64_MAX, Context, Pending, check_id

__all__ = ["RetryPolicy", "Runner", "read_clock"]

R = TypeVar("R")


def read_clock(clock: Clock) -> int:
    """The clock's time, refused unless it is integer milliseconds (decision 11)."""
    now = clock.now_ms()
    if type(now) is not int or not 0 <= now <= INT64_MAX:
        raise InvalidArgument(
            "clock.now_ms", now, f"a clock returns integer milliseconds from 0 to {INT64_MAX}"
        )
    return now


@attrs.frozen
class RetryPolicy:
    """How often a command meeting a concurrency conflict runs again, and how long it waits:
    a random delay up to `first_delay_s * 2**n`, capped at `max_delay_s` (full jitter)."""

    attempts: int = 12
    first_delay_s: float = 0.001
    max_delay_s: float = 0.1

    def __attrs_post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):
            raise InvalidArgument("retry.attempts", self.attempts, "must be an integer >= 1")
        if self.attempts < 1:
            raise InvalidArgument("retry.attempts", self.attempts, "must be an integer >= 1")
        for name in ("first_delay_s", "max_delay_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 60:
                raise InvalidArgument(f"retry.{name}", value, "must be seconds in [0, 60)")


Body = Callable[[Context], "R | Pending[R]"]
Reads = Iterable[Read] | Callable[[UnitOfWork], Iterable[Read]]
Current = Callable[[UnitOfWork], tuple[int, Catalog]]


def _no_catalog(uow: UnitOfWork) -> tuple[int, Catalog]:
    raise RuntimeError("this runner has no catalog")


class Runner:
    """Runs commands and queries against one store with one clock."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        current: Current = _no_catalog,
        catalog_read: Callable[[], Read] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.current = current
        self.catalog_read = catalog_read
        self._markers = store.capabilities.commit_outcome_can_be_unknown
        self._prefetch = store.capabilities.prefetch
        self._random = random.Random()

    def write(
        self,
        command: str,
        args: dict[str, Any],
        key: str | None,
        result_type: type[R],
        body: Callable[[Context], R | Pending[R]],
        *,
        scope: str | Callable[[UnitOfWork], str],
        also: Iterable[str] | Callable[[UnitOfWork], Iterable[str]] = (),
        reads: Reads = (),
    ) -> R:
        """Run `body` as one command, idempotent under (`scope`, `key`).

        `scope` (the wallet or admin scope the command acts in, or a function finding it with a
        first read: the owner of a Mek) is locked and holds the idempotency record; `also` names
        further scopes, or computes them from a first read; the body checks with
        `ctx.require_scope` that what it then reads is still theirs. `reads` (or a function of
        the first reads giving them) are the body's first reads, handed to `uow.prefetch` with
        the catalog's and the idempotency record's: a network store sends them with the lock.
        """
        fingerprint = ""
        if key is not None:
            check_id("idempotency_key", key)
            fingerprint = hashlib.sha256(
                json.dumps([command, args], sort_keys=True, default=str).encode()
            ).hexdigest()
        elif self._markers:
            # A record in the same transaction, so an unknown commit outcome can be settled.
            key = "~" + uuid.uuid4().hex
        attempt = 0
        # A fresh internal key cannot have a record yet: look it up only once a commit's
        # outcome was unknown (one round trip less per command on a network store).
        settling = key is not None and not key.startswith("~")
        while True:
            attempt += 1
            try:
                return self._attempt(
                    command, key, settling, fingerprint, result_type, body, scope, also, reads
                )
            except (ConcurrencyConflict, CommitOutcomeUnknown) as e:
                settling = settling or isinstance(e, CommitOutcomeUnknown)
                if attempt >= self.retry.attempts:
                    if isinstance(e, ConcurrencyConflict):
                        raise
                    raise ConcurrencyConflict(
                        "commit", command, f"outcome unknown after {attempt} attempts"
                    ) from e
                self._backoff(attempt)

    def _attempt(
        self,
        command: str,
        key: str | None,
        look_up: bool,
        fingerprint: str,
        result_type: type[R],
        body: Callable[[Context], R | Pending[R]],
        scope: str | Callable[[UnitOfWork], str],
        also: Iterable[str] | Callable[[UnitOfWork], Iterable[str]],
        reads: Reads,
    ) -> R:
        with self.store.unit_of_work() as uow:
            if callable(scope):
                scope = scope(uow)
            scopes = {scope, *(also(uow) if callable(also) else also)}
            if self._prefetch:
                ahead = list(reads(uow) if callable(reads) else reads)
                if self.catalog_read is not None:
                    ahead.append(self.catalog_read())
                if key is not None and look_up:
                    ahead.append(Read.get(IDEMPOTENCY, scope, key))
                uow.prefetch(ahead)
            uow.lock(sorted(scopes))
            now = read_clock(self.clock)
            if key is not None and look_up:
                done = uow.get(IDEMPOTENCY, (scope, key))
                if done is not None:
                    if done.command != command or done.fingerprint != fingerprint:
                        raise IdempotencyConflict(
                            "idempotency_key",
                            key,
                            f"was used for {done.command} with other arguments",
                        )
                    return from_dict(result_type, done.result)
            ctx = Context(uow, now, self.current, frozenset(scopes))
            ctx.reference = (
                key if key is not None and not key.startswith("~") else f"{command}@{now}"
            )
            try:
                outcome = body(ctx)
                ctx.flush()
            except DuplicateKey as e:
                raise ConcurrencyConflict("insert", str(e), "raced with another command") from e
            result: R = outcome.record if isinstance(outcome, Pending) else outcome
            if key is not None:
                record = IdempotencyRecord(
                    scope, key, command, fingerprint, result_type.__name__, to_dict(result), now
                )
                uow.add(IDEMPOTENCY, record)  # the scope is held: a taken key is a race
            uow.commit()
            return result

    def _backoff(self, attempt: int) -> None:
        cap = min(self.retry.max_delay_s, self.retry.first_delay_s * 2**attempt)
        time.sleep(self._random.uniform(0, cap))

    def read(self, body: Callable[[Context], R]) -> R:
        """Run a query in a read unit of work (one snapshot); retried like a command."""
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.store.unit_of_work(write=False) as uow:
                    return body(Context(uow, read_clock(self.clock), self.current))
            except ConcurrencyConflict:
                if attempt >= self.retry.attempts:
                    raise
                self._backoff(attempt)
