"""Test helpers for hosts (the `testing` extra): hypothesis strategies for valid catalogs, the
storage contract suite a host runs against its own adapter, and the whole-game state machine.

Submodules load on first use, so importing this package needs neither hypothesis nor pytest.
To publish another helper, add its name to `__all__` and to `_LAZY` (name -> submodule), e.g.
``"StorageContract": "contract"``; or import it eagerly if its module has no test dependency.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import commands, strategies
    from .commands import GameStateMachine
    from .contract import StorageContract

__all__ = ["GameStateMachine", "StorageContract", "commands", "strategies"]

_LAZY: dict[str, str] = {
    "GameStateMachine": "commands",
    "StorageContract": "contract",
    "commands": "commands",
    "strategies": "strategies",
}
"""Public name -> submodule that defines it (a submodule itself when the names match)."""


def __getattr__(name: str) -> Any:
    """Import a public helper on first access (PEP 562)."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{module_name}", __name__)
    value = module if module_name == name else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
