"""The `JobStore` contract, held by every store the project has and by the tests' `MemoryJobStore`.

`Contract.StoreContract` holds the tests every store must pass; each store's test class below
says how to make one. Each store is given a `SettableClock`, so a test runs a lease out by
moving the clock past it. What only one store does (a file that outlives the process, a queue
that replicas share) is tested in that store's own module.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from {{ cookiecutter.package_name }}.jobs import Job, JobStatus
{%- if cookiecutter.job_store == "postgres" %}
from {{ cookiecutter.package_name }}.postgres_store import PostgresJobStore
{%- endif %}
from {{ cookiecutter.package_name }}.sqlite_store import SqliteJobStore
from {{ cookiecutter.package_name }}.store import JobStore, LeaseLostError, QueueFullError
from tests.support import AsyncTestCase
{%- if cookiecutter.job_store == "postgres" %}
from tests.support.postgres import PostgresTestCase
{%- endif %}
from tests.support.stores import MemoryJobStore, SettableClock

ROOM = 100
LEASE = 30.0
# Long enough for a store on a server to deliver a wake-up; only a failing test waits this long.
DELIVERY_TIMEOUT = 10.0


class Contract:
    """Holds the contract's tests, so that discovery runs them only through the subclasses."""

    class StoreContract(AsyncTestCase):
        """The tests of the contract; subclasses provide `make_store` (and `shared`)."""

        store: JobStore
        clock: SettableClock
        shared = False

        async def make_store(self) -> JobStore:
            raise NotImplementedError

        async def asyncSetUp(self) -> None:
            await super().asyncSetUp()
            self.clock = SettableClock()
            self.store = await self.make_store()

        async def add(self, name: str) -> str:
            return (await self.store.add(Job(name), max_queued=ROOM)).id

        async def test_the_store_says_whether_replicas_share_it(self) -> None:
            self.assertIs(self.store.shared, self.shared)

        async def test_jobs_are_claimed_oldest_first_each_once(self) -> None:
            ids = [await self.add(name) for name in "abc"]
            claimed = [await self.store.claim("worker", LEASE) for _ in range(4)]
            self.assertEqual([job.id if job else None for job in claimed], [*ids, None])
            held = {(job.status, job.attempts, job.owner) for job in claimed if job}
            self.assertEqual(held, {(JobStatus.RUNNING, 1, "worker")})
            self.assertEqual(await self.store.get(ids[0]), claimed[0])

        async def test_an_added_job_is_queued_with_a_new_id(self) -> None:
            first = await self.store.add(Job("report", 2.5), max_queued=ROOM)
            second = await self.store.add(Job("report", 2.5), max_queued=ROOM)
            self.assertNotEqual(first.id, second.id)
            self.assertEqual(await self.store.get(first.id), first)
            expected = (JobStatus.QUEUED, Job("report", 2.5), 0, None)
            self.assertEqual((first.status, first.job, first.attempts, first.owner), expected)
            self.assertIsNone(await self.store.get("no-such-id"))

        async def test_a_job_keeps_its_origin_through_claims_and_releases(self) -> None:
            origin = {"request_id": "req-1", "traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"}
            added = await self.store.add(Job("traced"), max_queued=ROOM, origin=origin)
            untraced = await self.store.add(Job("untraced"), max_queued=ROOM)
            claimed = await self.store.claim("worker", LEASE)
            assert claimed is not None
            await self.store.release(claimed)
            again = await self.store.claim("worker", LEASE)
            assert again is not None
            self.assertEqual((added.origin, claimed.origin, again.origin), (origin,) * 3)
            self.assertEqual(await self.store.get(added.id), again)
            self.assertEqual([job.origin for job in await self.store.unfinished()], [origin, {}])
            self.assertEqual(untraced.origin, {})

        async def test_the_queue_is_bounded(self) -> None:
            await self.store.add(Job("a"), max_queued=2)
            await self.store.add(Job("b"), max_queued=2)
            with self.assertRaises(QueueFullError):
                await self.store.add(Job("c"), max_queued=2)
            self.assertEqual(await self.store.count_queued(), 2)
            await self.store.claim("worker", LEASE)
            await self.store.add(Job("c"), max_queued=2)
            self.assertEqual(await self.store.count_queued(), 2)

        async def test_finished_jobs_leave_the_queue_with_their_outcome(self) -> None:
            good_id, bad_id = await self.add("good"), await self.add("bad")
            good = await self.store.claim("worker", LEASE)
            bad = await self.store.claim("worker", LEASE)
            assert good is not None
            assert bad is not None
            await self.store.finish(good)
            await self.store.finish(bad, error="ValueError('no')")
            self.assertEqual(await self.store.unfinished(), [])
            done, failed = await self.store.get(good_id), await self.store.get(bad_id)
            assert done is not None
            assert failed is not None
            self.assertEqual((done.status, done.error), (JobStatus.DONE, None))
            self.assertEqual((failed.status, failed.error), (JobStatus.FAILED, "ValueError('no')"))
            self.assertIsNone(await self.store.claim("worker", LEASE))

        async def test_a_released_job_runs_again_before_later_ones(self) -> None:
            first_id = await self.add("first")
            await self.add("second")
            first = await self.store.claim("worker", LEASE)
            assert first is not None
            await self.store.release(first)
            self.assertEqual(await self.store.count_queued(), 2)
            self.assertEqual(
                [job.job.name for job in await self.store.unfinished()], ["first", "second"]
            )
            again = await self.store.claim("worker", LEASE)
            assert again is not None
            self.assertEqual((again.id, again.attempts), (first_id, 2))

        async def test_a_claim_whose_lease_ran_out_is_fenced_off(self) -> None:
            job_id = await self.add("slow")
            held_by_a = await self.store.claim("a", LEASE)
            assert held_by_a is not None
            self.assertIsNone(await self.store.claim("b", LEASE))

            self.clock.advance(LEASE + 1)
            held_by_b = await self.store.claim("b", LEASE)
            assert held_by_b is not None
            self.assertEqual((held_by_b.id, held_by_b.attempts, held_by_b.owner), (job_id, 2, "b"))

            with self.assertRaises(LeaseLostError):
                await self.store.finish(held_by_a)
            with self.assertRaises(LeaseLostError):
                await self.store.release(held_by_a)
            self.assertEqual(await self.store.renew([held_by_a, held_by_b], LEASE), [held_by_a])
            self.assertEqual(await self.store.get(job_id), held_by_b)

            await self.store.finish(held_by_b)
            current = await self.store.get(job_id)
            assert current is not None
            self.assertEqual((current.status, current.owner), (JobStatus.DONE, "b"))
            with self.assertRaises(LeaseLostError):
                await self.store.finish(held_by_b)

        async def test_a_renewed_lease_keeps_the_job_from_other_claims(self) -> None:
            await self.add("long")
            held = await self.store.claim("a", LEASE)
            assert held is not None
            self.clock.advance(LEASE - 1)
            self.assertEqual(await self.store.renew([held], LEASE), [])
            self.clock.advance(LEASE - 1)
            self.assertIsNone(await self.store.claim("b", LEASE))
            self.clock.advance(2)
            taken = await self.store.claim("b", LEASE)
            assert taken is not None
            self.assertEqual((taken.id, taken.owner), (held.id, "b"))

        async def test_an_expired_claim_is_claimable_in_its_place_in_the_queue(self) -> None:
            first_id = await self.add("first")
            self.assertIsNotNone(await self.store.claim("a", LEASE))
            await self.add("second")
            self.clock.advance(LEASE)
            again = await self.store.claim("b", LEASE)
            assert again is not None
            self.assertEqual((again.id, again.attempts), (first_id, 2))

        async def test_a_claim_still_current_after_its_lease_may_finish(self) -> None:
            await self.add("late")
            held = await self.store.claim("a", LEASE)
            assert held is not None
            self.clock.advance(2 * LEASE)
            await self.store.finish(held)
            self.assertEqual(await self.store.unfinished(), [])

        async def test_renewing_nothing_loses_nothing(self) -> None:
            self.assertEqual(await self.store.renew([], LEASE), [])

        async def test_watchers_hear_of_added_and_released_jobs(self) -> None:
            heard: asyncio.Queue[None] = asyncio.Queue()
            watching = asyncio.create_task(self.store.watch(lambda: heard.put_nowait(None)))
            self.addAsyncCleanup(self.stop_watching, watching)
            await self.until_watching(heard)

            await self.add("new")
            await asyncio.wait_for(heard.get(), DELIVERY_TIMEOUT)
            claimed = await self.store.claim("worker", LEASE)
            assert claimed is not None
            self.assertTrue(heard.empty())
            await self.store.release(claimed)
            await asyncio.wait_for(heard.get(), DELIVERY_TIMEOUT)

        async def until_watching(self, heard: asyncio.Queue[None]) -> None:
            """Return once `watch` would hear an add; a store that must connect first waits."""
            await asyncio.sleep(0)

        async def stop_watching(self, watching: asyncio.Task[None]) -> None:
            watching.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await watching


class MemoryJobStoreTest(Contract.StoreContract):
    async def make_store(self) -> JobStore:
        return MemoryJobStore(self.clock)


class SqliteJobStoreTest(Contract.StoreContract):
    async def make_store(self) -> JobStore:
        directory = self.enterContext(tempfile.TemporaryDirectory())
        store = await SqliteJobStore.open(str(Path(directory) / "jobs.sqlite3"), self.clock)
        self.addAsyncCleanup(store.close)
        return store
{%- if cookiecutter.job_store == "postgres" %}


class PostgresJobStoreTest(PostgresTestCase, Contract.StoreContract):
    shared = True

    async def make_store(self) -> JobStore:
        store = await PostgresJobStore.open(self.database_url, self.clock)
        self.addAsyncCleanup(store.close)
        return store

    async def until_watching(self, heard: asyncio.Queue[None]) -> None:
        # Its first call says it listens (the catch-up after connecting).
        await asyncio.wait_for(heard.get(), DELIVERY_TIMEOUT)
{%- endif %}
