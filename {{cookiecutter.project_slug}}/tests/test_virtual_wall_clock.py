"""`virtual_wall_clock`: the wall clock follows virtual time, and only when asked.

Code that reads the wall clock itself, rather than the `Clock` it was given, sees real time on
a plain `VirtualTimeTestCase`: a test that sleeps two hours cannot see a one-hour token expire.
With the switch, every way of reading the wall clock agrees with `self.clock.now()` at every
instant; the monotonic clocks stay real, and the patch is gone when the test ends, however it
ends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import sqlite3
import subprocess
import sys
import time
import unittest
import warnings
from pathlib import Path
from time import time as time_imported_before_the_test
from typing import Any, ClassVar

import time_machine

from tests.support import VirtualTimeTestCase
from tests.support._child_runs import ChildRunTestCase, run_child

_PROJECT = Path(__file__).resolve().parent.parent
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_MICROSECOND = dt.timedelta(microseconds=1)
# Built before any test runs: the call goes through C (functools.partial) to datetime.now.
_now_in_utc = functools.partial(dt.datetime.now, dt.UTC)


class _Token:
    """What a library stamps with the wall clock: it cannot be given a Clock."""

    def __init__(self, lifetime: dt.timedelta) -> None:
        self.expires = dt.datetime.now(dt.UTC) + lifetime

    def expired(self) -> bool:
        return dt.datetime.now(dt.UTC) >= self.expires


class _TokenTest:
    async def test_a_one_hour_token_has_expired_two_hours_later(self) -> None:
        token = _Token(lifetime=dt.timedelta(hours=1))
        await asyncio.sleep(2 * 3600)
        self.assertTrue(token.expired(), "the token must have expired")  # type: ignore[attr-defined]


class TokenExpiryTests(ChildRunTestCase):
    def test_without_the_switch_the_token_never_expires(self) -> None:
        case = type("RealWallClock", (_TokenTest, VirtualTimeTestCase), {})
        run = run_child(case)
        self.assertEqual((len(run.failures), run.errors), (1, []), run.report)
        self.assertIn("the token must have expired", run.failures[0])

    def test_with_the_switch_the_token_expires(self) -> None:
        members = {"virtual_wall_clock": True}
        case = type("VirtualWallClock", (_TokenTest, VirtualTimeTestCase), members)
        self.assert_passed(run_child(case), tests_run=1)


def _set_local_time_zone(case: unittest.TestCase, zone: str) -> None:
    """Run `case` in the time zone `zone` (a POSIX TZ string), as the process's own."""
    previous = os.environ.get("TZ")

    def restore() -> None:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()

    os.environ["TZ"] = zone
    time.tzset()
    case.addCleanup(restore)


