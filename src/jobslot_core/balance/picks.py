"""Picking policies: which of an offer's three choices a simulated player keeps."""

import hashlib
from collections.abc import Callable

from ..engine import OfferDraft
from ..errors import InvalidArgument

__all__ = ["Pick", "first", "greedy", "pick_named", "random_pick"]

Pick = Callable[[OfferDraft], int]
"""A policy: the index (0..2) of the choice kept from an offer."""


def first(offer: OfferDraft) -> int:
    """Always the first choice."""
    return 0


def random_pick(offer: OfferDraft) -> int:
    """A uniform choice, derived from the offer id so a run is deterministic for its seed."""
    digest = hashlib.sha256(b"jobslot-pick\x00" + offer.offer_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % len(offer.choices)


def greedy(effect_type: str, otherwise: Pick = first) -> Pick:
    """The highest value of `effect_type` among the choices; `otherwise` when none offers it."""

    def pick(offer: OfferDraft) -> int:
        best, best_value = -1, 0.0
        for i, choice in enumerate(offer.choices):
            if choice.effect_type == effect_type and (best < 0 or choice.value > best_value):
                best, best_value = i, choice.value
        return best if best >= 0 else otherwise(offer)

    pick.__name__ = f"greedy:{effect_type}"
    pick.__qualname__ = pick.__name__
    return pick


def pick_named(spec: "str | Pick") -> Pick:
    """A policy from its name: ``first``, ``random`` or ``greedy:EFFECT``; a callable as is.

    Raises:
        InvalidArgument: an unknown name (field ``pick``).
    """
    if callable(spec):
        return spec
    if spec == "first":
        return first
    if spec == "random":
        return random_pick
    if isinstance(spec, str) and spec.startswith("greedy:") and len(spec) > len("greedy:"):
        return greedy(spec[len("greedy:") :])
    raise InvalidArgument("pick", spec, "must be first, random, greedy:EFFECT or a function")


def pick_name(pick: Pick) -> str:
    """The name a report shows for a policy."""
    name = getattr(pick, "__name__", repr(pick))
    return "random" if pick is random_pick else name
