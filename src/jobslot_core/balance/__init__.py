"""Balance tooling for designers and studios: whole careers, paired catalog comparisons and
replays of stored offers under a candidate catalog. Pure domain logic over the real engine;
`replay` reads stored offers through the storage protocol only. See docs/balance.md.
"""

from ._stats import Summary
from .career import CAREER_SECRET_ID, CareerReport, Checkpoint, career_secret, simulate_career
from .picks import Pick, first, greedy, pick_named, random_pick

__all__ = [
    "CAREER_SECRET_ID",
    "CareerReport",
    "Checkpoint",
    "Pick",
    "Summary",
    "career_secret",
    "first",
    "greedy",
    "pick_named",
    "random_pick",
    "simulate_career",
]
