"""Deeply immutable JSON-shaped values for the free-form fields of stored records.

`CatalogVersion.catalog`, `Event.data` and `IdempotencyRecord.result` hold plain data (dicts,
lists, scalars). A store hands its records out, so a caller editing such a dict would rewrite
stored state outside any transaction; `deep_freeze` turns the value into `FrozenDict` and
`FrozenList`, which refuse every change. They subclass `dict` and `list`, so they compare equal
to plain data, serialise with `json` and cattrs unchanged, and pickle and copy as themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

__all__ = ["FrozenDict", "FrozenList", "deep_freeze", "thaw"]


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError(f"{type(self).__name__} is immutable (stored records never change)")


class FrozenDict(dict[str, Any]):
    """A dict that refuses changes; its values are deeply frozen too."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self


class FrozenList(list[Any]):
    """A list that refuses changes; its items are deeply frozen too."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenList, (list(self),))

    def __copy__(self) -> FrozenList:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenList:
        return self


_SCALARS = frozenset({str, int, float, bool, type(None), FrozenDict, FrozenList})
"""Types returned as they are: JSON scalars and what is frozen already."""


def deep_freeze(value: Any) -> Any:
    """`value` with every mapping made a `FrozenDict` and every list or tuple a `FrozenList`.

    Already frozen values are returned as they are (freezing a stored record again is free).
    Decoded JSON (exact dicts, lists and scalars) takes a fast path: stores decode catalogs on
    every read of a version.
    """
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        if _SCALARS.issuperset(map(type, value.values())):  # an event's data: one copy
            return FrozenDict(value)
        return FrozenDict(
            {k: v if type(v) in _SCALARS else deep_freeze(v) for k, v in value.items()}
        )
    if kind is list or isinstance(value, list | tuple):
        return FrozenList([v if type(v) in _SCALARS else deep_freeze(v) for v in value])
    return value


def thaw(value: Any) -> Any:
    """A mutable deep copy of a frozen value: plain dicts and lists."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value
