"""The `JobStore` contract, held by the SQLite store and by the tests' `MemoryJobStore` alike.

`Contract.StoreContract` holds the tests every store must pass; each store's test class says
how to make one. The SQLite store is then also tested for what only a file gives: accepted jobs that
outlive the process, and jobs found running at the next start queued again.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from pathlib import Path

from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, StoredJob
from {{ cookiecutter.package_name }}.store import JobStore, QueueFullError, SqliteJobStore
from tests.support import AsyncTestCase
from tests.support.stores import MemoryJobStore

ROOM = 100


class Contract:
    """Holds the contract's tests, so that discovery runs them only through the subclasses."""

    class StoreContract(AsyncTestCase):
        """The tests of the contract; subclasses provide `make_store`."""

        store: JobStore

        async def make_store(self) -> JobStore:
            raise NotImplementedError

        async def asyncSetUp(self) -> None:
            await super().asyncSetUp()
            self.store = await self.make_store()

        async def test_jobs_are_claimed_oldest_first_each_once(self) -> None:
            ids = [(await self.store.add(Job(name), max_queued=ROOM)).id for name in "abc"]
            claimed = [await self.store.claim() for _ in range(4)]
            self.assertEqual([job.id if job else None for job in claimed], [*ids, None])
            self.assertEqual({job.status for job in claimed if job}, {JobStatus.RUNNING})
            self.assertEqual({job.attempts for job in claimed if job}, {1})

        async def test_an_added_job_is_queued_with_a_new_id(self) -> None:
            first = await self.store.add(Job("report", 2.5), max_queued=ROOM)
            second = await self.store.add(Job("report", 2.5), max_queued=ROOM)
            self.assertNotEqual(first.id, second.id)
            self.assertEqual(await self.store.get(first.id), first)
            self.assertEqual((first.status, first.job), (JobStatus.QUEUED, Job("report", 2.5)))
            self.assertIsNone(await self.store.get("no-such-id"))

        async def test_the_queue_is_bounded(self) -> None:
            await self.store.add(Job("a"), max_queued=2)
            await self.store.add(Job("b"), max_queued=2)
            with self.assertRaises(QueueFullError):
                await self.store.add(Job("c"), max_queued=2)
            await self.store.claim()
            await self.store.add(Job("c"), max_queued=2)
            self.assertEqual(await self.store.count_queued(), 2)

        async def test_finished_jobs_leave_the_queue_with_their_outcome(self) -> None:
            good = await self.store.add(Job("good"), max_queued=ROOM)
            bad = await self.store.add(Job("bad"), max_queued=ROOM)
            await self.store.claim()
            await self.store.claim()
            await self.store.finish(good.id)
            await self.store.finish(bad.id, error="ValueError('no')")
            self.assertEqual(await self.store.unfinished(), [])
            done, failed = await self.store.get(good.id), await self.store.get(bad.id)
            assert done is not None
            assert failed is not None
            self.assertEqual((done.status, done.error), (JobStatus.DONE, None))
            self.assertEqual((failed.status, failed.error), (JobStatus.FAILED, "ValueError('no')"))

        async def test_a_released_job_runs_again_before_later_ones(self) -> None:
            first = await self.store.add(Job("first"), max_queued=ROOM)
            await self.store.add(Job("second"), max_queued=ROOM)
            await self.store.claim()
            await self.store.release(first.id)
            again = await self.store.claim()
            assert again is not None
            self.assertEqual((again.id, again.attempts), (first.id, 2))
            self.assertEqual(
                [job.job.name for job in await self.store.unfinished()], ["first", "second"]
            )


class MemoryJobStoreTest(Contract.StoreContract):
    async def make_store(self) -> JobStore:
        return MemoryJobStore()


class SqliteJobStoreTest(Contract.StoreContract):
    async def make_store(self) -> JobStore:
        directory = self.enterContext(tempfile.TemporaryDirectory())
        self.path = str(Path(directory) / "jobs.sqlite3")
        return await self.open_store()

    async def open_store(self) -> SqliteJobStore:
        store = await SqliteJobStore.open(self.path)
        self.addAsyncCleanup(store.close)
        return store

    async def test_accepted_jobs_outlive_the_store_and_running_ones_are_queued_again(self) -> None:
        running = await self.store.add(Job("running"), max_queued=ROOM)
        waiting = await self.store.add(Job("waiting"), max_queued=ROOM)
        await self.store.claim()

        with self.assertLogs("{{ cookiecutter.package_name }}.store", "WARNING") as logs:
            reopened = await self.open_store()

        self.assertIn("1 job(s) were running", logs.output[0])
        unfinished = await reopened.unfinished()
        self.assertEqual([job.id for job in unfinished], [running.id, waiting.id])
        self.assertEqual({job.status for job in unfinished}, {JobStatus.QUEUED})

    async def test_a_file_that_is_not_a_database_is_refused(self) -> None:
        other = Path(self.path).with_name("other.sqlite3")
        await asyncio.to_thread(other.write_bytes, b"not a database" * 100)
        with self.assertRaises(sqlite3.Error):
            await SqliteJobStore.open(str(other))

    async def test_concurrent_adds_never_pass_the_bound(self) -> None:
        room, tries = 20, 30
        outcomes = await asyncio.gather(
            *(self.store.add(Job(f"job {n}"), max_queued=room) for n in range(tries)),
            return_exceptions=True,
        )
        added = [outcome for outcome in outcomes if isinstance(outcome, StoredJob)]
        refused = [outcome for outcome in outcomes if isinstance(outcome, QueueFullError)]
        self.assertEqual((len({job.id for job in added}), len(refused)), (room, tries - room))
        self.assertEqual(await self.store.count_queued(), room)
