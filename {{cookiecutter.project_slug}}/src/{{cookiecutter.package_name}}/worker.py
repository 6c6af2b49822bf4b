"""The example worker: a periodic job that drains a queue, driven by the injected clock.

Every `tick_interval` seconds the worker takes the jobs waiting in its queue and processes them
one at a time. Replace `Worker.process` with your own work; keep the patterns around it:

- **Time comes from the clock.** The worker never reads the time or sleeps by itself, so a test
  on virtual time knows exactly what ran: after ``advance(10 * tick_interval)``, ten ticks.
- **Ticks keep their schedule.** Tick *n* is due at ``start + n * tick_interval``. A slow tick
  delays the next one without shifting every later one, and ticks missed while busy are
  skipped, not run in a burst.
- **No job is lost on shutdown.** `stop` lets the job in hand finish and takes no other. If the
  worker is cancelled instead (the shutdown grace period ran out), the job in hand goes back to
  the queue.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math

from {{ cookiecutter.package_name }}.clock import Clock, finished_within

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Job:
    """One unit of work: in this example, a name and how long processing it takes."""

    name: str
    duration: float = 0.0


class Worker:
    """Processes the jobs of `queue` once every `tick_interval` seconds of `clock` time."""

    def __init__(self, queue: asyncio.Queue[Job], clock: Clock, tick_interval: float) -> None:
        self.queue = queue
        self.ticks = 0
        self.done: list[Job] = []
        self._clock = clock
        self._tick_interval = tick_interval
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the job in hand, take no other, and return from `run`."""
        self._stopping.set()

    async def run(self) -> None:
        """Tick until `stop` is called."""
        started = self._clock.monotonic()
        tick = 1
        while not self._stopping.is_set():
            delay = max(started + tick * self._tick_interval - self._clock.monotonic(), 0.0)
            if await finished_within(self._clock, delay, self._stopping.wait()):
                return
            self.ticks += 1
            await self._process_waiting_jobs()
            elapsed_ticks = (self._clock.monotonic() - started) / self._tick_interval
            tick = max(tick + 1, math.floor(elapsed_ticks) + 1)

    async def process(self, job: Job) -> None:
        """Do the work of one job. This example only takes the time the job says it takes."""
        await self._clock.sleep(job.duration)

    async def _process_waiting_jobs(self) -> None:
        while not self._stopping.is_set() and not self.queue.empty():
            job = self.queue.get_nowait()
            logger.info("job %s started", job.name)
            try:
                await self.process(job)
            except asyncio.CancelledError:
                self.queue.put_nowait(job)
                logger.warning("job %s interrupted and returned to the queue", job.name)
                raise
            finally:
                self.queue.task_done()
            self.done.append(job)
            logger.info("job %s done", job.name)
