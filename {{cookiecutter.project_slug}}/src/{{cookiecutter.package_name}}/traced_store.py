"""`TracedJobStore`: any `JobStore`, with a span for each call made to it.

It wraps whichever store the command line opened and passes every call through unchanged, so
no store knows about tracing. Each call is a client span named after its operation and the
table (``claim jobs``), with the attributes of OpenTelemetry's database semantic conventions:
``db.system.name`` (``sqlite``, ``postgresql``), ``db.collection.name`` and
``db.operation.name``, plus ``job.id`` where the call is about one job. A call that raises
ends its span with an error status and the exception recorded. A call made while a request or
a job is handled is a child of its span; the worker's own calls (claims, lease renewals) start
traces of their own. Two calls have no span: `watch`, which lasts as long as the service, and a
`claim` that finds no job, which an idle worker makes every poll: as spans they would be a
trace a second from each idle replica, and say nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

from opentelemetry import trace

from {{ cookiecutter.package_name }}.jobs import Job, StoredJob
from {{ cookiecutter.package_name }}.store import JobStore

TABLE = "jobs"


class TracedJobStore:
    """`store`, each call traced by `tracer` as a call to a `system` database."""

    def __init__(self, store: JobStore, tracer: trace.Tracer, system: str) -> None:
        self._store = store
        self._tracer = tracer
        self._system = system

    @property
    def shared(self) -> bool:
        return self._store.shared

    async def add(
        self, job: Job, *, max_queued: int, origin: Mapping[str, str] | None = None
    ) -> StoredJob:
        with self._span("add") as span:
            stored = await self._store.add(job, max_queued=max_queued, origin=origin)
            span.set_attribute("job.id", stored.id)
            return stored

    async def claim(self, owner: str, lease: float) -> StoredJob | None:
        # The span is made once the outcome is known, dated from the call's start.
        started = time.time_ns()
        try:
            claimed = await self._store.claim(owner, lease)
        except Exception:
            with self._span("claim", start_time=started):
                raise
        if claimed is not None:
            with self._span("claim", claimed, start_time=started):
                pass
        return claimed

    async def renew(self, jobs: Sequence[StoredJob], lease: float) -> list[StoredJob]:
        with self._span("renew"):
            return await self._store.renew(jobs, lease)

    async def finish(self, job: StoredJob, error: str | None = None) -> None:
        with self._span("finish", job):
            await self._store.finish(job, error)

    async def release(self, job: StoredJob) -> None:
        with self._span("release", job):
            await self._store.release(job)

    async def get(self, job_id: str) -> StoredJob | None:
        with self._span("get") as span:
            span.set_attribute("job.id", job_id)
            return await self._store.get(job_id)

    async def count_queued(self) -> int:
        with self._span("count_queued"):
            return await self._store.count_queued()

    async def unfinished(self) -> list[StoredJob]:
        with self._span("unfinished"):
            return await self._store.unfinished()

    async def watch(self, job_added: Callable[[], None]) -> None:
        await self._store.watch(job_added)

    @contextlib.contextmanager
    def _span(
        self, operation: str, job: StoredJob | None = None, start_time: int | None = None
    ) -> Iterator[trace.Span]:
        attributes = {
            "db.system.name": self._system,
            "db.collection.name": TABLE,
            "db.operation.name": operation,
        }
        if job is not None:
            attributes["job.id"] = job.id
        with self._tracer.start_as_current_span(
            f"{operation} {TABLE}",
            kind=trace.SpanKind.CLIENT,
            attributes=attributes,
            start_time=start_time,
        ) as span:
            yield span
