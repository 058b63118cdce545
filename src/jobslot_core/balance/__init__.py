"""Balance tooling for designers and studios: whole careers, paired catalog comparisons and
replays of stored offers under a candidate catalog. Pure domain logic over the real engine;
`replay` reads stored offers through the storage protocol only. See docs/balance.md.
"""

from ._stats import Summary
from .career import (
    CAREER_SECRET_ID,
    CareerReport,
    Checkpoint,
    Progress,
    career_secret,
    simulate_career,
)
from .compare import (
    CareerShift,
    Comparison,
    FieldChange,
    OfferShift,
    TimingShift,
    compare,
    field_changes,
)
from .picks import Pick, first, greedy, pick_named, random_pick
from .replay import ReplayedOffer, ReplayReport, replay

__all__ = [
    "CAREER_SECRET_ID",
    "CareerReport",
    "CareerShift",
    "Checkpoint",
    "Comparison",
    "FieldChange",
    "OfferShift",
    "Pick",
    "Progress",
    "ReplayReport",
    "ReplayedOffer",
    "Summary",
    "TimingShift",
    "career_secret",
    "compare",
    "field_changes",
    "first",
    "greedy",
    "pick_named",
    "random_pick",
    "replay",
    "simulate_career",
]
