"""`SqliteJobStore`: the jobs in one SQLite file, for a service that runs as one process.

It needs no server. Each accepted job is committed to the file (``synchronous=FULL``, so it
survives the process being killed and the machine losing power) before `add` returns, and so
before the client hears 202. The connection lives on one worker thread of its own, so the event
loop never waits on the disk; every change is one ``BEGIN IMMEDIATE`` transaction, so each claim
hands a job to one worker only.

One file serves one process: its worker is the only one that claims, so jobs found running when
the store opens were left by a process that died, and are queued again (see `open`). Leases
still count, on the injected `Clock`, so that a job whose worker froze is claimed again exactly
as on a shared store. Wake-ups need no database: the store calls its watchers itself once a job
is committed.

**Schema versions.** The file records the version of its schema in ``PRAGMA user_version``.
`open` applies the migrations the file lacks, in order, inside the same write transaction that
reads the version, so two processes opening one file cannot both apply them, and a failed
migration leaves the file as it was. Version 1 is the schema of the first release, which
recorded no version (0); a file of that release is upgraded in place, its jobs kept. A file of
a newer version than this code knows is refused, not guessed at. A job's origin (see
`job_origin.py`) is one JSON object in a text column, NULL for the jobs of a file from before
version 3: they come back with an empty origin.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TypeVar

from {{ cookiecutter.package_name }}.clock import Clock
from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, StoredJob
from {{ cookiecutter.package_name }}.signals import leave_shutdown_signals_to_main_thread
from {{ cookiecutter.package_name }}.store import (
    InProcessWakeUps,
    LeaseLostError,
    QueueFullError,
    StoreUnavailableError,
)

_T = TypeVar("_T")
logger = logging.getLogger(__name__)

# Migration n (from 1) takes a file from version n - 1 to n; each is a list of statements.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS jobs (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            duration REAL NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq)",
    ),
    (
        # Who holds a running job, and until when (seconds since the epoch, on the store's clock).
        "ALTER TABLE jobs ADD COLUMN owner TEXT",
        "ALTER TABLE jobs ADD COLUMN lease_expires REAL",
    ),
    ("ALTER TABLE jobs ADD COLUMN origin TEXT",),
)
SCHEMA_VERSION = len(_MIGRATIONS)
_JOBS_TABLE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'"

_COLUMNS = "id, name, duration, status, attempts, error, owner, origin"
# The oldest claimable job: each half is one search of the index on (status, seq), the second
# among the running jobs only, which are few.
_NEXT_CLAIMABLE = """
    SELECT min(seq) FROM (
        SELECT min(seq) AS seq FROM jobs WHERE status = 'queued'
        UNION ALL
        SELECT min(seq) FROM jobs WHERE status = 'running' AND lease_expires <= ?
    )
