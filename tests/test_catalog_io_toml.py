"""The small TOML writer: `tomllib.loads(dumps(d)) == d` for every supported shape."""

from __future__ import annotations

import math
import tomllib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobslot_core._toml import dumps, format_key, format_string

SCALARS = (
    st.text(max_size=8)
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.booleans()
)
KEYS = st.text(max_size=6)


def _tables(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(KEYS, children, max_size=4)


VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)  # arrays (inline; of anything, even tables)
        | _tables(children)  # tables
        | st.lists(_tables(children), min_size=1, max_size=3)  # arrays of tables
    ),
    max_leaves=20,
)


@given(_tables(VALUES))
def test_round_trip(data: dict[str, Any]) -> None:
    assert tomllib.loads(dumps(data)) == data


@pytest.mark.parametrize(
    "text", ["", "plain", 'q"uote', "back\\slash", "tab\tnl\ncr\r", "\x00\x1f\x7f", "é✓😀", "\b\f"]
)
def test_strings_escape_what_toml_forbids(text: str) -> None:
    assert tomllib.loads(f"k = {format_string(text)}")["k"] == text


@pytest.mark.parametrize(
    ("key", "written"),
    [("bare_key-1", "bare_key-1"), ("a b", '"a b"'), ("", '""'), ("a.b", '"a.b"')],
)
def test_keys_are_quoted_only_when_not_bare(key: str, written: str) -> None:
    assert format_key(key) == written
    assert tomllib.loads(dumps({key: 1})) == {key: 1}


def test_special_floats() -> None:
    text = dumps({"a": math.inf, "b": -math.inf, "c": math.nan, "d": -0.0, "e": 1e300})
    assert text.splitlines()[:3] == ["a = inf", "b = -inf", "c = nan"]
    back = tomllib.loads(text)
    assert back["a"] == math.inf and back["b"] == -math.inf and math.isnan(back["c"])
    assert math.copysign(1.0, back["d"]) == -1.0 and back["e"] == 1e300


def test_layout_is_readable() -> None:
    text = dumps({"name": "x", "rows": [{"k": 1, "sub": [{"z": 2}]}], "t": {"u": {"v": 1}}})
    assert text == ('name = "x"\n\n[[rows]]\nk = 1\n\n[[rows.sub]]\nz = 2\n\n[t]\n\n[t.u]\nv = 1\n')


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"a": None}, TypeError),
        ({"a": [1, None]}, TypeError),
        ({"a": 2**63}, ValueError),
        ({"a": object()}, TypeError),
        ({1: 2}, TypeError),
        ({"a": {1: 2}}, TypeError),
        ({"a": [{1: 2}, 3]}, TypeError),
        ([1], TypeError),
    ],
)
def test_unsupported_values_are_refused(data: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        dumps(data)


def test_empty_document() -> None:
    assert dumps({}) == ""
