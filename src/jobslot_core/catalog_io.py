"""Load, dump and fingerprint catalogs as TOML or JSON documents.

The wire form is readable and the same for both formats: arrays of job types (``[[job_types]]``
with their ``[[job_types.pit_stops]]``), buff types and buff ranges, each carrying its own
``key``; then the ``[rng]`` table and the ``[policies.*]`` tables. Dumping writes every field
except those that are None (TOML has no null); loading gives missing keys their defaults.
`loads_catalog(dumps_catalog(c)) == c` for every valid catalog.

Every malformed document (syntax, wrong types, unknown keys, bad enum values, and everything the
`Catalog` itself refuses) raises `InvalidCatalog` whose `field` is the path inside the document,
such as ``job_types[0].tier``, and whose `value` is the offending value.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import os
import re
import tempfile
import tomllib
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from . import _toml
from .catalog import BuffRange, BuffType, Catalog, JobType, Policies, RngConfig
from .errors import InvalidArgument, InvalidCatalog
from .serialization import (
    _structure_bool,
    _structure_float,
    _structure_int,
    _structure_str,
    make_converter,
)

__all__ = [
    "Format",
    "catalog_fingerprint",
    "catalog_to_dict",
    "dump_catalog",
    "load_catalog",
    "loads_catalog",
    "save_catalog",
]

Format = Literal["toml", "json"]
"""The two document formats a catalog is written in."""

_SUFFIXES: dict[str, Format] = {".toml": "toml", ".json": "json"}
_MISSING = object()


@attrs.frozen
class _Document:
    """The catalog as written: job and buff types as arrays, each element keyed by its `key`."""

    job_types: tuple[JobType, ...]
    buff_types: tuple[BuffType, ...]
    buff_ranges: tuple[BuffRange, ...]
    rng: RngConfig = attrs.field(factory=RngConfig)
    policies: Policies = attrs.field(factory=Policies)


# -- the converter ------------------------------------------------------------------------------


def _guard_attrs(cl: type, converter: cattrs.Converter) -> Callable[[Any, type], Any]:
    """Structure an attrs class from a table only (cattrs would fail obscurely on a scalar)."""
    inner: Callable[[Mapping[str, Any], Any], Any] = make_dict_structure_fn(cl, converter)

    def hook(value: Any, _: type) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a table, got {value!r}")
        return inner(value, cl)

    return hook


def _is_tuple(t: Any) -> bool:
    return typing.get_origin(t) is tuple


def _guard_tuple(t: Any, converter: cattrs.Converter) -> Callable[[Any, type], Any]:
    """Structure a tuple from an array only (cattrs would split a string into characters)."""
    args = typing.get_args(t)
    if len(args) == 2 and args[1] is Ellipsis:
        inner = homogenous_tuple_structure_factory(t, converter)

        def hook(value: Any, _: type) -> Any:
            if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
                raise TypeError(f"expected an array, got {value!r}")
            return inner(value, t)

        return hook

    def fixed(value: Any, _: type) -> Any:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            raise TypeError(f"expected an array, got {value!r}")
        if len(value) != len(args):
            raise ValueError(f"expected an array of {len(args)} items, got {len(value)}")
        return tuple(converter.structure(v, a) for v, a in zip(value, args, strict=True))

    return fixed


def _unstructure_float(value: float) -> float:
    # Fields typed float may hold an int (1 == 1.0); write them as floats so the document and
    # the fingerprint do not depend on how the catalog was built. `+ 0.0` turns -0.0 into 0.0.
    return float(value) + 0.0


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value


def _strict(exact: type, hook: Callable[[Any, type], Any]) -> Callable[[Any, type], Any]:
    """`hook` for `exact` itself; subclasses (StrEnum, IntEnum) are built by calling the class."""

    def structure(value: Any, cl: type) -> Any:
        return hook(value, cl) if cl is exact else cl(value)

    return structure


@functools.cache
def _converter() -> cattrs.Converter:
    """The catalog converter: `make_converter()` plus strict scalars, tables, arrays and enums."""
    converter = make_converter()
    # cattrs dispatches int/float/str by class before predicate hooks, so the strict scalar
    # hooks of `make_converter` need registering by class here to take effect.
    for exact, hook in ((int, _structure_int), (float, _structure_float), (str, _structure_str)):
        converter.register_structure_hook(exact, _strict(exact, hook))
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook_factory(attrs.has, _guard_attrs)
    converter.register_structure_hook_factory(_is_tuple, _guard_tuple)
    converter.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda e: e.value
    )
    converter.register_unstructure_hook(float, _unstructure_float)
    return converter


# -- public API ---------------------------------------------------------------------------------


def catalog_to_dict(catalog: Catalog) -> dict[str, Any]:
    """The catalog's wire form: plain data, job and buff types as arrays, None fields dropped."""
    if not isinstance(catalog, Catalog):
        raise InvalidArgument("catalog", type(catalog).__name__, "must be a Catalog")
    converter = _converter()
    doc = _Document(
        job_types=tuple(catalog.job_types.values()),
        buff_types=tuple(catalog.buff_types.values()),
        buff_ranges=catalog.buff_ranges,
        rng=catalog.rng,
        policies=catalog.policies,
    )
    data: dict[str, Any] = _drop_none(converter.unstructure(doc))
    return data


