"""Catalog documents: round trips, the example file, error paths, fingerprints."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobslot_core import _toml
from jobslot_core.catalog import Catalog, Cost, Policies, RngConfig, Tier
from jobslot_core.catalog_io import (
    Format,
    catalog_fingerprint,
    catalog_to_dict,
    dump_catalog,
    load_catalog,
    loads_catalog,
    save_catalog,
)
from jobslot_core.errors import InvalidArgument, InvalidCatalog
from jobslot_core.testing import strategies as js

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "catalog.toml"
FORMATS: tuple[Format, ...] = ("toml", "json")
_GOLD = Cost("gold", 0)


@pytest.fixture(scope="module")
def example() -> Catalog:
    return load_catalog(EXAMPLE)


# -- round trips --------------------------------------------------------------------------------


@given(js.catalogs(), st.sampled_from(FORMATS))
def test_round_trip(catalog: Catalog, fmt: Format) -> None:
    text = dump_catalog(catalog, fmt)
    again = loads_catalog(text, fmt)
    assert again == catalog
    assert dump_catalog(again, fmt) == text
    assert catalog_fingerprint(again) == catalog_fingerprint(catalog)


@pytest.mark.parametrize("fmt", FORMATS)
def test_example_round_trips_through_files(example: Catalog, fmt: Format, tmp_path: Path) -> None:
    path = tmp_path / f"catalog.{fmt}"
    save_catalog(example, path)
    assert load_catalog(path) == example
    assert load_catalog(str(path)) == example
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_format_argument_overrides_the_suffix(example: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "catalog.txt"
    save_catalog(example, path, format="json")
    assert json.loads(path.read_text("utf-8"))["job_types"][0]["key"] == "janitor"
    assert load_catalog(path, format="json") == example
    with pytest.raises(InvalidCatalog) as info:
        load_catalog(path)
    assert (info.value.field, info.value.value) == ("format", ".txt")


def test_dump_drops_none_and_writes_enums_as_strings(example: Catalog) -> None:
    data = json.loads(dump_catalog(example, "json"))
    assert "null" not in dump_catalog(example, "json")
    assert data["job_types"][0]["tier"] == "D"
    assert "icon_url" not in data["job_types"][0]
    assert data == tomllib.loads(dump_catalog(example))
    assert data == catalog_to_dict(example)


def test_missing_keys_take_defaults() -> None:
    text = """
    [[job_types]]
    key = "miner"
    tier = "C"
    level_tenure = [10]
    max_level = 2
    [[job_types.pit_stops]]
    number = 1
    from_level = 1
    to_level = 2

    [[buff_types]]
    key = "g"
    effect_type = "gold_rate"

    [[buff_types]]  # the default prestige reward needs a permanent essence_rate buff too
    key = "e"
    effect_type = "essence_rate"

    [[buff_ranges]]
    buff_key = "g"
    tier = "C"
    min_level = 1
    max_level = 2
    min_value = 1
    max_value = 2
    mean_value = 1.5

    [rng]
    allow_duplicates = true
    """
    c = loads_catalog(text, "toml")
    assert c.rng == RngConfig(allow_duplicates=True) and c.policies == Policies()
    assert c.buff_ranges[0].min_value == 1.0 and isinstance(c.buff_ranges[0].min_value, float)
    assert c.job_types["miner"].active and c.buff_types["g"].precision == 2


def test_bytes_are_read_as_utf8() -> None:
    text = dump_catalog(load_catalog(EXAMPLE))
    assert loads_catalog(text.encode("utf-8"), "toml") == load_catalog(EXAMPLE)
    with pytest.raises(InvalidCatalog) as info:
        loads_catalog(b"\xff\xfe", "toml")
    assert info.value.field == "document"


# -- the example --------------------------------------------------------------------------------


def test_example_catalog(example: Catalog) -> None:
    janitor, engineer, captain = (example.job_types[k] for k in ("janitor", "engineer", "captain"))
    assert (janitor.tier, engineer.tier, captain.tier) == (Tier.D, Tier.B, Tier.S)
    assert [janitor.pit_stop_tenure(n) for n in (1, 2, 3)] == [200, 500, 1000]
    assert [(p.from_level, p.to_level) for p in janitor.pit_stops] == [(1, 4), (4, 7), (7, 10)]
    assert engineer.pit_stop_count == 5
    assert captain.unlock.prestige_count == 1 and captain.unlock.job_keys == ("engineer",)
    seed_d = example.buff_range("gold_per_hour", "D", 1)
    assert (seed_d.min_level, seed_d.max_level, seed_d.min_value, seed_d.max_value) == (1, 4, 1, 5)
    assert (seed_d.mean_value, seed_d.standard_deviation) == (3, 1)
    seed_s = example.buff_range("gold_per_hour", "S", 7)
    assert (seed_s.min_level, seed_s.max_level) == (7, 10)
    assert (seed_s.min_value, seed_s.max_value, seed_s.mean_value) == (50, 150, 100)
    assert seed_s.standard_deviation == 25
    assert not example.buff_types["tenure_rate"].stacks
    assert example.buff_types["flat_essence"].currency == "essence"
    assert example.policies.reroll.cost is None
    assert [r.cost.amount if r.cost else 0 for r in example.policies.slot_unlock.rules] == [
        0,
        1000,
        5000,
        10000,
    ]
    for job in (janitor, engineer, captain):
        for stop in job.pit_stops:
            assert len(example.eligible_buffs(job.key, stop.number)) == 5


# -- error paths --------------------------------------------------------------------------------


def _set(data: dict[str, Any], path: list[str | int], value: Any) -> None:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()

MUTATIONS: list[tuple[list[str | int], Any, str, Any]] = [
    # (where, new value, expected field, expected value)
    (["job_types", 0, "tier"], "E", "job_types[0].tier", "E"),
    (["job_types", 0, "tier"], 5, "job_types[0].tier", 5),
    (["job_types", 0, "colour"], "red", "job_types[0].colour", "red"),
    (["job_types", 0, "max_level"], "10", "job_types[0].max_level", "10"),
    (["job_types", 0, "max_level"], True, "job_types[0].max_level", True),
    (["job_types", 0, "level_tenure", 2], 200.5, "job_types[0].level_tenure[2]", 200.5),
    (["job_types", 0, "level_tenure"], "50,120", "job_types[0].level_tenure", "50,120"),
    (
        ["job_types", 2, "unlock", "job_keys"],
        "engineer",
        "job_types[2].unlock.job_keys",
        "engineer",
    ),
    (["job_types", 0, "unlock"], 5, "job_types[0].unlock", 5),
    (["job_types", 0, "pit_stops", 1, "to_level"], 11, "job_types[0].pit_stops[1].to_level", 11),
    (
        ["job_types", 1, "pit_stops", 0, "from_level"],
        "1",
        "job_types[1].pit_stops[0].from_level",
        "1",
    ),
    (["job_types", 1, "pit_stops", 2, "extra"], 1, "job_types[1].pit_stops[2].extra", 1),
    (["job_types", 1, "key"], "janitor", "job_types[1].key", "janitor"),
    (
        ["job_types", 2, "unlock", "job_keys", 0],
        "admiral",
        "job_types[2].unlock.job_keys[0]",
        "admiral",
    ),
    (["job_types", 0, "purchase_cost", "amount"], -1, "job_types[0].purchase_cost.amount", -1),
    (["buff_types", 2, "currency"], _DELETE, "buff_types[2].currency", None),
    (["buff_types", 3, "key"], "flat_gold", "buff_types[3].key", "flat_gold"),
    (["buff_types", 0, "permanent"], "yes", "buff_types[0].permanent", "yes"),
    (["buff_ranges", 0, "mean_value"], _DELETE, "buff_ranges[0].mean_value", None),
    (["buff_ranges", 0, "mean_value"], 7.0, "buff_ranges[0].mean_value", 7.0),
    (["buff_ranges", 0, "distribution"], "gaussian", "buff_ranges[0].distribution", "gaussian"),
    (["buff_ranges", 0, "buff_key"], "ghost", "buff_ranges[0].buff_key", "ghost"),
    (["buff_ranges", 0, "max_value"], 5.001, "buff_ranges[0].max_value", 5.001),
    (["buff_ranges", 1, "min_level"], 3, "buff_ranges[1].min_level", 3),
    (["rng", "rarity_thresholds"], [20, 50, 75], "rng.rarity_thresholds", [20, 50, 75]),
    (["rng", "rarity_thresholds", 1], 10.0, "rng.rarity_thresholds[1]", 10.0),
    (["rng", "rarity_weights", "mythic"], 1.0, "rng.rarity_weights.mythic", 1.0),
    (["rng"], [], "rng", []),
    (["policies", "job_change", "mode"], "trade", "policies.job_change.mode", "trade"),
    (["policies", "prestige", "bonus"], 1, "policies.prestige.bonus", 1),
    (["policies", "slot_unlock", "rules", 1, "slot"], 5, "policies.slot_unlock.rules[1].slot", 5),
    # the playability rules, with document paths
    (
        ["job_types", 1, "unlock", "job_keys"],
        ["captain"],
        "job_types[1].unlock.job_keys",
        ["captain"],
    ),
    (["job_types", 1, "active"], False, "job_types[2].unlock.job_keys[0]", "engineer"),
    (["buff_ranges", 18, "min_value"], 0.0, "buff_ranges[18].min_value", 0.0),
    (
        ["policies", "prestige", "account_buff_effects", 1],
        "essence_rates",
        "policies.prestige.account_buff_effects[1]",
        "essence_rates",
    ),
    (
        ["policies", "slot_unlock", "rules", 0, "min_prestiges"],
        1,
        "policies.slot_unlock.rules[0].min_prestiges",
        1,
    ),
    (["extras"], {"a": 1}, "extras", {"a": 1}),
    (["job_types"], _DELETE, "job_types", None),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("where", "new", "field", "value"), MUTATIONS)
def test_malformed_documents_name_the_path(
    example: Catalog, fmt: Format, where: list[str | int], new: Any, field: str, value: Any
) -> None:
    data = copy.deepcopy(catalog_to_dict(example))
    _set(data, where, new)
    text = _toml.dumps(data) if fmt == "toml" else json.dumps(data)
    with pytest.raises(InvalidCatalog) as info:
        loads_catalog(text, fmt)
    assert (info.value.field, info.value.value) == (field, value), info.value
    assert type(info.value.value) is type(value)


def test_no_entry_job_is_refused_in_a_document(example: Catalog) -> None:
    data = copy.deepcopy(catalog_to_dict(example))
    data["job_types"][0]["unlock"]["prestige_count"] = 1
    data["job_types"][1]["unlock"]["job_keys"] = ["janitor"]
    with pytest.raises(InvalidCatalog) as info:
        loads_catalog(json.dumps(data), "json")
    assert (info.value.field, info.value.value) == ("job_types", ["captain", "engineer", "janitor"])


def test_validation_paths_use_document_indexes(example: Catalog) -> None:
    data = copy.deepcopy(catalog_to_dict(example))
    data["job_types"][2]["level_tenure"][4] = 1
    with pytest.raises(InvalidCatalog) as info:
        loads_catalog(json.dumps(data), "json")
    assert (info.value.field, info.value.value) == ("job_types[2].level_tenure[4]", 1)
    assert "must exceed" in info.value.reason


@pytest.mark.parametrize(
    ("text", "fmt", "value"),
    [
        (
            '[rng]\ndistribution = "normal"\nallow_duplicates = tru\n',
            "toml",
            "allow_duplicates = tru",
        ),
        ('{"job_types": [}', "json", '{"job_types": [}'),
        ('{"rng": {}, "rng": {}}', "json", "rng"),
        ("[1, 2]", "json", [1, 2]),
        ("", "json", ""),
    ],
)
def test_syntax_errors(text: str, fmt: Format, value: Any) -> None:
    with pytest.raises(InvalidCatalog) as info:
        loads_catalog(text, fmt)
    assert (info.value.field, info.value.value) == ("document", value)


def test_unknown_format() -> None:
    with pytest.raises(InvalidCatalog) as info:
        loads_catalog("{}", "yaml")  # type: ignore[arg-type]
    assert info.value.field == "format"
    with pytest.raises(InvalidArgument) as info:
        dump_catalog(load_catalog(EXAMPLE), "yaml")  # type: ignore[arg-type]
    assert info.value.field == "format"


# -- fingerprint --------------------------------------------------------------------------------


def test_fingerprint_is_sha256_hex_and_stable(example: Catalog) -> None:
    fp = catalog_fingerprint(example)
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert fp == catalog_fingerprint(load_catalog(EXAMPLE))
    assert fp == catalog_fingerprint(loads_catalog(dump_catalog(example, "json"), "json"))


def test_fingerprint_ignores_job_order_and_int_vs_float(example: Catalog) -> None:
    reordered = Catalog(
        job_types=tuple(reversed(list(example.job_types.values()))),
        buff_types=tuple(reversed(list(example.buff_types.values()))),
        buff_ranges=example.buff_ranges,
        rng=attrs.evolve(example.rng, default_spread=0.25),
        policies=example.policies,
    )
    assert reordered == example
    assert catalog_fingerprint(reordered) == catalog_fingerprint(example)
    one = attrs.evolve(example, rng=attrs.evolve(example.rng, default_spread=1))
    one_f = attrs.evolve(example, rng=attrs.evolve(example.rng, default_spread=1.0))
    assert catalog_fingerprint(one) == catalog_fingerprint(one_f)


@given(js.catalogs(), st.data())
def test_fingerprint_changes_when_a_cell_changes(catalog: Catalog, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(catalog.buff_ranges) - 1))
    cells = list(catalog.buff_ranges)
    precision = catalog.buff_types[cells[i].buff_key].precision
    cells[i] = attrs.evolve(cells[i], max_value=round(cells[i].max_value + 1.0, precision))
    changed = attrs.evolve(catalog, buff_ranges=cells)
    assert changed != catalog
    assert catalog_fingerprint(changed) != catalog_fingerprint(catalog)


def test_int64_extremes_round_trip_through_toml(example: Catalog) -> None:
    """Every integer a catalog accepts fits TOML's int64, so dumping never fails (issue 6)."""
    big = 2**63 - 1
    janitor = attrs.evolve(
        example.job_types["janitor"],
        purchase_cost=attrs.evolve(example.job_types["janitor"].purchase_cost or _GOLD, amount=big),
        unlock=attrs.evolve(example.job_types["janitor"].unlock, total_meks=big),
    )
    policies = attrs.evolve(
        example.policies,
        prestige=attrs.evolve(example.policies.prestige, tokens=big),
    )
    catalog = attrs.evolve(
        example, job_types={**example.job_types, "janitor": janitor}, policies=policies
    )
    for fmt in FORMATS:
        assert loads_catalog(dump_catalog(catalog, fmt), fmt) == catalog
    with pytest.raises(InvalidCatalog) as info:
        attrs.evolve(
            catalog,
            policies=attrs.evolve(
                policies, prestige=attrs.evolve(policies.prestige, tokens=big + 1)
            ),
        )
    assert (info.value.field, info.value.value) == ("policies.prestige.tokens", big + 1)
    text = dump_catalog(catalog).replace(f"tokens = {big}", f"tokens = {big + 1}")
    with pytest.raises(InvalidCatalog) as info:
        loads_catalog(text, "toml")  # tomllib reads it; the catalog refuses it
    assert (info.value.field, info.value.value) == ("policies.prestige.tokens", big + 1)
