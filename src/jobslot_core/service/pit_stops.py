"""Pit stops: the offer for a due pit stop (made once, stored before it is shown; fixes 1 and 2),
re-rolls, and keeping one choice. Exactly one selection per pit stop (decision 15)."""

from __future__ import annotations

from .. import progression as prog
from ..catalog import JobType
from ..engine import make_offer
from ..errors import (
    InvalidChoice,
    NotOwned,
    OfferAlreadyResolved,
    PitStopNotReady,
    PolicyRefused,
    UnknownOffer,
    UnknownSecret,
)
from ..model import ActiveBuff, Offer, OfferSecret, OfferStatus, Progression, Selection, replace
from ..storage.protocol import ACTIVE_BUFFS, OFFERS, PROGRESSIONS, SECRETS, SELECTIONS, mek_scope
from . import ledger, totals
from ._context import Context, check_id
from .slots import checkpoint

__all__ = [
    "buff_history",
    "check_secret_live",
    "open_pit_stop",
    "progression_view",
    "reroll_offer",
    "select_buff",
]


def check_secret_live(secret: OfferSecret) -> None:
    """Refuse to make offers under a retired or revealed secret."""
    if secret.revealed_hex is not None or secret.retired_at_ms is not None:
        state = "revealed" if secret.revealed_hex is not None else "retired"
        raise UnknownSecret(
            "secret_id", secret.secret_id, f"was {state}; make offers under a new secret"
        )


def progression_view(ctx: Context, mek_id: str, job_key: str) -> prog.ProgressionView:
    ctx.mek(mek_id)
    job = ctx.job(job_key)
    return prog.view(job, ctx.progression(mek_id, job_key), ctx.now)


def _due_pit_stop(ctx: Context, mek_id: str, job_key: str) -> tuple[JobType, Progression, int]:
    job = ctx.job(job_key)
    p = ctx.progression(mek_id, job_key)
    number = prog.due_pit_stop(job, p, ctx.now)
    if number is None:
        view = prog.view(job, p, ctx.now)
        raise PitStopNotReady(
            "tenure_ms",
            view.tenure_ms,
            f"next pit stop of {job_key} needs {view.tenure_to_next_pit_stop_ms} ms more"
            if view.next_pit_stop
            else f"all pit stops of {job_key} are resolved; prestige to start again",
        )
    return job, p, number


def _make_offer(
    ctx: Context,
    secret: tuple[bytes, str],
    wallet: str,
    p: Progression,
    number: int,
    reroll: int,
) -> Offer:
    key, secret_id = secret
    found = ctx.uow.get(SECRETS, (secret_id,))
    if found is not None:
        check_secret_live(found)
    draft = make_offer(
        ctx.catalog,
        secret=key,
        secret_id=secret_id,
        mek_id=p.mek_id,
        job_key=p.job_key,
        prestige_sequence=p.prestige_count,
        pit_stop_number=number,
        reroll=reroll,
    )
    offer = Offer(
        offer_id=draft.offer_id,
        wallet=wallet,
        mek_id=p.mek_id,
        job_key=p.job_key,
        prestige_sequence=p.prestige_count,
        pit_stop_number=number,
        reroll=reroll,
        from_level=draft.from_level,
        to_level=draft.to_level,
        choices=draft.choices,
        secret_id=secret_id,
        engine_version=draft.engine_version,
        catalog_version=ctx.catalog_version,
        created_at_ms=ctx.now,
    )
    ctx.uow.add(OFFERS, offer)
    return offer


def open_pit_stop(
    ctx: Context, secret: tuple[bytes, str], wallet: str, mek_id: str, job_key: str
) -> Offer:
    ctx.owned_mek(wallet, mek_id)
    _, p, number = _due_pit_stop(ctx, mek_id, job_key)
    made = ctx.uow.find(
        OFFERS,
        mek_id=mek_id,
        job_key=job_key,
        prestige_sequence=p.prestige_count,
        pit_stop_number=number,
    )
    for offer in made:
        if offer.status is OfferStatus.OPEN:
            if offer.wallet != wallet:  # made before the Mek changed hands: now this owner's
                offer = replace(offer, wallet=wallet)
                ctx.uow.put(OFFERS, offer)
            return offer
    offer = _make_offer(ctx, secret, wallet, p, number, reroll=0)
    ctx.emit(
        "PitStopOpened",
        wallet,
        offer_id=offer.offer_id,
        mek_id=mek_id,
        job_key=job_key,
        pit_stop_number=number,
        prestige_sequence=p.prestige_count,
    )
    return offer


