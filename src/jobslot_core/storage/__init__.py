"""Storage adapters behind one protocol. `SQLiteStore` is the embedded default."""

from .memory import MemoryStore
from .protocol import Store, Table, UnitOfWork

__all__ = ["MemoryStore", "Store", "Table", "UnitOfWork"]
