"""The whole command set under hypothesis on PostgreSQL: invariants hold after every step, and
one generated command sequence gives the same outcomes and state as on MemoryStore."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import test_differential as differential  # the same prelude, rounds and runner as for SQLite
from hypothesis import given, settings
from hypothesis import strategies as st

import pg_support
from jobslot_core.storage import MemoryStore, Store
from jobslot_core.storage.postgres import PostgresStore
from jobslot_core.testing.commands import Command, GameStateMachine, command_sequences

RING = pg_support.SchemaRing(size=2)


@pytest.fixture(scope="module", autouse=True)
def _server() -> Iterator[None]:
    pg_support.require_server()
    yield
    RING.drop_all()


class PostgresMachine(GameStateMachine):
    """`GameStateMachine` unchanged, on an emptied PostgreSQL schema per example."""

    def make_store(self) -> Store:
        return PostgresStore(pg_support.dsn(), schema=RING.take(), max_size=2)


class PostgresKeepDiminishedMachine(PostgresMachine):
    keep_diminished = True


# Every step snapshots and audits the whole schema, so PostgreSQL runs fewer examples: 10 in the
# default profile, a twentieth of the profile's count under a deeper one (100 for `thorough`).
EXAMPLES = max(10, settings.default.max_examples // 20)
PG_SETTINGS = settings(max_examples=EXAMPLES, stateful_step_count=40)

TestPostgresMachine = PostgresMachine.TestCase
TestPostgresMachine.settings = PG_SETTINGS
TestPostgresKeepDiminishedMachine = PostgresKeepDiminishedMachine.TestCase
TestPostgresKeepDiminishedMachine.settings = PG_SETTINGS


def _without_markers(snapshot: dict[str, object]) -> dict[str, object]:
    """The runner's settle markers (automatic `~` keys) are PostgreSQL-only bookkeeping."""
    records = snapshot["idempotency"]
    assert isinstance(records, tuple | list)
    kept = type(records)(r for r in records if not r.key.startswith("~"))
    return {**snapshot, "idempotency": kept}


@settings(max_examples=EXAMPLES + 5)
@given(sequence=command_sequences(max_size=60), rounds=st.lists(st.integers(0, 60), max_size=8))
def test_memory_and_postgres_agree(sequence: list[Command], rounds: list[int]) -> None:
    """MemoryStore and PostgresStore give identical outcome lists and identical snapshots."""
    commands = list(sequence)
    for at in sorted(rounds, reverse=True):
        commands[at:at] = differential.ROUND
    commands = differential.PRELUDE + commands
    expected = differential.run(MemoryStore(), commands)
    store = PostgresStore(pg_support.dsn(), schema=RING.take(), max_size=2)
    try:
        actual = differential.run(store, commands)
    finally:
        store.close()
    assert actual[0] == expected[0]
    assert _without_markers(actual[1]) == expected[1]
