"""What only the SQLite store does: a file that outlives the process, and schema migrations.

The contract every store meets is tested in `tests.test_store`. Here: accepted jobs outlive the
store, jobs found running at the next start are queued again (one process per file), the bound
holds under concurrent adds, and a file of the first release, which recorded no schema version,
is upgraded in place with its jobs kept, and they run; so is a file of the release before
jobs had an origin (schema version 2), its jobs with an empty one.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from pathlib import Path

from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, StoredJob
from {{ cookiecutter.package_name }}.sqlite_store import SCHEMA_VERSION, SqliteJobStore
from {{ cookiecutter.package_name }}.store import QueueFullError, StoreUnavailableError
from tests.support import AsyncTestCase
from tests.support.stores import SettableClock

ROOM = 100
LEASE = 30.0
LOGGER = "{{ cookiecutter.package_name }}.sqlite_store"

# The schema of the first release, as its store created it, and two of its jobs: one queued,
# one that was running when its process stopped.
FIRST_RELEASE = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    duration REAL NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq);
INSERT INTO jobs (id, name, duration, status, attempts) VALUES
    ('done-1', 'finished', 0.5, 'done', 1),
    ('running-1', 'interrupted', 1.5, 'running', 1),
    ('queued-1', 'waiting', 2.5, 'queued', 0);
"""

# The schema of the release before jobs had an origin (version 2), with one queued job.
BEFORE_ORIGINS = (
    FIRST_RELEASE
    + """
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires REAL;
UPDATE jobs SET status = 'queued' WHERE status = 'running';
PRAGMA user_version = 2;
"""
)


def write_database(path: str, script: str) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.executescript(script)
    finally:
        connection.close()


def read_version(path: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()


class SqliteJobStoreTest(AsyncTestCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        directory = self.enterContext(tempfile.TemporaryDirectory())
        self.path = str(Path(directory) / "jobs.sqlite3")
        self.clock = SettableClock()

    async def open_store(self, path: str | None = None) -> SqliteJobStore:
        store = await SqliteJobStore.open(path or self.path, self.clock)
        return await self.enterAsyncContext(store)

    async def test_accepted_jobs_outlive_the_store_and_running_ones_are_queued_again(self) -> None:
        store = await self.open_store()
        running = await store.add(Job("running"), max_queued=ROOM)
        waiting = await store.add(Job("waiting"), max_queued=ROOM)
        await store.claim("gone", LEASE)
        await store.close()

        with self.assertLogs(LOGGER, "WARNING") as logs:
            reopened = await self.open_store()

        self.assertIn("1 job(s) were running", logs.output[0])
        unfinished = await reopened.unfinished()
        self.assertEqual([job.id for job in unfinished], [running.id, waiting.id])
        self.assertEqual({job.status for job in unfinished}, {JobStatus.QUEUED})
        again = await reopened.claim("new", LEASE)
        assert again is not None
        self.assertEqual((again.id, again.attempts, again.owner), (running.id, 2, "new"))

    async def test_a_file_of_the_first_release_is_upgraded_and_its_jobs_run(self) -> None:
        await asyncio.to_thread(write_database, self.path, FIRST_RELEASE)

        with self.assertLogs(LOGGER, "INFO") as logs:
            store = await self.open_store()

        self.assertIn(f"schema upgraded from version 0 to {SCHEMA_VERSION}", logs.output[0])
        self.assertIn("1 job(s) were running", logs.output[1])
        self.assertEqual(await asyncio.to_thread(read_version, self.path), SCHEMA_VERSION)
        done = await store.get("done-1")
        assert done is not None
        expected = (JobStatus.DONE, Job("finished", 0.5), None)
        self.assertEqual((done.status, done.job, done.owner), expected)
        claimed = [await store.claim("worker", LEASE) for _ in range(3)]
        self.assertEqual(
            [(job.id, job.job, job.attempts) if job else None for job in claimed],
            [("running-1", Job("interrupted", 1.5), 2), ("queued-1", Job("waiting", 2.5), 1), None],
        )
        for job in claimed[:2]:
            assert job is not None
            await store.finish(job)
        self.assertEqual(await store.unfinished(), [])
        self.assertEqual(await store.count_queued(), 0)

    async def test_a_file_from_before_origins_is_upgraded_its_jobs_with_an_empty_one(self) -> None:
        await asyncio.to_thread(write_database, self.path, BEFORE_ORIGINS)

        with self.assertLogs(LOGGER, "INFO") as logs:
            store = await self.open_store()

        self.assertIn(f"schema upgraded from version 2 to {SCHEMA_VERSION}", logs.output[0])
        old = await store.claim("worker", LEASE)
        assert old is not None
        self.assertEqual((old.id, old.origin), ("running-1", {}))
        origin = {"request_id": "req-1"}
        new = await store.add(Job("new"), max_queued=ROOM, origin=origin)
        await store.close()
        reopened = await self.open_store()
        self.assertEqual(await reopened.get(new.id), new)
        self.assertEqual([job.origin for job in await reopened.unfinished()], [{}, {}, origin])

    async def test_an_upgraded_file_opens_again_without_migrating(self) -> None:
        await asyncio.to_thread(write_database, self.path, FIRST_RELEASE)
        await (await self.open_store()).close()
        with self.assertNoLogs(LOGGER, "INFO"):
            await self.open_store()

    async def test_a_file_of_a_newer_schema_is_refused(self) -> None:
        newer = SCHEMA_VERSION + 1
        await asyncio.to_thread(write_database, self.path, f"PRAGMA user_version = {newer};")
        with self.assertRaisesRegex(StoreUnavailableError, f"schema version {newer}.*newer"):
            await SqliteJobStore.open(self.path, self.clock)
        self.assertEqual(await asyncio.to_thread(read_version, self.path), newer)

    async def test_a_file_that_is_not_a_database_is_refused_in_one_line(self) -> None:
        await asyncio.to_thread(Path(self.path).write_bytes, b"not a database" * 100)
        with self.assertRaises(StoreUnavailableError) as refused:
            await SqliteJobStore.open(self.path, self.clock)
        self.assertEqual(str(refused.exception), "file is not a database")

    async def test_a_file_that_cannot_be_created_is_refused(self) -> None:
        with self.assertRaises(StoreUnavailableError):
            await SqliteJobStore.open(str(Path(self.path) / "no" / "such.sqlite3"), self.clock)

    async def test_concurrent_adds_never_pass_the_bound(self) -> None:
        store = await self.open_store()
        room, tries = 20, 30
        outcomes = await asyncio.gather(
            *(store.add(Job(f"job {n}"), max_queued=room) for n in range(tries)),
            return_exceptions=True,
        )
        added = [outcome for outcome in outcomes if isinstance(outcome, StoredJob)]
        refused = [outcome for outcome in outcomes if isinstance(outcome, QueueFullError)]
        self.assertEqual((len({job.id for job in added}), len(refused)), (room, tries - room))
        self.assertEqual(await store.count_queued(), room)
