"""jobslot_core: an embeddable job slot system for games (curated re-exports only)."""

from .catalog import Catalog, Tier
from .clock import Clock, ManualClock, SystemClock
from .errors import InvalidCatalog, JobSlotError

__all__ = [
    "Catalog",
    "Clock",
    "InvalidCatalog",
    "JobSlotError",
    "ManualClock",
    "SystemClock",
    "Tier",
]
