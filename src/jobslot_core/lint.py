"""Catalog lint: every problem of a catalog document at once, and warnings for dead content.

Errors are what `Catalog` refuses, collected entity by entity instead of stopping at the first;
warnings are valid but suspicious content: grid cells no pit stop can ever draw, buff types no
pit stop offers, and jobs their unlock rules make unreachable. Paths are key-based
(``job_types.janitor.pit_stops[2].from_level``) and carry the TOML line where it can be found.
`jobslot validate` prints this report.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal, cast

import attrs
from cattrs.errors import ClassValidationError, IterableValidationError

from .catalog import (
    BuffRange,
    BuffType,
    Catalog,
    JobChangeMode,
    JobType,
    Policies,
    RngConfig,
    Tier,
    _validate_account_buff_effects,
    _validate_buff,
    _validate_job,
    _validate_policies,
    _validate_rng,
    _validate_unlocks,
    check_buff_range,
    pit_stop_cells,
)
from .catalog_io import Format, _build, _converter, _format_of, _from_cattrs, _parse
from .errors import InvalidCatalog

__all__ = [
    "LintReport",
    "Problem",
    "dead_cells",
    "lint",
    "lint_file",
    "lint_text",
    "never_offered",
    "unreachable_jobs",
]

Severity = Literal["error", "warning"]
_SECTIONS = ("job_types", "buff_types", "buff_ranges", "rng", "policies")


@attrs.frozen
class Problem:
    """One finding: `path` is key-based, `line` the document line (None where unknown)."""

    severity: Severity
    path: str
    value: Any
    message: str
    line: int | None = None

    def format(self) -> str:
        where = self.path if self.line is None else f"{self.path} (line {self.line})"
        return f"{self.severity}: {where}: {self.value!r}: {self.message}"


@attrs.frozen
class LintReport:
    """All findings, errors first, each group in document order."""

    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors

    def format(self) -> str:
        return "\n".join(p.format() for p in self.problems)


# -- warnings on a valid catalog ----------------------------------------------------------------


def dead_cells(catalog: Catalog) -> list[tuple[int, str]]:
    """(index in buff_ranges, why) of each grid cell that no pit stop can ever draw."""
    out = []
    for i, cell in enumerate(catalog.buff_ranges):
        buff = catalog.buff_types[cell.buff_key]
        jobs = [j for j in catalog.job_types.values() if j.tier is cell.tier]
        starts = sorted({s.from_level for j in jobs for s in j.pit_stops})
        if not buff.active:
            out.append((i, f"buff type {cell.buff_key!r} is inactive"))
        elif not jobs:
            out.append((i, f"no job type has tier {cell.tier.value}"))
        elif not any(cell.covers(level) for level in starts):
            out.append(
                (
                    i,
                    f"no pit stop can draw levels {cell.min_level}-{cell.max_level}: tier "
                    f"{cell.tier.value} pit stops draw at levels {', '.join(map(str, starts))}",
                )
            )
    return out


def never_offered(catalog: Catalog) -> list[tuple[str, str]]:
    """(buff key, why) of each buff type that no pit stop of any job offers."""
    offered = {
        buff.key
        for job in catalog.job_types.values()
        for stop in job.pit_stops
        for buff, _ in catalog.eligible_buffs(job.key, stop.number)
    }
    out = []
    for key, buff in catalog.buff_types.items():
        if key in offered:
            continue
        tiers = sorted({c.tier.value for c in catalog.buff_ranges if c.buff_key == key})
        why = (
            "it is inactive"
            if not buff.active
            else "it has no grid cells"
            if not tiers
            else f"its cells are for tiers {', '.join(tiers)}, which no job has"
        )
        out.append((key, f"no pit stop offers this buff type: {why}"))
    return out


def unreachable_jobs(catalog: Catalog) -> list[tuple[str, str]]:
    """(job key, why) of each active job that no wallet can ever purchase.

    With the `locked` job change policy every job bought needs a slot of its own, so a job whose
    unlock chain (the job and every job it needs, transitively) holds more jobs than
    `max_slots` can never be bought (a job needing it has a longer chain, so it is reported
    too). The catalog itself already refuses unlock cycles and active jobs needing inactive
    ones, and any wallet can prestige its entry job, so prestige requirements are reachable.
    """
    jobs = catalog.job_types
    policy = catalog.policies
    locked = policy.job_change.mode is JobChangeMode.LOCKED
    slots = policy.slot_unlock.max_slots

    def chain(key: str) -> set[str]:
        seen: set[str] = set()
        todo = [key]
        while todo:
            k = todo.pop()
            if k not in seen:
                seen.add(k)
                todo.extend(jobs[k].unlock.job_keys)
        return seen

    why: dict[str, str] = {}
    for key in sorted(jobs):
        needed = chain(key)
        if jobs[key].active and locked and len(needed) > slots:
            why[key] = (
                f"its unlock chain needs {len(needed)} jobs bought ({', '.join(sorted(needed))}) "
                f"but the locked job change policy gives one job per slot and max_slots is {slots}"
            )
    return sorted(why.items())


def _warnings(catalog: Catalog) -> list[tuple[str, Any, str]]:
    """(index-based path, value, message) of every warning."""
    out: list[tuple[str, Any, str]] = []
    for i, why in dead_cells(catalog):
        cell = catalog.buff_ranges[i]
        out.append((f"buff_ranges[{i}]", f"{cell.buff_key}/{cell.tier.value}", why))
    for key, why in never_offered(catalog):
        out.append((f"buff_types.{key}", key, why))
    for key, why in unreachable_jobs(catalog):
        out.append((f"job_types.{key}.unlock", key, why))
    return out


def lint(catalog: Catalog) -> LintReport:
    """The warnings of a valid catalog (a `Catalog` value has no errors by construction)."""
    return LintReport(
        tuple(Problem("warning", path, value, why) for path, value, why in _warnings(catalog))
    )


# -- errors of a document -----------------------------------------------------------------------


def _patched(entity: Any, entity_path: str, field: str) -> Any:
    """`entity` with the failing top-level field replaced by a harmless value, so the rest of
    the entity can still be checked; None when no such value exists (nested failures)."""
    rest = field[len(entity_path) :].lstrip(".")
    name = re.split(r"[.\[]", rest, maxsplit=1)[0]
    if not name or name == "key" or rest != name:
        return None
    found = {f.name: f for f in attrs.fields(type(entity))}.get(name)
    if found is None:
        return None
    if name == "tier":
        return attrs.evolve(entity, tier=Tier.D)
    if name == "level_tenure" and isinstance(entity, JobType):
        top = entity.max_level if isinstance(entity.max_level, int) else 10
        return attrs.evolve(entity, level_tenure=tuple(range(1, max(2, min(top, 100)))))
    if found.default is attrs.NOTHING:
        return None
    default = found.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = default.factory()
    return attrs.evolve(entity, **{name: default})


def _patched_item(item: Any, cls: type[Any], entity_path: str, field: str) -> Any:
    """The raw table without its failing top-level key (so its default applies), or None."""
    name = field[len(entity_path) :].lstrip(".")
    if not isinstance(item, Mapping) or name not in item:
        return None
    if name == "tier":
        return {**item, "tier": "D"}
    fields = {f.name: f for f in attrs.fields(cls)}
    if name in fields and fields[name].default is attrs.NOTHING:
        return None
    return {k: v for k, v in item.items() if k != name}


def _entity(
    path: str,
    item: Any,
    cls: type[Any],
    problems: list[tuple[str, Any, str]],
    check: Callable[[Any], None] | None = None,
) -> Any:
    """Structure one entity and run its own checks; record every failure found (up to 20, by
    patching each failing field and checking again); returns the entity (patched where it
    failed, so entities that depend on it can still be checked) or None."""
    value = None
    seen: set[str] = set()
    for _ in range(20):
        try:
            value = _converter().structure(item, cls)
            break
        except (ClassValidationError, IterableValidationError, TypeError, ValueError) as exc:
            err = _from_cattrs(exc, item, path)
            if err.field in seen:
                return None
            seen.add(err.field)
            problems.append((err.field, err.value, err.reason))
            item = _patched_item(item, cls, path, err.field)
            if item is None:
                return None
    for _ in range(20):
        if check is None or value is None:
            break
        try:
            check(value)
            break
        except InvalidCatalog as err:
            if err.field in seen:
                return None
            seen.add(err.field)
            problems.append((err.field, err.value, err.reason))
            value = _patched(value, path, err.field)
    return value


def _check_job(path: str, known: Mapping[str, JobType], job: JobType) -> None:
    _validate_job(path, job, known)


def _check_buff(path: str, buff: BuffType) -> None:
    _validate_buff(path, buff)


def _array(data: Mapping[str, Any], name: str, problems: list[tuple[str, Any, str]]) -> list[Any]:
    items = data.get(name, [])
    if not isinstance(items, list):
        problems.append((name, items, "must be an array of tables"))
        return []
    return items


def _errors(data: Any) -> list[tuple[str, Any, str]]:
    """(index-based path, value, reason) of every problem, entity by entity."""
    if not isinstance(data, Mapping):
        return [("document", data, "the top level must be a table (object)")]
    problems: list[tuple[str, Any, str]] = []
    for key in data:
        if key not in _SECTIONS:
            problems.append((key, data[key], "is not a known field"))
    raw_jobs = _array(data, "job_types", problems)
    raw_buffs = _array(data, "buff_types", problems)
    raw_cells = _array(data, "buff_ranges", problems)
    keys = {
        item.get("key"): item
        for item in raw_jobs
        if isinstance(item, Mapping) and isinstance(item.get("key"), str)
    }
    known_jobs = cast(Mapping[str, JobType], keys)

    jobs: dict[str, JobType] = {}
    for i, item in enumerate(raw_jobs):
        path = f"job_types[{i}]"
        job = _entity(
            path, item, JobType, problems, functools.partial(_check_job, path, known_jobs)
        )
        if job is not None:
            if job.key in jobs:
                problems.append((f"{path}.key", job.key, "two job types have this key"))
            jobs[job.key] = job
    buffs: dict[str, BuffType] = {}
    for i, item in enumerate(raw_buffs):
        path = f"buff_types[{i}]"
        buff = _entity(path, item, BuffType, problems, functools.partial(_check_buff, path))
        if buff is not None:
            if buff.key in buffs:
                problems.append((f"{path}.key", buff.key, "two buff types have this key"))
            buffs[buff.key] = buff
    cells: list[tuple[int, BuffRange]] = []
    for i, item in enumerate(raw_cells):
        path = f"buff_ranges[{i}]"
        cell = _entity(path, item, BuffRange, problems)
        if cell is None:
            continue
        buff = buffs.get(cell.buff_key)
        if buff is None:
            if not any(isinstance(b, Mapping) and b.get("key") == cell.buff_key for b in raw_buffs):
                problems.append((f"{path}.buff_key", cell.buff_key, "is not a known buff type"))
            continue
        try:
            check_buff_range(cell, buff.precision, path)
        except InvalidCatalog as err:
            problems.append((err.field, err.value, err.reason))
            continue
        if not buff.permanent and cell.min_value <= 0:
            problems.append(
                (f"{path}.min_value", cell.min_value, "must be > 0 for a one-time buff")
            )
            continue
        cells.append((i, cell))
    rng = _entity("rng", data.get("rng", {}), RngConfig, problems, _validate_rng)
    policies = _entity("policies", data.get("policies", {}), Policies, problems, _validate_policies)
    if problems or rng is None or policies is None:
        return problems

    # Cross-entity checks, each on its own so one does not hide another.
    def collect(check: Callable[[], None]) -> None:
        try:
            check()
        except InvalidCatalog as err:
            problems.append((err.field, err.value, err.reason))

    shape = SimpleNamespace(buff_types=buffs, policies=policies)
    collect(lambda: _validate_account_buff_effects(cast(Catalog, shape)))
    collect(lambda: _validate_unlocks(jobs))
    grouped: dict[tuple[str, Tier], list[tuple[int, BuffRange]]] = {}
    for i, cell in cells:
        grouped.setdefault((cell.buff_key, cell.tier), []).append((i, cell))
    for (key, tier), members in grouped.items():
        members.sort(key=lambda m: m[1].min_level)
        for (_, a), (j, b) in itertools.pairwise(members):
            if b.min_level <= a.max_level:
                problems.append(
                    (
                        f"buff_ranges[{j}].min_level",
                        b.min_level,
                        f"overlaps levels {a.min_level}-{a.max_level} of {key}/{tier.value}",
                    )
                )
    rows = {group: tuple(c for _, c in members) for group, members in grouped.items()}
    problems += pit_stop_cells(jobs, buffs, rows, rng.allow_duplicates)[1]  # every gap at once
    if not problems:
        try:
            _build(data)
        except InvalidCatalog as err:  # anything the entity checks above do not cover
            problems.append((err.field, err.value, err.reason))
    return problems


# -- paths and lines ----------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.]+)\s*=")


def toml_lines(text: str) -> dict[str, int]:
    """Index-based path (``job_types[0].pit_stops[2].from_level``) -> line, for plain TOML."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    current = ""
    for number, raw in enumerate(text.splitlines(), 1):
        header = _HEADER.match(raw)
        if header:
            parts = [p.strip() for p in header.group(2).split(".")]
            resolved = ""
            for j, part in enumerate(parts):
                resolved = f"{resolved}.{part}" if resolved else part
                if j < len(parts) - 1 and resolved in counts:
                    resolved += f"[{counts[resolved] - 1}]"
            if header.group(1) == "[[":
                counts[resolved] = counts.get(resolved, 0) + 1
                resolved += f"[{counts[resolved] - 1}]"
            current = resolved
            lines.setdefault(current, number)
            continue
        key = _KEY.match(raw)
        if key:
            path = f"{current}.{key.group(1)}" if current else key.group(1)
            lines.setdefault(path, number)
    return lines


