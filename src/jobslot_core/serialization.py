"""One cattrs converter for every entity and result: plain JSON-safe dicts and back.

Wire-format choices (the converter's contract with hosts):

- attrs classes become dicts keyed by field name; `None` fields are kept as `null`.
- Enums (`Tier`, `Distribution`, policy modes) become their string values.
- Tuples become lists; mappings become dicts with string keys.
- Integers stay integers. Structuring is strict: a bool is not an int, a float with a fraction is
  not an int, a string is not a number; whole floats (``3.0``) are accepted for ints.
- Floats accept ints (``1`` -> ``1.0``).
- Errors (`JobSlotError`) become `{code, field, value, message}`; a value that is not JSON data
  becomes its `repr`.
- Nothing is global: `make_converter()` builds a fresh converter; `to_dict` / `from_dict` use one
  built lazily on first call.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import cattrs

from .errors import JobSlotError
from .frozen import FrozenDict, FrozenList, thaw

__all__ = ["from_dict", "make_converter", "to_dict"]

T = TypeVar("T")


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r}")


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _exactly(exact: type, hook: Callable[[Any, type], Any]) -> Callable[[Any, type], Any]:
    """`hook` for `exact` itself; a subclass (an enum) is built by calling it on the value."""

    def structure(value: Any, cls: type) -> Any:
        return hook(value, cls) if cls is exact else cls(value)

    return structure


def make_converter() -> cattrs.Converter:
    """A new converter with the wire-format choices listed in this module's docstring."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    # cattrs resolves these classes before any predicate hook, so register them by class (which
    # also reaches subclasses), and send subclasses such as StrEnum to their own constructor.
    strict: tuple[tuple[type, Callable[[Any, type], Any]], ...] = (
        (int, _structure_int),
        (float, _structure_float),
        (str, _structure_str),
        (bool, _structure_bool),
    )
    for exact, hook in strict:
        converter.register_structure_hook(exact, _exactly(exact, hook))

    def unstructure_mapping(m: Mapping[str, Any]) -> dict[str, Any]:
        return {k: converter.unstructure(v) for k, v in m.items()}

    converter.register_unstructure_hook(MappingProxyType, unstructure_mapping)
    # Frozen payloads (stored records' free-form fields) come out as plain, mutable data.
    converter.register_unstructure_hook(FrozenDict, thaw)
    converter.register_unstructure_hook(FrozenList, thaw)
    return converter


@functools.cache
def _default() -> cattrs.Converter:
    return make_converter()


def _json_safe(value: Any) -> Any:
    """`value` as JSON data: numbers, strings, booleans, None, lists and string-keyed dicts pass
    (tuples become lists, non-finite floats and everything else their `repr`)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _json_safe(v) for k, v in value.items()}
    return repr(value)


def to_dict(obj: Any) -> Any:
    """Unstructure an entity or result into plain JSON-safe data.

    A `JobSlotError` becomes `{"code", "field", "value", "message"}`, for a host to send as it is.
    """
    if isinstance(obj, JobSlotError):
        return {
            "code": obj.code,
            "field": obj.field,
            "value": _json_safe(obj.value),
            "message": str(obj),
        }
    return _default().unstructure(obj)


def from_dict(cls: type[T], data: Any) -> T:
    """Structure plain data back into `cls`; raises cattrs' errors on malformed data."""
    return _default().structure(data, cls)
