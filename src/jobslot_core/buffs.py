"""Buff totals: stacking, non-stacking (decision 14), diminished buffs and the account buff."""

from collections.abc import Iterable, Mapping

from .catalog import PrestigeReward
from .model import ActiveBuff

__all__ = [
    "MICRO",
    "account_multiplier",
    "from_units",
    "mek_totals",
    "to_units",
    "with_account_buff",
]

MICRO = 1_000_000
"""Totals are kept in integer micro-units so sums and differences are exact."""


def to_units(value: float) -> int:
    return round(value * MICRO)


def from_units(units: int) -> float:
    return units / MICRO


def mek_totals(buffs: Iterable[ActiveBuff]) -> dict[str, int]:
    """Per effect type, the units of a Mek's active permanent buffs.

    Stacking buffs add up; for a buff type that does not stack only its highest effective value
    on the Mek counts (decision 14). Consumed one-time buffs count nothing.
    """
    totals: dict[str, int] = {}
    best: dict[tuple[str, str], int] = {}
    for buff in buffs:
        if not buff.permanent or buff.consumed:
            continue
        units = to_units(buff.effective_value)
        if buff.stacks:
            totals[buff.effect_type] = totals.get(buff.effect_type, 0) + units
        else:
            key = (buff.effect_type, buff.buff_key)
            best[key] = max(best.get(key, units), units)
    for (effect, _), units in best.items():
        totals[effect] = totals.get(effect, 0) + units
    return {effect: units for effect, units in totals.items() if units}


def account_multiplier(policy: PrestigeReward, prestige_count: int, effect_type: str) -> float:
    """The account prestige buff (policy 8.1): +percent per prestige on the listed effects."""
    if effect_type not in policy.account_buff_effects:
        return 1.0
    return 1.0 + policy.account_buff_percent * prestige_count / 100.0


def with_account_buff(
    base_units: Mapping[str, int], policy: PrestigeReward, prestige_count: int
) -> dict[str, float]:
    """Wallet totals as floats with the account buff applied."""
    return {
        effect: from_units(units) * account_multiplier(policy, prestige_count, effect)
        for effect, units in sorted(base_units.items())
    }