def offer_mek(ctx: Context, offer_id: str) -> str | None:
    """The Mek an offer is for (offers never change Mek), to choose the command's scopes."""
    found = ctx.uow.get(OFFERS, (check_id("offer_id", offer_id),))
    return found.mek_id if found is not None else None


def _open_offer(ctx: Context, wallet: str, offer_id: str) -> Offer:
    offer = ctx.uow.get(OFFERS, (check_id("offer_id", offer_id),))
    if offer is None:
        raise UnknownOffer("offer_id", offer_id, "no such offer")
    ctx.require_scope(mek_scope(offer.mek_id))  # the scope the command chose from a peek
    check_id("wallet", wallet)
    if ctx.mek(offer.mek_id).wallet != wallet:
        raise NotOwned("offer_id", offer_id, f"is for a Mek wallet {wallet!r} does not own")
    if offer.status is not OfferStatus.OPEN:
        raise OfferAlreadyResolved("offer_id", offer_id, f"is {offer.status.value}")
    return offer


def reroll_offer(ctx: Context, secret: tuple[bytes, str], wallet: str, offer_id: str) -> Offer:
    policy = ctx.catalog.policies.reroll
    offer = _open_offer(ctx, wallet, offer_id)
    if policy.cost is None:
        raise PolicyRefused("policies.reroll.cost", None, "re-rolls are off")
    if offer.reroll >= policy.max_rerolls:
        raise PolicyRefused("reroll", offer.reroll, f"at most {policy.max_rerolls} re-rolls")
    ledger.charge(ctx, wallet, policy.cost, f"re-roll {offer_id}")
    ctx.uow.put(OFFERS, replace(offer, status=OfferStatus.REROLLED, resolved_at_ms=ctx.now))
    p = ctx.progression(offer.mek_id, offer.job_key)
    new = _make_offer(ctx, secret, wallet, p, offer.pit_stop_number, offer.reroll + 1)
    ctx.emit("OfferRerolled", wallet, offer_id=offer_id, new_offer_id=new.offer_id)
    return new


def select_buff(ctx: Context, wallet: str, offer_id: str, index: int) -> Selection:
    offer = _open_offer(ctx, wallet, offer_id)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(offer.choices):
        raise InvalidChoice("index", index, f"must be 0..{len(offer.choices) - 1}")
    choice = offer.choices[index]
    selection = Selection(
        offer.mek_id,
        offer.job_key,
        offer.prestige_sequence,
        offer.pit_stop_number,
        offer.offer_id,
        wallet,
        index,
        choice,
        offer.catalog_version,
        ctx.now,
    )
    # The offer is open and its Mek's scope held: no selection of this pit stop can exist.
    ctx.uow.add(SELECTIONS, selection)
    ctx.uow.put(
        OFFERS,
        replace(
            offer, status=OfferStatus.SELECTED, selected_index=index, resolved_at_ms=ctx.now
        ),
    )
    p = ctx.progression(offer.mek_id, offer.job_key)
    ctx.uow.put(
        PROGRESSIONS,
        checkpoint(p, ctx.now, pit_stops_resolved=p.pit_stops_resolved + 1),
    )
    buff = ActiveBuff(
        buff_id=offer.offer_id,
        mek_id=offer.mek_id,
        job_key=offer.job_key,
        buff_key=choice.buff_key,
        effect_type=choice.effect_type,
        value=choice.value,
        permanent=choice.permanent,
        stacks=choice.stacks,
        prestige_sequence=offer.prestige_sequence,
        pit_stop_number=offer.pit_stop_number,
        applied_at_ms=ctx.now,
        consumed=not choice.permanent,
    )
    ctx.uow.add(ACTIVE_BUFFS, buff)
    ctx.emit(
        "BuffSelected",
        wallet,
        offer_id=offer_id,
        mek_id=offer.mek_id,
        job_key=offer.job_key,
        pit_stop_number=offer.pit_stop_number,
        index=index,
        buff_key=choice.buff_key,
        value=choice.value,
    )
    if choice.permanent and choice.stacks:
        totals.add_stacking_buff(ctx, offer.mek_id, wallet, buff)
    elif choice.permanent:
        totals.refresh(ctx, offer.mek_id, wallet)
    else:
        assert choice.currency is not None
        ctx.reference = offer.offer_id
        ledger.post(ctx, wallet, choice.currency, round(choice.value), f"buff {choice.buff_key}")
    return selection


def buff_history(ctx: Context, mek_id: str, job_key: str) -> tuple[Offer, ...]:
    ctx.mek(mek_id)
    check_id("job_key", job_key)
    offers = ctx.uow.find(OFFERS, mek_id=mek_id, job_key=job_key)
    return tuple(sorted(offers, key=lambda o: (o.prestige_sequence, o.pit_stop_number, o.reroll)))
