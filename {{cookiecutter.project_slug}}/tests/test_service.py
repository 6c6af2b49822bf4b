"""The service's lifecycle on virtual time: its phases, readiness, the bounded queue, draining
a store of its own, handing a shared one over, crashes."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from unittest import mock

from {{ cookiecutter.package_name }}.clock import Clock
from {{ cookiecutter.package_name }}.config import ConfigError, Settings
from {{ cookiecutter.package_name }}.jobs import Job, JobStatus, ShuttingDownError
from {{ cookiecutter.package_name }}.logs import JsonFormatter
from {{ cookiecutter.package_name }}.service import Phase, Readiness, Service
from {{ cookiecutter.package_name }}.store import JobStore, QueueFullError, StoreUnavailableError
from tests.support import ServiceTestCase, VirtualTimeTestCase
from tests.support.stores import MemoryJobStore

TICK = 1.0
GRACE = 10.0
ROOM = 3
SERVICE_LOGGER = "{{ cookiecutter.package_name }}.service"


def leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    """The exceptions in `group` and in the groups nested in it."""
    found: list[BaseException] = []
    for exception in group.exceptions:
        if isinstance(exception, BaseExceptionGroup):
            found.extend(leaves(exception))
        else:
            found.append(exception)
    return found


class SharedMemoryJobStore(MemoryJobStore):
    """A `MemoryJobStore` that says other replicas claim from it too, as PostgreSQL's does."""

    @property
    def shared(self) -> bool:
        return True


class ServiceTest(ServiceTestCase):
    def make_settings(self) -> Settings:
        return Settings(
            tick_interval=TICK,
            shutdown_grace_period=GRACE,
            max_queued_jobs=ROOM,
            worker_concurrency=1,
        )

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.done: list[str] = []
        self.service.on_job_ended.append(
            lambda job, status, seconds: self.done.append(job.job.name)
        )

    def test_the_virtual_clock_is_a_clock(self) -> None:
        clock: Clock = self.clock
        self.assertIs(self.service.clock, clock)

    async def test_a_submitted_job_is_stored_and_done_without_waiting_for_a_tick(self) -> None:
        ended: list[float] = []
        self.service.on_job_ended.append(lambda job, status, seconds: ended.append(seconds))
        stored = await self.service.submit(Job("report", duration=0.5))
        self.assertEqual(await self.service.job(stored.id), stored)
        await self.clock.sleep(1)
        done = await self.service.job(stored.id)
        assert done is not None
        self.assertEqual(done.status, JobStatus.DONE)
        self.assertEqual(ended, [0.5])

    async def test_a_full_queue_refuses_jobs_until_there_is_room(self) -> None:
        await self.service.submit(Job("in hand", duration=2.0))
        await self.clock.sleep(0.5)
        for number in range(ROOM):
            await self.service.submit(Job(f"job {number}"))
        self.assertEqual(await self.service.readiness(), Readiness.QUEUE_FULL)
        self.assertEqual(await self.service.queue_depth(), ROOM)
        with self.assertRaises(QueueFullError):
            await self.service.submit(Job("one too many"))
        await self.clock.sleep(2.0)
        self.assertEqual(await self.service.readiness(), Readiness.READY)
        await self.service.submit(Job("now there is room"))

    async def test_an_unreachable_store_makes_the_service_unready(self) -> None:
        away = StoreUnavailableError("the database is restarting")
        with mock.patch.object(self.store, "count_queued", side_effect=away):
            self.assertEqual(await self.service.readiness(), Readiness.STORE_UNAVAILABLE)
        self.assertEqual(await self.service.readiness(), Readiness.READY)

    async def test_shutdown_turns_unready_at_once_and_drains_the_whole_queue(self) -> None:
        await self.service.submit(Job("slow", duration=3.0))
        await self.clock.sleep(1.5)
        await self.service.submit(Job("queued", duration=2.0))
        asked_at = self.clock.monotonic()

        self.service.request_shutdown()

        self.assertFalse(self.service.ready)
        self.assertEqual(self.service.phase, Phase.DRAINING)
        self.assertEqual(await self.service.readiness(), Readiness.NOT_SERVING)
        await self.service_stopped()
        self.assertEqual(self.service.phase, Phase.STOPPED)
        self.assertEqual(self.done, ["slow", "queued"])
        self.assertEqual(self.clock.monotonic() - asked_at, 3.0 - 1.5 + 2.0)
        self.assertEqual(await self.store.unfinished(), [])

    async def test_what_the_grace_period_cuts_off_stays_queued_and_is_named_once(self) -> None:
        endless = await self.service.submit(Job("endless", duration=10 * GRACE))
        await self.clock.sleep(1.5)
        waiting = await self.service.submit(Job("waiting"))
        asked_at = self.clock.monotonic()

        with self.assertLogs(SERVICE_LOGGER, "WARNING") as logs:
            self.service.request_shutdown()
            await self.service_stopped()

        self.assertEqual(self.clock.monotonic() - asked_at, GRACE)
        unfinished = await self.store.unfinished()
        self.assertEqual([job.id for job in unfinished], [endless.id, waiting.id])
        self.assertEqual({job.status for job in unfinished}, {JobStatus.QUEUED})
        [report] = [record for record in logs.records if "not run before shutdown" in record.msg]
        self.assertIn(f"{endless.id} 'endless', {waiting.id} 'waiting'", report.getMessage())
        structured = json.loads(JsonFormatter().format(report))
        self.assertEqual(
            structured["unfinished_jobs"],
            [{"id": endless.id, "name": "endless"}, {"id": waiting.id, "name": "waiting"}],
        )

    async def test_a_clean_drain_reports_nothing_unfinished(self) -> None:
        await self.service.submit(Job("quick"))
        with self.assertNoLogs(SERVICE_LOGGER, logging.WARNING):
            self.service.request_shutdown()
            await self.service_stopped()

    async def test_a_second_request_stops_at_once(self) -> None:
        await self.service.submit(Job("endless", duration=10 * GRACE))
        await self.clock.sleep(1.5)
        asked_at = self.clock.monotonic()

        self.service.request_shutdown()
        self.service.request_shutdown()
        self.assertEqual(self.service.phase, Phase.STOPPING)
        await self.service_stopped()

        self.assertEqual(self.clock.monotonic(), asked_at)
        self.service.request_shutdown()
        self.assertEqual(self.service.phase, Phase.STOPPED)

    async def test_no_job_is_accepted_once_shutdown_begins(self) -> None:
        self.service.request_shutdown()
        with self.assertRaises(ShuttingDownError):
            await self.service.submit(Job("late"))
        await self.service_stopped()

    async def test_a_crashing_worker_stops_the_service_with_its_exception(self) -> None:
        crash = RuntimeError("the job store broke")
        with mock.patch.object(self.store, "claim", side_effect=crash):
            await self.service.submit(Job("doomed"))
            with self.assertRaises(ExceptionGroup) as caught:
                await self.service_stopped()
        self.assertEqual(leaves(caught.exception), [crash])
        self.assertEqual(self.service.phase, Phase.STOPPED)


