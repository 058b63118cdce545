"""Catalog lint: every error at once with key-based paths and lines; warnings for dead content."""

import json
from pathlib import Path

import attrs
import pytest

from jobslot_core import Catalog
from jobslot_core.catalog import (
    BuffRange,
    BuffType,
    JobType,
    SlotRule,
    SlotUnlockPolicy,
    UnlockRequirements,
)
from jobslot_core.catalog_io import dump_catalog
from jobslot_core.lint import (
    dead_cells,
    lint,
    lint_file,
    lint_text,
    never_offered,
    toml_lines,
    unreachable_jobs,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TEXT = (EXAMPLES / "catalog.toml").read_text()


def _line(number: int) -> str:
    return TEXT.splitlines()[number - 1]


def test_example_has_no_errors_and_one_dead_cell() -> None:
    report = lint_file(EXAMPLES / "catalog.toml")
    assert report.ok and not report.errors
    (warning,) = report.warnings
    assert warning.path == "buff_ranges[2]"
    assert warning.value == "gold_per_hour/D"
    assert "levels 8-10" in warning.message and "1, 4, 7" in warning.message
    assert _line(warning.line or 0) == "[[buff_ranges]]"
    # the next lines are that cell's
    following = TEXT.splitlines()[warning.line or 0 : (warning.line or 0) + 5]
    assert 'buff_key = "gold_per_hour"' in following and "min_level = 8" in following


def test_every_error_at_once_with_key_paths_and_lines() -> None:
    broken = (
        TEXT.replace('tier = "D"', 'tier = "Z"', 1)
        .replace("from_level = 7\nto_level = 10", "from_level = 6\nto_level = 10", 1)
        .replace("precision = 2\nsort_order = 1", "precision = 9\nsort_order = 1")
        .replace("max_value = 150.0", "max_value = 150.123")
        .replace("[rng]\n", "[rng]\nbogus = 1\n")
    )
    report = lint_text(broken, "toml")
    assert not report.ok and not report.warnings
    found = {(p.path, p.value) for p in report.errors}
    assert found == {
        ("job_types.janitor.tier", "Z"),
        ("job_types.janitor.pit_stops[2].from_level", 6),
        ("buff_types.gold_per_hour.precision", 9),
        ("buff_ranges[8].max_value", 150.123),
        ("rng.bogus", 1),
    }
    lines = broken.splitlines()
    for p in report.errors:
        assert p.line is not None
        field = p.path.rsplit(".", 1)[-1]
        assert lines[p.line - 1].startswith(f"{field} ="), (p.path, lines[p.line - 1])
    assert "line" in report.format()


def test_cross_entity_errors_are_all_reported() -> None:
    broken = TEXT.replace("min_level = 5\nmax_level = 7", "min_level = 4\nmax_level = 7").replace(
        "min_level = 9\nmax_level = 10", "min_level = 8\nmax_level = 10"
    )
    report = lint_text(broken, "toml")
    assert [(p.path, p.value) for p in report.errors] == [
        ("buff_ranges[1].min_level", 4),
        ("buff_ranges[5].min_level", 8),
    ]


def test_json_documents_get_key_paths(example: Catalog) -> None:
    data = json.loads(dump_catalog(example, "json"))
    data["job_types"][1]["pit_stops"][0]["to_level"] = 99
    report = lint_text(json.dumps(data), "json")
    (error,) = report.errors
    assert (error.path, error.value, error.line) == (
        "job_types.engineer.pit_stops[0].to_level",
        99,
        None,
    )


def test_syntax_error_is_one_error() -> None:
    report = lint_text("job_types = [", "toml")
    (error,) = report.errors
    assert error.path == "document" and "TOML syntax" in error.message


def test_never_offered_buff_types(example: Catalog) -> None:
    buffs = [
        *example.buff_types.values(),
        BuffType("xp", "xp_rate"),
        BuffType("lost", "lost_rate", active=False),
        BuffType("c_only", "c_rate"),
    ]
    cells = [
        *example.buff_ranges,
        BuffRange("lost", "D", 1, 10, 1, 2, 1.5),
        BuffRange("c_only", "C", 1, 10, 1, 2, 1.5),
    ]
    catalog = attrs.evolve(example, buff_types=buffs, buff_ranges=cells)
    assert dict(never_offered(catalog)) == {
        "xp": "no pit stop offers this buff type: it has no grid cells",
        "lost": "no pit stop offers this buff type: it is inactive",
        "c_only": "no pit stop offers this buff type: its cells are for tiers C, which no job has",
    }
    dead = {catalog.buff_ranges[i].buff_key: why for i, why in dead_cells(catalog)}
    assert dead["lost"] == "buff type 'lost' is inactive"
    assert dead["c_only"] == "no job type has tier C"
    paths = {p.path for p in lint(catalog).warnings}
    assert {"buff_types.xp", "buff_types.lost", "buff_types.c_only"} <= paths


def test_unreachable_jobs_under_the_locked_policy(example: Catalog) -> None:
    jobs = dict(example.job_types)
    jobs["captain"] = attrs.evolve(
        jobs["captain"], unlock=UnlockRequirements(1, ("engineer", "janitor"))
    )
    jobs["admiral"] = JobType(
        "admiral",
        "S",
        jobs["captain"].level_tenure,
        jobs["captain"].pit_stops,
        unlock=UnlockRequirements(0, ("captain",)),
    )
    slots = SlotUnlockPolicy((SlotRule(1), SlotRule(2)), max_slots=2)
    policies = attrs.evolve(example.policies, slot_unlock=slots)
    catalog = attrs.evolve(example, job_types=jobs, policies=policies)
    found = dict(unreachable_jobs(catalog))
    assert set(found) == {"captain", "admiral"}
    assert "needs 3 jobs bought" in found["captain"] and "max_slots is 2" in found["captain"]
    assert "needs 4 jobs bought (admiral, captain, engineer, janitor)" in found["admiral"]
    assert unreachable_jobs(example) == []
    # three slots are enough for the captain's chain of three
    roomy = attrs.evolve(
        catalog,
        policies=attrs.evolve(policies, slot_unlock=SlotUnlockPolicy(max_slots=4)),
    )
    assert unreachable_jobs(roomy) == []


def test_toml_lines_index_nested_arrays() -> None:
    lines = toml_lines(TEXT)
    assert _line(lines["job_types[0].pit_stops[2].from_level"]) == "from_level = 7"
    assert _line(lines["job_types[2].unlock.prestige_count"]) == "prestige_count = 1"
    assert _line(lines["policies.slot_unlock.rules[3].cost"]).startswith("cost = ")


@pytest.mark.parametrize("suffix", [".yaml"])
def test_unknown_format_is_an_error(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"catalog{suffix}"
    path.write_text("x")
    (error,) = lint_file(path).errors
    assert error.path == "format"


def test_several_errors_in_one_entity_and_no_repeats() -> None:
    """A job with a bad tier, a bad max level and bad level tenure: each reported once."""
    broken = (
        TEXT.replace('tier = "D"', 'tier = "Q"', 1)
        .replace("max_level = 10\n#              L2", "max_level = 500\n#              L2", 1)
        .replace("level_tenure = [50, 120,", "level_tenure = [50, 20,", 1)
    )
    report = lint_text(broken, "toml")
    assert [(p.path, p.value, p.line) for p in report.errors] == [
        ("job_types.janitor.tier", "Q", 20),
        ("job_types.janitor.max_level", 500, 21),
        ("job_types.janitor.level_tenure[1]", 20, 23),
    ]
    assert all(p.line is not None for p in report.errors)


def test_every_gap_in_the_grid_is_reported_at_once(example: Catalog) -> None:
    """Two grid rows with a hole at a level a pit stop reaches: two errors, not the first one."""
    data = json.loads(dump_catalog(example, "json"))
    first_cells = [c for c in data["buff_ranges"] if c["tier"] == "D" and c["min_level"] == 1]
    removed = {c["buff_key"] for c in first_cells[:2]}
    assert len(removed) == 2
    data["buff_ranges"] = [c for c in data["buff_ranges"] if c not in first_cells[:2]]
    report = lint_text(json.dumps(data), "json")
    gaps = [p for p in report.errors if "gap" in p.message]
    assert {p.path for p in gaps} == {f"buff_ranges[{key},D]" for key in removed}
    assert 1 in {p.value for p in gaps}
