"""Offers: three buff choices for one (secret, Mek, job, prestige, pit stop, re-roll) context.

The offer id is ``"of_"`` and the first 24 hex digits of SHA-256 of `OFFER_ID_DOMAIN` and stream
block 0 (engine version 2: unguessable without the secret, stable for a context, and telling
nothing of the block's words) or, in version 1, of SHA-256 of the context encoding.

Stream use, in order (document of record: docs/engine.md):

1. one uniform picks the ordered buff-type triple: ``idx = floor(u * N*(N-1)*(N-2))`` decoded in
   mixed radix over the eligible list (``N**3`` with duplicates allowed);
2. each choice's value in turn (1 uniform);
3. with `guarantee_one_common`, when no choice is common, one more uniform redraws the last
   choice's value restricted to the common band.
"""

import struct
import threading
from collections.abc import Callable, Iterable, Mapping
from hashlib import sha256 as _sha256
from typing import Any

import attrs

from ..catalog import RARITIES, BuffRange, BuffType, Catalog
from ..errors import InvalidArgument, InvalidCatalog, UnknownJob
from .context import OFFER_DOMAIN, OfferContext, _lp, check_text
from .distributions import BUCKET_BITS, CellSampler, cell_sampler
from .stream import _UNPACK, OfferStream, _pads, check_secret, to_uniform
from .versions import ENGINE_VERSION, ENGINE_VERSIONS

__all__ = ["ENGINE_VERSION", "BuffChoice", "OfferDraft", "make_offer", "make_offers", "redraw"]

_CHOICES = 3
_MAX_SINGLE_DRAW = 2**32  # beyond this many triples, pick each buff type with its own uniform
_U64 = 2**64


@attrs.frozen
class BuffChoice:
    """One of an offer's choices: a buff type, its drawn value and rarity, and the cell's range."""

    buff_key: str
    effect_type: str
    permanent: bool
    stacks: bool
    currency: str | None
    value: float
    rarity: str
    min_value: float
    max_value: float


@attrs.frozen
class OfferDraft:
    """An offer as the engine makes it, before the service stores it."""

    offer_id: str
    context: OfferContext
    choices: tuple[BuffChoice, ...]
    engine_version: int
    from_level: int
    to_level: int


def _slot_setters(cls: type[Any]) -> tuple[Callable[[Any, Any], None], ...]:
    """Each field's slot setter of a frozen slotted attrs class, in field order.

    Setting every slot of ``object.__new__(cls)`` with them gives what ``cls(*values)`` gives
    (equal, hashable, frozen) for classes without converters, validators or post-init hooks,
    which is checked here; the offer hot path does that inline, skipping the generated
    ``__init__``'s frozen-setattr calls and a Python frame.
    """
    fields = attrs.fields(cls)
    if any(f.converter or f.validator or not f.init for f in fields) or hasattr(
        cls, "__attrs_post_init__"
    ):
        raise TypeError(f"{cls.__name__} needs its __init__")  # pragma: no cover
    return tuple(getattr(cls, f.name).__set__ for f in fields)


_new = object.__new__
_CONTEXT_SETTERS = _slot_setters(OfferContext)
_DRAFT_SETTERS = _slot_setters(OfferDraft)


class _Option:
    """One eligible buff type of a pit stop with its sampler and a memo of its choices."""

    __slots__ = ("buff", "cell", "common_end", "fast", "memo", "sampler", "units_at")

    def __init__(self, buff: BuffType, cell: BuffRange, sampler: CellSampler) -> None:
        self.buff, self.cell, self.sampler = buff, cell, sampler
        self.units_at = sampler.units_at
        self.common_end = sampler.starts[0]  # first grid unit that is not common
        self.memo: dict[int, BuffChoice] = {}
        # The choice each bucket of words draws (None: ask the exact code), a cache only.
        self.fast: tuple[BuffChoice | None, ...] = tuple(
            None if k < 0 else self.choice(k) for k in sampler.bucket_units()
        )

    def choice(self, units: int) -> BuffChoice:
        """The (memoised, immutable) BuffChoice for grid value `units`."""
        found = self.memo.get(units)
        if found is None:
            buff, cell, sampler = self.buff, self.cell, self.sampler
            found = BuffChoice(
                buff.key,
                buff.effect_type,
                buff.permanent,
                buff.stacks,
                buff.currency,
                sampler.value(units),
                sampler.rarity(units),
                cell.min_value,
                cell.max_value,
            )
            if len(self.memo) < 4096:
                self.memo[units] = found
        return found


