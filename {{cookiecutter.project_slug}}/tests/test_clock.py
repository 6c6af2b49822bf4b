"""SystemClock: the real time the service runs on in production."""

import asyncio
import datetime as dt
import unittest

from {{ cookiecutter.package_name }}.clock import Clock, SystemClock


class SystemClockTest(unittest.IsolatedAsyncioTestCase):
    def setUp(self) -> None:
        self.clock: Clock = SystemClock()

    def test_monotonic_never_goes_backwards(self) -> None:
        readings = [self.clock.monotonic() for _ in range(1000)]
        self.assertEqual(readings, sorted(readings))

    def test_now_is_timezone_aware_utc(self) -> None:
        now = self.clock.now()
        self.assertEqual(now.utcoffset(), dt.timedelta(0))
        self.assertLess(abs(now - dt.datetime.now(dt.UTC)), dt.timedelta(seconds=5))

    async def test_sleep_suspends_only_the_calling_task(self) -> None:
        loop = asyncio.get_running_loop()
        started = self.clock.monotonic()
        ran_meanwhile = loop.create_future()
        loop.call_soon(ran_meanwhile.set_result, True)
        await self.clock.sleep(0.01)
        self.assertTrue(ran_meanwhile.done())
        self.assertGreaterEqual(self.clock.monotonic() - started, 0.01)
