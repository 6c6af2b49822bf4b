"""Where accepted jobs live until they have run: the `JobStore` protocol every store meets.

The service answers 202 only once a job is committed to its store, and a job leaves the store's
queue only when it has run. Each store is one module behind this protocol, and the one place
that chooses among them is where `__main__` builds the service:

- `sqlite_store.SqliteJobStore` keeps the jobs in one SQLite file: no server, one process.
{%- if cookiecutter.job_store == "postgres" %}
- `postgres_store.PostgresJobStore` keeps them in PostgreSQL, shared by every replica of the
  service: each job is handed to exactly one of them at a time.
{%- endif %}

**Claims and leases.** A worker `claim`s a job for a *lease*, a number of seconds on the
store's `Clock`, and renews the lease (`renew`) while the job runs. A job whose lease ran out,
because its process was killed or froze, is claimable again by any worker, as if it were queued.
Each claim counts an attempt, and the pair (owner, attempt) fences the job: `finish`, `release`
and `renew` act only for the claim that is current, so a worker that lost its lease cannot
overwrite what the job's new holder does. `finish` and `release` raise `LeaseLostError`
instead, `renew` returns the claims it found lost, and the worker says so in its log. A claim
stays current until another one takes the job: a worker whose lease ran out while nobody
claimed the job still records its outcome. A job therefore runs *at least once*, and may run
twice when a worker froze past its lease.

**Time.** Deadlines are read from the injected `Clock`'s wall-clock time (`now()`, UTC), not
from a database's clock, so a test on virtual time runs a lease out at once. Replicas that share
a store compare their own clocks with each other's deadlines: keep their clocks in agreement
(NTP) to well within a lease.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from {{ cookiecutter.package_name }}.jobs import Job, StoredJob


class QueueFullError(RuntimeError):
    """The store already holds as many queued jobs as it may; try again later."""


class LeaseLostError(RuntimeError):
    """The claim a worker acted on is no longer the job's current one.

    Its lease ran out and another claim took the job, or the job was released. The store has
    changed nothing; the job belongs to its current holder.
    """


class StoreUnavailableError(RuntimeError):
    """The store cannot be reached now (its database is restarting, say); try again later.

    The message is safe to log and to show: it never holds a password.
    """


class JobStore(Protocol):
    """The jobs the service has accepted and not yet finished, in the order they came."""

    @property
    def shared(self) -> bool:
        """True when other processes claim from the same queue.

        A worker of a shared store leaves the queue to the others when it stops; a worker of a
        store of its own drains the queue first.
        """
        ...

    async def add(
        self, job: Job, *, max_queued: int, origin: Mapping[str, str] | None = None
    ) -> StoredJob:
        """Store `job` as queued and return it with its new id, once it is committed.

        `origin` is kept with it as it is (see `job_origin.py`), and comes back with every
        `StoredJob` of it. Raises `QueueFullError` if `max_queued` jobs are queued already,
        counted exactly even while other processes add at the same time.
        """
        ...

    async def claim(self, owner: str, lease: float) -> StoredJob | None:
        """Hand the oldest claimable job to `owner` for `lease` seconds; None if there is none.

        Claimable are the queued jobs and the running ones whose lease has run out. The job
        comes back running, owned by `owner`, with its attempts counted one more.
        """
        ...

    async def renew(self, jobs: Sequence[StoredJob], lease: float) -> list[StoredJob]:
        """Extend the lease of each claimed job in `jobs` to `lease` seconds from now.

        Returns those whose claim is no longer current (see `LeaseLostError`); they were not
        renewed.
        """
        ...

    async def finish(self, job: StoredJob, error: str | None = None) -> None:
        """Mark the claimed `job` done, or failed with `error`.

        Raises `LeaseLostError`, changing nothing, if the claim is no longer current.
        """
        ...

    async def release(self, job: StoredJob) -> None:
        """Put the claimed `job` back in the queue, in its original place, to run again.

        Raises `LeaseLostError`, changing nothing, if the claim is no longer current.
        """
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

    async def watch(self, job_added: Callable[[], None]) -> None:
        """Call `job_added` whenever a job may have been queued, until cancelled.

        A call is a hint to claim now rather than at the next tick: it may come when there is
        nothing to claim, and a store that lost track for a while (a reconnect) calls it once
        more, since what was added meanwhile went unheard.
        """
        ...


class InProcessWakeUps:
    """`JobStore.watch` for a store whose every job is added by this process.

    The store calls `job_added` after each commit that queues a job; every watcher hears it.
    """

    def __init__(self) -> None:
        self._watchers: list[Callable[[], None]] = []

    async def watch(self, job_added: Callable[[], None]) -> None:
        """Call `job_added` at each `job_added()` of the store, until cancelled."""
        self._watchers.append(job_added)
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            self._watchers.remove(job_added)

    def job_added(self) -> None:
        """Tell every watcher that a job may have been queued."""
        for watcher in list(self._watchers):
            watcher()