def dump_catalog(catalog: Catalog, format: Format = "toml") -> str:
    """The catalog as a TOML or JSON document that `loads_catalog` reads back equal."""
    if format not in ("toml", "json"):
        raise InvalidArgument("format", format, "must be 'toml' or 'json'")
    data = catalog_to_dict(catalog)
    if format == "toml":
        return _toml.dumps(data)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def catalog_fingerprint(catalog: Catalog) -> str:
    """SHA-256 hex of the canonical JSON (sorted keys, no spaces): equal catalogs, equal print.

    Job and buff types are sorted by key (their order is not part of the catalog's value).
    """
    data = catalog_to_dict(catalog)
    for name in ("job_types", "buff_types"):
        data[name] = sorted(data[name], key=lambda item: str(item["key"]))
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def loads_catalog(text: str | bytes, format: Format) -> Catalog:
    """Parse and validate a catalog document given as text.

    Raises:
        InvalidCatalog: `field` is the path inside the document, `value` the offending value.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidCatalog("document", text[exc.start : exc.end], "is not UTF-8") from None
    if not isinstance(text, str):
        raise InvalidArgument("text", type(text).__name__, "must be str or bytes")
    data = _parse(text, format)
    try:
        return _build(data)
    except RecursionError:
        raise InvalidCatalog("document", None, "is nested too deeply") from None


def load_catalog(path: str | os.PathLike[str], format: Format | None = None) -> Catalog:
    """Read and validate the catalog file at `path`; the format comes from its suffix by default.

    Raises:
        InvalidCatalog: the document is malformed or the catalog inconsistent.
        InvalidArgument: `path` is not a path, or the file cannot be read (missing, a
            directory, no permission).
    """
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument("path", path, "must be a str or os.PathLike path")
    p = Path(path)
    try:
        data = p.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise InvalidArgument("path", os.fspath(path), f"cannot read: {exc}") from None
    return loads_catalog(data, format or _format_of(p))


def save_catalog(
    catalog: Catalog, path: str | os.PathLike[str], format: Format | None = None
) -> None:
    """Write the catalog to `path` atomically (a temporary file renamed over it).

    Raises:
        InvalidArgument: `path` is not a path or cannot be written; a bad `catalog` or `format`.
    """
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument("path", path, "must be a str or os.PathLike path")
    p = Path(path)
    text = dump_catalog(catalog, format or _format_of(p))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except (OSError, ValueError) as exc:
        raise InvalidArgument("path", os.fspath(path), f"cannot write: {exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, p)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InvalidArgument("path", os.fspath(path), f"cannot write: {exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- internals ----------------------------------------------------------------------------------


def _format_of(path: Path) -> Format:
    try:
        return _SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise InvalidCatalog(
            "format", path.suffix, "cannot tell the format: use a .toml or .json file or format="
        ) from None


_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


def _parse(text: str, format: Format) -> Any:
    """The parsed document. Hostile input is refused as `InvalidCatalog` at no cost to valid
    documents: nesting deeper than the parser's recursion allows, and integers with more
    digits than Python converts (both raise inside the parsers, which stop at once)."""
    if format not in ("toml", "json"):
        raise InvalidCatalog("format", format, "must be 'toml' or 'json'")
    try:
        if format == "toml":
            return tomllib.loads(text)
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.search(str(exc))
        line = int(match.group(1)) if match else 0
        raise InvalidCatalog("document", _line(text, line), f"TOML syntax: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InvalidCatalog("document", _line(text, exc.lineno), f"JSON syntax: {exc}") from None
    except RecursionError:
        raise InvalidCatalog("document", None, "is nested too deeply") from None
    except ValueError as exc:  # an integer past the str -> int digit limit
        raise InvalidCatalog("document", None, f"has a number too long to read: {exc}") from None


def _line(text: str, number: int) -> str:
    lines = text.splitlines()
    return lines[number - 1].strip() if 1 <= number <= len(lines) else ""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidCatalog("document", key, "JSON syntax: duplicate key in one object")
        out[key] = value
    return out


def _build(data: Any) -> Catalog:
    """Structure the parsed document and build the catalog, mapping every error to its path."""
    if not isinstance(data, Mapping):
        raise InvalidCatalog("document", data, "the top level must be a table (object)")
    try:
        doc = _converter().structure(data, _Document)
    except (ClassValidationError, IterableValidationError) as exc:
        raise _from_cattrs(exc, data, "") from None
    for name in ("job_types", "buff_types"):
        seen: dict[str, int] = {}
        for i, item in enumerate(getattr(doc, name)):
            if item.key in seen:
                raise InvalidCatalog(
                    f"{name}[{i}].key", item.key, f"duplicates {name}[{seen[item.key]}].key"
                )
            seen[item.key] = i
    try:
        return Catalog(
            job_types=doc.job_types,
            buff_types=doc.buff_types,
            buff_ranges=doc.buff_ranges,
            rng=doc.rng,
            policies=doc.policies,
        )
    except InvalidCatalog as exc:
        raise InvalidCatalog(_document_path(exc.field, doc), exc.value, exc.reason) from None


def _document_path(field: str, doc: _Document) -> str:
    """Turn the catalog's ``job_types.<key>...`` paths into ``job_types[<index>]...``."""
    for name in ("job_types", "buff_types"):
        items: Sequence[JobType | BuffType] = getattr(doc, name)
        for i, item in sorted(enumerate(items), key=lambda e: -len(e[1].key)):
            prefix = f"{name}.{item.key}"
            if field == prefix or field.startswith(prefix + "."):
                return f"{name}[{i}]{field[len(prefix) :]}"
    return field