def _line_of(path: str, lines: Mapping[str, int]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            return None
        path = path[:cut]
    return None


def _key_names(data: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in ("job_types", "buff_types"):
        items = data.get(name) if isinstance(data, Mapping) else None
        out[name] = [
            str(item["key"])
            if isinstance(item, Mapping) and isinstance(item.get("key"), str)
            else ""
            for item in (items if isinstance(items, list) else [])
        ]
    return out


def _to_index(path: str, names: Mapping[str, list[str]]) -> str:
    """``job_types.janitor.x`` -> ``job_types[0].x`` (longest key first)."""
    for name, keys in names.items():
        for i, key in sorted(enumerate(keys), key=lambda e: -len(e[1])):
            prefix = f"{name}.{key}"
            if key and (path == prefix or path.startswith(prefix + ".")):
                return f"{name}[{i}]{path[len(prefix) :]}"
    return path


_INDEXED = re.compile(r"^(job_types|buff_types)\[(\d+)\]")


def _to_key(path: str, names: Mapping[str, list[str]]) -> str:
    """``job_types[0].x`` -> ``job_types.janitor.x`` when element 0 has a usable key."""
    match = _INDEXED.match(path)
    if match:
        keys = names[match.group(1)]
        i = int(match.group(2))
        if i < len(keys) and keys[i] and keys.count(keys[i]) == 1:
            return f"{match.group(1)}.{keys[i]}{path[match.end() :]}"
    return path


def lint_text(text: str | bytes, format: Format) -> LintReport:
    """Lint a catalog document: every error, then (when it is valid) every warning."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        data = _parse(text, format)
    except InvalidCatalog as err:
        return LintReport((Problem("error", err.field, err.value, err.reason),))
    names = _key_names(data)
    lines = toml_lines(text) if format == "toml" else {}
    found = _errors(data)
    severity: Severity = "error"
    if not found:
        severity = "warning"
        found = _warnings(_build(data))
    problems = []
    for path, value, reason in found:
        index_path = _to_index(path, names)
        problems.append(
            Problem(
                severity, _to_key(index_path, names), value, reason, _line_of(index_path, lines)
            )
        )
    return LintReport(tuple(problems))


def lint_file(path: str | Path, format: Format | None = None) -> LintReport:
    """Lint the catalog file at `path` (format from its suffix by default).

    Raises:
        OSError: the file cannot be read.
    """
    p = Path(path)
    try:
        fmt = format or _format_of(p)
    except InvalidCatalog as err:
        return LintReport((Problem("error", err.field, err.value, err.reason),))
    return lint_text(p.read_bytes(), fmt)
