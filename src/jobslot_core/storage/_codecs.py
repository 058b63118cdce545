"""Each table's record codecs, made on first use and shared by every store of the process:
generating one costs about a millisecond, which a store opened per test, per tool run or per
worker would otherwise pay again for every table it touches."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import cattrs

from ..serialization import field_values, json_encoder, make_converter
from .protocol import TABLES, Table

__all__ = ["STRUCTURE", "TO_JSON", "UNSTRUCTURE", "VALUES", "columns"]


def columns(table: Table[Any]) -> tuple[str, ...]:
    """Key fields, then index fields not already listed: a store's columns besides `doc`."""
    seen: dict[str, None] = dict.fromkeys(table.key)
    for ix in table.indexes:
        seen.update(dict.fromkeys(ix))
    return tuple(seen)


@functools.cache
def _converter() -> cattrs.Converter:
    return make_converter()


_TABLES = {t.name: t for t in TABLES}


class _Codecs(dict[str, Callable[..., Any]]):
    """Table name -> codec, made on first lookup (two threads may both make one: same codec)."""

    def __init__(self, make: Callable[[cattrs.Converter, Table[Any]], Callable[..., Any]]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, name: str) -> Callable[..., Any]:
        codec = self[name] = self._make(_converter(), _TABLES[name])
        return codec


TO_JSON = _Codecs(lambda c, t: json_encoder(c, t.record))
"""The record's doc: compact sorted JSON of its unstructured dict."""
VALUES = _Codecs(lambda c, t: field_values(c, t.record, columns(t)))
"""The record's column values, in `columns` order."""
STRUCTURE = _Codecs(lambda c, t: c.get_structure_hook(t.record))
"""`(data, cls)` -> record."""
UNSTRUCTURE = _Codecs(lambda c, t: c.get_unstructure_hook(t.record))
"""record -> its unstructured dict."""