class _Plan:
    """Everything about one (catalog, job, pit stop) an offer needs, derived once."""

    __slots__ = (
        "duplicates",
        "from_level",
        "guarantee",
        "job_lp",
        "n",
        "options",
        "picks",
        "to_level",
        "triples",
    )

    def __init__(self, catalog: Catalog, job_key: str, number: int, version: int) -> None:
        stop = catalog.job_types[job_key].pit_stops[number - 1]
        self.from_level, self.to_level = stop.from_level, stop.to_level
        rng = catalog.rng
        self.options = tuple(
            _Option(buff, cell, cell_sampler(cell, buff.precision, rng, version))
            for buff, cell in catalog.eligible_buffs(job_key, number)
        )
        n = len(self.options)
        self.n = n
        self.duplicates = rng.allow_duplicates
        self.guarantee = rng.guarantee_one_common
        self.triples = n**3 if self.duplicates else n * (n - 1) * (n - 2)
        self.job_lp = _lp(job_key)
        # The three options every word of each 12-bit prefix picks as u0 (None where the prefix
        # straddles a triple boundary, or the list is too long for prefixes to decide): a cache.
        self.picks: tuple[tuple[_Option, _Option, _Option] | None, ...] = _pick_table(self)


def _pick_table(plan: _Plan) -> tuple[tuple[_Option, _Option, _Option] | None, ...]:
    """Per prefix of `BUCKET_BITS` bits of u0's word, the options its whole range of words picks.

    ``floor(u * triples)`` is monotone in the word, so a prefix whose first and last words give
    the same triple index gives it for every word in between; the index is decoded as `_pick`
    does (wrapping at `triples`).
    """
    triples, options = plan.triples, plan.options
    if triples > 1 << BUCKET_BITS:  # more triples than prefixes: nearly every prefix straddles
        return (None,) * (1 << BUCKET_BITS)
    out: list[tuple[_Option, _Option, _Option] | None] = []
    for i in range(1 << BUCKET_BITS):
        first = int(to_uniform(i << _SHIFT) * triples)
        last = int(to_uniform(((i + 1) << _SHIFT) - 1) * triples)
        if first == last:
            a, b, c = _decode(plan, first)
            out.append((options[a], options[b], options[c]))
        else:
            out.append(None)
    return tuple(out)


_PLAN_CACHE_SIZE = 16
_plans_lock = threading.Lock()
_plans: dict[int, tuple[Catalog, dict[tuple[str, int, int], _Plan]]] = {}
"""Cache: id(catalog) -> (the catalog itself, kept alive so the id stays unique; its plans)."""
_HotKey = tuple[int, str, int, int, str, bytes]
_hot: dict[_HotKey, tuple[Catalog, _Plan, tuple[Any, Any], bytes]] = {}
"""make_offer's single lookup: (id(catalog), job key, pit stop, version, secret id, secret) ->
(the catalog, kept alive so that its id stays unique; its plan; the secret's HMAC pads; the
encoding's head)."""


def _plan(catalog: Catalog, job_key: str, number: int, version: int) -> _Plan:
    entry = _plans.get(id(catalog))
    if entry is None or entry[0] is not catalog:
        if not isinstance(catalog, Catalog):
            raise InvalidArgument("catalog", type(catalog).__name__, "must be a Catalog")
        with _plans_lock:
            # A catalog equal to one already planned (the same version loaded again, by another
            # service or after a restart of the host's objects) shares its plans: plans depend
            # on the catalog's content only, and building them is the costly part.
            same = next((e[1] for e in _plans.values() if e[0] == catalog), None)
            if len(_plans) >= _PLAN_CACHE_SIZE:
                del _plans[next(iter(_plans))]
            entry = (catalog, same if same is not None else {})
            _plans[id(catalog)] = entry
    plans = entry[1]
    plan = plans.get((job_key, number, version))
    if plan is None:
        check_text("job_key", job_key)
        _check_pit_stop(catalog, job_key, number)
        plan = plans[(job_key, number, version)] = _Plan(catalog, job_key, number, version)
    return plan


def _warm(
    catalog: Catalog, secret: bytes, secret_id: str, job_key: str, number: int, version: int
) -> tuple[Catalog, _Plan, tuple[Any, Any], bytes]:
    """make_offer's `_hot` entry for these arguments, made and stored (checks the job, the pit
    stop and the secret id's text, in that order, on the way)."""
    entry = (catalog, _plan(catalog, job_key, number, version), _pads(secret), _head(secret_id))
    if len(_hot) >= 1024:
        _hot.clear()
    _hot[(id(catalog), job_key, number, version, secret_id, secret)] = entry
    return entry


