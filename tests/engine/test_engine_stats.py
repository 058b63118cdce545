"""Statistical tests (fixed seeds, n >= 100,000) of the engine's distributions against scipy."""

import math

import numpy as np
import pytest
from scipy import stats

from jobslot_core.catalog import RARITIES, BuffRange, Distribution, RarityWeights, RngConfig
from jobslot_core.engine import OfferStream, draw_value
from jobslot_core.engine.distributions import cell_sampler, draw_continuous

pytestmark = pytest.mark.slow

N = 100_000
ALPHA = 0.001
RNG = RngConfig()

NORMAL_CELLS = {
    "centred": BuffRange("b", "D", 1, 1, 1, 5, 3, 1.0),
    "off_centre": BuffRange("b", "D", 1, 1, 1, 5, 1.4, 1.0),
    "wide": BuffRange("b", "D", 1, 1, 1, 5, 2.5, 10.0),
    "narrow": BuffRange("b", "D", 1, 1, 10, 100, 70, 2.5),
    "at_max": BuffRange("b", "D", 1, 1, 0, 2, 2, 0.5),
}
EXP_CELLS = {
    "exp_short": BuffRange("b", "D", 1, 1, 1, 5, 1, 1.0, Distribution.EXPONENTIAL),
    "exp_long": BuffRange("b", "D", 1, 1, 0, 3, 0, 10.0, Distribution.EXPONENTIAL),
}


def _frozen(cell: BuffRange) -> stats.rv_continuous:
    sd = cell.standard_deviation or 0.25 * (cell.max_value - cell.min_value)
    if cell.distribution == Distribution.EXPONENTIAL:
        return stats.truncexpon(
            b=(cell.max_value - cell.min_value) / sd, loc=cell.min_value, scale=sd
        )
    a = (cell.min_value - cell.mean_value) / sd
    b = (cell.max_value - cell.mean_value) / sd
    return stats.truncnorm(a, b, loc=cell.mean_value, scale=sd)


def _uniforms(seed: int, n: int = N) -> list[float]:
    stream = OfferStream(seed.to_bytes(8, "big"), b"stats")
    return [stream.uniform() for _ in range(n)]


ALL = {**NORMAL_CELLS, **EXP_CELLS}


@pytest.mark.parametrize("name", sorted(ALL))
def test_continuous_draws_ks(name: str) -> None:
    cell = ALL[name]
    xs = np.array([draw_continuous(cell, RNG, u) for u in _uniforms(11)])
    assert xs.min() >= cell.min_value and xs.max() <= cell.max_value
    assert stats.kstest(xs, _frozen(cell).cdf).pvalue > ALPHA


def _rounded_chi2(cell: BuffRange, rng: RngConfig, seed: int, p: int = 2) -> None:
    stream = OfferStream(seed.to_bytes(8, "big"), b"chi2")
    scale = 10**p
    sampler = cell_sampler(cell, p, rng)
    lo, hi = sampler.min_units, sampler.max_units
    counts = np.zeros(hi - lo + 1)
    for _ in range(N):
        counts[round(draw_value(cell, rng, stream, p) * scale) - lo] += 1
    dist = _frozen(cell)
    edges = (np.arange(lo, hi + 2) - 0.5) / scale
    cdf = dist.cdf(np.clip(edges, cell.min_value, cell.max_value))
    probs = np.diff(cdf)
    # Merge neighbouring units into bins of >= 20 expected draws.
    obs, exp, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(counts, probs * N, strict=True):
        acc_o += o
        acc_e += e
        if acc_e >= 20:
            obs.append(acc_o)
            exp.append(acc_e)
            acc_o = acc_e = 0.0
    obs[-1] += acc_o
    exp[-1] += acc_e
    assert stats.chisquare(obs, exp).pvalue > ALPHA


@pytest.mark.parametrize("name", sorted(ALL))
def test_rounded_values_chi_square(name: str) -> None:
    _rounded_chi2(ALL[name], RNG, 12)


