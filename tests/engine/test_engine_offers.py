"""Engine invariants: determinism, ranges, grid, rarity, duplicates, guarantee, errors."""

import hashlib
import hmac

import attrs
import pytest
from engine_catalogs import RNG_VARIANTS, make_catalog
from hypothesis import assume, given
from hypothesis import strategies as st

from jobslot_core.catalog import BuffRange, Catalog, Distribution, RngConfig
from jobslot_core.engine import (
    ENGINE_VERSION,
    OfferContext,
    OfferDraft,
    OfferStream,
    check_commitment,
    commitment,
    draw_value,
    make_offer,
    rarity_of,
)
from jobslot_core.engine.distributions import cell_sampler
from jobslot_core.errors import InvalidArgument, InvalidCatalog, UnknownJob

CATALOGS = {name: make_catalog(rng) for name, rng in RNG_VARIANTS.items()}
STOPS = {"janitor": (1, 2, 3), "captain": (1, 2)}

ids = st.text(min_size=1, max_size=12)
counts = st.integers(min_value=0, max_value=2**64 - 1)


@st.composite
def offer_args(draw: st.DrawFn) -> dict[str, object]:
    job = draw(st.sampled_from(sorted(STOPS)))
    return {
        "secret": draw(st.binary(min_size=16, max_size=80)),
        "secret_id": draw(ids),
        "mek_id": draw(ids),
        "job_key": job,
        "prestige_sequence": draw(counts),
        "pit_stop_number": draw(st.sampled_from(STOPS[job])),
        "reroll": draw(st.integers(min_value=0, max_value=5)),
    }


catalog_names = st.sampled_from(sorted(CATALOGS))


def _offer(name: str, **args: object) -> OfferDraft:
    return make_offer(CATALOGS[name], **args)  # type: ignore[arg-type]


# -- rarity -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.5, "common"), (1.8, "uncommon"), (3.0, "rare"), (4.0, "epic"), (4.8, "legendary"),
     (5.0, "legendary"), (1.0, "common"), (1.79, "common"), (3.99, "rare"), (4.79, "epic")],
)
def test_rarity_of_seed_examples_and_boundaries(value: float, expected: str) -> None:
    assert rarity_of(value, 1, 5) == expected


def test_rarity_of_decimal_boundaries_and_point_range() -> None:
    assert rarity_of(0.3, 0.1, 1.1) == "uncommon"  # 20% exactly, despite 0.3-0.1 != 0.2 in floats
    assert rarity_of(0.6, 0.1, 1.1) == "rare"
    assert rarity_of(7.0, 7.0, 7.0) == "common"
    assert rarity_of(2.0, 1, 5, thresholds=(10, 20, 30, 40)) == "rare"


@given(
    st.integers(min_value=-10**6, max_value=10**6),
    st.integers(min_value=1, max_value=10**5),
    st.integers(min_value=0, max_value=3),
    st.data(),
)
def test_band_starts_agree_with_rarity_of(lo: int, span: int, p: int, data: st.DataObject) -> None:
    scale = 10**p
    cell = BuffRange("b", "D", 1, 1, lo / scale, (lo + span) / scale, lo / scale)
    sampler = cell_sampler(cell, p, RngConfig())
    k = data.draw(st.integers(min_value=lo, max_value=lo + span))
    assert sampler.rarity(k) == rarity_of(k / scale, cell.min_value, cell.max_value)


# -- stream -------------------------------------------------------------------------------------


def test_stream_is_hmac_counter_mode() -> None:
    secret, ctx = b"s" * 100, b"context"
    stream = OfferStream(secret, ctx)
    got = [stream.uniform() for _ in range(8)]
    words = []
    for counter in (0, 1):
        block = hmac.digest(secret, ctx + counter.to_bytes(8, "big"), "sha256")
        words += [int.from_bytes(block[i : i + 8], "big") for i in range(0, 32, 8)]
    assert got == [((w >> 11) + 0.5) * 2.0**-53 for w in words]
    assert OfferStream(secret, ctx).words(8) == words
    assert all(0.0 < u < 1.0 for u in got)


def test_top_words_stay_below_one() -> None:
    from jobslot_core.engine.stream import BELOW_ONE, WORD_TOP, to_uniform

    assert ((2**53 - 1) + 0.5) * 2.0**-53 == 1.0  # why the top words need a special case
    assert to_uniform(2**64 - 1) == to_uniform(WORD_TOP) == BELOW_ONE < 1.0
    assert to_uniform(WORD_TOP - 1) == ((2**53 - 2) + 0.5) * 2.0**-53 < 1.0
    assert to_uniform(0) == 2.0**-54


