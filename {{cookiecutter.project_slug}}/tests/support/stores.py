"""`MemoryJobStore`: the `JobStore` contract in plain Python objects, for tests on virtual time.

The service's stores do their work outside the event loop: `SqliteJobStore` on a thread of its
own, `PostgresJobStore` (in PostgreSQL projects) on a server. Work outside the loop makes a
`VirtualTimeTestCase` let virtual time flow in real time (see `VirtualClock`), and a test could
no longer say "the job ended at exactly 7 s". This store keeps everything on the loop instead,
so service and worker tests stay exact. `tests/test_store` runs the same contract tests against
every store, so what passes here holds for the real ones too.

`SettableClock` is the clock those contract tests give a store: time that moves only when the
test says, so that a lease runs out exactly when the test wants it to.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence

from {{ cookiecutter.package_name }}.clock import Clock
from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, StoredJob
from {{ cookiecutter.package_name }}.store import InProcessWakeUps, LeaseLostError, QueueFullError


class MemoryJobStore:
    """A `JobStore` that lives as long as the object; ids are ``job-1``, ``job-2``, ...

    Leases run on `clock`'s monotonic time (one process needs no wall clock); without a clock,
    on the running loop's time, which in a `VirtualTimeTestCase` is virtual time. `shared` is
    False: subclass and override it to stand in for a store that replicas share.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._lease_clock = clock
        self._jobs: dict[str, StoredJob] = {}
        self._leases: dict[str, float] = {}
        self._ids = (f"job-{number}" for number in itertools.count(1))
        self._wake_ups = InProcessWakeUps()

    @property
    def shared(self) -> bool:
        return False

    async def add(
        self, job: Job, *, max_queued: int, origin: Mapping[str, str] | None = None
    ) -> StoredJob:
        if await self.count_queued() >= max_queued:
            raise QueueFullError(f"{max_queued} jobs are queued already")
        stored = self._keep(StoredJob(id=next(self._ids), job=job, origin=dict(origin or {})))
        self._wake_ups.job_added()
        return stored

    async def claim(self, owner: str, lease: float) -> StoredJob | None:
        now = self._now()
        for stored in self._jobs.values():
            expired = stored.status is JobStatus.RUNNING and self._leases[stored.id] <= now
            if stored.status is JobStatus.QUEUED or expired:
                self._leases[stored.id] = now + lease
                return self._keep(
                    dataclasses.replace(
                        stored, status=JobStatus.RUNNING, attempts=stored.attempts + 1, owner=owner
                    )
                )
        return None

    async def renew(self, jobs: Sequence[StoredJob], lease: float) -> list[StoredJob]:
        lost = [job for job in jobs if not self._holds(job)]
        for job in jobs:
            if self._holds(job):
                self._leases[job.id] = self._now() + lease
        return lost

    async def finish(self, job: StoredJob, error: str | None = None) -> None:
        status = JobStatus.DONE if error is None else JobStatus.FAILED
        self._change_held(job, status=status, error=error)

    async def release(self, job: StoredJob) -> None:
        self._change_held(job, status=JobStatus.QUEUED)
        self._wake_ups.job_added()

    async def get(self, job_id: str) -> StoredJob | None:
        return self._jobs.get(job_id)

    async def count_queued(self) -> int:
        return sum(stored.status is JobStatus.QUEUED for stored in self._jobs.values())

    async def unfinished(self) -> list[StoredJob]:
        waiting = (JobStatus.QUEUED, JobStatus.RUNNING)
        return [stored for stored in self._jobs.values() if stored.status in waiting]

    async def watch(self, job_added: Callable[[], None]) -> None:
        await self._wake_ups.watch(job_added)

    def _now(self) -> float:
        if self._lease_clock is None:
            return asyncio.get_running_loop().time()
        return self._lease_clock.monotonic()

    def _holds(self, job: StoredJob) -> bool:
        """Whether `job`'s claim (owner and attempt) is the current one of a running job."""
        current = self._jobs.get(job.id)
        return (
            current is not None
            and current.status is JobStatus.RUNNING
            and (current.owner, current.attempts) == (job.owner, job.attempts)
        )

    def _change_held(self, job: StoredJob, *, status: JobStatus, error: str | None = None) -> None:
        if not self._holds(job):
            raise LeaseLostError(f"job {job.id}: the claim of attempt {job.attempts} is lost")
        self._leases.pop(job.id, None)
        self._keep(dataclasses.replace(self._jobs[job.id], status=status, error=error))

    def _keep(self, stored: StoredJob) -> StoredJob:
        self._jobs[stored.id] = stored
        return stored


class SettableClock:
    """A `Clock` for store tests: `now()` and `monotonic()` move only by `advance(seconds)`.

    `sleep` waits on the loop for real, so a store's own waits (a reconnect's back-off) still
    let the test's real I/O happen; leases, which a store reads from `now()`, run out only when
    the test advances this clock past them.
    """

    def __init__(self, start: dt.datetime = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) -> None:
        self._start = start
        self._elapsed = 0.0

    def monotonic(self) -> float:
        return self._elapsed

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=self._elapsed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def advance(self, seconds: float) -> None:
        """Move this clock `seconds` forward, at once."""
        self._elapsed += seconds