def test_no_clamp_spike_at_the_bounds() -> None:
    """The share at exactly min/max is what rounding alone gives (the seed's clamp gave ~2.3%)."""
    cell = NORMAL_CELLS["centred"]
    dist = _frozen(cell)
    stream = OfferStream(b"spike", b"")
    values = [draw_value(cell, RNG, stream) for _ in range(N)]
    for bound, expected in (
        (cell.min_value, dist.cdf(cell.min_value + 0.005)),
        (cell.max_value, dist.sf(cell.max_value - 0.005)),
    ):
        got = sum(v == bound for v in values)
        sd = math.sqrt(N * expected * (1 - expected))
        assert abs(got - N * expected) <= 4 * sd + 1
        assert got / N < 0.001


def test_seed_example_share_between_2_and_4() -> None:
    cell = NORMAL_CELLS["centred"]
    dist = _frozen(cell)
    expected = dist.cdf(4.005) - dist.cdf(1.995)  # about 0.715 (truncated, rounded)
    assert 0.70 < expected < 0.73
    stream = OfferStream(b"share", b"")
    got = sum(2.0 <= draw_value(cell, RNG, stream) <= 4.0 for _ in range(N))
    sd = math.sqrt(N * expected * (1 - expected))
    assert abs(got - N * expected) <= 4 * sd


@pytest.mark.parametrize(
    "weights", [RarityWeights(), RarityWeights(0, 10, 20, 30, 40), RarityWeights(1, 1, 1, 1, 1)]
)
def test_weighted_shares_follow_rarity_weights(weights: RarityWeights) -> None:
    cell = BuffRange("b", "D", 1, 1, 1, 5, 3, None, Distribution.WEIGHTED)
    rng = RngConfig(rarity_weights=weights)
    sampler = cell_sampler(cell, 2, rng)
    stream = OfferStream(b"weighted", repr(weights).encode())
    tiers = np.zeros(5)
    within: dict[int, set[int]] = {i: set() for i in range(5)}
    for _ in range(N):
        k = sampler.draw_units(stream)
        tiers[sampler.tier(k)] += 1
        within[sampler.tier(k)].add(k)
    w = np.array(weights.as_tuple())
    mask = w > 0
    assert (tiers[~mask] == 0).all()
    assert stats.chisquare(tiers[mask], w[mask] / w.sum() * N).pvalue > ALPHA
    # Uniform inside a band: the common band [1.00, 1.79] has 80 grid values, all reached.
    if weights.common:
        assert len(within[0]) == 80


def test_weighted_value_uniform_inside_band() -> None:
    cell = BuffRange("b", "D", 1, 1, 1, 5, 3, None, Distribution.WEIGHTED)
    rng = RngConfig(rarity_weights=RarityWeights(1, 0, 0, 0, 0))
    sampler = cell_sampler(cell, 2, rng)
    stream = OfferStream(b"band", b"")
    counts = np.zeros(80)
    for _ in range(N):
        counts[sampler.draw_units(stream) - 100] += 1
    assert stats.chisquare(counts).pvalue > ALPHA


@pytest.mark.parametrize("name", ["centred", "off_centre", "narrow", "exp_short"])
def test_common_band_redraw_is_the_restricted_distribution(name: str) -> None:
    cell = ALL[name]
    sampler = cell_sampler(cell, 2, RNG)
    upper = (sampler.starts[0] - 0.5) / 100
    sd = cell.standard_deviation or 0.25 * (cell.max_value - cell.min_value)
    if cell.distribution == Distribution.EXPONENTIAL:
        dist = stats.truncexpon(b=(upper - cell.min_value) / sd, loc=cell.min_value, scale=sd)
    else:
        dist = stats.truncnorm((cell.min_value - cell.mean_value) / sd,
                               (upper - cell.mean_value) / sd, loc=cell.mean_value, scale=sd)
    xs = np.array([sampler.common_inverse(u) for u in _uniforms(13)])
    assert xs.max() <= upper
    assert stats.kstest(xs, dist.cdf).pvalue > ALPHA
    assert RARITIES[0] == "common"