def _check_pit_stop(catalog: Catalog, job_key: str, number: int) -> None:
    job = catalog.job_types.get(job_key)
    if job is None:
        raise UnknownJob("job_key", job_key, "no such job type in the catalog")
    # An inactive job still makes offers: `active` only gates buying it (the service's check),
    # and a Mek already working a job that admins deactivate must resolve its pit stops.
    if not 1 <= number <= len(job.pit_stops):
        raise InvalidArgument(
            "pit_stop_number", number, f"job {job_key!r} has pit stops 1..{len(job.pit_stops)}"
        )
    try:
        catalog.eligible_buffs(job_key, number)
    except InvalidCatalog as exc:  # pragma: no cover - a valid catalog indexes every stop
        raise InvalidArgument("pit_stop_number", number, exc.reason) from None


def _check_args(args: Mapping[str, Any]) -> None:
    version = args["engine_version"]
    if type(version) is not int or version not in ENGINE_VERSIONS:
        raise InvalidArgument("engine_version", version, f"must be one of {ENGINE_VERSIONS}")
    for name in ("secret_id", "mek_id", "job_key"):
        value = args[name]
        if not isinstance(value, str) or not value:
            raise InvalidArgument(name, value, "must be a non-empty string")
        check_text(name, value)
    for name, low in (("prestige_sequence", 0), ("pit_stop_number", 1), ("reroll", 0)):
        value = args[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgument(name, value, "must be an integer")
        if not low <= value < _U64:
            raise InvalidArgument(name, value, f"must be in [{low}, 2**64)")
    check_secret(args["secret"], legacy=version == 1)


def _decode(plan: _Plan, idx: int) -> tuple[int, int, int]:
    """The three list positions of triple index `idx` (docs/engine.md, step 1)."""
    n = plan.n
    if plan.duplicates:
        return idx % n, idx // n % n, idx // (n * n) % n
    i0, idx = idx % n, idx // n
    i1, idx = idx % (n - 1), idx // (n - 1)
    i2 = idx % (n - 2)
    return _ranks(i0, i1, i2)


def _ranks(i0: int, i1: int, i2: int) -> tuple[int, int, int]:
    """Ranks among the types not yet taken, mapped back to list positions."""
    if i1 >= i0:
        i1 += 1
    low, high = (i0, i1) if i0 < i1 else (i1, i0)
    if i2 >= low:
        i2 += 1
    if i2 >= high:
        i2 += 1
    return i0, i1, i2


def _pick(plan: _Plan, u: float, stream: OfferStream | None) -> tuple[int, int, int]:
    """The indices of the three buff types (uniform, without replacement unless allowed).

    `u` is the first uniform; `stream` supplies two more only for huge lists (see module doc).
    """
    n = plan.n
    if plan.triples <= _MAX_SINGLE_DRAW or stream is None:
        # idx can reach `triples` when the product rounds up; the decoding wraps it.
        return _decode(plan, int(u * plan.triples))
    i0 = int(u * n)
    i1 = int(stream.uniform() * (n if plan.duplicates else n - 1))
    i2 = int(stream.uniform() * (n if plan.duplicates else n - 2))
    if plan.duplicates:
        return i0, i1, i2
    return _ranks(i0, i1, i2)


_INTS0 = struct.Struct(">QQQQ")
OFFER_ID_DOMAIN = b"jobslot-offer-id\x00v2\x00"
"""Prefix hashed with stream block 0 into a version-2 offer id."""
_ID_STATE = _sha256(OFFER_ID_DOMAIN)
_TOPS = struct.Struct(">H6xH6xH6xH6x").unpack
"""The top 16 bits of each of a block's four words (small ints, cheaper than whole words)."""
_SHIFT = 64 - BUCKET_BITS
_TOP_SHIFT = 16 - BUCKET_BITS  # a 16-bit top to a bucket index (BUCKET_BITS <= 16)
_COMMON = RARITIES[0]
_LENGTHS = tuple(n.to_bytes(4, "big") for n in range(1024))
"""4-byte big-endian lengths of short Mek ids, ready made."""
_heads: dict[str, bytes] = {}
"""Cache of `_head` (few distinct secret ids)."""


def make_offer(
    catalog: Catalog,
    *,
    secret: bytes,
    secret_id: str,
    mek_id: str,
    job_key: str,
    prestige_sequence: int,
    pit_stop_number: int,
    reroll: int = 0,
    engine_version: int = ENGINE_VERSION,
) -> OfferDraft:
    """The offer for this context: the same inputs give the same offer on every run and platform.

    `engine_version` recomputes an offer made by an older engine (see `versions`); version 1
    also accepts the short secrets it allowed.

    Raises:
        UnknownJob: `job_key` is not a job type of the catalog (inactive ones make offers).
        InvalidArgument: a malformed argument (a secret shorter than 16 bytes, text that is not
            valid Unicode, an unknown engine version) or a pit stop the job does not have.
    """
    if not (
        engine_version == 2
        and type(engine_version) is int
        and type(secret) is bytes
        and len(secret) >= 16
        and type(secret_id) is type(mek_id) is type(job_key) is str
        and type(prestige_sequence) is type(pit_stop_number) is type(reroll) is int
        and secret_id
        and mek_id
        and job_key
        and prestige_sequence >= 0
        and pit_stop_number > 0
        and reroll >= 0
    ):
        _check_args(locals())
        secret = bytes(secret)
    hot = _hot.get((id(catalog), job_key, pit_stop_number, engine_version, secret_id, secret))
    if hot is None:
        hot = _warm(catalog, secret, secret_id, job_key, pit_stop_number, engine_version)
    _, plan, pads, head = hot
    # OfferContext(secret_id, mek_id, job_key, prestige_sequence, pit_stop_number, reroll)
    context = _new(OfferContext)
    s0, s1, s2, s3, s4, s5 = _CONTEXT_SETTERS
    s0(context, secret_id)
    s1(context, mek_id)
    s2(context, job_key)
    s3(context, prestige_sequence)
    s4(context, pit_stop_number)
    s5(context, reroll)
    try:
        return _offer(
            plan,
            pads,
            head,
            mek_id,
            prestige_sequence,
            pit_stop_number,
            reroll,
            context,
            engine_version,
        )
    except (struct.error, UnicodeEncodeError):  # an integer of 2**64 or more, a lone surrogate
        _check_args(locals())
        raise


def _head(secret_id: str) -> bytes:
    """The context encoding's first part: the domain prefix and the length-prefixed secret id
    (cached: few distinct secret ids)."""
    check_text("secret_id", secret_id)
    head = OFFER_DOMAIN + _lp(secret_id)
    if len(_heads) >= 64:
        _heads.clear()
    _heads[secret_id] = head
    return head


def _offer(
    plan: _Plan,
    pads: tuple[Any, Any],
    head: bytes,
    mek_id: str,
    prestige_sequence: int,
    pit_stop_number: int,
    reroll: int,
    context: OfferContext,
    engine_version: int,
) -> OfferDraft:
    """The offer of a validated context (make_offer and make_offers share it).

    Raises struct.error for an integer of 2**64 or more and UnicodeEncodeError for a Mek id
    with a lone surrogate: the callers turn them into InvalidArgument.
    """
    mek = mek_id.encode()
    message = b"".join(
        (
            head,
            _LENGTHS[len(mek)] if len(mek) < 1024 else len(mek).to_bytes(4, "big"),
            mek,
            plan.job_lp,
            # the three integers, then block counter 0: the first HMAC message's tail
            _INTS0.pack(prestige_sequence, pit_stop_number, reroll, 0),
        )
    )
    inner = pads[0].copy()
    inner.update(message)  # the context encoding, then counter 0
    outer = pads[1].copy()
    outer.update(inner.digest())
    block = outer.digest()
    h0, h1, h2, h3 = _TOPS(block)
    trio = plan.picks[h0 >> _TOP_SHIFT]
    if trio is not None:
        # The common case: u0's prefix decides the triple; each value's prefix usually decides
        # its grid value (the option's bucket table), else the exact draw does.
        oa, ob, oc = trio
        ca = oa.fast[h1 >> _TOP_SHIFT] or oa.choice(oa.units_at(to_uniform(_UNPACK(block)[1])))
        cb = ob.fast[h2 >> _TOP_SHIFT] or ob.choice(ob.units_at(to_uniform(_UNPACK(block)[2])))
        cc = oc.fast[h3 >> _TOP_SHIFT] or oc.choice(oc.units_at(to_uniform(_UNPACK(block)[3])))
        if plan.guarantee and ca.rarity != _COMMON and cb.rarity != _COMMON and (
            cc.rarity != _COMMON
        ):
            stream = OfferStream._resume(pads, message[:-8], [], 1)
            cc = oc.choice(oc.sampler.draw_common_units(stream))
    else:
        w0, w1, w2, w3 = _UNPACK(block)  # block 0: uniforms u0..u3, as OfferStream gives
        pending = [to_uniform(w3), to_uniform(w2), to_uniform(w1)]
        stream = OfferStream._resume(pads, message[:-8], pending, 1)
        options = plan.options
        i, j, k = _pick(plan, to_uniform(w0), stream)
        oa, ob, oc = options[i], options[j], options[k]
        ua = oa.sampler.draw_units(stream)
        ub = ob.sampler.draw_units(stream)
        uc = oc.sampler.draw_units(stream)
        if plan.guarantee and ua >= oa.common_end and ub >= ob.common_end and uc >= oc.common_end:
            uc = oc.sampler.draw_common_units(stream)
        ca, cb, cc = oa.choice(ua), ob.choice(ub), oc.choice(uc)
    if engine_version == 1:
        offer_id = "of_" + _sha256(message[:-8]).hexdigest()[:24]
    else:
        id_hash = _ID_STATE.copy()
        id_hash.update(block)
        offer_id = "of_" + id_hash.hexdigest()[:24]
    # OfferDraft(offer_id, context, choices, engine_version, from_level, to_level)
    draft = _new(OfferDraft)
    s0, s1, s2, s3, s4, s5 = _DRAFT_SETTERS
    s0(draft, offer_id)
    s1(draft, context)
    s2(draft, (ca, cb, cc))
    s3(draft, engine_version)
    s4(draft, plan.from_level)
    s5(draft, plan.to_level)
    return draft


def make_offers(
    catalog: Catalog,
    contexts: Iterable[OfferContext],
    *,
    secret: bytes,
    engine_version: int = ENGINE_VERSION,
) -> tuple[OfferDraft, ...]:
    """The offers of many contexts under one secret, in order (for designers' batch runs):
    each equals `make_offer` of its context, and holds that very context object.

    Raises:
        InvalidArgument: a context that is not an `OfferContext`, or what `make_offer` refuses.
        UnknownJob: a context's job is not in the catalog.
    """
    out: list[OfferDraft] = []
    append = out.append
    pads = None
    job_key, number, plan = None, None, None
    last_id, head = None, b""
    for i, ctx in enumerate(contexts):
        if type(ctx) is not OfferContext:
            raise InvalidArgument(f"contexts[{i}]", type(ctx).__name__, "must be an OfferContext")
        secret_id, mek_id = ctx.secret_id, ctx.mek_id
        prestige_sequence, pit_stop_number, reroll = (
            ctx.prestige_sequence,
            ctx.pit_stop_number,
            ctx.reroll,
        )
        if pads is None or not (
            type(secret_id) is type(mek_id) is type(ctx.job_key) is str
            and type(prestige_sequence) is type(pit_stop_number) is type(reroll) is int
            and secret_id
            and mek_id
            and ctx.job_key
            and prestige_sequence >= 0
            and pit_stop_number > 0
            and reroll >= 0
        ):
            _check_args(_arguments(ctx, secret, engine_version))
            if pads is None:  # the secret is checked with the first context, as make_offer would
                secret = bytes(secret)
                pads = _pads(secret)
        if ctx.job_key != job_key or pit_stop_number != number:
            job_key, number = ctx.job_key, pit_stop_number
            plan = _plan(catalog, job_key, number, engine_version)
        if secret_id is not last_id:  # after the plan: make_offer's order of checks
            last_id, head = secret_id, _heads.get(secret_id) or _head(secret_id)
        assert plan is not None
        try:
            append(
                _offer(
                    plan,
                    pads,
                    head,
                    mek_id,
                    prestige_sequence,
                    pit_stop_number,
                    reroll,
                    ctx,
                    engine_version,
                )
            )
        except (struct.error, UnicodeEncodeError):
            _check_args(_arguments(ctx, secret, engine_version))
            raise
    return tuple(out)


def _arguments(ctx: OfferContext, secret: Any, engine_version: Any) -> dict[str, Any]:
    """make_offer's arguments for one context of a batch, for `_check_args`."""
    return {
        "secret": secret,
        "engine_version": engine_version,
        **{f.name: getattr(ctx, f.name) for f in attrs.fields(OfferContext)},
    }


def redraw(catalog: Catalog, offer: Any, secret: bytes) -> OfferDraft:
    """Draw a recorded offer again from its own context (secret id, Mek, job, prestige, pit
    stop, re-roll and engine version, read from `offer`'s attributes) under `catalog`."""
    return make_offer(
        catalog,
        secret=secret,
        secret_id=offer.secret_id,
        mek_id=offer.mek_id,
        job_key=offer.job_key,
        prestige_sequence=offer.prestige_sequence,
        pit_stop_number=offer.pit_stop_number,
        reroll=offer.reroll,
        engine_version=offer.engine_version,
    )
