"""The example worker on virtual time: jobs start at once, run side by side, keep their leases,
fail alone, and are drained or handed over when the worker stops."""

from __future__ import annotations

import asyncio
from unittest import mock

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, StoredJob
from {{ cookiecutter.package_name }}.store import StoreUnavailableError
from {{ cookiecutter.package_name }}.worker import Worker
from tests.support import VirtualTimeTestCase
from tests.support.stores import MemoryJobStore

TICK = 1.0
LEASE = 30.0
ROOM = 100
WORKER_LOGGER = "{{ cookiecutter.package_name }}.worker"


def names(jobs: list[StoredJob]) -> list[str]:
    return [stored.job.name for stored in jobs]


class SharedMemoryJobStore(MemoryJobStore):
    """A `MemoryJobStore` that says other processes claim from it too, as PostgreSQL's does."""

    @property
    def shared(self) -> bool:
        return True


class WorkerTestCase(VirtualTimeTestCase):
    """Runs `self.worker` on `self.store` for each test; `concurrency` jobs at a time."""

    autojump = False
    concurrency = 1

    def make_store(self) -> MemoryJobStore:
        return MemoryJobStore()

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.store = self.make_store()
        self.done: list[StoredJob] = []
        self.failed: list[StoredJob] = []
        self.worker, self.running = self.start_worker("first")

    def start_worker(self, owner: str) -> tuple[Worker, asyncio.Task[None]]:
        settings = Settings(
            tick_interval=TICK, worker_concurrency=self.concurrency, job_lease=LEASE
        )
        worker = Worker(self.store, self.clock, settings, owner=owner)
        worker.on_job_ended.append(self.record)
        running = asyncio.create_task(worker.run(), name=f"worker {owner}")
        self.addAsyncCleanup(self.stop, worker, running)
        return worker, running

    def record(self, job: StoredJob, status: JobStatus, seconds: float) -> None:
        (self.failed if status is JobStatus.FAILED else self.done).append(job)

    async def stop(self, worker: Worker, running: asyncio.Task[None]) -> None:
        if not running.done():
            # Jobs still in hand end on their own time: let the clock jump to it.
            self.clock.autojump = True
            worker.stop()
            await running

    async def queue(self, *jobs: Job) -> list[str]:
        return [(await self.store.add(job, max_queued=ROOM)).id for job in jobs]

    async def settle(self) -> None:
        """Let everything due at this instant run, without moving time."""
        await self.clock.advance(0)


