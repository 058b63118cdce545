"""Storage adapters behind one protocol. `SQLiteStore` is the embedded default."""

from .memory import MemoryStore
from .protocol import Store, Table, UnitOfWork
from .sqlite import SQLiteStore

__all__ = ["MemoryStore", "SQLiteStore", "Store", "Table", "UnitOfWork"]
