"""The example worker on virtual time: exact ticks, jobs in order, nothing lost on shutdown."""

from __future__ import annotations

import asyncio

from {{ cookiecutter.package_name }}.worker import Job, Worker
from tests.support import VirtualTimeTestCase

TICK = 1.0


class WorkerTest(VirtualTimeTestCase):
    autojump = False

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self.worker = Worker(self.queue, self.clock, TICK)
        self.running = asyncio.create_task(self.worker.run(), name="worker")
        self.addAsyncCleanup(self.stop_worker)

    async def stop_worker(self) -> None:
        if not self.running.done():
            self.worker.stop()
            await self.running

    async def test_ten_intervals_make_exactly_ten_ticks(self) -> None:
        await self.clock.advance(10 * TICK - 0.001)
        self.assertEqual(self.worker.ticks, 9)
        await self.clock.advance(0.001)
        self.assertEqual(self.worker.ticks, 10)

    async def test_waiting_jobs_are_done_on_the_next_tick_in_order(self) -> None:
        jobs = [Job("a"), Job("b"), Job("c")]
        for job in jobs:
            self.queue.put_nowait(job)
        await self.clock.advance(TICK / 2)
        self.assertEqual(self.worker.done, [])
        await self.clock.advance(TICK / 2)
        self.assertEqual(self.worker.done, jobs)

    async def test_a_slow_job_skips_the_ticks_it_overran_and_keeps_the_schedule(self) -> None:
        self.queue.put_nowait(Job("slow", duration=2.5 * TICK))
        await self.clock.advance(3.9 * TICK)
        self.assertEqual(self.worker.ticks, 1)
        self.assertEqual(self.worker.done, [Job("slow", duration=2.5 * TICK)])
        await self.clock.advance(0.1 * TICK)
        self.assertEqual(self.worker.ticks, 2)

    async def test_stop_lets_the_job_in_hand_finish_and_takes_no_other(self) -> None:
        first, second = Job("first", duration=5.0), Job("second")
        self.queue.put_nowait(first)
        self.queue.put_nowait(second)
        await self.clock.advance(TICK + 1.0)
        self.worker.stop()
        await self.clock.advance(4.0)
        await self.running
        self.assertEqual(self.worker.done, [first])
        self.assertEqual(self.queue.get_nowait(), second)

    async def test_a_cancelled_job_goes_back_to_the_queue(self) -> None:
        job = Job("long", duration=60.0)
        self.queue.put_nowait(job)
        await self.clock.advance(TICK + 1.0)
        with self.assertLogs("{{ cookiecutter.package_name }}.worker", "WARNING") as logs:
            self.running.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await self.running
        self.assertIn("job long interrupted and returned to the queue", logs.output[0])
        self.assertEqual(self.worker.done, [])
        self.assertEqual(self.queue.get_nowait(), job)