def test_commitment_is_salted_and_documented() -> None:
    secret, salt = b"a" * 16, bytes(range(16))
    data = b"jobslot-commitment\x00v2\x00" + (16).to_bytes(4, "big") + salt + secret
    assert commitment(secret, salt) == hashlib.sha256(data).hexdigest()
    assert commitment(secret, bytes(16)) != commitment(secret, salt)
    assert check_commitment(commitment(secret, salt), secret, salt)
    assert not check_commitment(commitment(secret, salt), secret, bytes(16))
    assert not check_commitment(commitment(secret, salt), b"b" * 16, salt)
    # records registered before salts committed to plain SHA-256, any length
    assert check_commitment(hashlib.sha256(b"abc").hexdigest(), b"abc", None)
    assert not check_commitment(hashlib.sha256(b"abc").hexdigest(), b"abd", None)


@pytest.mark.parametrize("secret", [b"", b"x", b"ab", b"x" * 15])
def test_short_secrets_are_refused_with_the_reason(secret: bytes) -> None:
    with pytest.raises(InvalidArgument) as info:
        commitment(secret, bytes(16))
    assert info.value.field == "secret"
    if secret:
        assert "at least 16 bytes" in str(info.value) and "trying every value" in str(info.value)
        assert secret.decode() not in info.value.reason
    with pytest.raises(InvalidArgument, match="salt"):
        commitment(b"x" * 16, b"short salt")


def test_version_1_still_recomputes_offers_of_short_secrets() -> None:
    args = {"secret_id": "k1", "mek_id": "m", "job_key": "janitor", "prestige_sequence": 0,
            "pit_stop_number": 1}
    with pytest.raises(InvalidArgument, match="at least 16 bytes"):
        _offer("default", secret=b"k", **args)
    old = _offer("default", secret=b"k", engine_version=1, **args)
    assert old.engine_version == 1
    assert old.offer_id == "of_" + hashlib.sha256(
        OfferContext("k1", "m", "janitor", 0, 1, 0).encode()
    ).hexdigest()[:24]


# -- context ------------------------------------------------------------------------------------


def test_context_encoding_is_documented_layout() -> None:
    ctx = OfferContext("k1", "mek-1", "janitor", 2, 3, 1)
    assert ctx.encode() == (
        b"jobslot-offer\x00v1\x00"
        + b"\x00\x00\x00\x02k1"
        + b"\x00\x00\x00\x05mek-1"
        + b"\x00\x00\x00\x07janitor"
        + (2).to_bytes(8, "big") + (3).to_bytes(8, "big") + (1).to_bytes(8, "big")
    )


@given(ids, ids, ids, ids)
def test_context_encoding_is_unambiguous(a: str, b: str, c: str, d: str) -> None:
    assume((a, b) != (c, d))
    x = OfferContext(a, b, "j", 0, 1).encode()
    y = OfferContext(c, d, "j", 0, 1).encode()
    assert x != y


# -- offers -------------------------------------------------------------------------------------


@given(catalog_names, offer_args())
def test_offer_invariants(name: str, args: dict[str, object]) -> None:
    catalog = CATALOGS[name]
    offer = _offer(name, **args)
    assert offer == _offer(name, **args)  # same inputs, same offer
    assert offer.engine_version == ENGINE_VERSION
    assert len(offer.choices) == 3
    ctx = offer.context
    # the id is keyed: SHA-256 of a domain prefix and stream block 0 (needs the secret)
    block = hmac.digest(args["secret"], ctx.encode() + bytes(8), "sha256")  # type: ignore[arg-type]
    expected = hashlib.sha256(b"jobslot-offer-id\x00v2\x00" + block).hexdigest()[:24]
    assert offer.offer_id == "of_" + expected
    assert offer.offer_id != "of_" + hashlib.sha256(ctx.encode()).hexdigest()[:24]
    stop = catalog.job_types[ctx.job_key].pit_stops[ctx.pit_stop_number - 1]
    assert (offer.from_level, offer.to_level) == (stop.from_level, stop.to_level)
    eligible = {b.key: (b, c) for b, c in catalog.eligible_buffs(ctx.job_key, ctx.pit_stop_number)}
    for choice in offer.choices:
        buff, cell = eligible[choice.buff_key]
        assert cell.min_value <= choice.value <= cell.max_value
        assert round(choice.value, buff.precision) == choice.value
        assert (choice.min_value, choice.max_value) == (cell.min_value, cell.max_value)
        assert choice.rarity == rarity_of(
            choice.value, cell.min_value, cell.max_value, catalog.rng.rarity_thresholds
        )
        assert (choice.effect_type, choice.permanent, choice.stacks, choice.currency) == (
            buff.effect_type, buff.permanent, buff.stacks, buff.currency
        )
    keys = [c.buff_key for c in offer.choices]
    if not catalog.rng.allow_duplicates:
        assert len(set(keys)) == 3
    if catalog.rng.guarantee_one_common:
        assert any(c.rarity == "common" for c in offer.choices)