def _join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def _child(value: Any, part: str | int) -> Any:
    try:
        return value[part]
    except (KeyError, IndexError, TypeError):
        return _MISSING


def _from_cattrs(exc: BaseException, value: Any, path: str, type_: Any = None) -> InvalidCatalog:
    """The first leaf error of a cattrs exception tree, with its document path and value."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        for sub in exc.exceptions:
            for note in getattr(sub, "__notes__", ()):
                if isinstance(note, AttributeValidationNote):
                    return _from_cattrs(
                        sub, _child(value, note.name), _join(path, note.name), note.type
                    )
                if isinstance(note, IterableValidationNote):
                    return _from_cattrs(
                        sub, _child(value, note.index), _join(path, note.index), note.type
                    )
            return _from_cattrs(sub, value, path, None)
        return InvalidCatalog(path or "document", value, str(exc))  # pragma: no cover
    if isinstance(exc, ForbiddenExtraKeysError):
        key = sorted(exc.extra_fields)[0]
        return InvalidCatalog(_join(path, key), _child(value, key), "is not a known field")
    if isinstance(exc, KeyError) or value is _MISSING:
        return InvalidCatalog(path, None, "is required")
    choices = _enum_of(type_)
    if isinstance(exc, ValueError) and choices is not None:
        allowed = ", ".join(repr(m.value) for m in choices)
        return InvalidCatalog(path, value, f"must be one of {allowed}")
    return InvalidCatalog(path or "document", value, str(exc) or type(exc).__name__)


def _enum_of(type_: Any) -> type[enum.Enum] | None:
    for candidate in typing.get_args(type_) or (type_,):
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return candidate
    return None
