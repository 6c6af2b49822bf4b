"""The service's lifecycle on virtual time: readiness, draining, the grace period, crashes."""

from __future__ import annotations

from unittest import mock

from {{ cookiecutter.package_name }}.clock import Clock
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.service import ShuttingDownError
from {{ cookiecutter.package_name }}.worker import Job
from tests.support import ServiceTestCase

TICK = 1.0
GRACE = 10.0
# Half a tick after a tick is due, the worker has taken the jobs that were waiting.
AFTER_FIRST_TICK = 1.5 * TICK


class ServiceTest(ServiceTestCase):
    def make_settings(self) -> Settings:
        return Settings(tick_interval=TICK, shutdown_grace_period=GRACE{% if cookiecutter.web_framework == "aiohttp" %}, port=0{% endif %})

    def test_the_virtual_clock_is_a_clock(self) -> None:
        clock: Clock = self.clock
        self.assertIs(self.service.clock, clock)

    async def test_a_submitted_job_is_done_on_the_next_tick(self) -> None:
        self.service.submit(Job("report"))
        await self.clock.sleep(AFTER_FIRST_TICK)
        self.assertEqual(self.service.worker.done, [Job("report")])

    async def test_shutdown_turns_unready_at_once_and_drains_the_job_in_hand(self) -> None:
        self.service.submit(Job("slow", duration=3.0))
        await self.clock.sleep(AFTER_FIRST_TICK)
        asked_at = self.clock.monotonic()

        self.service.request_shutdown()

        self.assertFalse(self.service.ready)
        await self.service_stopped()
        self.assertEqual(self.service.worker.done, [Job("slow", duration=3.0)])
        self.assertEqual(self.clock.monotonic() - asked_at, TICK + 3.0 - AFTER_FIRST_TICK)

    async def test_work_past_the_grace_period_is_cancelled_and_returned(self) -> None:
        job = Job("endless", duration=10 * GRACE)
        self.service.submit(job)
        await self.clock.sleep(AFTER_FIRST_TICK)
        asked_at = self.clock.monotonic()

        self.service.request_shutdown()
        await self.service_stopped()

        self.assertEqual(self.clock.monotonic() - asked_at, GRACE)
        self.assertEqual(self.service.worker.queue.get_nowait(), job)

    async def test_a_second_request_stops_at_once(self) -> None:
        self.service.submit(Job("endless", duration=10 * GRACE))
        await self.clock.sleep(AFTER_FIRST_TICK)
        asked_at = self.clock.monotonic()

        self.service.request_shutdown()
        self.service.request_shutdown()
        await self.service_stopped()

        self.assertEqual(self.clock.monotonic(), asked_at)

    async def test_no_job_is_accepted_once_shutdown_begins(self) -> None:
        self.service.request_shutdown()
        with self.assertRaises(ShuttingDownError):
            self.service.submit(Job("late"))
        await self.service_stopped()

    async def test_a_crashing_worker_stops_the_service_with_its_exception(self) -> None:
        crash = RuntimeError("the worker exploded")
        with mock.patch.object(self.service.worker, "process", side_effect=crash):
            self.service.submit(Job("doomed"))
            with self.assertRaises(ExceptionGroup) as caught:
                await self.service_stopped()
        self.assertEqual(caught.exception.exceptions, (crash,))
        self.assertFalse(self.service.ready)
