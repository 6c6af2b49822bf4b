"""The service's lifecycle: start, serve until asked to stop, drain, stop.

`Service.run` supervises everything the service does in one `asyncio.TaskGroup`, so nothing
runs unwatched: if any task raises, the others are cancelled and `run` raises too (the command
line logs the traceback and exits 1). Work comes in through `Service.submit`, which answers only
once the job is in the `JobStore`, and is refused while the store's queue is full. A shutdown
goes through three states:

1. **Serving**: `Service.ready` is true and the worker ticks.
2. **Draining**, from the first `request_shutdown` (SIGTERM or SIGINT): `ready` turns false at
   once, no job is accepted, and the worker works through the queue without waiting for ticks.
3. **Stopping**, when the queue is empty, when ``shutdown_grace_period`` has passed, or at a
   second `request_shutdown`: whatever still runs is cancelled (a cancelled job goes back to
   the queue), one log record names every job left unfinished (they stay in the store and run
   at the next start), and `run` returns.

Requests come in through a `RequestServer` handed to `run` (the HTTP server, where the project
has one; the command line composes the two). It listens before the service is ready and serves
until the service has drained, so a readiness probe can answer "not ready" from the moment
draining begins while the work already accepted finishes. It listens before anything else
runs, so an address it cannot listen on stops the service before it starts.

All waiting is on the injected `Clock`, so tests drive the whole sequence on virtual time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from {{ cookiecutter.package_name }}.clock import Clock, finished_within
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.jobs import Job, ShuttingDownError, StoredJob
from {{ cookiecutter.package_name }}.store import JobStore
from {{ cookiecutter.package_name }}.worker import Worker

logger = logging.getLogger(__name__)


class RequestServer(Protocol):
    """What takes requests for the service from outside, such as its HTTP server.

    `Service.run` calls `listen` before the service is ready, runs `serve` as a task of its
    `TaskGroup`, and calls `close` once the service has drained; `serve` then finishes the
    requests in flight, closes its connections and returns. Cancelled instead (the service
    crashed), `serve` still closes everything before it ends.
    """

    async def listen(self) -> None:
        """Accept connections; raise `config.ConfigError` if the address cannot be used."""

    async def serve(self) -> None:
        """Answer requests until `close` is called."""

    def close(self) -> None:
        """Ask `serve` to stop listening, finish what is in flight and return."""


class Service:
    """The running service: its parts supervised together, with a graceful shutdown."""

    def __init__(self, settings: Settings, clock: Clock, store: JobStore) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.worker = Worker(store, clock, settings.tick_interval)
        self._ready = False
        self._stop_requested = asyncio.Event()
        self._worker_task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        """True while the service is serving; false before it starts and once shutdown begins."""
        return self._ready

    async def submit(self, job: Job) -> StoredJob:
        """Store `job` for the worker's next tick and return it with its id.

        Raises `ShuttingDownError` once a shutdown has begun, and `store.QueueFullError` while
        ``max_queued_jobs`` jobs are waiting.
        """
        if self._stop_requested.is_set():
            raise ShuttingDownError(f"not accepting job {job.name!r}: the service is shutting down")
        return await self.store.add(job, max_queued=self.settings.max_queued_jobs)

    async def queue_full(self) -> bool:
        """Whether `submit` would refuse a job for want of room."""
        return await self.store.count_queued() >= self.settings.max_queued_jobs

    def request_shutdown(self) -> None:
        """Begin a graceful shutdown; asked again, stop at once."""
        if self._stop_requested.is_set():
            if self._worker_task is not None and not self._worker_task.done():
                logger.warning("shutdown requested again: stopping now")
                self._worker_task.cancel()
            return
        grace = self.settings.shutdown_grace_period
        logger.info("shutdown requested: draining the queue for at most %g s", grace)
        self._ready = False
        self.worker.stop()
        self._stop_requested.set()

    async def run(self, server: RequestServer | None = None) -> None:
        """Serve until a shutdown completes; raise if any part of the service fails.

        `server`, if given, takes requests from the first moment to the last (see
        `RequestServer`); it is the first thing to start, so an address it cannot listen on
        raises `config.ConfigError` before the service has done anything else.
        """
        if server is not None:
            await server.listen()
        try:
            async with asyncio.TaskGroup() as group:
                self._worker_task = group.create_task(self.worker.run(), name="worker")
                if server is not None:
                    group.create_task(server.serve(), name="request server")
                try:
                    if not self._stop_requested.is_set():
                        self._ready = True
                        logger.info("service ready")
                    await self._stop_requested.wait()
                    await self._drain(self._worker_task)
                finally:
                    self._ready = False
                    if server is not None:
                        server.close()
            await self._report_unfinished()
        finally:
            logger.info("service stopped")

    async def _drain(self, worker: asyncio.Task[None]) -> None:
        grace = self.settings.shutdown_grace_period
        drained = await finished_within(self.clock, grace, asyncio.wait([worker]))
        if not drained:
            logger.warning("shutdown grace period of %g s is over: cancelling the worker", grace)
            worker.cancel()

    async def _report_unfinished(self) -> None:
        unfinished = await self.store.unfinished()
        if not unfinished:
            return
        named = [{"id": job.id, "name": job.job.name} for job in unfinished]
        logger.warning(
            "%d accepted job(s) not run before shutdown; they stay queued in the job store and"
            " run at the next start: %s",
            len(unfinished),
            ", ".join(f"{job['id']} {job['name']!r}" for job in named),
            extra={"fields": {"unfinished_jobs": named}},
        )
