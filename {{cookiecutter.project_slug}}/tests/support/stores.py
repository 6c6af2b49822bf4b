"""`MemoryJobStore`: the `JobStore` contract in plain Python objects, for tests on virtual time.

The service's `SqliteJobStore` does its work on a thread of its own. A thread is work outside
the event loop, so while it runs a `VirtualTimeTestCase` lets virtual time flow in real time
(see `VirtualClock`), and a test could no longer say "the job ended at exactly 7 s". This store
keeps everything on the loop instead, so service and worker tests stay exact. `tests/test_store`
runs the same contract tests against both stores, so what passes here holds for SQLite too.
"""

from __future__ import annotations

import dataclasses
import itertools

from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, StoredJob
from {{ cookiecutter.package_name }}.store import QueueFullError


class MemoryJobStore:
    """A `JobStore` that lives as long as the object; ids are ``job-1``, ``job-2``, ..."""

    def __init__(self) -> None:
        self._jobs: dict[str, StoredJob] = {}
        self._ids = (f"job-{number}" for number in itertools.count(1))

    async def add(self, job: Job, *, max_queued: int) -> StoredJob:
        if await self.count_queued() >= max_queued:
            raise QueueFullError(f"{max_queued} jobs are queued already")
        stored = StoredJob(id=next(self._ids), job=job)
        self._jobs[stored.id] = stored
        return stored

    async def claim(self) -> StoredJob | None:
        for stored in self._jobs.values():
            if stored.status is JobStatus.QUEUED:
                claimed = dataclasses.replace(
                    stored, status=JobStatus.RUNNING, attempts=stored.attempts + 1
                )
                return self._keep(claimed)
        return None

    async def finish(self, job_id: str, error: str | None = None) -> None:
        status = JobStatus.DONE if error is None else JobStatus.FAILED
        self._keep(dataclasses.replace(self._jobs[job_id], status=status, error=error))

    async def release(self, job_id: str) -> None:
        self._keep(dataclasses.replace(self._jobs[job_id], status=JobStatus.QUEUED))

    async def get(self, job_id: str) -> StoredJob | None:
        return self._jobs.get(job_id)

    async def count_queued(self) -> int:
        return sum(stored.status is JobStatus.QUEUED for stored in self._jobs.values())

    async def unfinished(self) -> list[StoredJob]:
        waiting = (JobStatus.QUEUED, JobStatus.RUNNING)
        return [stored for stored in self._jobs.values() if stored.status in waiting]

    def _keep(self, stored: StoredJob) -> StoredJob:
        self._jobs[stored.id] = stored
        return stored
