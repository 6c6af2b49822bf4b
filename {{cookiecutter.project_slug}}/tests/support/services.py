"""Base classes for testing the service itself: running, on virtual time, around each test.

`ServiceTestCase` builds the real `Service` on the test's `VirtualClock` with a
`MemoryJobStore`, starts it in `asyncSetUp` and stops it in a cleanup, so each test begins
with a ready service and nothing outlives it.
{%- if cookiecutter.web_framework != "none" %}

`WebAppTestCase` runs the service as production does, HTTP server included: the service's own
`HttpServer`, behind its `ConnectionGuard`, listening on a free loopback port in the test's
event loop, and adds `self.client`, an httpx client for that port. The server's and the
handlers' waits run on the test's virtual time with the rest of the service.
{%- endif %}
"""

from __future__ import annotations

import asyncio
{%- if cookiecutter.web_framework != "none" %}

import httpx
{%- endif %}

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.job_origin import UNTRACED, JobTracer
from {{ cookiecutter.package_name }}.service import RequestServer, Service
from {{ cookiecutter.package_name }}.store import JobStore
{%- if cookiecutter.web_framework != "none" %}
from {{ cookiecutter.package_name }}.web import HttpServer, create_app
{%- endif %}
from tests.support.cases import VirtualTimeTestCase
from tests.support.stores import MemoryJobStore


class ServiceTestCase(VirtualTimeTestCase):
    """Runs `self.service` on virtual time for the length of each test.

    Override `make_settings` to change the settings, `make_store` to give the service another
    store (`self.store` is the one it runs with), `make_tracer` to trace its jobs,
    `make_server` to run it with a `RequestServer`. A test that shuts the service down, or
    makes it crash, awaits `service_stopped()`; otherwise the cleanup requests the shutdown and
    waits for it, so a service that crashed unnoticed still fails the test.
    """

    service: Service
    store: JobStore

    def make_settings(self) -> Settings:
        """The settings the service runs with: the defaults."""
        return Settings()

    async def make_store(self) -> JobStore:
        """The service's store: a new `MemoryJobStore`, so that time stays exact."""
        return MemoryJobStore()

    def make_tracer(self) -> JobTracer:
        """What traces the service's jobs (see `job_origin`): nothing, by default."""
        return UNTRACED

    def make_server(self) -> RequestServer | None:
        """What takes requests for `self.service` while it runs: nothing, by default."""
        return None

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.store = await self.make_store()
        self.service = Service(
            self.make_settings(), self.clock, self.store, tracer=self.make_tracer()
        )
        self._running = asyncio.create_task(self.service.run(self.make_server()), name="service")
        self._stop_seen_by_test = False
        self.addAsyncCleanup(self._stop_service)
        while not self.service.ready:
            if self._running.done():
                self._running.result()
            # Not sleep(0): a service that starts with real work (a name lookup in a thread)
            # would keep the loop busy for hundreds of iterations, which moves virtual time
            # (see `_loop_core`) in the test's first steps. This look waits for an idle loop.
            await self.clock.advance(0)

    async def service_stopped(self) -> None:
        """Wait until the service has stopped; raise what made it stop, if anything did."""
        self._stop_seen_by_test = True
        await self._running

    async def _stop_service(self) -> None:
        if not self._running.done():
            self.service.request_shutdown()
        if not self._stop_seen_by_test:
            await self._running
{%- if cookiecutter.web_framework != "none" %}


# How long a request may go unanswered, in the test's virtual seconds, before the client gives
# up with `httpx.TimeoutException`: httpx's own default (5 s) is shorter than the waits an
# endpoint test sets up on purpose.
CLIENT_TIMEOUT = 300.0


class WebAppTestCase(ServiceTestCase):
    """A `ServiceTestCase` whose service serves HTTP, with `self.client` to send it requests.

    The service runs with the HTTP server it runs with in production, `web.HttpServer`: the
    framework's own server behind the `ConnectionGuard`, on a socket from `listener.py`, here
    on a free loopback port (`make_settings` sets ``port=0``; an override must keep it). It
    runs in the test's event loop, so a handler that waits 30 seconds on the service's clock
    answers after 30 virtual seconds, in milliseconds of real time. `self.http` is the server;
    ``self.http.port`` its port, for a test that opens connections of its own. As in
    production, the server closes once a shutdown has drained the service: a test that asks
    for a shutdown and then sends requests keeps a job in hand first.

    `self.client` is an `httpx.AsyncClient` for that port: requests take paths,
    ``await self.client.get("/readyz")``. It opens a connection for each request and closes
    it after the answer: a kept-alive connection would race the server's idle timeout, which
    counts virtual time, while httpx's pool counts real time.
    """

    client: httpx.AsyncClient
    http: HttpServer

    def make_settings(self) -> Settings:
        """The default settings, on a free port."""
        return Settings(port=0)

    def make_server(self) -> RequestServer:
        self.http = HttpServer(create_app(self.service), self.service.settings)
        return self.http

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.http.port}",
            timeout=CLIENT_TIMEOUT,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self.client = await self.enterAsyncContext(client)
{%- endif %}
