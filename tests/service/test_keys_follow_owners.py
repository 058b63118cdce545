"""Idempotency keys of Mek commands belong to the acting wallet, not to the Mek."""

from __future__ import annotations

from jobslot_core.clock import ManualClock
from jobslot_core.service import JobSlots
from jobslot_core.storage import MemoryStore
from jobslot_core.testing.commands import machine_catalog


def test_a_new_owners_key_does_not_replay_the_old_owners_command() -> None:
    """Issue 8, point 6: "wallet B's key never collides with wallet A's". `set_mek_available`
    keeps its keys in the Mek's scope, so after a transfer the buyer's first use of a key the
    seller once used replays the seller's stored result and changes nothing."""
    game = JobSlots(
        MemoryStore(),
        machine_catalog(),
        secret=b"probe secret of 16+ bytes",
        secret_id="s1",
        clock=ManualClock(0),
    )
    game.register_mek("seller", "m")
    game.set_mek_available("m", False, idempotency_key="busy-1")
    game.set_mek_available("m", True, idempotency_key="free-1")
    game.transfer_mek("m", "buyer")
    result = game.set_mek_available("m", False, idempotency_key="busy-1")  # the buyer's own key
    assert result.wallet == "buyer"
    assert result.available is False
