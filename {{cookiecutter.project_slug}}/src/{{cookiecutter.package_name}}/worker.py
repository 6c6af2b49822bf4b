"""The example worker: runs the jobs queued in a `JobStore`, several at once, on the injected clock.

The worker claims a job the moment it has a free slot and the store may have one: when the
store says a job was added (`JobStore.watch`), when one of its own jobs ends, and at every
tick, the fallback that also finds jobs whose lease ran out elsewhere. Up to `concurrency`
jobs run at the same time, each in a task of its own. Replace `Worker.process` with your own
work; keep the patterns around it:

- **Time comes from the clock.** The worker never reads the time or sleeps by itself, so a test
  on virtual time knows exactly what ran: after ``advance(10 * tick_interval)``, ten ticks.
- **Ticks keep their schedule.** Tick *n* is due at ``start + n * tick_interval``; ticks missed
  while busy are skipped, not run in a burst.
- **A claim is a lease.** While a job runs, a heartbeat renews its lease every third of
  `lease`. If the store says the lease was lost (the process froze longer than the lease, and
  another worker took the job), the job is cancelled here: its new holder runs it. Whatever this
  worker then tries to record for it is refused by the store, and logged.
- **A failing job fails alone.** An exception from `process` (even `SystemExit`) marks that job
  failed, with the error, and the worker goes on with the others.
- **Others can watch.** Each function in `on_job_ended` is called with every job that ends,
  its status and the seconds it took on the clock (the metrics use it).
- **An outcome is recorded whole.** Once a job's work is over, recording its outcome (or
  handing it back) runs to the end even if the worker is cancelled meanwhile. So does a claim:
  the store may have committed it already, so a claim that the worker's cancellation cuts
  short is waited for, and the job it took goes back to the queue.
- **Stopping hands over or drains.** After `stop`, a worker of a shared store claims nothing
  more and returns once its jobs in hand are done; a worker of a store of its own works through
  the whole queue first. Cancelled instead (the grace period ran out), it puts each job in hand
  back in the queue and lists them in `released`.
- **The store may be away.** A claim, heartbeat or record that finds the store unreachable is
  logged and tried again at the next tick or beat; the service keeps running.
- **A job runs as its request.** Each attempt, recording its outcome included, runs with the
  request id of the request that submitted the job, and in a span of that request's trace
  when there is a `JobTracer` (see `job_origin.py`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import uuid
from collections.abc import Callable, Coroutine

from {{ cookiecutter.package_name }}.clock import Clock, finished_within
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.job_origin import UNTRACED, JobTracer, running_as_origin
from {{ cookiecutter.package_name }}.jobs import JobStatus, StoredJob
from {{ cookiecutter.package_name }}.store import JobStore, LeaseLostError, StoreUnavailableError

logger = logging.getLogger(__name__)


def worker_name() -> str:
    """A name for this process's worker that no other replica has: host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Runs the jobs of `store` as `owner`, by the settings' ``tick_interval``,
    ``worker_concurrency`` and ``job_lease``; each attempt in a span of `tracer`."""

    def __init__(
        self,
        store: JobStore,
        clock: Clock,
        settings: Settings,
        *,
        owner: str | None = None,
        tracer: JobTracer = UNTRACED,
    ) -> None:
        self.ticks = 0
        self.owner = owner or worker_name()
        self.released: list[StoredJob] = []
        self.on_job_ended: list[Callable[[StoredJob, JobStatus, float], None]] = []
        self._store = store
        self._clock = clock
        self._tracer = tracer
        self._tick_interval = settings.tick_interval
        self._concurrency = settings.worker_concurrency
        self._lease = settings.job_lease
        # By claim, not by job: a job whose lease ran out here may be claimed here again.
        self._in_hand: dict[tuple[str, int], tuple[StoredJob, asyncio.Task[None]]] = {}
        self._stopping = False
        self._wake = asyncio.Event()
        self._store_was_away = False

    def stop(self) -> None:
        """Claim no more (a shared store) or drain the queue (a store of its own), then return."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Run jobs until `stop`; then finish as `stop` says."""
        async with asyncio.TaskGroup() as jobs:
            helpers = [
                jobs.create_task(self._store.watch(self._wake.set), name="job store watch"),
                jobs.create_task(self._renew_leases(), name="lease heartbeat"),
            ]
            try:
                await self._claim_until_stopped(jobs)
                if not self._store.shared:
                    await self._drain(jobs)
                while self._in_hand:
                    await asyncio.wait([task for _, task in self._in_hand.values()])
            finally:
                for helper in helpers:
                    helper.cancel()

    async def process(self, job: StoredJob) -> None:
        """Do the work of one job. This example only takes the time the job says it takes."""
        await self._clock.sleep(job.job.duration)

    async def _claim_until_stopped(self, jobs: asyncio.TaskGroup) -> None:
        started = self._clock.monotonic()
        tick = 1
        while not self._stopping:
            # Cleared before the claim, so that a wake-up arriving while it runs is kept.
            self._wake.clear()
            await self._claim_while_room(jobs)
            delay = max(started + tick * self._tick_interval - self._clock.monotonic(), 0.0)
            if not await finished_within(self._clock, delay, self._wake.wait()):
                self.ticks += 1
                elapsed_ticks = (self._clock.monotonic() - started) / self._tick_interval
                tick = max(tick + 1, math.floor(elapsed_ticks) + 1)

    async def _drain(self, jobs: asyncio.TaskGroup) -> None:
        while True:
            self._wake.clear()
            if not await self._claim_while_room(jobs):
                return
            await self._wake.wait()

    async def _claim_while_room(self, jobs: asyncio.TaskGroup) -> bool:
        """Claim jobs into free slots; say whether the store may hold more than fitted."""
        while len(self._in_hand) < self._concurrency:
            try:
                job = await self._claim()
            except StoreUnavailableError as error:
                self._store_away("claim jobs", error)
                return False
            self._store_back()
            if job is None:
                return False
            task = jobs.create_task(self._run(job), name=f"job {job.id}")
            self._in_hand[_claim_of(job)] = (job, task)
        return True

    async def _claim(self) -> StoredJob | None:
        claim = asyncio.ensure_future(self._store.claim(self.owner, self._lease))
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            [taken] = await asyncio.gather(claim, return_exceptions=True)
            if isinstance(taken, StoredJob):
                await self._hand_back(taken)
            raise

    async def _run(self, job: StoredJob) -> None:
        with running_as_origin(job, self._tracer):
            logger.info("job %s %r started (attempt %d)", job.id, job.job.name, job.attempts)
            started = self._clock.monotonic()
            try:
                failure = await self._process(job)
            except asyncio.CancelledError:
                self._let_go(job)
                await _to_the_end(self._hand_back(job))
                raise
            self._let_go(job)
            await _to_the_end(self._record(job, started, failure))

    async def _process(self, job: StoredJob) -> str | None:
        """Run `process`; return how it failed, or None."""
        try:
            await self.process(job)
        except (Exception, SystemExit, KeyboardInterrupt) as error:
            logger.exception("job %s %r failed", job.id, job.job.name)
            return repr(error)
        logger.info("job %s %r done", job.id, job.job.name)
        return None

    def _let_go(self, job: StoredJob) -> None:
        """The job's work is over: its slot is free, and the heartbeat no longer renews it."""
        del self._in_hand[_claim_of(job)]
        self._wake.set()

    async def _record(self, job: StoredJob, started: float, failure: str | None) -> None:
        status = JobStatus.DONE if failure is None else JobStatus.FAILED
        try:
            await self._store.finish(job, failure)
        except LeaseLostError:
            logger.warning(
                "job %s %r ended here as %s, but its lease was lost and another worker claimed"
                " it: the store refused this late outcome",
                job.id,
                job.job.name,
                status.value,
            )
            return
        except StoreUnavailableError as error:
            logger.error(
                "job %s %r ended as %s, but the job store could not record it (%s): it runs"
                " again once its lease has run out",
                job.id,
                job.job.name,
                status.value,
                error,
            )
            return
        for listener in self.on_job_ended:
            listener(job, status, self._clock.monotonic() - started)

    async def _hand_back(self, job: StoredJob) -> None:
        try:
            await self._store.release(job)
        except LeaseLostError:
            logger.warning(
                "job %s %r stopped here; it was not returned to the queue, because another"
                " worker holds it now",
                job.id,
                job.job.name,
            )
            return
        except StoreUnavailableError as error:
            logger.error(
                "job %s %r stopped here; the job store could not take it back (%s): it runs"
                " again once its lease has run out",
                job.id,
                job.job.name,
                error,
            )
            return
        self.released.append(job)
        logger.warning("job %s %r interrupted and returned to the queue", job.id, job.job.name)

    async def _renew_leases(self) -> None:
        while True:
            await self._clock.sleep(self._lease / 3)
            if not self._in_hand:
                continue
            held = [job for job, _ in self._in_hand.values()]
            try:
                lost = await self._store.renew(held, self._lease)
            except StoreUnavailableError as error:
                self._store_away("renew the leases of the jobs in hand", error)
                continue
            self._store_back()
            # A job that ended while the renewal was under way is no longer renewable: only
            # those still at work here have really lost their lease.
            for job in (job for job in lost if _claim_of(job) in self._in_hand):
                logger.warning(
                    "job %s %r: its lease was lost (this process was too slow to renew it) and"
                    " another worker may run it: cancelling it here",
                    job.id,
                    job.job.name,
                )
                self._in_hand[_claim_of(job)][1].cancel()

    def _store_away(self, doing: str, error: StoreUnavailableError) -> None:
        if not self._store_was_away:
            logger.error("the job store is unavailable, cannot %s: %s", doing, error)
        self._store_was_away = True

    def _store_back(self) -> None:
        if self._store_was_away:
            logger.info("the job store is reachable again")
        self._store_was_away = False


async def _to_the_end(operation: Coroutine[object, object, None]) -> None:
    """Await `operation` to its end even if this task is cancelled meanwhile, then let the
    cancellation through: a store write cut off half-way would leave its job claimed, by a
    worker that has let it go, until its lease runs out."""
    task = asyncio.ensure_future(operation)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


def _claim_of(job: StoredJob) -> tuple[str, int]:
    return (job.id, job.attempts)
