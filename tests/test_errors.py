"""The error hierarchy: families, stable codes, the wire form, and docs/errors.md listing them."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

from jobslot_core import errors, to_dict
from jobslot_core.errors import JobSlotError, error_codes

DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
FAMILIES = (
    errors.InvalidRequest, errors.NotFound, errors.Refused, errors.Conflict, errors.StorageError
)  # fmt: skip


def test_every_error_class_has_its_own_code() -> None:
    """Codes are unique snake case, one per class of the module."""
    classes = [
        c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, JobSlotError)
    ]
    codes = error_codes()
    assert sorted(c.code for c in classes) == sorted(codes)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in codes)


@pytest.mark.parametrize("cls", sorted(error_codes().values(), key=lambda c: c.code))
def test_every_concrete_error_belongs_to_one_family(cls: type[JobSlotError]) -> None:
    """Each class below the families is in exactly one family."""
    if cls is JobSlotError or cls in FAMILIES:
        return
    assert sum(issubclass(cls, family) for family in FAMILIES) == 1


def test_docs_list_every_code() -> None:
    """docs/errors.md's table names every code with its class, and nothing else."""
    rows = re.findall(r"^\| `([a-z_]+)` \| `(\w+)` \|", DOCS.read_text(), flags=re.M)
    assert dict(rows) == {code: cls.__name__ for code, cls in error_codes().items()}


@pytest.mark.parametrize(
    ("error", "value"),
    [
        (errors.InvalidArgument("amount", 10**30, "too big"), 10**30),
        (errors.JobLocked("job_keys", ("a", "b"), "needs"), ["a", "b"]),
        (errors.InvalidArgument("x", float("nan"), "nan"), "nan"),
        (errors.InvalidArgument("x", b"\x00", "bytes"), "b'\\x00'"),
        (errors.InvalidArgument("x", {"k": (1, None)}, "dict"), {"k": [1, None]}),
        (errors.InvalidArgument("x", {1: 2}, "int keys"), "{1: 2}"),
    ],
)
def test_to_dict_is_json_safe(error: JobSlotError, value: object) -> None:
    """The wire form keeps JSON values, turns tuples into lists and anything else into repr."""
    wire = to_dict(error)
    assert wire == {"code": error.code, "field": error.field, "value": value, "message": str(error)}
    assert json.loads(json.dumps(wire, allow_nan=False)) == wire


def test_errors_pickle_with_their_class_and_fields() -> None:
    """An error crossing a process boundary keeps its class, field, value and code."""
    err = pickle.loads(pickle.dumps(errors.ConcurrencyConflict("scope", "wallet:a", "raced")))
    assert type(err) is errors.ConcurrencyConflict
    assert (err.field, err.value, err.code) == ("scope", "wallet:a", "concurrency_conflict")
    assert isinstance(err, errors.StorageError)
