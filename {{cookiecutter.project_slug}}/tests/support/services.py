"""Base classes for testing the service itself: running, on virtual time, around each test.

`ServiceTestCase` builds the real `Service` on the test's `VirtualClock` with a
`MemoryJobStore`, starts it in `asyncSetUp` and stops it in a cleanup, so each test begins
with a ready service and nothing outlives it.
{%- if cookiecutter.web_framework == "aiohttp" %}

`WebAppTestCase` runs the service with its HTTP server on a free loopback port, and adds an
aiohttp client, `self.client`, talking to it.
{%- elif cookiecutter.web_framework == "fastapi" %}

`WebAppTestCase` adds `self.client`, an httpx client that calls the service's FastAPI app
in-process through its ASGI interface: no server, no socket, and the app's own waits run on
the test's virtual time like the rest of the service.
{%- endif %}
"""

from __future__ import annotations

import asyncio
{%- if cookiecutter.web_framework == "aiohttp" %}

import aiohttp
{%- elif cookiecutter.web_framework == "fastapi" %}

import httpx
{%- endif %}

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.service import RequestServer, Service
from {{ cookiecutter.package_name }}.store import JobStore
{%- if cookiecutter.web_framework == "aiohttp" %}
from {{ cookiecutter.package_name }}.web import HttpServer, create_app
{%- elif cookiecutter.web_framework == "fastapi" %}
from {{ cookiecutter.package_name }}.web import create_app
{%- endif %}
from tests.support.cases import VirtualTimeTestCase
from tests.support.stores import MemoryJobStore


class ServiceTestCase(VirtualTimeTestCase):
    """Runs `self.service` on virtual time for the length of each test.

    Override `make_settings` to change the settings, `make_store` to give the service another
    store (`self.store` is the one it runs with), `make_server` to run it with a
    `RequestServer`. A test that shuts the service down, or
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

    def make_server(self) -> RequestServer | None:
        """What takes requests for `self.service` while it runs: nothing, by default."""
        return None

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.store = await self.make_store()
        self.service = Service(self.make_settings(), self.clock, self.store)
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
{%- if cookiecutter.web_framework == "aiohttp" %}


class WebAppTestCase(ServiceTestCase):
    """A `ServiceTestCase` with `self.client`, an aiohttp session for the service's HTTP server.

    Requests take paths: ``await self.client.get("/readyz")``. `self.http` is the server.
    """

    client: aiohttp.ClientSession
    http: HttpServer

    def make_settings(self) -> Settings:
        """The default settings, on a free port."""
        return Settings(port=0)

    def make_server(self) -> RequestServer:
        self.http = HttpServer(create_app(self.service), self.service.settings)
        return self.http

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        base_url = f"http://127.0.0.1:{self.http.port}"
        self.client = await self.enterAsyncContext(aiohttp.ClientSession(base_url=base_url))
{%- elif cookiecutter.web_framework == "fastapi" %}


class WebAppTestCase(ServiceTestCase):
    """A `ServiceTestCase` with `self.client`, an httpx client for the service's FastAPI app.

    Requests take paths: ``await self.client.get("/readyz")``. They reach the app through
    httpx's ASGI transport, in this test's event loop: a handler that waits 30 seconds on the
    service's clock answers after 30 virtual seconds, in milliseconds of real time.
    """

    client: httpx.AsyncClient

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        transport = httpx.ASGITransport(app=create_app(self.service))
        self.client = await self.enterAsyncContext(
            httpx.AsyncClient(transport=transport, base_url="http://service.test")
        )
{%- endif %}
