"""The event outbox (decision 18): hosts read events in `seq` order from a cursor and
acknowledge them."""

from __future__ import annotations

from ..errors import InvalidArgument
from ..model import Event
from ..storage.protocol import CURSORS, EVENTS, Cursor
from ._context import Context, check_id

__all__ = ["ack", "cursor", "events"]


def events(ctx: Context, after: int, limit: int) -> tuple[Event, ...]:
    return tuple(ctx.uow.scan(EVENTS, after=after, limit=limit))


def cursor(ctx: Context, consumer: str) -> int:
    found = ctx.uow.get(CURSORS, (check_id("consumer", consumer),))
    return found.seq if found else 0


def ack(ctx: Context, consumer: str, seq: int) -> int:
    """Move the consumer's cursor forward to `seq` (never backwards)."""
    found = ctx.uow.get(CURSORS, (consumer,))
    current = found.seq if found else 0
    if seq > current:
        event = ctx.uow.scan(EVENTS, after=seq - 1, limit=1)
        if not event or event[0].seq != seq:
            raise InvalidArgument("seq", seq, "is not an event in the outbox")
        ctx.uow.put(CURSORS, Cursor(consumer, seq))
        current = seq
    return current