@pytest.mark.parametrize("field", ["secret_id", "mek_id", "job_key", "prestige_sequence",
                                   "pit_stop_number", "reroll", "secret"])
def test_changing_one_field_changes_the_offer(field: str) -> None:
    base = {"secret": b"k" * 16, "secret_id": "k1", "mek_id": "mek-1", "job_key": "janitor",
            "prestige_sequence": 0, "pit_stop_number": 1, "reroll": 0}
    changes = {"secret_id": "k2", "mek_id": "mek-2", "job_key": "captain",
               "prestige_sequence": 1, "pit_stop_number": 2, "reroll": 1, "secret": b"k!" * 8}
    same_values = 0
    for i in range(40):
        args = dict(base, mek_id=f"mek-{i}")
        other = dict(args, **{field: changes[field]})
        if field == "mek_id":
            other["mek_id"] = f"other-{i}"
        a, b = _offer("default", **args), _offer("default", **other)
        if field != "secret":
            assert a.offer_id != b.offer_id
        same_values += [c.value for c in a.choices] == [c.value for c in b.choices]
    assert same_values <= 1


@given(offer_args())
def test_a_changed_field_gives_a_new_id(args: dict[str, object]) -> None:
    a = _offer("default", **args)
    b = _offer("default", **dict(args, reroll=int(args["reroll"]) + 1))  # type: ignore[call-overload]
    assert a.offer_id != b.offer_id


def test_guarantee_redraws_only_the_last_choice() -> None:
    plain, guaranteed = CATALOGS["default"], CATALOGS["guarantee"]
    redrawn = 0
    for i in range(300):
        args = {"secret": b"k" * 16, "secret_id": "k1", "mek_id": f"m{i}", "job_key": "janitor",
                "prestige_sequence": 0, "pit_stop_number": 1}
        a = make_offer(plain, **args)  # type: ignore[arg-type]
        b = make_offer(guaranteed, **args)  # type: ignore[arg-type]
        assert a.choices[:2] == b.choices[:2]
        if any(c.rarity == "common" for c in a.choices):
            assert a.choices == b.choices
        else:
            redrawn += 1
            assert b.choices[2].rarity == "common"
            assert b.choices[2].buff_key == a.choices[2].buff_key
    assert redrawn > 10


def test_duplicates_appear_when_allowed() -> None:
    dup = 0
    for i in range(300):
        offer = _offer("duplicates", secret=b"k" * 16, secret_id="k1", mek_id=f"m{i}",
                       job_key="janitor", prestige_sequence=0, pit_stop_number=1)
        dup += len({c.buff_key for c in offer.choices}) < 3
    assert dup > 50  # five types: P(some repeat) = 1 - 5*4*3/125 = 0.52


def test_buff_types_are_picked_uniformly() -> None:
    from collections import Counter

    seen: Counter[tuple[str, ...]] = Counter()
    n = 6000
    for i in range(n):
        offer = _offer("default", secret=b"k" * 16, secret_id="k1", mek_id=f"m{i}",
                       job_key="janitor", prestige_sequence=0, pit_stop_number=1)
        seen[tuple(c.buff_key for c in offer.choices)] += 1
    assert len(seen) == 60  # 5 * 4 * 3 ordered triples
    expected = n / 60
    chi2 = sum((c - expected) ** 2 / expected for c in seen.values())
    assert chi2 < 100.9  # chi-square, 59 dof, alpha 0.001