class WorkerTest(WorkerTestCase):
    async def test_ten_intervals_make_exactly_ten_ticks(self) -> None:
        await self.clock.advance(10 * TICK - 0.001)
        self.assertEqual(self.worker.ticks, 9)
        await self.clock.advance(0.001)
        self.assertEqual(self.worker.ticks, 10)

    async def test_a_queued_job_starts_at_once_without_waiting_for_a_tick(self) -> None:
        await self.clock.advance(TICK / 4)
        await self.queue(Job("a"), Job("b"), Job("c"))
        await self.settle()
        self.assertEqual(names(self.done), ["a", "b", "c"])
        self.assertEqual(self.worker.ticks, 0)
        self.assertEqual(await self.store.unfinished(), [])

    async def test_ticks_keep_their_schedule_while_a_long_job_runs(self) -> None:
        await self.queue(Job("slow", duration=2.5 * TICK))
        await self.clock.advance(2.5 * TICK)
        self.assertEqual(names(self.done), ["slow"])
        await self.clock.advance(0.5 * TICK - 0.001)
        self.assertEqual(self.worker.ticks, 2)
        await self.clock.advance(0.001)
        self.assertEqual(self.worker.ticks, 3)

    async def test_a_failing_job_fails_alone_even_with_system_exit(self) -> None:
        async def process(job: StoredJob) -> None:
            if job.job.name == "exits":
                raise SystemExit(3)

        self.worker.process = process  # type: ignore[method-assign]
        with self.assertLogs(WORKER_LOGGER, "ERROR") as logs:
            failing_id, _ = await self.queue(Job("exits"), Job("next"))
            await self.settle()
        self.assertIn("failed", logs.output[0])
        self.assertEqual(names(self.failed), ["exits"])
        self.assertEqual(names(self.done), ["next"])
        failed = await self.store.get(failing_id)
        assert failed is not None
        self.assertEqual((failed.status, failed.error), (JobStatus.FAILED, "SystemExit(3)"))
        self.assertFalse(self.running.done())

    async def test_stop_drains_a_store_of_its_own(self) -> None:
        await self.queue(Job("first", duration=5.0), Job("second", duration=1.0))
        await self.clock.advance(1.0)
        self.worker.stop()
        await self.clock.advance(5.0)
        await self.running
        self.assertEqual(names(self.done), ["first", "second"])
        self.assertEqual(await self.store.unfinished(), [])

    async def test_a_cancelled_job_goes_back_to_the_queue_in_its_place(self) -> None:
        long_id, later_id = await self.queue(Job("long", duration=60.0), Job("later"))
        await self.clock.advance(1.0)
        with self.assertLogs(WORKER_LOGGER, "WARNING") as logs:
            self.running.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await self.running
        self.assertIn("'long' interrupted and returned to the queue", logs.output[0])
        self.assertEqual(self.done, [])
        self.assertEqual(names(self.worker.released), ["long"])
        unfinished = await self.store.unfinished()
        self.assertEqual([job.id for job in unfinished], [long_id, later_id])
        self.assertEqual([job.status for job in unfinished], [JobStatus.QUEUED] * 2)
        self.assertEqual(unfinished[0].attempts, 1)

    async def test_an_unreachable_store_is_logged_once_and_work_resumes_when_it_is_back(
        self,
    ) -> None:
        away = StoreUnavailableError("the database is restarting")
        with (
            mock.patch.object(self.store, "claim", side_effect=away),
            self.assertLogs(WORKER_LOGGER, "INFO") as logs,
        ):
            await self.queue(Job("waits"))
            await self.clock.advance(3 * TICK)
            self.assertEqual(self.done, [])
        await self.clock.advance(TICK)
        self.assertEqual(names(self.done), ["waits"])
        unreachable = [line for line in logs.output if "unavailable" in line]
        self.assertEqual(len(unreachable), 1, logs.output)
        self.assertFalse(self.running.done())


class SlowToRecordJobStore(MemoryJobStore):
    """A `MemoryJobStore` whose `finish` takes a second of the running loop's time."""

    async def finish(self, job: StoredJob, error: str | None = None) -> None:
        await asyncio.sleep(1.0)
        await super().finish(job, error)


class CancelledWhileRecordingTest(WorkerTestCase):
    def make_store(self) -> MemoryJobStore:
        return SlowToRecordJobStore()

    async def test_an_outcome_being_recorded_is_recorded_whole(self) -> None:
        [job_id] = await self.queue(Job("short", duration=1.0))
        await self.clock.advance(1.5)
        self.clock.autojump = True
        self.running.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await self.running
        recorded = await self.store.get(job_id)
        assert recorded is not None
        self.assertEqual(recorded.status, JobStatus.DONE)
        self.assertEqual((names(self.done), self.worker.released), (["short"], []))


class SlowToClaimJobStore(MemoryJobStore):
    """A `MemoryJobStore` whose `claim` commits a second of the running loop's time after it
    begins, as a database answers a statement it has already run."""

    async def claim(self, owner: str, lease: float) -> StoredJob | None:
        claimed = await super().claim(owner, lease)
        await asyncio.sleep(1.0)
        return claimed


class CancelledWhileClaimingTest(WorkerTestCase):
    def make_store(self) -> MemoryJobStore:
        return SlowToClaimJobStore()

    async def test_a_claim_cut_short_by_cancellation_hands_its_job_back(self) -> None:
        [job_id] = await self.queue(Job("claimed as the worker stops"))
        # The claim the worker began at start finds nothing at 1 s; the next one takes the job.
        await self.clock.advance(1.5)
        claimed = await self.store.get(job_id)
        assert claimed is not None
        self.assertEqual(claimed.status, JobStatus.RUNNING)
        self.clock.autojump = True
        with self.assertLogs(WORKER_LOGGER, "WARNING"):
            self.running.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await self.running
        returned = await self.store.get(job_id)
        assert returned is not None
        self.assertEqual((returned.status, returned.attempts), (JobStatus.QUEUED, 1))
        self.assertEqual(names(self.worker.released), ["claimed as the worker stops"])
        self.assertEqual(self.done, [])


