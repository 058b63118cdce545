"""Hostile catalog documents and untyped helper errors (issue 10, items 6 and 10): deep nesting
and huge integers in JSON or TOML are `InvalidCatalog` (fast); engine helpers and catalog I/O
refuse bad arguments with typed errors; `jobslot validate` never prints a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from jobslot_core.catalog import BuffRange, RngConfig
from jobslot_core.catalog_io import dump_catalog, load_catalog, loads_catalog
from jobslot_core.cli import main
from jobslot_core.engine import draw_value, rarity_of
from jobslot_core.engine.stream import OfferStream
from jobslot_core.errors import InvalidArgument, InvalidCatalog
from jobslot_core.testing.commands import machine_catalog

DEEP = 100_000

HOSTILE: list[tuple[str, str]] = [
    ("[" * DEEP + "]" * DEEP, "json"),
    ('{"a":' * DEEP + "1" + "}" * DEEP, "json"),
    ("a = " + "[" * DEEP + "]" * DEEP, "toml"),
    ("a = " + "{b = " * DEEP + "1" + "}" * DEEP, "toml"),
    ('{"job_types": ' + "9" * 5000 + "}", "json"),
    ("job_types = " + "9" * 5000, "toml"),
    ('{"rng": {"default_spread": 1' + "0" * 5000 + "}}", "json"),
    ('{"job_types": ' + "[" * 900 + "]" * 900 + "}", "json"),
]


@pytest.mark.parametrize(("text", "fmt"), HOSTILE, ids=lambda v: str(len(v)) if len(v) > 9 else v)
def test_hostile_documents_are_invalid_catalog_and_fast(text: str, fmt: Any) -> None:
    start = time.perf_counter()
    with pytest.raises(InvalidCatalog) as caught:
        loads_catalog(text, fmt)
    assert time.perf_counter() - start < 5  # generous: a guard against quadratic blow-ups only
    assert caught.value.field.startswith(("document", "job_types", "rng"))
    with pytest.raises(InvalidCatalog):
        loads_catalog(text.encode(), fmt)


def test_integers_past_int64_in_a_valid_document_are_invalid_catalog() -> None:
    data = json.loads(dump_catalog(machine_catalog(), "json"))
    data["job_types"][0]["pit_stops"][0]["to_level"] = 10**400
    with pytest.raises(InvalidCatalog) as caught:
        loads_catalog(json.dumps(data), "json")
    assert caught.value.field == "job_types[0].pit_stops[0].to_level"
    data["job_types"][0]["pit_stops"][0]["to_level"] = 3
    data["rng"]["default_spread"] = 10**400
    with pytest.raises(InvalidCatalog) as caught:
        loads_catalog(json.dumps(data), "json")
    assert caught.value.field == "rng.default_spread"


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_validate_command_reports_hostile_files_without_a_traceback(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"deep{suffix}"
    path.write_text(("a = " if suffix == ".toml" else "") + "[" * DEEP + "]" * DEEP)
    done = subprocess.run(
        [sys.executable, "-m", "jobslot_core", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "InvalidCatalog" in done.stderr and "nested too deeply" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("text", "fmt", "error", "field"),
    [
        (None, "json", InvalidArgument, "text"),
        (5, "toml", InvalidArgument, "text"),
        ("{}", "yaml", InvalidCatalog, "format"),
        ("{}", None, InvalidCatalog, "format"),
    ],
)
def test_loads_catalog_arguments(text: Any, fmt: Any, error: type, field: str) -> None:
    with pytest.raises(error) as caught:
        loads_catalog(text, fmt)
    assert caught.value.field == field


@pytest.mark.parametrize(
    "make",
    [lambda p: None, lambda p: p / "missing.toml", lambda p: p, lambda p: str(p) + "/bad\0.toml"],
)
def test_load_catalog_unreadable_paths_are_invalid_argument(tmp_path: Path, make: Any) -> None:
    with pytest.raises(InvalidArgument) as caught:
        load_catalog(make(tmp_path))
    assert caught.value.field == "path"


def test_cli_validate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "missing.toml" in err and "Traceback" not in err


# -- engine helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((float("nan"), 1.0, 5.0), "value"),
        ((2.0, float("inf"), 5.0), "min_value"),
        ((2.0, 1.0, float("-inf")), "max_value"),
        ((None, 1.0, 5.0), "value"),
        (("2", 1.0, 5.0), "value"),
        ((True, 1.0, 5.0), "value"),
        ((10**400, 1.0, 5.0), "value"),
        ((2.0, 1.0, 5.0, (20.0, 50.0, 75.0)), "thresholds"),
        ((2.0, 1.0, 5.0, [20.0, 50.0, 75.0, 95.0]), "thresholds"),
        ((2.0, 1.0, 5.0, (20.0, 10.0, 75.0, 95.0)), "thresholds[1]"),
        ((2.0, 1.0, 5.0, (20.0, 50.0, 75.0, float("nan"))), "thresholds[3]"),
    ],
    ids=lambda v: "huge" if isinstance(v, tuple) and 10**400 in v else None,
)
def test_rarity_of_refuses_bad_arguments(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rarity_of(*args)
    assert caught.value.field == field


def test_rarity_of_still_answers() -> None:
    assert rarity_of(1.0, 1.0, 5.0) == "common"
    assert rarity_of(5.0, 1.0, 5.0) == "legendary"
    assert rarity_of(3, 1, 5) == "rare"  # 50 %: a boundary belongs to the higher tier


def _cell() -> BuffRange:
    return machine_catalog().buff_ranges[0]


def _stream() -> OfferStream:
    return OfferStream(b"k", b"context")


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"buff_range": None}, InvalidArgument, "buff_range"),
        ({"rng_config": None}, InvalidArgument, "rng_config"),
        ({"stream": None}, InvalidArgument, "stream"),
        ({"precision": 50}, InvalidArgument, "precision"),
        ({"precision": -1}, InvalidArgument, "precision"),
        ({"precision": 2.0}, InvalidArgument, "precision"),
        ({"rng_config": RngConfig(default_spread=-1)}, InvalidCatalog, "rng.default_spread"),
        (
            {"rng_config": RngConfig(default_spread=float("nan"))},
            InvalidCatalog,
            "rng.default_spread",
        ),
    ],
)
def test_draw_value_refuses_bad_arguments(change: dict[str, Any], error: type, field: str) -> None:
    args: dict[str, Any] = {
        "buff_range": _cell(),
        "rng_config": RngConfig(),
        "stream": _stream(),
        "precision": 2,
        **change,
    }
    with pytest.raises(error) as caught:
        draw_value(**args)
    assert caught.value.field == field


def test_draw_value_still_draws_inside_the_cell() -> None:
    cell = _cell()
    value = draw_value(cell, RngConfig(), _stream(), precision=2)
    assert cell.min_value <= value <= cell.max_value


def test_catalog_load_benchmark_runs() -> None:
    """benchmarks/catalog_load.py (the 50 MB measurement) runs; here on small documents."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/catalog_load.py",
            "--mb",
            "0.2",
            "--jobs-mb",
            "0.05",
            "--repeat",
            "1",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.count("ratio") == 4
