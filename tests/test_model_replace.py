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