class AgreementTests(VirtualTimeTestCase):
    """Every reading of the wall clock is `self.clock.now()`, wherever time came from."""

    virtual_wall_clock = True
    start_time = dt.datetime(2024, 1, 1, 2, 0, 0, 123456, tzinfo=dt.UTC)

    def setUp(self) -> None:
        # Five hours west of UTC, no daylight saving: local dates differ from UTC's at start.
        _set_local_time_zone(self, "VWC+05")
        self.assert_agrees()

    async def asyncSetUp(self) -> None:
        self.addCleanup(self.assert_agrees)
        self.assert_agrees()

    def assert_agrees(self) -> None:
        virtual = self.clock.now()
        local = virtual.astimezone()
        self.assertEqual(dt.datetime.now(dt.UTC), virtual)
        self.assertEqual(dt.datetime.now(), local.replace(tzinfo=None))
        self.assertEqual(dt.date.today(), local.date())
        self.assertEqual(time.time_ns() // 1000, (virtual - _EPOCH) // _ONE_MICROSECOND)
        # now() stops at the microsecond and time.time() keeps the nanoseconds, as a float
        # that resolves about 0.25 us at today's timestamps: they differ by under 2 us.
        self.assertAlmostEqual(time.time(), virtual.timestamp(), delta=2e-6)
        with warnings.catch_warnings():
            # Deprecated from 3.12; code under test may still call it.
            warnings.simplefilter("ignore", DeprecationWarning)
            self.assertEqual(dt.datetime.utcnow(), virtual.replace(tzinfo=None))

    async def test_at_the_start_time(self) -> None:
        self.assertEqual(dt.datetime.now(dt.UTC), self.start_time)
        self.assertEqual(dt.datetime.now().isoformat(), "2023-12-31T21:00:00.123456")
        self.assertEqual(dt.date.today(), dt.date(2023, 12, 31))

    async def test_after_a_jump_to_the_nanosecond(self) -> None:
        await asyncio.sleep(3 * 3600)
        await asyncio.sleep(1e-9)
        self.assertEqual(dt.date.today(), dt.date(2024, 1, 1))
        self.assert_agrees()
        start_ns = (self.start_time - _EPOCH) // _ONE_MICROSECOND * 1000
        self.assertEqual(time.time_ns() - start_ns, 3 * 3600 * 10**9 + 1)

    async def test_in_a_timer_callback(self) -> None:
        stamped: list[dt.datetime] = []
        asyncio.get_running_loop().call_later(90, lambda: stamped.append(dt.datetime.now(dt.UTC)))
        await asyncio.sleep(100)
        self.assertEqual(stamped, [self.start_time + dt.timedelta(seconds=90)])
        self.assert_agrees()

    async def test_after_real_time_flowed_while_a_thread_worked(self) -> None:
        def work() -> tuple[dt.datetime, dt.datetime]:
            time.sleep(0.02)
            return dt.datetime.now(dt.UTC), self.clock.now()

        seen_by_thread, clock_in_thread = await asyncio.to_thread(work)
        self.assertEqual(seen_by_thread, clock_in_thread)
        self.assertGreater(self.clock.monotonic(), 0, "virtual time flowed with the thread")
        self.assert_agrees()

    async def test_after_busy_ticks(self) -> None:
        timer = asyncio.create_task(asyncio.sleep(1))
        for _ in range(300):
            await asyncio.sleep(0)
        self.assertGreater(self.clock.monotonic(), 0, "busy iterations moved the clock")
        self.assert_agrees()
        await timer


class ByHandTests(VirtualTimeTestCase):
    virtual_wall_clock = True
    autojump = False

    async def test_after_advance(self) -> None:
        await self.clock.advance(2.5)
        self.assertEqual(dt.datetime.now(dt.UTC), self.start_time + dt.timedelta(seconds=2.5))
        await self.clock.advance(86_400)
        self.assertEqual(dt.date.today(), dt.date(2024, 1, 2))


class ReadingsFromEverywhereTests(VirtualTimeTestCase):
    virtual_wall_clock = True
    start_time = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.UTC)

    def setUp(self) -> None:
        _set_local_time_zone(self, "UTC0")

    async def test_from_c_and_from_references_taken_before_the_test(self) -> None:
        await asyncio.sleep(60)
        expected = self.start_time + dt.timedelta(minutes=1)
        self.assertEqual(_now_in_utc(), expected)
        self.assertEqual(time_imported_before_the_test(), expected.timestamp())
        # Formatted in C from the current time, which C reads from the patched clock.
        self.assertEqual(time.strftime("%Y-%m-%d %H:%M:%S"), "2001-02-03 04:06:06")
        self.assertEqual(time.gmtime()[:6], (2001, 2, 3, 4, 6, 6))
        self.assertEqual(time.localtime()[:6], (2001, 2, 3, 4, 6, 6))

    async def test_in_log_records(self) -> None:
        await asyncio.sleep(60)
        with self.assertLogs("virtual_wall_clock") as logs:
            logging.getLogger("virtual_wall_clock").info("stamped")
        stamped = dt.datetime.fromtimestamp(logs.records[0].created, dt.UTC)
        self.assertEqual(stamped, self.start_time + dt.timedelta(minutes=1))

    async def test_from_a_thread_of_the_test(self) -> None:
        await asyncio.sleep(3600)
        seen: list[dt.datetime] = []
        await asyncio.to_thread(lambda: seen.append(dt.datetime.now(dt.UTC)))
        self.assertEqual(seen, [self.clock.now()])

    async def test_not_in_c_libraries_that_read_the_system_clock(self) -> None:
        def sqlite_today() -> str:
            with sqlite3.connect(":memory:") as database:
                (today,) = database.execute("SELECT date('now')").fetchone()
            database.close()
            return str(today)

        self.assertNotEqual(await asyncio.to_thread(sqlite_today), "2001-02-03")


