"""The pure offer engine: deterministic, verifiable buff offers from a secret and a context.

No storage and no global randomness: an offer is a function of (catalog, secret, context). See
docs/engine.md for the stream, the context encoding, the distributions and how to verify.
"""

from .context import OFFER_DOMAIN, OfferContext
from .distributions import draw_value
from .offers import BuffChoice, OfferDraft, make_offer, make_offers
from .rarity import rarity_of
from .simulate import SimulationReport, simulate
from .stream import OfferStream, check_commitment, commitment
from .verify import Verification, verify_offer
from .versions import ENGINE_VERSION, ENGINE_VERSIONS, MIN_SECRET_BYTES

__all__ = [
    "ENGINE_VERSION",
    "ENGINE_VERSIONS",
    "MIN_SECRET_BYTES",
    "OFFER_DOMAIN",
    "BuffChoice",
    "OfferContext",
    "OfferDraft",
    "OfferStream",
    "SimulationReport",
    "Verification",
    "check_commitment",
    "commitment",
    "draw_value",
    "make_offer",
    "make_offers",
    "rarity_of",
    "simulate",
    "verify_offer",
]