class ConcurrencyTest(WorkerTestCase):
    concurrency = 2

    async def test_jobs_run_side_by_side_up_to_the_concurrency(self) -> None:
        await self.queue(*(Job(f"job {n}", duration=2.0) for n in range(3)))
        await self.clock.advance(2.0)
        # Both end at the same instant, in either order.
        self.assertCountEqual(names(self.done), ["job 0", "job 1"])
        await self.clock.advance(2.0)
        self.assertEqual(names(self.done)[2:], ["job 2"])

    async def test_a_freed_slot_takes_the_next_job_at_once(self) -> None:
        await self.queue(Job("short", duration=1.0), Job("long", duration=5.0), Job("next"))
        await self.clock.advance(1.0)
        self.assertEqual(names(self.done), ["short", "next"])


class SharedStoreTest(WorkerTestCase):
    def make_store(self) -> MemoryJobStore:
        return SharedMemoryJobStore()

    async def test_stop_finishes_the_jobs_in_hand_and_leaves_the_queue_to_others(self) -> None:
        await self.queue(Job("in hand", duration=5.0), Job("for the others"))
        await self.clock.advance(1.0)
        self.worker.stop()
        await self.clock.advance(4.0)
        await self.running
        self.assertEqual(names(self.done), ["in hand"])
        self.assertEqual(names(await self.store.unfinished()), ["for the others"])

    async def test_a_heartbeat_keeps_a_long_job_from_other_workers(self) -> None:
        [job_id] = await self.queue(Job("long", duration=4 * LEASE))
        await self.settle()
        self.start_worker("second")
        await self.clock.advance(4 * LEASE)
        self.assertEqual(names(self.done), ["long"])
        done = await self.store.get(job_id)
        assert done is not None
        self.assertEqual((done.status, done.attempts, done.owner), (JobStatus.DONE, 1, "first"))

    async def test_a_worker_that_lost_its_lease_stops_the_job_and_is_refused(self) -> None:
        [job_id] = await self.queue(Job("long", duration=3 * LEASE))
        await self.settle()
        with (
            mock.patch.object(self.store, "renew", side_effect=StoreUnavailableError("cut off")),
            self.assertLogs(WORKER_LOGGER, "WARNING") as away,
        ):
            self.start_worker("second")
            await self.clock.advance(LEASE + TICK)
        self.assertIn("cannot renew the leases", away.output[0])
        rescued = await self.store.get(job_id)
        assert rescued is not None
        self.assertEqual((rescued.owner, rescued.attempts), ("second", 2))

        with self.assertLogs(WORKER_LOGGER, "WARNING") as logs:
            await self.clock.advance(LEASE / 3)
        self.assertIn("its lease was lost", logs.output[0])
        self.assertIn("another worker holds it now", logs.output[1])
        await self.clock.advance(3 * LEASE)
        finished = await self.store.get(job_id)
        assert finished is not None
        self.assertEqual((finished.status, finished.owner), (JobStatus.DONE, "second"))
        self.assertEqual(names(self.done), ["long"])


class ClaimedHereAgainTest(WorkerTestCase):
    """A worker with a free slot may claim again a job whose lease ran out in its own hands."""

    concurrency = 2

    def make_store(self) -> MemoryJobStore:
        return SharedMemoryJobStore()

    async def test_a_job_whose_lease_ran_out_here_may_be_claimed_here_again(self) -> None:
        [job_id] = await self.queue(Job("long", duration=2 * LEASE))
        await self.settle()
        with mock.patch.object(self.store, "renew", side_effect=StoreUnavailableError("cut off")):
            await self.clock.advance(LEASE + TICK)
        again = await self.store.get(job_id)
        assert again is not None
        self.assertEqual((again.owner, again.attempts), ("first", 2))

        await self.clock.advance(3 * LEASE)
        done = await self.store.get(job_id)
        assert done is not None
        self.assertEqual((done.status, done.attempts), (JobStatus.DONE, 2))
        self.assertFalse(self.running.done())
