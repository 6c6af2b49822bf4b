"""The example worker on virtual time: exact ticks, jobs in order, failures contained, a drain."""

from __future__ import annotations

import asyncio

from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, StoredJob
from {{ cookiecutter.package_name }}.worker import Worker
from tests.support import VirtualTimeTestCase
from tests.support.stores import MemoryJobStore

TICK = 1.0
ROOM = 100


def names(jobs: list[StoredJob]) -> list[str]:
    return [stored.job.name for stored in jobs]


class WorkerTest(VirtualTimeTestCase):
    autojump = False

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.store = MemoryJobStore()
        self.worker = Worker(self.store, self.clock, TICK)
        self.done: list[StoredJob] = []
        self.failed: list[StoredJob] = []
        self.worker.on_job_ended.append(self.record)
        self.running = asyncio.create_task(self.worker.run(), name="worker")
        self.addAsyncCleanup(self.stop_worker)

    def record(self, job: StoredJob, status: JobStatus, seconds: float) -> None:
        (self.failed if status is JobStatus.FAILED else self.done).append(job)

    async def stop_worker(self) -> None:
        if not self.running.done():
            self.worker.stop()
            await self.running

    async def queue(self, *jobs: Job) -> list[str]:
        return [(await self.store.add(job, max_queued=ROOM)).id for job in jobs]

    async def test_ten_intervals_make_exactly_ten_ticks(self) -> None:
        await self.clock.advance(10 * TICK - 0.001)
        self.assertEqual(self.worker.ticks, 9)
        await self.clock.advance(0.001)
        self.assertEqual(self.worker.ticks, 10)

    async def test_queued_jobs_are_done_on_the_next_tick_in_order(self) -> None:
        await self.queue(Job("a"), Job("b"), Job("c"))
        await self.clock.advance(TICK / 2)
        self.assertEqual(self.done, [])
        await self.clock.advance(TICK / 2)
        self.assertEqual(names(self.done), ["a", "b", "c"])
        self.assertEqual(await self.store.unfinished(), [])

    async def test_a_slow_job_skips_the_ticks_it_overran_and_keeps_the_schedule(self) -> None:
        await self.queue(Job("slow", duration=2.5 * TICK))
        await self.clock.advance(3.9 * TICK)
        self.assertEqual(self.worker.ticks, 1)
        self.assertEqual(names(self.done), ["slow"])
        await self.clock.advance(0.1 * TICK)
        self.assertEqual(self.worker.ticks, 2)

    async def test_a_failing_job_fails_alone_even_with_system_exit(self) -> None:
        failing_id, _ = await self.queue(Job("exits"), Job("next"))

        async def process(job: StoredJob) -> None:
            if job.job.name == "exits":
                raise SystemExit(3)

        self.worker.process = process  # type: ignore[method-assign]
        with self.assertLogs("{{ cookiecutter.package_name }}.worker", "ERROR") as logs:
            await self.clock.advance(TICK)
        self.assertIn("failed", logs.output[0])
        self.assertEqual(names(self.failed), ["exits"])
        self.assertEqual(names(self.done), ["next"])
        failed = await self.store.get(failing_id)
        assert failed is not None
        self.assertEqual((failed.status, failed.error), (JobStatus.FAILED, "SystemExit(3)"))
        self.assertFalse(self.running.done())

    async def test_stop_drains_the_queue_without_waiting_for_a_tick(self) -> None:
        await self.queue(Job("first", duration=5.0), Job("second", duration=1.0))
        await self.clock.advance(TICK + 1.0)
        self.worker.stop()
        await self.clock.advance(5.0)
        await self.running
        self.assertEqual(names(self.done), ["first", "second"])
        self.assertEqual(self.worker.ticks, 1)

    async def test_a_cancelled_job_goes_back_to_the_queue_in_its_place(self) -> None:
        long_id, later_id = await self.queue(Job("long", duration=60.0), Job("later"))
        await self.clock.advance(TICK + 1.0)
        with self.assertLogs("{{ cookiecutter.package_name }}.worker", "WARNING") as logs:
            self.running.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await self.running
        self.assertIn("'long' interrupted and returned to the queue", logs.output[0])
        self.assertEqual(self.done, [])
        unfinished = await self.store.unfinished()
        self.assertEqual([job.id for job in unfinished], [long_id, later_id])
        self.assertEqual([job.status for job in unfinished], [JobStatus.QUEUED] * 2)
        self.assertEqual(unfinished[0].attempts, 1)
