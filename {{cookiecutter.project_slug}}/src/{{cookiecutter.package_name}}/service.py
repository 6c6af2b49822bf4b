"""The service's lifecycle: start, serve until asked to stop, drain, stop.

`Service.run` supervises everything the service does in one `asyncio.TaskGroup`, so nothing
runs unwatched: if any task raises, the others are cancelled and `run` raises too (the command
line logs the traceback and exits 1). A shutdown goes through three states:

1. **Serving**: `Service.ready` is true and the worker ticks.
2. **Draining**, from the first `request_shutdown` (SIGTERM or SIGINT): `ready` turns false at
   once and the worker finishes the job in hand but takes no other.
3. **Stopping**, when the worker is done, when ``shutdown_grace_period`` has passed, or at a
   second `request_shutdown`: whatever still runs is cancelled (a cancelled job goes back to
   the queue) and `run` returns.
{%- if cookiecutter.web_framework == "aiohttp" %}

The HTTP server runs from before the service is ready until after it has drained: ``/readyz``
answers 503 from the moment draining begins, so a load balancer stops sending work while the
work already accepted finishes.
{%- endif %}

All waiting is on the injected `Clock`, so tests drive the whole sequence on virtual time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

from {{ cookiecutter.package_name }}.clock import Clock, finished_within
from {{ cookiecutter.package_name }}.config import Settings
{%- if cookiecutter.web_framework == "aiohttp" %}
from {{ cookiecutter.package_name }}.web import HttpServer, create_app
{%- endif %}
from {{ cookiecutter.package_name }}.worker import Job, Worker

logger = logging.getLogger(__name__)


class ShuttingDownError(RuntimeError):
    """Raised when work is submitted to a service that is no longer accepting it."""


class Service:
    """The running service: its parts supervised together, with a graceful shutdown."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.worker = Worker(asyncio.Queue(), clock, settings.tick_interval)
{%- if cookiecutter.web_framework == "aiohttp" %}
        self.http = HttpServer(create_app(self), settings.host, settings.port)
{%- endif %}
        self._ready = False
        self._stop_requested = asyncio.Event()
        self._worker_task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        """True while the service is serving; false before it starts and once shutdown begins."""
        return self._ready

    def submit(self, job: Job) -> None:
        """Queue `job` for the worker's next tick."""
        if self._stop_requested.is_set():
            raise ShuttingDownError(f"not accepting job {job.name!r}: the service is shutting down")
        self.worker.queue.put_nowait(job)

    def request_shutdown(self) -> None:
        """Begin a graceful shutdown; asked again, stop at once."""
        if self._stop_requested.is_set():
            if self._worker_task is not None and not self._worker_task.done():
                logger.warning("shutdown requested again: stopping now")
                self._worker_task.cancel()
            return
        grace = self.settings.shutdown_grace_period
        logger.info("shutdown requested: draining for at most %g s", grace)
        self._ready = False
        self.worker.stop()
        self._stop_requested.set()

    async def run(self) -> None:
        """Serve until a shutdown completes; raise if any part of the service fails."""
        async with asyncio.TaskGroup() as group:
            self._worker_task = group.create_task(self.worker.run(), name="worker")
{%- if cookiecutter.web_framework == "aiohttp" %}
            await self.http.start()
{%- endif %}
            try:
                if not self._stop_requested.is_set():
                    self._ready = True
                    logger.info("service ready")
                await self._stop_requested.wait()
                await self._drain(self._worker_task)
            finally:
                self._ready = False
{%- if cookiecutter.web_framework == "aiohttp" %}
                await self.http.stop()
{%- endif %}
        logger.info("service stopped")

    async def _drain(self, worker: asyncio.Task[None]) -> None:
        grace = self.settings.shutdown_grace_period
        drained = await finished_within(self.clock, grace, asyncio.wait([worker]))
        if not drained:
            logger.warning("shutdown grace period of %g s is over: cancelling the worker", grace)
            worker.cancel()


@contextlib.contextmanager
def shutdown_on_signals(service: Service) -> Iterator[None]:
    """Turn SIGTERM and SIGINT into `Service.request_shutdown` while the block runs."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, service.request_shutdown)
    try:
        yield
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
