"""Differential test: one generated command sequence gives the same outcomes and state on
MemoryStore and on a SQLite file."""

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from jobslot_core.clock import ManualClock
from jobslot_core.engine import commitment
from jobslot_core.model import OfferSecret
from jobslot_core.service import JobSlots
from jobslot_core.storage import MemoryStore, SQLiteStore, Store
from jobslot_core.storage.protocol import SECRETS
from jobslot_core.testing.commands import (
    Command,
    Outcome,
    apply_command,
    command_sequences,
    machine_catalog,
    snapshot,
)

SECRET = b"differential secret"

# A world where pit stops are reachable, so generated sequences get past registration.
PRELUDE: list[Command] = [
    ("register_mek", {"wallet": "w1", "mek_id": "m1"}),
    ("register_mek", {"wallet": "w2", "mek_id": "m3"}),
    ("deposit", {"wallet": "w1", "currency": "gold", "amount": 1000}),
    ("deposit", {"wallet": "w2", "currency": "gold", "amount": 1000}),
    ("unlock_slot", {"wallet": "w1", "slot_number": 1}),
    ("unlock_slot", {"wallet": "w2", "slot_number": 1}),
    ("purchase_job", {"wallet": "w1", "slot_number": 1, "job_key": "quick"}),
    ("purchase_job", {"wallet": "w2", "slot_number": 1, "job_key": "quick"}),
    ("assign_mek", {"wallet": "w1", "slot_number": 1, "mek_id": "m1"}),
    ("assign_mek", {"wallet": "w2", "slot_number": 1, "mek_id": "m3"}),
    ("advance", {"seconds": 40}),
    ("open_pit_stop", {"wallet": "w1", "mek_id": "m1", "job_key": "quick"}),
    ("open_pit_stop", {"wallet": "w2", "mek_id": "m3", "job_key": "quick"}),
]

# A round of play inserted among the generated commands: time passes, pit stops open and resolve.
ROUND: list[Command] = [
    ("advance", {"seconds": 30}),
    ("open_pit_stop", {"wallet": "w1", "mek_id": "m1", "job_key": "quick"}),
    ("select_nth", {"wallet": "w1", "nth": -1, "index": 0}),
    ("open_pit_stop", {"wallet": "w2", "mek_id": "m3", "job_key": "quick"}),
    ("select_nth", {"wallet": "w2", "nth": -1, "index": 1}),
]


def run(store: Store, sequence: list[Command]) -> tuple[list[Outcome], dict[str, object]]:
    """Apply the sequence to a fresh game on `store`; the outcomes and the final snapshot."""
    clock = ManualClock(0)
    # The service salts a new secret's commitment at random; both stores get the same record.
    salt = bytes(range(32))
    with store.unit_of_work() as uow:
        uow.insert(SECRETS, OfferSecret("s1", commitment(SECRET, salt), 0, salt_hex=salt.hex()))
        uow.commit()
    game = JobSlots(
        store, machine_catalog(), secret=SECRET, secret_id="s1", clock=clock
    )
    offers: list[str] = []
    outcomes = [apply_command(game, clock, offers, command) for command in sequence]
    return outcomes, dict(snapshot(store))


@given(sequence=command_sequences(max_size=60), rounds=st.lists(st.integers(0, 60), max_size=8))
def test_memory_and_sqlite_agree(sequence: list[Command], rounds: list[int]) -> None:
    """MemoryStore and SQLiteStore give identical outcome lists and identical snapshots."""
    commands = list(sequence)
    for at in sorted(rounds, reverse=True):
        commands[at:at] = ROUND
    commands = PRELUDE + commands
    expected = run(MemoryStore(), commands)
    with tempfile.TemporaryDirectory(prefix="jobslot-diff-") as tmp:
        store = SQLiteStore(Path(tmp) / "game.db")
        try:
            actual = run(store, commands)
        finally:
            store.close()
    assert actual[0] == expected[0]
    assert actual[1] == expected[1]
