"""Where accepted jobs live until they have run: the `JobStore` protocol and its SQLite default.

The service answers 202 only once a job is in the store, and a job leaves the store's queue only
when it has run. What that promise is worth depends on the store:

- `SqliteJobStore`, the default, needs no server. Each accepted job is committed to a SQLite
  file (``synchronous=FULL``, so it survives the process being killed and the machine losing
  power) before the client hears 202. Jobs that were running when the process died are queued
  again when the store is next opened, so every accepted job runs at least once. The
  connection lives on one worker thread of its own, so the event loop never waits on the disk.
- One file serves one process. Several replicas of the service need a shared queue: implement
  `JobStore` over your broker or database (its ``claim`` must hand a job to one worker only,
  e.g. ``SELECT ... FOR UPDATE SKIP LOCKED`` in PostgreSQL, or a consumer group's
  acknowledgements in a stream broker) and pass it to the `Service` where `__main__` builds it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Protocol, TypeVar

from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, StoredJob
from {{ cookiecutter.package_name }}.signals import leave_shutdown_signals_to_main_thread

_T = TypeVar("_T")
logger = logging.getLogger(__name__)

_SCHEMA = """
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
"""
_COLUMNS = "id, name, duration, status, attempts, error"


class QueueFullError(RuntimeError):
    """The store already holds as many queued jobs as it may; try again later."""


class JobStore(Protocol):
    """The jobs the service has accepted and not yet finished, in the order they came."""

    async def add(self, job: Job, *, max_queued: int) -> StoredJob:
        """Store `job` as queued and return it with its new id.

        Raises `QueueFullError` if `max_queued` jobs are queued already. Once this returns, the
        job is as durable as the store can make it.
        """
        ...

    async def claim(self) -> StoredJob | None:
        """Mark the oldest queued job running and return it; None when nothing is queued."""
        ...

    async def finish(self, job_id: str, error: str | None = None) -> None:
        """Mark a running job done, or failed with `error`."""
        ...

    async def release(self, job_id: str) -> None:
        """Put a running job back in the queue, in its original place, to run again."""
        ...

    async def get(self, job_id: str) -> StoredJob | None:
        """The job with this id, in whatever state it is; None if there is none."""
        ...

    async def count_queued(self) -> int:
        """How many jobs wait to be claimed."""
        ...

    async def unfinished(self) -> list[StoredJob]:
        """Every queued or running job, oldest first."""
        ...


class SqliteJobStore:
    """A `JobStore` in one SQLite file, driven from a thread of its own.

    Open it with ``async with await SqliteJobStore.open(path) as store``; `path` may be
    ``":memory:"`` for a store that lives as long as the object (tests use it).
    """

    def __init__(self, executor: concurrent.futures.ThreadPoolExecutor) -> None:
        self._executor = executor
        self._connection: sqlite3.Connection | None = None

    @classmethod
    async def open(cls, path: str) -> SqliteJobStore:
        """Open (or create) the store at `path`; jobs left running are queued again.

        Raises `sqlite3.Error` if the file cannot be opened as a job store.
        """
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="job-store",
            initializer=leave_shutdown_signals_to_main_thread,
        )
        store = cls(executor)
        try:
            recovered = await store._call(store._connect, path)
        except BaseException:
            await store.close()
            raise
        if recovered:
            logger.warning(
                "%d job(s) were running when the store last closed: queued again", recovered
            )
        return store

    async def close(self) -> None:
        """Close the file and end the store's thread."""
        if self._connection is not None:
            await self._call(self._connection.close)
            self._connection = None
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> SqliteJobStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def add(self, job: Job, *, max_queued: int) -> StoredJob:
        stored = StoredJob(id=str(uuid.uuid4()), job=job)
        await self._call(self._insert, stored, max_queued)
        return stored

    async def claim(self) -> StoredJob | None:
        return await self._call(self._claim)

    async def finish(self, job_id: str, error: str | None = None) -> None:
        status = JobStatus.DONE if error is None else JobStatus.FAILED
        statement = "UPDATE jobs SET status = ?, error = ? WHERE id = ?"
        await self._write(statement, status, error, job_id)

    async def release(self, job_id: str) -> None:
        await self._write("UPDATE jobs SET status = ? WHERE id = ?", JobStatus.QUEUED, job_id)

    async def get(self, job_id: str) -> StoredJob | None:
        rows = await self._read(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", job_id)
        return rows[0] if rows else None

    async def count_queued(self) -> int:
        return await self._call(self._count_queued)

    async def unfinished(self) -> list[StoredJob]:
        return await self._read(
            f"SELECT {_COLUMNS} FROM jobs WHERE status IN (?, ?) ORDER BY seq",
            JobStatus.QUEUED,
            JobStatus.RUNNING,
        )

    async def _call(self, function: Callable[..., _T], *args: object) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def _write(self, statement: str, *parameters: object) -> None:
        await self._call(self._execute, statement, parameters)

    async def _read(self, query: str, *parameters: object) -> list[StoredJob]:
        return await self._call(self._select, query, parameters)

    # Everything below runs on the store's thread, the only one that touches the connection.

    def _connect(self, path: str) -> int:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            connection.executescript(_SCHEMA)
            recovered = connection.execute(
                "UPDATE jobs SET status = ? WHERE status = ?", (JobStatus.QUEUED, JobStatus.RUNNING)
            ).rowcount
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return recovered

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the job store is closed")
        return self._connection

    def _insert(self, stored: StoredJob, max_queued: int) -> None:
        db = self._db()
        with _transaction(db):
            if self._count_queued() >= max_queued:
                raise QueueFullError(f"{max_queued} jobs are queued already")
            db.execute(
                "INSERT INTO jobs (id, name, duration, status) VALUES (?, ?, ?, ?)",
                (stored.id, stored.job.name, stored.job.duration, stored.status),
            )

    def _claim(self) -> StoredJob | None:
        db = self._db()
        with _transaction(db):
            row = db.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE status = ? ORDER BY seq LIMIT 1",
                (JobStatus.QUEUED,),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = ?, attempts = attempts + 1 WHERE id = ?",
                (JobStatus.RUNNING, row[0]),
            )
        claimed = _stored(row)
        return dataclasses.replace(claimed, status=JobStatus.RUNNING, attempts=claimed.attempts + 1)

    def _count_queued(self) -> int:
        query = "SELECT COUNT(*) FROM jobs WHERE status = ?"
        return int(self._db().execute(query, (JobStatus.QUEUED,)).fetchone()[0])

    def _execute(self, statement: str, parameters: tuple[object, ...]) -> None:
        self._db().execute(statement, parameters)

    def _select(self, query: str, parameters: tuple[object, ...]) -> list[StoredJob]:
        return [_stored(row) for row in self._db().execute(query, parameters)]


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _stored(row: tuple[str, str, float, str, int, str | None]) -> StoredJob:
    job_id, name, duration, status, attempts, error = row
    return StoredJob(job_id, Job(name, duration), JobStatus(status), attempts, error)