@pytest.mark.parametrize(
    ("args", "error", "field"),
    [
        ({"job_key": "nope"}, UnknownJob, "job_key"),
        ({"pit_stop_number": 4}, InvalidArgument, "pit_stop_number"),
        ({"pit_stop_number": 0}, InvalidArgument, "pit_stop_number"),
        ({"prestige_sequence": -1}, InvalidArgument, "prestige_sequence"),
        ({"reroll": -2}, InvalidArgument, "reroll"),
        ({"reroll": True}, InvalidArgument, "reroll"),
        ({"mek_id": ""}, InvalidArgument, "mek_id"),
        ({"secret_id": 5}, InvalidArgument, "secret_id"),
        ({"secret": b""}, InvalidArgument, "secret"),
        ({"secret": "text"}, InvalidArgument, "secret"),
        ({"secret": b"k" * 15}, InvalidArgument, "secret"),
        ({"mek_id": "\udc80"}, InvalidArgument, "mek_id"),
        ({"mek_id": "a\ud800b"}, InvalidArgument, "mek_id"),
        ({"secret_id": "\udc80"}, InvalidArgument, "secret_id"),
        ({"job_key": "\udc80"}, InvalidArgument, "job_key"),
        ({"engine_version": 3}, InvalidArgument, "engine_version"),
        ({"engine_version": True}, InvalidArgument, "engine_version"),
        ({"engine_version": 2.0}, InvalidArgument, "engine_version"),
    ],
)
def test_bad_arguments_raise_typed_errors(
    args: dict[str, object], error: type[Exception], field: str
) -> None:
    base = {"secret": b"k" * 16, "secret_id": "k1", "mek_id": "mek-1", "job_key": "janitor",
            "prestige_sequence": 0, "pit_stop_number": 1}
    with pytest.raises(error) as info:
        _offer("default", **dict(base, **args))
    assert info.value.field == field  # type: ignore[attr-defined]
    assert field in str(info.value)


def test_inactive_job_still_makes_offers() -> None:
    """`active` only gates buying a job: a Mek already working it resolves its pit stops."""
    catalog = make_catalog()
    job = attrs.evolve(catalog.job_types["captain"], active=False)
    other = attrs.evolve(catalog, job_types=(catalog.job_types["janitor"], job))

    def offer(c: Catalog, job_key: str, number: int) -> OfferDraft:
        return make_offer(c, secret=b"k" * 16, secret_id="k1", mek_id="m", job_key=job_key,
                          prestige_sequence=0, pit_stop_number=number)

    for number in (1, 2):
        assert offer(other, "captain", number) == offer(catalog, "captain", number)
    with pytest.raises(InvalidArgument) as info:
        offer(other, "captain", 3)
    assert info.value.field == "pit_stop_number"
    with pytest.raises(UnknownJob):
        offer(other, "admiral", 1)


def test_bytearray_secret_equals_bytes() -> None:
    args = {"secret_id": "k1", "mek_id": "m", "job_key": "janitor", "prestige_sequence": 0,
            "pit_stop_number": 1}
    assert _offer("default", secret=bytearray(b"k" * 16), **args) == _offer(
        "default", secret=b"k" * 16, **args
    )


# -- draw_value ---------------------------------------------------------------------------------


@st.composite
def cells(draw: st.DrawFn) -> tuple[BuffRange, int]:
    p = draw(st.integers(min_value=0, max_value=4))
    scale = 10**p
    lo = draw(st.integers(min_value=-10**6, max_value=10**6))
    span = draw(st.integers(min_value=0, max_value=10**5))
    mean = draw(st.floats(min_value=lo / scale, max_value=(lo + span) / scale))
    # within catalog.SPREAD_LIMITS of the width, including its ends
    factor = draw(st.sampled_from([1e-9, 1e6]) | st.floats(min_value=1e-4, max_value=1e4))
    width = (lo + span) / scale - lo / scale  # as validation computes it
    sd = draw(st.none() | st.just(factor * width if span else factor))
    assume(sd is None or not span or 1e-9 * width <= sd <= 1e6 * width)
    dist = draw(st.none() | st.sampled_from(list(Distribution)))
    return BuffRange("b", "D", 1, 1, lo / scale, (lo + span) / scale, mean, sd, dist), p


rngs = st.builds(
    RngConfig,
    distribution=st.sampled_from(list(Distribution)),
    default_spread=st.floats(min_value=0.01, max_value=3.0),
)


@given(cells(), rngs, st.binary(min_size=1, max_size=8), st.binary(max_size=8))
def test_draw_value_in_range_on_grid_deterministic(
    cell_p: tuple[BuffRange, int], rng: RngConfig, secret: bytes, ctx: bytes
) -> None:
    cell, p = cell_p
    s1, s2 = OfferStream(secret, ctx), OfferStream(secret, ctx)
    sampler = cell_sampler(cell, p, rng)
    for _ in range(5):
        v = draw_value(cell, rng, s1, p)
        assert v == draw_value(cell, rng, s2, p)
        assert cell.min_value <= v <= cell.max_value
        assert round(v, p) == v
        common = sampler.value(sampler.draw_common_units(s1))
        s2.uniform()
        assert rarity_of(common, cell.min_value, cell.max_value) == "common"
        assert cell.min_value <= common <= cell.max_value


