"""Virtual time keeps asyncio's timing semantics exactly, without the waiting."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import inspect
import time
import unittest
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from {{ cookiecutter.package_name }}.clock import Clock
from tests.support import VirtualClock, VirtualTimeTestCase
from tests.support._python import require_verified_python
from tests.support.virtual_time import VirtualTimeLoop


class ClockTests(VirtualTimeTestCase):
    start_time: ClassVar[dt.datetime] = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)

    async def test_is_the_services_clock(self) -> None:
        clock: Clock = self.clock
        self.assertIsInstance(clock.monotonic(), float)
        self.assertTrue(inspect.iscoroutinefunction(clock.sleep))
        await clock.sleep(2)
        self.assertEqual(clock.now(), dt.datetime(2030, 6, 1, 12, 0, 2, tzinfo=dt.UTC))

    async def test_loop_time_monotonic_and_now_move_together(self) -> None:
        loop = asyncio.get_running_loop()
        self.assertIsInstance(loop, VirtualTimeLoop)
        self.assertEqual((loop.time(), self.clock.monotonic()), (0.0, 0.0))
        await asyncio.sleep(3600.5)
        self.assertEqual((loop.time(), self.clock.monotonic()), (3600.5, 3600.5))
        self.assertEqual(self.clock.now(), self.start_time + dt.timedelta(seconds=3600.5))
        self.assertEqual(self.clock.now().tzinfo, dt.UTC)

    async def test_an_hour_of_sleep_takes_no_real_time(self) -> None:
        started = time.perf_counter()
        await asyncio.sleep(3600)
        self.assertLess(time.perf_counter() - started, 0.5)

    async def test_many_small_steps_do_not_drift(self) -> None:
        steps = 2000
        floating_sum = 0.0
        for _ in range(steps):
            floating_sum += 0.1
        self.assertNotEqual(floating_sum, 200.0, "the step count must be enough to show drift")
        for _ in range(steps):
            await asyncio.sleep(0.1)
        self.assertEqual(self.clock.monotonic(), 200.0)
        for _ in range(steps):
            await self.clock.advance(0.1)
        self.assertEqual(self.clock.monotonic(), 400.0)

    def test_start_time_must_be_timezone_aware(self) -> None:
        with self.assertRaises(ValueError):
            VirtualClock(dt.datetime(2024, 1, 1))


class LongHorizonTests(unittest.TestCase):
    """Far deadlines are reached exactly: timers and the clock count whole nanoseconds."""

    def run_virtually(self, main: Callable[[], Coroutine[Any, Any, None]]) -> float:
        # Without debug mode: a decade of timers is a benchmark-sized run, not a test's.
        with asyncio.Runner(loop_factory=VirtualTimeLoop, debug=False) as runner:
            runner.run(main())
            return runner.get_loop().time()

    def test_ten_years_of_daily_and_hourly_work_end_on_the_exact_time(self) -> None:
        runs = {"daily": 0, "hourly": 0}
        years = 10
        day = 86_400

        def hourly(loop: asyncio.AbstractEventLoop, left: int) -> None:
            runs["hourly"] += 1
            if left > 1:
                loop.call_later(3600, hourly, loop, left - 1)

        async def decade() -> None:
            loop = asyncio.get_running_loop()
            loop.call_later(3600, hourly, loop, years * 365 * 24)
            for _ in range(years * 365):
                await asyncio.sleep(day)
                runs["daily"] += 1

        self.assertEqual(self.run_virtually(decade), years * 365 * day)
        self.assertEqual(runs, {"daily": 3650, "hourly": 87_600})

    def test_single_sleeps_past_194_days(self) -> None:
        for seconds in (2**24, 2**25, 1e9):
            with self.subTest(seconds=seconds):
                ended = self.run_virtually(functools.partial(asyncio.sleep, seconds))
                self.assertEqual(ended, seconds)

    def test_waking_just_before_a_float_deadline_still_gets_there(self) -> None:
        async def until(deadline: float) -> None:
            loop = asyncio.get_running_loop()
            while loop.time() < deadline:  # noqa: ASYNC110 -- the pattern under test
                await asyncio.sleep(deadline - loop.time())

        self.assertGreaterEqual(self.run_virtually(lambda: until(2**24 + 0.1)), 2**24 + 0.1)


class BusyLoopTests(VirtualTimeTestCase):
    async def test_polling_with_sleep_zero_moves_time_to_the_timer(self) -> None:
        fired = asyncio.Event()
        asyncio.get_running_loop().call_later(0.002, fired.set)
        while not fired.is_set():  # noqa: ASYNC110 -- the pattern under test
            await asyncio.sleep(0)
        self.assertEqual(self.clock.monotonic(), 0.002)

    async def test_short_busy_stretches_leave_time_exact(self) -> None:
        for _ in range(50):
            await asyncio.sleep(0)
        await asyncio.sleep(1)
        self.assertEqual(self.clock.monotonic(), 1.0)


class TimerOrderTests(VirtualTimeTestCase):
    async def test_sleepers_wake_in_deadline_order_at_their_deadlines(self) -> None:
        woke: list[tuple[str, float]] = []

        async def sleeper(name: str, seconds: float) -> None:
            await asyncio.sleep(seconds)
            woke.append((name, self.clock.monotonic()))

        async with asyncio.TaskGroup() as group:
            for name, seconds in [("c", 3.0), ("a", 1.0), ("d", 3.5), ("b", 2.5)]:
                group.create_task(sleeper(name, seconds))
        self.assertEqual(woke, [("a", 1.0), ("b", 2.5), ("c", 3.0), ("d", 3.5)])

    async def test_call_later_and_call_at(self) -> None:
        loop = asyncio.get_running_loop()
        calls: list[tuple[str, float]] = []
        done = loop.create_future()
        loop.call_at(5.0, lambda: calls.append(("at 5", loop.time())))
        loop.call_later(2.0, lambda: calls.append(("later 2", loop.time())))
        loop.call_later(4.5, lambda: calls.append(("later 4.5", loop.time())))
        loop.call_later(6.0, done.set_result, None)
        await done
        self.assertEqual(calls, [("later 2", 2.0), ("later 4.5", 4.5), ("at 5", 5.0)])


class EqualDeadlineTests(VirtualTimeTestCase):
    # The order asserted here is the one a schedule seed draws anew (test_support_schedules).
    explore_schedules = False

    async def test_equal_deadlines_fire_in_the_order_they_were_set(self) -> None:
        loop = asyncio.get_running_loop()
        order: list[int] = []
        for number in range(50):
            loop.call_at(7.0 if number % 2 else 3.0, order.append, number)
        await asyncio.sleep(8)
        self.assertEqual(order, list(range(0, 50, 2)) + list(range(1, 50, 2)))


class TimeoutTests(VirtualTimeTestCase):
    async def test_wait_for_times_out_at_its_deadline(self) -> None:
        with self.assertRaises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), timeout=3)
        self.assertEqual(self.clock.monotonic(), 3.0)
        self.assertEqual(await asyncio.wait_for(asyncio.sleep(1, "done"), timeout=3), "done")
        self.assertEqual(self.clock.monotonic(), 4.0)

    async def test_timeout_and_timeout_at(self) -> None:
        with self.assertRaises(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.sleep(60)
        self.assertEqual(self.clock.monotonic(), 5.0)
        with self.assertRaises(TimeoutError):
            async with asyncio.timeout_at(asyncio.get_running_loop().time() + 2):
                await asyncio.sleep(60)
        self.assertEqual(self.clock.monotonic(), 7.0)

    async def test_rescheduled_timeout(self) -> None:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(1) as deadline:
            deadline.reschedule(loop.time() + 10)
            await asyncio.sleep(9)
        with self.assertRaises(TimeoutError):
            async with asyncio.timeout(None) as deadline:
                deadline.reschedule(loop.time() + 4)
                await asyncio.sleep(60)
        self.assertEqual(self.clock.monotonic(), 13.0)

    async def test_queue_get_with_timeout(self) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        with self.assertRaises(TimeoutError):
            await asyncio.wait_for(queue.get(), timeout=2)
        asyncio.get_running_loop().call_later(1, queue.put_nowait, "job")
        self.assertEqual(await asyncio.wait_for(queue.get(), timeout=2), "job")
        self.assertEqual(self.clock.monotonic(), 3.0)

    async def test_condition_notified_before_its_timeout(self) -> None:
        condition = asyncio.Condition()
        ready: list[bool] = []

        async def announce() -> None:
            await asyncio.sleep(2)
            async with condition:
                ready.append(True)
                condition.notify_all()

        async with asyncio.TaskGroup() as group:
            group.create_task(announce())
            async with condition:
                await asyncio.wait_for(condition.wait_for(lambda: bool(ready)), timeout=5)
        self.assertEqual(self.clock.monotonic(), 2.0)


class ManualTimeTests(VirtualTimeTestCase):
    autojump = False

    async def test_advance_runs_what_falls_due_in_deadline_order(self) -> None:
        loop = asyncio.get_running_loop()
        calls: list[tuple[str, float]] = []

        def record(name: str) -> None:
            calls.append((name, loop.time()))

        loop.call_later(3, record, "3")

        def record_and_schedule() -> None:
            record("1")
            loop.call_later(1, record, "1+1")

        loop.call_later(1, record_and_schedule)
        loop.call_later(7, record, "7")
        await self.clock.advance(5)
        self.assertEqual(calls, [("1", 1.0), ("1+1", 2.0), ("3", 3.0)])
        self.assertEqual(self.clock.monotonic(), 5.0)
        await self.clock.advance(2)
        self.assertEqual(calls[-1], ("7", 7.0))

    async def test_tasks_sleep_until_time_is_advanced(self) -> None:
        sleeper = asyncio.create_task(asyncio.sleep(10))
        await self.clock.advance(9.5)
        self.assertFalse(sleeper.done())
        await self.clock.advance(0.5)
        self.assertTrue(sleeper.done())

    async def test_time_never_goes_back(self) -> None:
        readings = [self.clock.monotonic()]
        for step in (0.25, 0.0, 3.0, 1e-9):
            await self.clock.advance(step)
            readings.append(self.clock.monotonic())
        self.assertEqual(readings, sorted(readings))
        self.assertEqual(readings[-1], 3.250000001)
        with self.assertRaises(ValueError):
            await self.clock.advance(-1)
        self.assertEqual(self.clock.monotonic(), 3.250000001)


class StandaloneLoopTests(unittest.TestCase):
    def test_runs_wherever_a_loop_factory_is_accepted(self) -> None:
        async def a_day_later() -> float:
            await asyncio.sleep(86_400)
            return asyncio.get_running_loop().time()

        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            self.assertEqual(runner.run(a_day_later()), 86_400.0)

    def test_advance_refuses_a_loop_that_does_not_run_on_its_clock(self) -> None:
        with asyncio.Runner() as runner, self.assertRaises(RuntimeError):
            runner.run(VirtualClock().advance(1))


class PythonVersionTests(unittest.TestCase):
    def test_an_unchecked_python_is_refused_with_what_to_do(self) -> None:
        with self.assertRaises(RuntimeError) as refused:
            require_verified_python((3, 99), environ={})
        message = str(refused.exception)
        self.assertIn("checked on Python 3.11, 3.12, 3.13, 3.14, 3.15", message)
        self.assertIn("not on 3.99", message)
        self.assertIn("TESTS_SUPPORT_TRUST_PYTHON=3.99", message)

    def test_an_unchecked_python_runs_when_trusted_by_name(self) -> None:
        require_verified_python((3, 99), environ={"TESTS_SUPPORT_TRUST_PYTHON": "3.99"})
        with self.assertRaises(RuntimeError):
            require_verified_python((3, 99), environ={"TESTS_SUPPORT_TRUST_PYTHON": "3.98"})

    def test_every_checked_python_runs(self) -> None:
        for version in ((3, 11), (3, 12), (3, 13), (3, 14), (3, 15)):
            require_verified_python(version, environ={})