class SharedStoreServiceTest(ServiceTestCase):
    """A replica of a shared store hands its jobs back on shutdown; it does not drain the queue."""

    def make_settings(self) -> Settings:
        return Settings(tick_interval=TICK, shutdown_grace_period=GRACE, worker_concurrency=1)

    async def make_store(self) -> JobStore:
        return SharedMemoryJobStore()

    async def test_shutdown_releases_what_is_in_hand_and_names_it_with_the_queue_depth(
        self,
    ) -> None:
        endless = await self.service.submit(Job("endless", duration=10 * GRACE))
        await self.clock.sleep(1.5)
        await self.service.submit(Job("for the others"))

        with self.assertLogs(SERVICE_LOGGER, "WARNING") as logs:
            self.service.request_shutdown()
            await self.service_stopped()

        [report] = [record for record in logs.records if "released" in record.msg]
        self.assertIn(
            "1 job(s) released unfinished to the other replicas:"
            f" {endless.id} 'endless'; 2 job(s) queued",
            report.getMessage(),
        )
        self.assertNotIn("next start", report.getMessage())
        structured = json.loads(JsonFormatter().format(report))
        self.assertEqual(structured["released_jobs"], [{"id": endless.id, "name": "endless"}])
        self.assertEqual(structured["queue_depth"], 2)


class RecordingServer:
    """A `RequestServer` that notes what the service asks of it, and what the service is then."""

    def __init__(self, service_state: Callable[[], str]) -> None:
        self.calls: list[tuple[str, str]] = []
        self._service_state = service_state
        self._closed = asyncio.Event()

    def _note(self, call: str) -> None:
        self.calls.append((call, self._service_state()))

    async def listen(self) -> None:
        self._note("listen")

    async def serve(self) -> None:
        self._note("serve")
        try:
            await self._closed.wait()
        finally:
            self._note("serve ended")

    def close(self) -> None:
        self._note("close")
        self._closed.set()


class RequestServerTest(ServiceTestCase):
    def make_settings(self) -> Settings:
        return Settings(tick_interval=TICK, shutdown_grace_period=GRACE)

    def make_server(self) -> RecordingServer:
        self.server = RecordingServer(self.describe_service)
        return self.server

    def describe_service(self) -> str:
        ready = "ready" if self.service.ready else "not ready"
        return f"{ready}, {len(self.done)} done"

    async def asyncSetUp(self) -> None:
        self.done: list[str] = []
        await super().asyncSetUp()
        self.service.on_job_ended.append(
            lambda job, status, seconds: self.done.append(job.job.name)
        )

    async def test_the_server_listens_first_and_closes_only_once_the_queue_has_drained(
        self,
    ) -> None:
        await self.service.submit(Job("in flight", duration=3.0))
        await self.clock.sleep(1.5)

        self.service.request_shutdown()
        await self.service_stopped()

        self.assertEqual(
            self.server.calls,
            [
                ("listen", "not ready, 0 done"),
                ("serve", "ready, 0 done"),
                ("close", "not ready, 1 done"),
                ("serve ended", "not ready, 1 done"),
            ],
        )

    async def test_a_crash_cancels_the_server_which_still_ends_its_serve(self) -> None:
        with (
            mock.patch.object(self.store, "claim", side_effect=RuntimeError("broken")),
            self.assertRaises(ExceptionGroup),
        ):
            await self.service_stopped()
        self.assertIn("serve ended", [call for call, _ in self.server.calls])


class UnusableAddressTest(VirtualTimeTestCase):
    async def test_a_server_that_cannot_listen_stops_the_start_before_any_job_runs(self) -> None:
        store = MemoryJobStore()
        await store.add(Job("must not run"), max_queued=1)
        service = Service(Settings(), self.clock, store)
        refusal = ConfigError("PORT", "80", "a port this process may listen on")
        server = mock.Mock(spec=RecordingServer, listen=mock.AsyncMock(side_effect=refusal))

        with self.assertRaises(ConfigError):
            await service.run(server)

        self.assertEqual(service.phase, Phase.STOPPED)
        server.serve.assert_not_called()
        self.assertEqual([job.status for job in await store.unfinished()], [JobStatus.QUEUED])