def test_draw_value_checks_the_cell() -> None:
    bad = BuffRange("b", "D", 1, 1, 1.0, 5.0, 9.0)
    with pytest.raises(InvalidCatalog):
        draw_value(bad, RngConfig(), OfferStream(b"k", b""))
    with pytest.raises(InvalidCatalog):
        draw_value(BuffRange("b", "D", 1, 1, 1.005, 5.0, 3.0), RngConfig(), OfferStream(b"k", b""))


# -- hot-path shortcuts give exactly the reference results -------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        BuffRange("b", "D", 1, 1, 1, 5, 3, 1.0),
        BuffRange("b", "D", 1, 1, 1, 5, 1.2, 0.05),
        BuffRange("b", "D", 1, 1, 1e6, 1e6 + 20, 1e6 + 3, 0.01),
        BuffRange("b", "D", 1, 1, 0, 3, 0, 0.7, Distribution.EXPONENTIAL),
        BuffRange("b", "D", 1, 1, -2, 7, 0, None, Distribution.UNIFORM),
    ],
)
def test_midpoint_table_equals_direct_inverse_cdf(cell: BuffRange) -> None:
    import random

    from jobslot_core.engine.distributions import _units_at

    sampler = cell_sampler(cell, 2, RngConfig())
    inv = sampler.full_inverse

    def direct(u: float) -> int:
        k = round(inv(u) * sampler.scale)
        return max(sampler.min_units, min(sampler.max_units, k))

    tabled = sampler.units_at
    assert tabled is not _units_at  # the table is in use
    rs = random.Random(5)
    us = [rs.random() for _ in range(20000)]
    # Points right at the thresholds, where only the guard keeps the table honest.
    step = max(1, (sampler.max_units - sampler.min_units) // 200)
    for k in range(sampler.min_units, sampler.max_units, step):
        lo, hi = 2.0**-54, 1.0 - 2.0**-53
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if direct(mid) <= k else (lo, mid)
        us += [lo, hi, lo - 1e-12, hi + 1e-12]
    for u in us:
        if 0.0 < u < 1.0:
            assert tabled(u) == direct(u), u


def test_offers_built_slot_by_slot_equal_attrs_constructors() -> None:
    from jobslot_core.engine import make_offers

    args = {"secret_id": "a", "mek_id": "b", "job_key": "janitor", "prestige_sequence": 1,
            "pit_stop_number": 2, "reroll": 3}
    offer = make_offer(CATALOGS["default"], secret=b"slot secret 0123456", **args)
    ctx = OfferContext(**args)  # type: ignore[arg-type]
    assert type(offer.context) is OfferContext and type(offer) is OfferDraft
    assert offer.context == ctx and hash(offer.context) == hash(ctx)
    built = OfferDraft(offer.offer_id, ctx, offer.choices, offer.engine_version,
                       offer.from_level, offer.to_level)
    assert offer == built and hash(offer) == hash(built)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        offer.context.mek_id = "x"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        offer.offer_id = "x"  # type: ignore[misc]
    (batched,) = make_offers(CATALOGS["default"], [ctx], secret=b"slot secret 0123456")
    assert batched == offer and batched.context is ctx


def test_an_equal_catalog_loaded_again_shares_its_plans() -> None:
    """The same catalog version loaded twice (two services, a restart of the host's objects)
    draws from one set of plans, built once, and gives the same offers."""
    from pathlib import Path

    from jobslot_core import load_catalog
    from jobslot_core.engine import make_offer as offer_of
    from jobslot_core.engine import offers as offers_module

    path = Path(__file__).resolve().parents[2] / "examples" / "catalog.toml"
    first, again = load_catalog(path), load_catalog(path)
    assert first == again and first is not again
    context = dict(
        secret=b"plan sharing secret!", secret_id="s", mek_id="m", job_key="janitor",
        prestige_sequence=0, pit_stop_number=1,
    )  # fmt: skip
    assert offer_of(first, **context) == offer_of(again, **context)  # type: ignore[arg-type]
    plans = offers_module._plans
    assert plans[id(again)][1] is plans[id(first)][1]
