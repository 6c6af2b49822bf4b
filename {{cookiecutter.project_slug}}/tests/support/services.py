"""Base classes for testing the service itself: running, on virtual time, around each test.

`ServiceTestCase` builds the real `Service` on the test's `VirtualClock` with a
`MemoryJobStore`, starts it in `asyncSetUp` and stops it in a cleanup, so each test begins
with a ready service and nothing outlives it.
{%- if cookiecutter.web_framework == "aiohttp" %}

`WebAppTestCase` adds an aiohttp client, `self.client`, talking to the service's own HTTP
server on a free loopback port.
{%- endif %}
"""

from __future__ import annotations

import asyncio
{%- if cookiecutter.web_framework == "aiohttp" %}

import aiohttp
{%- endif %}

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.service import Service
from {{ cookiecutter.package_name }}.store import JobStore
from tests.support.cases import VirtualTimeTestCase
from tests.support.stores import MemoryJobStore


class ServiceTestCase(VirtualTimeTestCase):
    """Runs `self.service` on virtual time for the length of each test.

    Override `make_settings` to change the settings, `make_store` to give the service another
    store (`self.store` is the one it runs with). A test that shuts the service down, or
    makes it crash, awaits `service_stopped()`; otherwise the cleanup requests the shutdown and
    waits for it, so a service that crashed unnoticed still fails the test.
    """

    service: Service
    store: JobStore

    def make_settings(self) -> Settings:
        """The settings the service runs with{% if cookiecutter.web_framework == "aiohttp" %}: defaults, on a free port{% endif %}."""
        return Settings({% if cookiecutter.web_framework == "aiohttp" %}port=0{% endif %})

    async def make_store(self) -> JobStore:
        """The service's store: a new `MemoryJobStore`, so that time stays exact."""
        return MemoryJobStore()

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.store = await self.make_store()
        self.service = Service(self.make_settings(), self.clock, self.store)
        self._running = asyncio.create_task(self.service.run(), name="service")
        self._stop_seen_by_test = False
        self.addAsyncCleanup(self._stop_service)
        while not self.service.ready:
            if self._running.done():
                self._running.result()
            await asyncio.sleep(0)

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

    Requests take paths: ``await self.client.get("/readyz")``.
    """

    client: aiohttp.ClientSession

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        base_url = f"http://127.0.0.1:{self.service.http.port}"
        self.client = await self.enterAsyncContext(aiohttp.ClientSession(base_url=base_url))
{%- endif %}
