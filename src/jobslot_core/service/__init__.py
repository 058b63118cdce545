"""The game service: `JobSlots`, a façade over a runner (the one place a transaction starts) and
one module of handler functions per domain concept."""

from ._context import Context, Pending
from ._runner import RetryPolicy, Runner, read_clock
from .catalogs import publish_catalog
from .jobslots import JobSlots
from .slots import checkpoint

__all__ = [
    "Context",
    "JobSlots",
    "Pending",
    "RetryPolicy",
    "Runner",
    "checkpoint",
    "publish_catalog",
    "read_clock",
]
