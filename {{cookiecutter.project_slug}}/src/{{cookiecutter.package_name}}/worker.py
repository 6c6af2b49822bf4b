"""The example worker: a periodic job that drains the job store, driven by the injected clock.

Every `tick_interval` seconds the worker claims the jobs queued in its `JobStore` and processes
them one at a time, oldest first. Replace `Worker.process` with your own work; keep the patterns
around it:

- **Time comes from the clock.** The worker never reads the time or sleeps by itself, so a test
  on virtual time knows exactly what ran: after ``advance(10 * tick_interval)``, ten ticks.
- **Ticks keep their schedule.** Tick *n* is due at ``start + n * tick_interval``. A slow tick
  delays the next one without shifting every later one, and ticks missed while busy are
  skipped, not run in a burst.
- **A failing job fails alone.** An exception from `process` (even `SystemExit`) marks that job
  failed, with the error, and the worker goes on with the next.
- **Others can watch.** Each function in `on_job_ended` is called with every job that ends,
  its status and the seconds it took on the clock (the metrics use it).
- **Stopping drains.** After `stop`, the worker works through every queued job without waiting
  for the next tick, then returns. If it is cancelled instead (the shutdown grace period ran
  out), the job in hand goes back to the store's queue; whatever is still queued stays in the
  store for the next start.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable

from {{ cookiecutter.package_name }}.clock import Clock, finished_within
from {{ cookiecutter.package_name }}.jobs import JobStatus, StoredJob
from {{ cookiecutter.package_name }}.store import JobStore

logger = logging.getLogger(__name__)


class Worker:
    """Processes the jobs queued in `store` once every `tick_interval` seconds of `clock` time."""

    def __init__(self, store: JobStore, clock: Clock, tick_interval: float) -> None:
        self.store = store
        self.ticks = 0
        self.on_job_ended: list[Callable[[StoredJob, JobStatus, float], None]] = []
        self._clock = clock
        self._tick_interval = tick_interval
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Process what is queued without waiting for a tick, then return from `run`."""
        self._stopping.set()

    async def run(self) -> None:
        """Tick until `stop` is called, then drain the queue."""
        started = self._clock.monotonic()
        tick = 1
        while not self._stopping.is_set():
            delay = max(started + tick * self._tick_interval - self._clock.monotonic(), 0.0)
            if not await finished_within(self._clock, delay, self._stopping.wait()):
                self.ticks += 1
            await self._process_queued_jobs()
            elapsed_ticks = (self._clock.monotonic() - started) / self._tick_interval
            tick = max(tick + 1, math.floor(elapsed_ticks) + 1)

    async def process(self, job: StoredJob) -> None:
        """Do the work of one job. This example only takes the time the job says it takes."""
        await self._clock.sleep(job.job.duration)

    async def _process_queued_jobs(self) -> None:
        while (job := await self.store.claim()) is not None:
            await self._process_one(job)

    async def _process_one(self, job: StoredJob) -> None:
        logger.info("job %s %r started (attempt %d)", job.id, job.job.name, job.attempts)
        started = self._clock.monotonic()
        try:
            await self.process(job)
        except asyncio.CancelledError:
            await self.store.release(job.id)
            logger.warning("job %s %r interrupted and returned to the queue", job.id, job.job.name)
            raise
        except (Exception, SystemExit, KeyboardInterrupt) as error:
            await self.store.finish(job.id, error=repr(error))
            logger.exception("job %s %r failed", job.id, job.job.name)
            self._ended(job, JobStatus.FAILED, started)
            return
        await self.store.finish(job.id)
        logger.info("job %s %r done", job.id, job.job.name)
        self._ended(job, JobStatus.DONE, started)

    def _ended(self, job: StoredJob, status: JobStatus, started: float) -> None:
        for listener in self.on_job_ended:
            listener(job, status, self._clock.monotonic() - started)
