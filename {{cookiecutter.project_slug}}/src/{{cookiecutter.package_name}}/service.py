"""The service's lifecycle: start, serve until asked to stop, hand over or drain, stop.

`Service.run` supervises everything the service does in one `asyncio.TaskGroup`, so nothing
runs unwatched: if any task raises, the others are cancelled and `run` raises too (the command
line logs the traceback and exits 1). Work comes in through `Service.submit`, which answers only
once the job is committed to the `JobStore`, and is refused while the store's queue is full or
the store cannot be reached. The service is always in one `Phase`, and moves only forward:

1. **Starting**, until `run` has its request server listening and its worker running.
2. **Serving**: `ready` is true; the worker runs jobs as they come.
3. **Draining**, from the first `request_shutdown` (SIGTERM or SIGINT): `ready` turns false at
   once and no job is accepted. The worker claims nothing new from a shared store (the other
   replicas take the queue) and finishes the jobs it holds; with a store of its own it works
   through the whole queue first.
4. **Stopping**, when the worker is done, when ``shutdown_grace_period`` has passed, or at a
   second `request_shutdown`: whatever still runs is cancelled, each cancelled job goes back to
   the queue, and one log record names what was handed back and how many jobs still wait.
5. **Stopped**, when `run` returns or raises.

Requests come in through a `RequestServer` handed to `run` (the HTTP server, where the project
has one; the command line composes the two). It listens before the service is ready and serves
until the worker is done, so a readiness probe can answer "not ready" from the moment draining
begins while the work already accepted finishes. It listens before anything else runs, so an
address it cannot listen on stops the service before it starts. The server talks to the
service alone: `submit`, `job`, `readiness`, `queue_depth` and `on_job_ended`.

Each job is stored with its origin (`job_origin.py`): the id of the request that submitted it
and, when a `JobTracer` is given, that request's trace context, so that each run of the job,
here or on another replica, logs with that request id and belongs to that trace.

All waiting is on the injected `Clock`, so tests drive the whole sequence on virtual time.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from typing import Protocol

from {{ cookiecutter.package_name }}.clock import Clock, finished_within
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.job_origin import UNTRACED, JobTracer, origin_here
from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, ShuttingDownError, StoredJob
from {{ cookiecutter.package_name }}.store import JobStore, StoreUnavailableError
from {{ cookiecutter.package_name }}.worker import Worker

logger = logging.getLogger(__name__)


class RequestServer(Protocol):
    """What takes requests for the service from outside, such as its HTTP server.

    `Service.run` calls `listen` before the service is ready, runs `serve` as a task of its
    `TaskGroup`, and calls `close` once the worker is done; `serve` then finishes the
    requests in flight, closes its connections and returns. Cancelled instead (the service
    crashed), `serve` still closes everything before it ends.
    """

    async def listen(self) -> None:
        """Accept connections; raise `config.ConfigError` if the address cannot be used."""

    async def serve(self) -> None:
        """Answer requests until `close` is called."""

    def close(self) -> None:
        """Ask `serve` to stop listening, finish what is in flight and return."""


class Phase(enum.Enum):
    """Where the service is in its life; see the module docstring."""

    STARTING = "starting"
    SERVING = "serving"
    DRAINING = "draining"
    STOPPING = "stopping"
    STOPPED = "stopped"


# Each phase and the phases it may move on to. A crash goes straight to STOPPED from anywhere.
_NEXT: dict[Phase, frozenset[Phase]] = {
    Phase.STARTING: frozenset({Phase.SERVING, Phase.DRAINING, Phase.STOPPED}),
    Phase.SERVING: frozenset({Phase.DRAINING, Phase.STOPPED}),
    Phase.DRAINING: frozenset({Phase.STOPPING, Phase.STOPPED}),
    Phase.STOPPING: frozenset({Phase.STOPPED}),
    Phase.STOPPED: frozenset(),
}


class Readiness(enum.StrEnum):
    """Whether the service should be sent work now, and if not, why."""

    READY = "ready"
    NOT_SERVING = "not ready"
    QUEUE_FULL = "job queue full"
    STORE_UNAVAILABLE = "job store unavailable"


class Service:
    """The running service: its parts supervised together, with a graceful shutdown."""

    def __init__(
        self, settings: Settings, clock: Clock, store: JobStore, *, tracer: JobTracer = UNTRACED
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._store = store
        self._tracer = tracer
        self._worker = Worker(store, clock, settings, tracer=tracer)
        self._phase = Phase.STARTING
        self._shutdown_requested = asyncio.Event()
        self._worker_task: asyncio.Task[None] | None = None

    @property
    def phase(self) -> Phase:
        """The phase the service is in now."""
        return self._phase

    @property
    def ready(self) -> bool:
        """True while the service is serving; false before it starts and once shutdown begins."""
        return self._phase is Phase.SERVING

    @property
    def on_job_ended(self) -> list[Callable[[StoredJob, JobStatus, float], None]]:
        """Functions called with each job that ends, its status and the seconds it took."""
        return self._worker.on_job_ended

    async def submit(self, job: Job) -> StoredJob:
        """Store `job` for the worker and return it with its id, once it is committed.

        Raises `ShuttingDownError` unless the service is serving, `store.QueueFullError` while
        ``max_queued_jobs`` jobs are waiting, and `store.StoreUnavailableError` while the store
        cannot be reached.
        """
        if not self.ready:
            phase = self._phase.value
            raise ShuttingDownError(f"not accepting job {job.name!r}: the service is {phase}")
        origin = origin_here(self._tracer)
        return await self._store.add(job, max_queued=self.settings.max_queued_jobs, origin=origin)

    async def job(self, job_id: str) -> StoredJob | None:
        """The accepted job with this id, in whatever state it is; None if there is none."""
        return await self._store.get(job_id)

    async def queue_depth(self) -> int:
        """How many accepted jobs wait to be claimed, by this replica or another."""
        return await self._store.count_queued()

    async def readiness(self) -> Readiness:
        """Whether a load balancer should send this service work now."""
        if not self.ready:
            return Readiness.NOT_SERVING
        try:
            queued = await self._store.count_queued()
        except StoreUnavailableError:
            return Readiness.STORE_UNAVAILABLE
        if queued >= self.settings.max_queued_jobs:
            return Readiness.QUEUE_FULL
        return Readiness.READY

    def request_shutdown(self) -> None:
        """Begin a graceful shutdown; asked again, stop at once."""
        if self._phase is Phase.DRAINING:
            logger.warning("shutdown requested again: stopping now")
            self._stop_worker()
            return
        if self._phase not in (Phase.STARTING, Phase.SERVING):
            return
        grace = self.settings.shutdown_grace_period
        what = "finishing the jobs in hand" if self._store.shared else "draining the queue"
        logger.info("shutdown requested: %s for at most %g s", what, grace)
        self._enter(Phase.DRAINING)
        self._worker.stop()
        self._shutdown_requested.set()

    async def run(self, server: RequestServer | None = None) -> None:
        """Serve until a shutdown completes; raise if any part of the service fails.

        `server`, if given, takes requests from the first moment to the last (see
        `RequestServer`); it is the first thing to start, so an address it cannot listen on
        raises `config.ConfigError` before the service has done anything else.
        """
        if server is not None:
            try:
                await server.listen()
            except BaseException:
                self._enter(Phase.STOPPED)
                raise
        try:
            async with asyncio.TaskGroup() as group:
                self._worker_task = group.create_task(self._worker.run(), name="worker")
                if server is not None:
                    group.create_task(server.serve(), name="request server")
                try:
                    if self._phase is Phase.STARTING:
                        self._enter(Phase.SERVING)
                        logger.info("service ready")
                    await self._shutdown_requested.wait()
                    await self._wait_for_worker(self._worker_task)
                finally:
                    if server is not None:
                        server.close()
            await self._report_handover()
        finally:
            self._enter(Phase.STOPPED)
            logger.info("service stopped")

    def _enter(self, phase: Phase) -> None:
        if phase not in _NEXT[self._phase]:
            raise RuntimeError(f"the service cannot go from {self._phase.value} to {phase.value}")
        self._phase = phase

    def _stop_worker(self) -> None:
        self._enter(Phase.STOPPING)
        if self._worker_task is not None:
            self._worker_task.cancel()

    async def _wait_for_worker(self, worker: asyncio.Task[None]) -> None:
        grace = self.settings.shutdown_grace_period
        if not await finished_within(self.clock, grace, asyncio.wait([worker])):
            logger.warning("shutdown grace period of %g s is over: cancelling the worker", grace)
            self._stop_worker()
        if self._phase is Phase.DRAINING:
            self._enter(Phase.STOPPING)
        await asyncio.wait([worker])

    async def _report_handover(self) -> None:
        try:
            if self._store.shared:
                self._report_to_other_replicas(await self._store.count_queued())
            else:
                self._report_unfinished(await self._store.unfinished())
        except StoreUnavailableError as error:
            logger.error("shutdown: the job store cannot be reached to count what waits: %s", error)

    def _report_to_other_replicas(self, queued: int) -> None:
        released = self._worker.released
        if not released:
            logger.info("shutdown: no job in hand; %d job(s) queued for the other replicas", queued)
            return
        named = _named(released)
        logger.warning(
            "shutdown: %d job(s) released unfinished to the other replicas: %s; %d job(s) queued",
            len(released),
            _listed(named),
            queued,
            extra={"fields": {"released_jobs": named, "queue_depth": queued}},
        )

    def _report_unfinished(self, unfinished: list[StoredJob]) -> None:
        if not unfinished:
            return
        named = _named(unfinished)
        logger.warning(
            "%d accepted job(s) not run before shutdown; they stay queued in the job store and"
            " run at the next start: %s",
            len(unfinished),
            _listed(named),
            extra={"fields": {"unfinished_jobs": named}},
        )


def _named(jobs: list[StoredJob]) -> list[dict[str, str]]:
    return [{"id": job.id, "name": job.job.name} for job in jobs]


def _listed(named: list[dict[str, str]]) -> str:
    return ", ".join(f"{job['id']} {job['name']!r}" for job in named)