class MonotonicTests(VirtualTimeTestCase):
    virtual_wall_clock = True

    async def test_monotonic_clocks_stay_real(self) -> None:
        monotonic, perf_counter = time.monotonic(), time.perf_counter()
        await asyncio.sleep(7 * 24 * 3600)
        self.assertLess(time.monotonic() - monotonic, 3600)
        self.assertLess(time.perf_counter() - perf_counter, 3600)
        self.assertEqual(asyncio.get_running_loop().time(), 7 * 24 * 3600)


class _Nested:
    async def test_travels_inside(self) -> None:
        with time_machine.travel(dt.datetime(2030, 1, 1, tzinfo=dt.UTC), tick=False):
            self.assertEqual(dt.datetime.now(dt.UTC).year, 2030)  # type: ignore[attr-defined]
        await asyncio.sleep(10)
        clock = self.clock  # type: ignore[attr-defined]
        self.assertEqual(dt.datetime.now(dt.UTC), clock.now())  # type: ignore[attr-defined]


class _Mistakes:
    async def test_leaves_a_travel_running(self) -> None:
        time_machine.travel(dt.datetime(2030, 1, 1, tzinfo=dt.UTC)).start()

    async def asyncSetUp(self) -> None:
        if self._testMethodName == "test_fails_in_async_set_up":  # type: ignore[attr-defined]
            raise RuntimeError("asyncSetUp failed")

    async def test_fails_in_async_set_up(self) -> None:
        """Never runs."""

    async def test_deadlocks(self) -> None:
        await asyncio.get_running_loop().create_future()

    async def test_fails(self) -> None:
        raise AssertionError("failed")


def _child(*bases: type, **members: Any) -> type[VirtualTimeTestCase]:
    return type("Child", (*bases, VirtualTimeTestCase), {"virtual_wall_clock": True, **members})


class TravelsAndEndingsTests(ChildRunTestCase):
    """time-machine's own travels nest inside; the patch never outlives the test."""

    def tearDown(self) -> None:
        self.assertFalse(time_machine.escape_hatch.is_travelling(), "the patch must be undone")

    def test_a_travel_inside_the_test_wins_until_it_ends(self) -> None:
        self.assert_passed(run_child(_child(_Nested)), tests_run=1)

    def test_a_travel_left_running_fails_the_test_and_is_stopped(self) -> None:
        run = run_child(_child(_Mistakes), "test_leaves_a_travel_running")
        self.assertEqual((len(run.failures), run.errors), (1, []), run.report)
        self.assertIn("the test left 1 time_machine.travel() running (now stopped)", run.report)

    def test_a_travel_around_the_test_is_refused_by_name(self) -> None:
        case = time_machine.travel(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))(_child(_Nested))
        run = run_child(case)
        self.assertEqual((run.failures, len(run.errors)), ([], 1), run.report)
        self.assertIn("a time_machine.travel() was already running", run.errors[0])

    def test_the_patch_is_undone_however_the_test_ends(self) -> None:
        for name in ("test_fails_in_async_set_up", "test_deadlocks", "test_fails"):
            with self.subTest(name):
                run = run_child(_child(_Mistakes), name)
                self.assertEqual(len(run.failures + run.errors), 1, run.report)
                self.assertFalse(time_machine.escape_hatch.is_travelling())

    def test_a_failing_set_up_undoes_it_too(self) -> None:
        def set_up(case: VirtualTimeTestCase) -> None:
            raise RuntimeError("setUp failed")

        run = run_child(_child(_Nested, setUp=set_up))
        self.assertIn("setUp failed", run.report)


class OffByDefaultTests(unittest.TestCase):
    _PROGRAM: ClassVar[str] = (
        "import asyncio, sys, unittest\n"
        "from tests.support import VirtualTimeTestCase\n"
        "class Plain(VirtualTimeTestCase):\n"
        "    async def test_sleeps(self):\n"
        "        await asyncio.sleep(3600)\n"
        "result = unittest.TestResult()\n"
        "unittest.defaultTestLoader.loadTestsFromTestCase(Plain).run(result)\n"
        "print(result.wasSuccessful(), 'time_machine' in sys.modules)\n"
    )

    def test_off_it_imports_nothing(self) -> None:
        ran = subprocess.run(
            [sys.executable, "-c", self._PROGRAM],
            cwd=_PROJECT,
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(ran.stdout, "True False\n", ran.stderr)
