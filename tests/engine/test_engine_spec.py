"""docs/engine.md is the specification: its constants appendix equals the code's constants."""

import re
from pathlib import Path

from jobslot_core.engine import _mathfn as m

DOC = Path(__file__).resolve().parents[2] / "docs" / "engine.md"
NAMES = {
    "SQRT_HALF": m._SQRT_HALF_EXACT,
    "TAIL_START": m.TAIL_START,
    "TWO_OVER_SQRT_PI": m._TWO_OVER_SQRT_PI,
    "SQRT2": m._SQRT2,
}


def _appendix() -> dict[str, tuple[float, ...]]:
    text = DOC.read_text(encoding="utf-8").split("## Appendix: constants", 1)[1]
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \|$", text, re.M)
    return {name: tuple(float(v) for v in values.split(", ")) for name, values in rows}


def test_every_constant_of_the_spec_is_the_codes() -> None:
    table = _appendix()
    assert len(table) >= 35
    for name, values in table.items():
        code = NAMES.get(name, getattr(m, "_" + name, None))
        expected = code if isinstance(code, tuple) else (code,)
        assert values == expected, name
    assert m._SQRT_HALF == m._SQRT_HALF_EXACT  # one constant serves Φ and log


def test_the_documented_sqrt2_and_two_over_sqrt_pi_are_correctly_rounded() -> None:
    from fractions import Fraction

    assert abs(Fraction(m._SQRT2) ** 2 - 2) < Fraction(2) ** -51
    assert m._TWO_OVER_SQRT_PI == 2 / 1.7724538509055159  # 2 / sqrt(pi)
