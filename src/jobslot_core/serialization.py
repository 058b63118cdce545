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

Stores keep records as compact sorted JSON of the converter's dicts; `json_encoder` writes that
text straight from a record (no dict in between), `field_values` the unstructured values of some
fields (a store's key and index columns).
"""

from __future__ import annotations

import enum
import functools
import json
import math
import operator
import types
import typing
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.fns import identity

from .errors import JobSlotError
from .frozen import FrozenDict, FrozenList, thaw

__all__ = ["field_values", "from_dict", "json_encoder", "make_converter", "to_dict"]

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


# -- records as JSON text ------------------------------------------------------------------------


def _reference_encoder() -> Callable[[Any], str]:
    """Compact sorted JSON of unstructured data (what `json_encoder` must equal): json's C
    encoder made once, where `JSONEncoder.encode` makes one per call through two Python frames.
    Without circular-reference checks: stored data is frozen, so it cannot hold itself."""
    reference = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - an interpreter without json's C speed-ups
        return reference.encode
    chunks = make(
        None, reference.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )
    join = "".join

    def encode(value: Any) -> str:
        return join(chunks(value, 0))

    return encode


_encode_json = _reference_encoder()

_encode_str: Callable[[str], str] = json.encoder.encode_basestring
_NOT_FINITE = {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}


def _encode_float(value: float) -> str:
    text = float.__repr__(value)
    return _NOT_FINITE.get(text, text)


def _encode_plain(value: Any) -> str:
    """JSON of a value the converter passes through as it is (fast for the common types)."""
    kind = value.__class__
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        return _encode_float(value)
    if isinstance(value, str):  # a StrEnum member: json writes the text, as here
        return _encode_str(value)
    return _encode_json(value)


_PLAIN_FAST = {
    str: "(_str_(_v) if (_v := {get}).__class__ is str else _plain_(_v))",
    int: "(_int_(_v) if (_v := {get}).__class__ is int else _plain_(_v))",
    bool: "(('true' if _v else 'false') if (_v := {get}).__class__ is bool else _plain_(_v))",
    float: "((_f if (_f := _frepr_(_v))[-1] in _digits_ else _not_finite_[_f])"
    " if (_v := {get}).__class__ is float else _plain_(_v))",
}


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})

_FROZEN = (FrozenDict, FrozenList)


def _encode_flat_mapping(value: Any) -> str | None:
    """JSON of a dict of str keys and plain values (an event's data), or None for any other."""
    if value.__class__ is not FrozenDict and value.__class__ is not dict:
        return None
    for key, item in value.items():
        if key.__class__ is not str or item.__class__ not in _PLAIN_TYPES:
            return None
    return _encode_json(value)  # json's C encoder writes these types as `_encode_plain` does


def _optional_of(kind: Any) -> Any:
    """`T` for `T | None` (or `Optional[T]`), else None."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = typing.get_args(kind)
        if len(args) == 2 and type(None) in args:
            return args[0] if args[1] is type(None) else args[1]
    return None


def _is_plain(converter: cattrs.Converter, kind: Any) -> bool:
    """Whether the converter unstructures `kind` (or `kind | None`) by passing the value on."""
    inner = _optional_of(kind)
    return converter.get_unstructure_hook(kind if inner is None else inner) is identity


class _Encoders:
    """Builds the JSON text functions of attrs classes for one converter (each class once)."""

    def __init__(self, converter: cattrs.Converter) -> None:
        self.converter = converter
        self.made: dict[type, Callable[[Any], str]] = {}

    def generated(self, cls: Any) -> bool:
        """Whether the converter unstructures `cls` with its generated attrs hook (a hook
        registered for the class by hand is used as it is)."""
        if not isinstance(cls, type) or not attrs.has(cls):
            return False
        hook = self.converter.get_unstructure_hook(cls)
        return getattr(hook, "__name__", "") == f"unstructure_{cls.__name__}"

    def of_class(self, cls: type) -> Callable[[Any], str]:
        made = self.made.get(cls)
        if made is None:
            made = self.made[cls] = self._make(cls)
        return made

    def _make(self, cls: type) -> Callable[[Any], str]:
        """Generated code for one attrs class: each field's JSON in sorted key order; a value of
        an unexpected type goes through the converter's own hook and `_encode_json`."""
        attrs.resolve_types(cls)
        names: dict[str, Any] = {"_str_": _encode_str, "_int_": int.__repr__,
                                 "_frepr_": float.__repr__, "_digits_": "0123456789",
                                 "_not_finite_": _NOT_FINITE, "_plain_": _encode_plain}  # fmt: skip
        parts: list[str] = []
        for i, field in enumerate(sorted(attrs.fields(cls), key=lambda f: f.name)):
            names[f"_slow{i}"] = _via_hook(self.converter.get_unstructure_hook(field.type))
            prefix = ("," if parts else "{") + _encode_str(field.name) + ":"
            parts += [repr(prefix), self._expression(field.type, f"r.{field.name}", i, names)]
        parts = parts or [repr("{")]
        parts.append(repr("}"))
        source = f"def encode(r):\n    return ''.join(({', '.join(parts)},))\n"
        namespace: dict[str, Any] = {}
        exec(compile(source, f"<json encoder {cls.__qualname__}>", "exec"), names, namespace)
        encode: Callable[[Any], str] = namespace["encode"]
        return encode

    def _expression(self, kind: Any, get: str, i: int, names: dict[str, Any]) -> str:
        """Python source of one field's JSON text (`get` reads the value, `_slow{i}` is the
        converter's way for the whole field)."""
        inner = _optional_of(kind)
        if inner is not None:
            then = self._expression(inner, "_v", i, names)
            return f"('null' if (_v := {get}) is None else {then})"
        if self.converter.get_unstructure_hook(kind) is identity:
            fast = _PLAIN_FAST.get(kind)
            return fast.format(get=get) if fast else f"_plain_({get})"
        if self.generated(kind):
            names[f"_cls{i}"], names[f"_enc{i}"] = kind, self.of_class(kind)
            return f"(_enc{i}(_v) if (_v := {get}).__class__ is _cls{i} else _slow{i}(_v))"
        args = typing.get_args(kind)
        if (
            typing.get_origin(kind) in (Mapping, dict)
            and args == (str, Any)
            and getattr(self.converter.get_unstructure_hook(kind), "__name__", "")
            == "unstructure_mapping"  # each value by its own type: plain ones as they are
        ):
            names["_flat_"] = _encode_flat_mapping
            return f"(_flat_(_v := {get}) or _slow{i}(_v))"
        if typing.get_origin(kind) is tuple and len(args) == 2 and args[1] is Ellipsis:
            item = self._item(args[0])
            if item is not None and self.immutable(args[0]):
                names[f"_item{i}"], names[f"_memo{i}"] = item, {}
                names[f"_kind{i}"], names["_tuple_"] = args[0], _encode_immutable_tuple
                return (
                    f"(_tuple_(_v, _item{i}, _kind{i}, _memo{i})"
                    f" if (_v := {get}).__class__ is tuple else _slow{i}(_v))"
                )
            if item is not None:
                names[f"_item{i}"] = item
                return (
                    f"('[' + ','.join([_item{i}(x) for x in _v]) + ']'"
                    f" if (_v := {get}).__class__ is tuple else _slow{i}(_v))"
                )
        if kind is Any and all(
            self.converter.get_unstructure_hook(frozen) is thaw for frozen in _FROZEN
        ):
            # A frozen payload (a stored record's free-form field): json writes it as it writes
            # the plain data `thaw` would copy it into (FrozenDict and FrozenList are a dict and
            # a list), without the copy.
            names["_json_"], names["_frozen_"] = _encode_json, _FROZEN
            return f"(_json_(_v) if (_v := {get}).__class__ in _frozen_ else _slow{i}(_v))"
        return f"_slow{i}({get})"

    def immutable(self, cls: Any) -> bool:
        """Whether `cls` is a frozen attrs class with a generated encoder: an instance holding
        plain values only (`_plain_values`) has JSON that can never change."""
        props = getattr(cls, "__attrs_props__", None)  # attrs 25.4 and later; else never
        return self.generated(cls) and props is not None and props.is_frozen

    def _item(self, kind: Any) -> Callable[[Any], str] | None:
        """JSON of one item of a `tuple[kind, ...]`, or None where the converter's hook for
        the whole tuple is needed."""
        if self.converter.get_unstructure_hook(kind) is identity:
            return _encode_plain
        if self.generated(kind):
            encode, hook = self.of_class(kind), self.converter.get_unstructure_hook(kind)

            def item(value: Any) -> str:
                return encode(value) if value.__class__ is kind else _encode_json(hook(value))

            return item
        return None


_MEMO_SIZE = 2048
_MEMO_ITEMS = 16
_MEMO_TEXT = 2048
"""The memo of `_encode_immutable_tuple`: entries, items of a tuple it remembers, characters of a
text it remembers (at most about 4 MB of text held)."""


def _encode_immutable_tuple(
    value: tuple[Any, ...],
    item: Callable[[Any], str],
    kind: type,
    memo: dict[int, tuple[Any, str]],
) -> str:
    """JSON of a tuple of records of the frozen class `kind`, the tuple's and each record's
    remembered by identity: an offer written again when it is resolved shares its choices' tuple
    with the offer first written, and the engine hands out the same choice objects again and
    again. Only a record of exactly `kind` whose values are plain (exactly str, int, float, bool,
    None, or enum members: nothing in it can change) is remembered, and a tuple only of those."""
    hit = memo.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    if len(value) > _MEMO_ITEMS:
        return "[" + ",".join([item(x) for x in value]) + "]"
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    parts = []
    whole = True
    for x in value:
        hit = memo.get(id(x))
        if hit is not None and hit[0] is x:
            parts.append(hit[1])
            continue
        text = item(x)
        parts.append(text)
        if x.__class__ is kind and len(text) <= _MEMO_TEXT and _plain_values(x):
            memo[id(x)] = (x, text)  # kept alive with its text: its id is not reused
        else:
            whole = False
    text = "[" + ",".join(parts) + "]"
    if whole and len(text) <= _MEMO_TEXT:
        memo[id(value)] = (value, text)
    return text


_FIELD_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _plain_values(record: Any) -> bool:
    """Whether every field of an attrs record holds exactly a str, int, float, bool, None or an
    enum member (attrs does not check declared types: a list there could change later)."""
    cls = record.__class__
    values = _FIELD_VALUES.get(cls)
    if values is None:
        names = [f.name for f in attrs.fields(cls)]
        get = operator.attrgetter(*names)
        values = _FIELD_VALUES[cls] = (lambda r: (get(r),)) if len(names) == 1 else get
    found = values(record)
    if _PLAIN_TYPES.issuperset(map(type, found)):
        return True
    return all(v.__class__ in _PLAIN_TYPES or isinstance(v, enum.Enum) for v in found)


def _via_hook(hook: Callable[[Any], Any]) -> Callable[[Any], str]:
    def slow(value: Any) -> str:
        return _encode_json(hook(value))

    return slow


def json_encoder(converter: cattrs.Converter, cls: type[T]) -> Callable[[T], str]:
    """A function giving exactly `json.dumps(converter.unstructure(record, cls), sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` for an attrs class `cls`, without building the
    dict: a store encodes every record it writes, and this is most of a write's Python time."""
    hook = converter.get_unstructure_hook(cls)
    encoders = _Encoders(converter)
    if not encoders.generated(cls):
        return _via_hook(hook)
    encode = encoders.of_class(cls)

    def record_json(record: T) -> str:
        if record.__class__ is cls:
            return encode(record)
        return _encode_json(hook(record))

    return record_json


def field_values(
    converter: cattrs.Converter, cls: type[T], names: tuple[str, ...]
) -> Callable[[T], tuple[Any, ...]]:
    """A function giving the unstructured values of these fields of a `cls` record, in order
    (what `converter.unstructure(record, cls)` holds under those names)."""
    fields = attrs.fields_dict(attrs.resolve_types(cls))  # type: ignore[type-var, arg-type]
    hooks = [None if _is_plain(converter, fields[n].type)
             else converter.get_unstructure_hook(fields[n].type) for n in names]  # fmt: skip
    if not any(hooks):
        if len(names) == 1:
            get = operator.attrgetter(names[0])
            return lambda record: (get(record),)
        return operator.attrgetter(*names)
    getters = [operator.attrgetter(n) for n in names]

    def values(record: T) -> tuple[Any, ...]:
        return tuple(
            get(record) if hook is None else hook(get(record))
            for get, hook in zip(getters, hooks, strict=True)
        )

    return values
