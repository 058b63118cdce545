"""Time for the service: integer milliseconds from an injectable clock (decision 11)."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """Anything that tells the current time in integer milliseconds since the epoch."""

    def now_ms(self) -> int: ...


class SystemClock:
    """The wall clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to: for tests, simulations and replays."""

    def __init__(self, start_ms: int = 0) -> None:
        if type(start_ms) is not int:
            from .errors import InvalidArgument

            raise InvalidArgument("start_ms", start_ms, "must be integer milliseconds")
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, *, ms: int = 0, seconds: int = 0, minutes: int = 0, hours: int = 0) -> int:
        """Move forward; returns the new time. Moving backwards is refused."""
        from .errors import InvalidArgument

        for name, value in (
            ("ms", ms),
            ("seconds", seconds),
            ("minutes", minutes),
            ("hours", hours),
        ):
            if type(value) is not int:
                raise InvalidArgument(name, value, "time moves in whole units")
        step = ms + 1000 * (seconds + 60 * minutes + 3600 * hours)
        if step < 0:
            raise InvalidArgument("advance", step, "a clock never moves backwards")
        self._now += step
        return self._now

    def set(self, now_ms: int) -> None:
        """Jump to an absolute time (never backwards)."""
        from .errors import InvalidArgument

        if type(now_ms) is not int:
            raise InvalidArgument("now_ms", now_ms, "must be integer milliseconds")
        if now_ms < self._now:
            raise InvalidArgument("now_ms", now_ms, f"is before the current time {self._now}")
        self._now = now_ms
