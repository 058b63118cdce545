"""The pure offer engine: deterministic, verifiable buff offers from a secret and a context.

No storage and no global randomness: an offer is a function of (catalog, secret, context). See
docs/engine.md for the stream, the context encoding, the distributions and how to verify.
"""

from .context import OFFER_DOMAIN, OfferContext
from .distributions import draw_value
from .offers import ENGINE_VERSION, BuffChoice, OfferDraft, make_offer
from .rarity import rarity_of
from .simulate import SimulationReport, simulate
from .stream import OfferStream, commitment

__all__ = [
    "ENGINE_VERSION",
    "OFFER_DOMAIN",
    "BuffChoice",
    "OfferContext",
    "OfferDraft",
    "OfferStream",
    "SimulationReport",
    "commitment",
    "draw_value",
    "make_offer",
    "rarity_of",
    "simulate",
]
