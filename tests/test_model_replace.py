"""`model.replace` gives what `attrs.evolve` gives, for every stored record type, whichever
fields change; an unknown field is refused as evolve refuses it."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobslot_core.model import replace
from jobslot_core.storage.protocol import TABLES
from test_serialization_json import records


@pytest.mark.parametrize("table", list(TABLES), ids=lambda t: t.name)
@given(data=st.data())
def test_replace_equals_evolve(table: Any, data: st.DataObject) -> None:
    cls = table.record
    record, other = data.draw(records(cls)), data.draw(records(cls))
    names = [f.alias for f in attrs.fields(cls) if f.init]
    changed = data.draw(st.sets(st.sampled_from(names)))
    changes = {n: getattr(other, n) for n in changed}
    made = replace(record, **changes)
    expected = attrs.evolve(record, **changes)
    assert type(made) is cls
    for f in attrs.fields(cls):  # the very objects evolve holds (NaN is not equal to itself)
        assert getattr(made, f.name) is getattr(expected, f.name)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.__setattr__(names[0], getattr(record, names[0]))
    with pytest.raises(TypeError, match="no_such_field"):
        replace(record, no_such_field=1)


@attrs.frozen(cache_hash=True)
class CachedHash:
    a: int
    b: int = 0


@attrs.define(init=False)
class OwnInit:
    a: int
    b: int

    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, max(0, b)


def test_replace_of_classes_evolve_builds_through_their_init() -> None:
    """A class caching its hash, or with its own `__init__`, is copied through that `__init__`
    as evolve does; an unknown field is named as evolve names it (the first one passed)."""
    copied = replace(CachedHash(1), b=2)
    assert copied == CachedHash(1, 2) and hash(copied) == hash(CachedHash(1, 2))
    assert replace(OwnInit(1, 5), b=-3) == attrs.evolve(OwnInit(1, 5), b=-3) == OwnInit(1, 0)
    with pytest.raises(TypeError, match="'zz'"):
        replace(CachedHash(1), zz=1, aa=2)
