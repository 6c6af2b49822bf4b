"""The HTTP side of the service, on aiohttp: probes for the platform and a way to submit jobs.

- ``GET /healthz`` (liveness) answers 200 for as long as the process can answer at all.
- ``GET /readyz`` (readiness) answers 200 while the service is serving and 503 from the moment
  a shutdown begins, so a load balancer stops sending new work before the service stops.
- ``POST /jobs`` with ``{"name": "...", "duration": seconds}`` queues a job for the worker:
  202 when accepted, 400 for a malformed body, 503 while shutting down.

`HttpServer` runs the app with aiohttp's `AppRunner` and `TCPSite` inside the service's own
lifecycle; ``web.run_app`` is not used because it installs signal handlers of its own.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from {{ cookiecutter.package_name }}.worker import Job

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.service import Service

logger = logging.getLogger(__name__)

SERVICE: web.AppKey[Service] = web.AppKey("service")


def create_app(service: Service) -> web.Application:
    """The aiohttp application serving `service`'s endpoints."""
    app = web.Application()
    app[SERVICE] = service
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_post("/jobs", submit_job)
    return app


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process is up and its event loop answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 while serving, 503 before the service is ready and once it is stopping."""
    if request.app[SERVICE].ready:
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "not ready"}, status=503)


async def submit_job(request: web.Request) -> web.Response:
    """Queue the job described by the JSON body."""
    service = request.app[SERVICE]
    if not service.ready:
        return web.json_response({"error": "the service is not accepting jobs"}, status=503)
    try:
        job = _parse_job(await request.json())
    except (ValueError, KeyError, TypeError, AttributeError):
        message = 'expected a JSON object {"name": string, "duration": seconds >= 0}'
        return web.json_response({"error": message}, status=400)
    service.submit(job)
    return web.json_response({"queued": job.name}, status=202)


def _parse_job(body: dict[str, object]) -> Job:
    duration = float(str(body.get("duration", 0.0)))
    if not 0 <= duration < float("inf"):
        raise ValueError(f"duration must be a number of seconds >= 0, not {duration}")
    return Job(name=str(body["name"]), duration=duration)


class HttpServer:
    """Serves an aiohttp app on `host` and `port` between `start` and `stop`."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self._runner = web.AppRunner(app, access_log=None)
        self._host = host
        self._port = port

    @property
    def port(self) -> int:
        """The port listened on: the one asked for, or the free one picked for port 0."""
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        """Listen for connections; log the address, which tells the port picked for port 0."""
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self._host, self._port).start()
        except BaseException:
            await self._runner.cleanup()
            raise
        logger.info("listening on http://%s:%d", self._host, self.port)

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        await self._runner.cleanup()