"""
_HELD = "id = ? AND owner = ? AND attempts = ? AND status = 'running'"


class SqliteJobStore:
    """A `JobStore` in one SQLite file, driven from a thread of its own.

    Open it with ``async with await SqliteJobStore.open(path, clock) as store``; `path` may be
    ``":memory:"`` for a store that lives as long as the object. `shared` is False: no other
    process claims from this file.
    """

    def __init__(self, executor: concurrent.futures.ThreadPoolExecutor, clock: Clock) -> None:
        self._executor = executor
        self._clock = clock
        self._connection: sqlite3.Connection | None = None
        self._wake_ups = InProcessWakeUps()

    @classmethod
    async def open(cls, path: str, clock: Clock) -> SqliteJobStore:
        """Open (or create) the store at `path`, upgrading its schema; jobs left running are
        queued again, with a warning.

        Raises `StoreUnavailableError`, with a one-line cause, if the file cannot be opened as
        a job store (not a database, not writable, of a newer schema).
        """
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="job-store",
            initializer=leave_shutdown_signals_to_main_thread,
        )
        store = cls(executor, clock)
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

    @property
    def shared(self) -> bool:
        return False

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

    async def add(
        self, job: Job, *, max_queued: int, origin: Mapping[str, str] | None = None
    ) -> StoredJob:
        stored = StoredJob(id=str(uuid.uuid4()), job=job, origin=dict(origin or {}))
        await self._call(self._insert, stored, max_queued)
        self._wake_ups.job_added()
        return stored

    async def claim(self, owner: str, lease: float) -> StoredJob | None:
        return await self._call(self._claim, owner, self._clock.now().timestamp(), lease)

    async def renew(self, jobs: Sequence[StoredJob], lease: float) -> list[StoredJob]:
        expires = self._clock.now().timestamp() + lease
        return await self._call(self._renew, list(jobs), expires)

    async def finish(self, job: StoredJob, error: str | None = None) -> None:
        status = JobStatus.DONE if error is None else JobStatus.FAILED
        statement = f"UPDATE jobs SET status = ?, error = ?, lease_expires = NULL WHERE {_HELD}"
        await self._call(self._change_held, job, statement, (status, error))

    async def release(self, job: StoredJob) -> None:
        statement = f"UPDATE jobs SET status = 'queued', lease_expires = NULL WHERE {_HELD}"
        await self._call(self._change_held, job, statement, ())
        self._wake_ups.job_added()

    async def get(self, job_id: str) -> StoredJob | None:
        rows = await self._call(self._select, f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", job_id)
        return rows[0] if rows else None

    async def count_queued(self) -> int:
        return await self._call(self._count_queued)

    async def unfinished(self) -> list[StoredJob]:
        query = f"SELECT {_COLUMNS} FROM jobs WHERE status IN ('queued', 'running') ORDER BY seq"
        return await self._call(self._select, query)

    async def watch(self, job_added: Callable[[], None]) -> None:
        await self._wake_ups.watch(job_added)

    async def _call(self, function: Callable[..., _T], *args: object) -> _T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, function, *args)
        except sqlite3.OperationalError as error:
            # The disk is full, the file locked by another process, its directory gone...
            raise StoreUnavailableError(f"the job database cannot be used: {error}") from None

    # Everything below runs on the store's thread, the only one that touches the connection.

    def _connect(self, path: str) -> int:
        try:
            connection = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise StoreUnavailableError(str(error)) from None
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            with _transaction(connection):
                _migrate(connection)
                recovered = connection.execute(
                    "UPDATE jobs SET status = 'queued', lease_expires = NULL"
                    " WHERE status = 'running'"
                ).rowcount
        except sqlite3.Error as error:
            connection.close()
            raise StoreUnavailableError(str(error)) from None
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
                "INSERT INTO jobs (id, name, duration, status, origin)"
                " VALUES (?, ?, ?, 'queued', ?)",
                (stored.id, stored.job.name, stored.job.duration, json.dumps(stored.origin)),
            )

    def _claim(self, owner: str, now: float, lease: float) -> StoredJob | None:
        db = self._db()
        with _transaction(db):
            row = db.execute(_NEXT_CLAIMABLE, (now,)).fetchone()
            if row[0] is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, owner = ?,"
                " lease_expires = ? WHERE seq = ?",
                (owner, now + lease, row[0]),
            )
            claimed = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE seq = ?", row).fetchone()
        return _stored(claimed)

    def _renew(self, jobs: list[StoredJob], expires: float) -> list[StoredJob]:
        db = self._db()
        lost = []
        with _transaction(db):
            for job in jobs:
                statement = f"UPDATE jobs SET lease_expires = ? WHERE {_HELD}"
                if db.execute(statement, (expires, *_claim_of(job))).rowcount == 0:
                    lost.append(job)
        return lost

    def _change_held(self, job: StoredJob, statement: str, values: tuple[object, ...]) -> None:
        db = self._db()
        with _transaction(db):
            if db.execute(statement, (*values, *_claim_of(job))).rowcount == 0:
                raise LeaseLostError(_lost(job))

    def _count_queued(self) -> int:
        query = "SELECT COUNT(*) FROM jobs WHERE status = 'queued'"
        return int(self._db().execute(query).fetchone()[0])

    def _select(self, query: str, *parameters: object) -> list[StoredJob]:
        return [_stored(row) for row in self._db().execute(query, parameters)]


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema to `SCHEMA_VERSION`, inside the caller's write transaction."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    created = version == 0 and db.execute(_JOBS_TABLE).fetchone() is None
    if version > SCHEMA_VERSION:
        raise StoreUnavailableError(
            f"the job database has schema version {version}, written by a newer release of"
            f" this service; this one knows versions up to {SCHEMA_VERSION}"
        )
    for statements in _MIGRATIONS[version:]:
        for statement in statements:
            db.execute(statement)
    if version < SCHEMA_VERSION:
        # PRAGMA takes no parameters; the version is this module's own integer.
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if created:
            logger.debug("job database created at schema version %d", SCHEMA_VERSION)
        else:
            logger.info(
                "job database schema upgraded from version %d to %d", version, SCHEMA_VERSION
            )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _claim_of(job: StoredJob) -> tuple[str, str | None, int]:
    """What identifies `job`'s claim: its id, owner and attempt (see `store.py`)."""
    return job.id, job.owner, job.attempts


def _lost(job: StoredJob) -> str:
    return f"job {job.id}: the claim of attempt {job.attempts} by {job.owner} is no longer current"


def _stored(
    row: tuple[str, str, float, str, int, str | None, str | None, str | None],
) -> StoredJob:
    job_id, name, duration, status, attempts, error, owner, origin = row
    return StoredJob(
        job_id,
        Job(name, duration),
        JobStatus(status),
        attempts,
        error,
        owner,
        json.loads(origin) if origin is not None else {},
    )
