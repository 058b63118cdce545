"""Tenure -> level, pit stops due and progress: pure functions of a job type and a tenure."""

import bisect

import attrs

from .catalog import JobType
from .model import Progression

__all__ = ["ProgressionView", "due_pit_stop", "level_for", "pit_stops_reached", "view"]

_MS = 1000


def level_for(job: JobType, tenure_ms: int) -> int:
    """The level a tenure reaches (decision 8): 1 plus the thresholds passed."""
    return 1 + bisect.bisect_right(job.level_tenure, tenure_ms // _MS)


def pit_stops_reached(job: JobType, tenure_ms: int) -> int:
    """How many of the job's pit stops this tenure has reached (resolved or not)."""
    seconds = tenure_ms // _MS
    return sum(1 for n in range(1, job.pit_stop_count + 1) if job.pit_stop_tenure(n) <= seconds)


def due_pit_stop(job: JobType, progression: Progression, now_ms: int) -> int | None:
    """The next pit stop when its tenure is reached (what `view` calls ready), else None: pit
    stops become due in order (their levels rise), so the next one decides."""
    number = progression.pit_stops_resolved + 1
    if number > job.pit_stop_count:
        return None
    return number if job.pit_stop_tenure(number) * _MS <= progression.tenure_at(now_ms) else None


@attrs.frozen
class ProgressionView:
    """What a player sees of a Mek in a job at one moment; everything is derived."""

    mek_id: str
    job_key: str
    level: int
    max_level: int
    tenure_ms: int
    prestige_count: int
    pit_stops_resolved: int
    pending_pit_stops: int
    next_pit_stop: int | None
    tenure_to_next_pit_stop_ms: int | None
    pit_stop_ready: bool
    progress_percent: float
    slot_number: int | None

    @property
    def tenure_seconds(self) -> float:
        return self.tenure_ms / _MS


def view(job: JobType, progression: Progression, now_ms: int) -> ProgressionView:
    """Compute the view lazily from the stored checkpoint (decision 11)."""
    tenure = progression.tenure_at(now_ms)
    reached = pit_stops_reached(job, tenure)
    resolved = progression.pit_stops_resolved
    next_stop = resolved + 1 if resolved < job.pit_stop_count else None
    to_next = None if next_stop is None else max(0, job.pit_stop_tenure(next_stop) * _MS - tenure)
    final_ms = job.level_tenure[-1] * _MS
    return ProgressionView(
        mek_id=progression.mek_id,
        job_key=progression.job_key,
        level=level_for(job, tenure),
        max_level=job.max_level,
        tenure_ms=tenure,
        prestige_count=progression.prestige_count,
        pit_stops_resolved=resolved,
        pending_pit_stops=max(0, reached - resolved),
        next_pit_stop=next_stop,
        tenure_to_next_pit_stop_ms=to_next,
        pit_stop_ready=reached > resolved,
        progress_percent=min(100.0, 100.0 * tenure / final_ms),
        slot_number=progression.slot_number,
    )
