"""jobslot_core: an embeddable job slot system for games (curated re-exports only)."""

from ._version import __version__
from .admin import Admin
from .catalog import Catalog, Tier
from .catalog_io import dump_catalog, load_catalog, loads_catalog
from .clock import Clock, ManualClock, SystemClock
from .errors import InvalidCatalog, JobSlotError
from .published import PublishedRecord
from .serialization import from_dict, to_dict
from .service import JobSlots

__all__ = [
    "Admin",
    "Catalog",
    "Clock",
    "InvalidCatalog",
    "JobSlotError",
    "JobSlots",
    "ManualClock",
    "PublishedRecord",
    "SystemClock",
    "Tier",
    "__version__",
    "dump_catalog",
    "from_dict",
    "load_catalog",
    "loads_catalog",
    "to_dict",
]
