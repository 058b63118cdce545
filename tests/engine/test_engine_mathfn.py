"""The reproducible math functions agree with libm and scipy to ~1e-14 relative."""

import math
import random

import pytest
from scipy import special

from jobslot_core.engine import _mathfn as m


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a)


def test_exp_matches_libm() -> None:
    rs = random.Random(1)
    xs = [rs.uniform(-700, 700) for _ in range(5000)] + [rs.uniform(-1, 1) for _ in range(5000)]
    xs += [0.0, 1e-30, -1e-30, 0.34657359027997264, 709.7, -745.0]
    assert max(_rel(m.exp(x), math.exp(x)) for x in xs) < 1e-15


def test_exp_edges() -> None:
    assert m.exp(0.0) == 1.0
    assert m.exp(800.0) == math.inf
    assert m.exp(-800.0) == 0.0
    assert math.isnan(m.exp(math.nan))


def test_log_matches_libm() -> None:
    rs = random.Random(2)
    xs = [math.exp(rs.uniform(-700, 700)) for _ in range(5000)]
    xs += [rs.uniform(0.5, 2.0) for _ in range(5000)] + [1.0, 2.0, 0.5, 5e-324, 1.7e308]
    assert max(abs(m.log(x) - math.log(x)) / max(1.0, abs(math.log(x))) for x in xs) < 1e-15
    assert m.log(1.0) == 0.0


def test_log_domain() -> None:
    with pytest.raises(ValueError):
        m.log(0.0)
    with pytest.raises(ValueError):
        m.log(-1.0)
    assert m.log(math.inf) == math.inf


def test_erfc_matches_libm() -> None:
    rs = random.Random(3)
    xs = [rs.uniform(-6, 27) for _ in range(10000)] + [0.0, 0.84375, 1.25, 2.857, 6.0, 27.9]
    assert max(_rel(m.erfc(x), math.erfc(x)) for x in xs) < 2e-15
    assert m.erfc(30.0) == 0.0
    assert m.erfc(-30.0) == 2.0


def test_ndtr_matches_scipy() -> None:
    rs = random.Random(4)
    xs = [rs.uniform(-10, 8) for _ in range(10000)] + [0.0, -1.0, 1.0, -5.0]
    assert max(_rel(m.ndtr(x), float(special.ndtr(x))) for x in xs) < 1e-14


def test_ndtri_matches_scipy_and_inverts_ndtr() -> None:
    rs = random.Random(5)
    ps = [rs.random() for _ in range(5000)] + [math.exp(rs.uniform(-700, -1)) for _ in range(5000)]
    ps += [0.5, 0.075, 0.925, 1e-300]
    assert max(_rel(m.ndtri(p), float(special.ndtri(p))) for p in ps if p != 0.5) < 1e-14
    assert m.ndtri(0.5) == 0.0
    for x in (-8.0, -3.0, -0.5, 0.25, 2.0):
        assert m.ndtri(m.ndtr(x)) == pytest.approx(x, rel=1e-12)
    with pytest.raises(ValueError):
        m.ndtri(0.0)
    with pytest.raises(ValueError):
        m.ndtri(1.0)


def test_known_bits() -> None:
    """Pinned outputs: any change here changes offers (bump ENGINE_VERSION)."""
    assert m.exp(1.0).hex() == "0x1.5bf0a8b14576ap+1"  # fdlibm: within 1 ulp of e
    assert m.log(10.0).hex() == (2.302585092994046).hex()
    assert m.ndtri(0.975) == 1.9599639845400536
    assert m.ndtr(-3.0) == 0.001349898031630093
