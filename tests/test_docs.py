"""Docs are code: every ```python block of README.md and docs/*.md runs, in order, per file."""

import os
import re
import shutil
from pathlib import Path

import pytest

import pg_support

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_python_blocks_run(
    doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Each document's python blocks run top to bottom in a fresh directory holding examples/."""
    blocks = BLOCK.findall(doc.read_text(encoding="utf-8"))
    if doc.name == "README.md":
        assert blocks, "README.md shows no python example"
    if doc.name == "postgres.md":
        # Its examples talk to a server: skip without one (fail with CI=true), in a fresh
        # schema dropped afterwards.
        pg_support.require_server()
        schema = pg_support.new_schema_name("docs")
        monkeypatch.setenv("JOBSLOT_PG", pg_support.dsn())
        monkeypatch.setenv("JOBSLOT_PG_SCHEMA", schema)
        request.addfinalizer(lambda: pg_support.drop_schema(schema))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    namespace: dict[str, object] = {"__name__": f"doc_{doc.stem}"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for i, block in enumerate(blocks):
            code = compile(block, f"{doc.name}[block {i}]", "exec")
            exec(code, namespace)
    finally:
        os.chdir(cwd)


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run contains the README's test command verbatim."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^```(?:bash|sh)\n(.*?)\n```", readme, re.S | re.M)
    assert len(commands) >= 2
    test_command = commands[1].strip()
    assert "pytest" in test_command
    assert (
        test_command.replace("pip install -e", "pip install -q -e")
        in (ROOT / ".ci/run").read_text()
    )
