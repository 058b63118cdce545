"""`due_pit_stop`, the pit-stop command's quick check, agrees with what `view` shows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jobslot_core import progression as prog
from jobslot_core.catalog import JobType
from jobslot_core.model import Progression
from jobslot_core.testing.strategies import job_types


@given(job=job_types(), data=st.data())
def test_due_pit_stop_is_the_views_next_stop_when_ready(job: JobType, data: st.DataObject) -> None:
    resolved = data.draw(st.integers(0, job.pit_stop_count), label="resolved")
    near = data.draw(st.integers(1, job.pit_stop_count), label="near stop")
    # A tenure at, just before or just after a pit stop's (the boundary decides), or anywhere.
    tenure = data.draw(
        st.one_of(
            st.integers(-2_000, 2_000).map(lambda d: max(0, job.pit_stop_tenure(near) * 1000 + d)),
            st.integers(0, 10**10),
        ),
        label="tenure at now",
    )
    slotted = data.draw(st.booleans(), label="slotted")
    accrued = data.draw(st.integers(0, tenure), label="accrued since") if slotted else 0
    p = Progression(
        "m", job.key, tenure - accrued, 5_000, 0, 1 if slotted else None, None, resolved
    )
    now = 5_000 + accrued
    assert p.tenure_at(now) == tenure
    view = prog.view(job, p, now)
    expected = view.next_pit_stop if view.pit_stop_ready else None
    assert prog.due_pit_stop(job, p, now) == expected
