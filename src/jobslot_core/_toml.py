"""A small TOML writer for the plain data the catalog converter produces.

The standard library only reads TOML (`tomllib`) and the runtime dependencies are attrs and cattrs
only, so this module writes the subset the catalog needs: strings, integers, floats (including
``inf`` and ``nan``), booleans, arrays (inline), tables, arrays of tables and tables nested inside
array elements. `tomllib.loads(dumps(d)) == d` for every such `d` (NaN aside, which never equals
itself). There is no null in TOML: `None` is refused, so callers drop such keys first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dumps"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_INT64 = (-(2**63), 2**63 - 1)
_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def dumps(data: Mapping[str, Any]) -> str:
    """Write `data` (a mapping with string keys) as a TOML document.

    Raises:
        TypeError: a value of an unsupported type (including `None`) or a non-string key.
        ValueError: an integer outside TOML's signed 64-bit range.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"a TOML document is a table, got {type(data).__name__}")
    lines: list[str] = []
    _write_table(lines, (), data, header=None)
    while lines and lines[0] == "":
        lines.pop(0)
    return "\n".join(lines) + "\n" if lines else ""


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) > 0
        and all(isinstance(item, Mapping) for item in value)
    )


def _write_table(
    lines: list[str], path: tuple[str, ...], table: Mapping[str, Any], header: str | None
) -> None:
    """Write `table`: its header (if any), its plain keys, then its sub-tables and table arrays."""
    if header is not None:
        lines.append("")
        lines.append(header)
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if not isinstance(key, str):
            raise TypeError(f"TOML keys are strings, got {key!r}")
        if isinstance(value, Mapping) or _is_table_array(value):
            nested.append((key, value))
        else:
            lines.append(f"{format_key(key)} = {format_value(value)}")
    for key, value in nested:
        sub = (*path, key)
        dotted = ".".join(format_key(part) for part in sub)
        if isinstance(value, Mapping):
            _write_table(lines, sub, value, header=f"[{dotted}]")
        else:
            for item in value:
                _write_table(lines, sub, item, header=f"[[{dotted}]]")


def format_key(key: str) -> str:
    """A key as written: bare when it only has letters, digits, `_` and `-`, else quoted."""
    return key if _BARE_KEY.fullmatch(key) else format_string(key)


def format_string(text: str) -> str:
    """A TOML basic string with every character TOML forbids raw escaped."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_value(value: Any) -> str:
    """An inline value: scalar, array (of anything inline) or inline table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return format_string(value)
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"TOML integers are 64-bit, got {value}")
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(float(value))
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"TOML keys are strings, got {key!r}")
        items = ", ".join(f"{format_key(k)} = {format_value(v)}" for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if value is None:
        raise TypeError("TOML has no null; drop keys whose value is None")
    raise TypeError(f"cannot write {type(value).__name__} as TOML: {value!r}")
