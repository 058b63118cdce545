"""The whole command set under hypothesis: invariants hold after every step (MemoryStore)."""

from jobslot_core.testing.commands import GameStateMachine


class KeepDiminishedMachine(GameStateMachine):
    """The same machine with policy 8.3 set to keep buffs, diminished, across prestiges."""

    keep_diminished = True


TestGameStateMachine = GameStateMachine.TestCase
TestKeepDiminishedMachine = KeepDiminishedMachine.TestCase
