"""json_encoder and field_values equal the converter's dicts encoded as compact sorted JSON, for
every stored record type, also with values of unexpected types (bools for ints, ints for floats,
enum members for strings, lists for tuples, non-finite floats, odd text)."""

from __future__ import annotations

import enum
import json
import types
import typing
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobslot_core.engine.offers import BuffChoice
from jobslot_core.model import OfferStatus
from jobslot_core.serialization import field_values, json_encoder, make_converter
from jobslot_core.storage.protocol import TABLES
from jobslot_core.storage.sqlite import _columns

CONVERTER = make_converter()


def reference(record: Any, cls: type) -> str:
    data = CONVERTER.unstructure(record, cls)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=8)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), _text
)
_payloads = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)
    ),
    max_leaves=8,
)


def values(kind: Any) -> st.SearchStrategy[Any]:
    """Values for a field of this declared type, now and then of another type."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(values(a) for a in args))
    if kind is type(None):
        return st.none()
    if kind is bool:
        return st.booleans()
    if kind is int:
        return st.one_of(st.integers(), st.booleans())
    if kind is float:
        return st.one_of(st.floats(allow_nan=True), st.integers(-(2**70), 2**70))
    if kind is str:
        return st.one_of(_text, st.sampled_from(OfferStatus))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return st.sampled_from(kind)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        items = st.lists(values(args[0]), max_size=3)
        return st.one_of(items.map(tuple), items)
    if isinstance(kind, type) and attrs.has(kind):
        return records(kind)
    return _payloads  # Any, Mapping[str, Any]: free-form JSON data


def records(cls: type) -> st.SearchStrategy[Any]:
    attrs.resolve_types(cls)
    fields = {f.alias: values(f.type) for f in attrs.fields(cls) if f.init}
    return st.builds(cls, **fields)


@pytest.mark.parametrize("table", [t for t in TABLES], ids=lambda t: t.name)
@given(data=st.data())
def test_json_and_columns_equal_the_converters_dict(table: Any, data: st.DataObject) -> None:
    record = data.draw(records(table.record))
    encode = json_encoder(CONVERTER, table.record)
    try:
        expected = reference(record, table.record)
    except Exception as e:  # what the converter or json refuses, the encoder refuses alike
        with pytest.raises(type(e)):
            encode(record)
        return
    assert encode(record) == expected
    columns = _columns(table)
    unstructured = CONVERTER.unstructure(record, table.record)
    got = field_values(CONVERTER, table.record, columns)(record)
    assert got == tuple(unstructured[c] for c in columns)
    assert [type(v) for v in got] == [type(unstructured[c]) for c in columns]


@attrs.frozen
class Inner:
    a: int


@attrs.frozen
class Outer:
    inner: Inner
    items: tuple[Inner, ...]
    maybe: Inner | None = None


def test_a_class_with_its_own_hook_is_encoded_by_that_hook() -> None:
    """A hook registered by hand for a nested class is used, not the generated shortcut."""
    converter = make_converter()
    converter.register_unstructure_hook(Inner, lambda i: {"twice": i.a * 2})
    record = Outer(Inner(1), (Inner(2),), Inner(3))
    expected = '{"inner":{"twice":2},"items":[{"twice":4}],"maybe":{"twice":6}}'
    assert json_encoder(converter, Outer)(record) == expected
    assert json_encoder(make_converter(), Outer)(record) == (
        '{"inner":{"a":1},"items":[{"a":2}],"maybe":{"a":3}}'
    )


def test_a_frozen_payload_is_encoded_as_its_plain_data_unless_a_hook_says_otherwise() -> None:
    """A free-form (`Any`) field holding frozen data is written as json writes the plain data
    it thaws to; a converter with its own hook for frozen dicts gets that hook's output."""
    from jobslot_core.frozen import FrozenDict
    from jobslot_core.model import IdempotencyRecord

    result = {"b": [1, 2.5, {"z": None, "é": "x"}], "a": (True, "q"), "n": float("nan")}
    record = IdempotencyRecord("w", "k", "cmd", "f", "T", result, 7)
    assert json_encoder(CONVERTER, IdempotencyRecord)(record) == reference(
        record, IdempotencyRecord
    )
    assert '"result":{"a":[true,"q"],"b":[1,2.5,{"z":null,"é":"x"}],"n":NaN}' in json_encoder(
        CONVERTER, IdempotencyRecord
    )(record)
    converter = make_converter()
    converter.register_unstructure_hook(FrozenDict, lambda d: {"keys": sorted(d)})
    assert '"result":{"keys":["a","b","n"]}' in json_encoder(converter, IdempotencyRecord)(record)


@attrs.frozen
class Holder:
    items: tuple[Inner, ...]


@attrs.define
class Mutable:
    a: list[int]


@attrs.frozen
class MutableHolder:
    items: tuple[Mutable, ...]


def test_a_tuple_of_immutable_records_shared_or_recycled_is_encoded_right() -> None:
    """Tuples of frozen plain records are remembered by identity (an offer written again on
    resolving shares its choices): a shared tuple, and fresh tuples whose ids are recycled past
    the memo's size, each encode as the converter's dict does; mutable items are never kept."""
    encode = json_encoder(CONVERTER, Holder)
    shared = (Inner(1), Inner(2))
    assert encode(Holder(shared)) == encode(Holder(shared)) == reference(Holder(shared), Holder)
    for n in range(2000):  # short-lived tuples: CPython hands their ids out again
        record = Holder(tuple(Inner(n + k) for k in range(n % 3)))
        assert encode(record) == reference(record, Holder)
    items = (Mutable([1]),)
    encode_mutable = json_encoder(CONVERTER, MutableHolder)
    assert encode_mutable(MutableHolder(items)) == '{"items":[{"a":[1]}]}'
    items[0].a.append(2)
    assert encode_mutable(MutableHolder(items)) == '{"items":[{"a":[1,2]}]}'


@attrs.frozen
class Choices:
    items: tuple[BuffChoice, ...]


def test_a_record_holding_a_value_that_can_change_is_never_remembered() -> None:
    """attrs does not check declared types: a choice whose `value` holds a list is encoded
    afresh each time, so a change to it shows in the next text."""
    changing = [1.0]
    odd = BuffChoice("b", "e", True, False, None, changing, "common", 0.0, 2.0)  # type: ignore[arg-type]
    record = Choices((odd,))
    encode = json_encoder(CONVERTER, Choices)
    first = encode(record)
    changing.append(99.0)
    assert encode(record) != first
    assert encode(record) == reference(record, Choices)
