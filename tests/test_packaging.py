"""Packaging (issue 10, item 11): the build requirement, LICENSE, classifiers, project URLs, one
version everywhere (`jobslot_core.__version__`, the installed metadata, `jobslot --version`)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import jobslot_core
from jobslot_core.cli import main

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_build_requirement_can_build_the_license_field() -> None:
    """A `license = "MIT"` expression (PEP 639) needs setuptools 77 or newer."""
    assert PYPROJECT["project"]["license"] == "MIT"
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]


def test_license_file_is_mit_and_shipped() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]


def test_classifiers() -> None:
    """Trove classifiers name the typed package and the Pythons it supports."""
    project = PYPROJECT["project"]
    assert "Typing :: Typed" in project["classifiers"]
    assert "Programming Language :: Python :: 3.11" in project["classifiers"]
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # PEP 639


def test_version_is_one_value() -> None:
    """The package, its installed metadata and pyproject's dynamic version agree."""
    assert jobslot_core.__version__ == metadata.version("jobslot_core")
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "jobslot_core._version.__version__"


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"jobslot_core {jobslot_core.__version__}"


def test_module_version_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jobslot_core", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"jobslot_core {jobslot_core.__version__}"
