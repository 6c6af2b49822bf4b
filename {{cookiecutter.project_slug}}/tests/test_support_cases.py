"""AsyncTestCase fails tests on asyncio's silent errors, and only on them.

Each test defines a small test class with one deliberate mistake, runs it in-process, and
checks that the verdict is a failure whose message names the culprit and the line that made it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import ClassVar, TextIO
from unittest import mock

from tests.support import AsyncTestCase, VirtualTimeTestCase, _threads
from tests.support._child_runs import ChildRun, ChildRunTestCase, line_marked, run_child
from tests.support._tasks import place


def _line_of(marker: str) -> int:
    return line_marked(__file__, marker)


async def _wait_forever() -> None:
    await asyncio.Event().wait()


async def _boom() -> None:
    raise ValueError("boom")


class _Mistakes:
    """One test per mistake, mixed into an AsyncTestCase by `_verdict` (so never discovered)."""

    slow_callback_duration = 0.02

    async def test_leaves_task_pending(self) -> None:
        asyncio.create_task(_wait_forever(), name="worker")  # pending-task-created  # noqa: RUF006
        await asyncio.sleep(0)

    async def test_never_awaits_coroutine(self) -> None:
        _wait_forever()  # type: ignore[unused-coroutine]  # unawaited-created

    async def test_loses_task_exception(self) -> None:
        asyncio.create_task(_boom(), name="boomer")  # lost-created  # noqa: RUF006
        await asyncio.sleep(0.001)

    async def test_leaves_socket_open(self) -> None:
        socket.socket()  # socket-opened

    async def test_leaves_event_loop_open(self) -> None:
        asyncio.new_event_loop()  # loop-created

    async def test_blocks_the_loop(self) -> None:
        time.sleep(0.03)  # blocking-call  # noqa: ASYNC251 -- the mistake under test

    async def test_computes_on_the_loop(self) -> None:
        _compute_for(0.03)

    async def test_raises_in_a_callback(self) -> None:
        asyncio.get_running_loop().call_soon(_explode)
        await asyncio.sleep(0)

    async def test_leaves_subprocess_running(self) -> None:
        await asyncio.create_subprocess_exec(*_SLEEPER)  # subprocess-started

    async def test_leaves_timer_scheduled(self) -> None:
        asyncio.get_running_loop().call_later(3600, _explode)  # timer-scheduled

    async def test_leaves_thread_running(self) -> None:
        threading.Thread(target=_RELEASE.wait, name="forgotten").start()  # thread-started


_SLEEPER = (sys.executable, "-c", "import time; time.sleep(30)")
# From 3.12 on; looked up so that the module reads the same whatever Python a project targets.
_EAGER_TASK_FACTORY = getattr(asyncio, "eager_task_factory", None)


def _compute_for(seconds: float) -> None:
    """Keep this thread's CPU busy for `seconds` of its own CPU time, however loaded the machine."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def _explode() -> None:
    raise ValueError("kaboom")  # callback-raised


def _wait_for_release() -> None:
    _RELEASE.wait()  # waits-for-release


# Set once a child run's verdict is in, to end the threads its test left running on purpose.
_RELEASE = threading.Event()


@contextlib.contextmanager
def _threads_left_on_purpose() -> Iterator[None]:
    """End the threads a child run leaves waiting for `_RELEASE` once it is over; meanwhile,
    give them no grace to end, since they cannot before then."""
    try:
        with mock.patch.object(_threads, "GRACE_S", 0.0):
            yield
    finally:
        left = [thread for thread in threading.enumerate() if thread.name == "forgotten"]
        _RELEASE.set()
        for thread in left:
            thread.join()
        _RELEASE.clear()


def _verdict(
    test_name: str, base: type[AsyncTestCase] = AsyncTestCase, /, **attributes: object
) -> ChildRun:
    case = type("Mistake", (_Mistakes, base), dict(attributes))
    with _threads_left_on_purpose():
        return run_child(case, test_name)


def _created_here(marker: str) -> str:
    return f"created at {place(__file__, _line_of(marker))}"


class DetectionTests(ChildRunTestCase):
    def test_pending_task_names_task_coroutine_and_creation_line(self) -> None:
        run = _verdict("test_leaves_task_pending")
        self.assert_fails_with(
            run,
            "[fail_on_pending_tasks] Task 'worker' running _wait_forever() was still pending",
            "Event.wait()",
            _created_here("pending-task-created"),
        )

    def test_pending_task_is_cancelled_so_it_cannot_leak(self) -> None:
        outcomes: list[str] = []

        class Leaky(AsyncTestCase):
            async def test_leak(self) -> None:
                async def worker() -> None:
                    try:
                        await asyncio.Event().wait()
                    except asyncio.CancelledError:
                        outcomes.append("cancelled")
                        raise

                asyncio.create_task(worker())  # noqa: RUF006 -- the leak under test
                await asyncio.sleep(0)

        run_child(Leaky)
        self.assertEqual(outcomes, ["cancelled"])

    def test_unawaited_coroutine_names_it_and_its_creation_line(self) -> None:
        run = _verdict("test_never_awaits_coroutine")
        self.assert_fails_with(
            run,
            "[fail_on_unawaited_coroutines] Coroutine '_wait_forever' was never awaited",
            _created_here("unawaited-created"),
        )

    def test_lost_exception_names_task_exception_and_creation_line(self) -> None:
        run = _verdict("test_loses_task_exception")
        self.assert_fails_with(
            run,
            "[fail_on_lost_exceptions] Task exception was never retrieved",
            "Task 'boomer' running _boom() raised ValueError('boom')",
            _created_here("lost-created"),
        )

    def test_unclosed_socket(self) -> None:
        run = _verdict("test_leaves_socket_open")
        self.assert_fails_with(
            run,
            "[fail_on_unclosed_resources] A resource was never closed: unclosed <socket.socket",
            f"opened at {place(__file__, _line_of('socket-opened'))}",
        )

    def test_unclosed_event_loop(self) -> None:
        run = _verdict("test_leaves_event_loop_open")
        self.assert_fails_with(
            run,
            "[fail_on_unclosed_resources] An event loop was still open after the test's cleanups",
            _created_here("loop-created"),
        )

    def test_unclosed_transport(self) -> None:
        class Careless(AsyncTestCase):
            async def test_forgets_to_close(self) -> None:
                server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
                self.addAsyncCleanup(server.wait_closed)
                self.addCleanup(server.close)
                port = server.sockets[0].getsockname()[1]
                reader, _ = await asyncio.open_connection("127.0.0.1", port)  # transport-opened
                await reader.read()

        run = run_child(Careless)
        self.assert_fails_with(
            run,
            "[fail_on_unclosed_resources]",
            "unclosed",
            f"opened at {place(__file__, _line_of('transport-opened'))}",
        )

    def test_blocking_call_names_the_call_and_its_line(self) -> None:
        run = _verdict("test_blocks_the_loop")
        self.assert_fails_with(
            run,
            "[fail_on_slow_callbacks] A blocking call on the event loop's thread: time.sleep(0.03) "
            f"at {place(__file__, _line_of('blocking-call'))} in test_blocks_the_loop",
            "await asyncio.sleep() instead",
        )

    def test_slow_callback_names_the_computing_coroutine_and_its_cpu_time(self) -> None:
        run = _verdict("test_computes_on_the_loop")
        self.assert_fails_with(
            run,
            "[fail_on_slow_callbacks] A callback kept the event loop's thread busy for 0.0",
            "s of CPU time (slow_callback_duration is 0.02 s)",
            "test_computes_on_the_loop()",
        )

    def test_callback_error_names_callback_exception_and_line(self) -> None:
        run = _verdict("test_raises_in_a_callback")
        self.assert_fails_with(
            run,
            "[fail_on_callback_errors] Exception in callback _explode()",
            "ValueError('kaboom')",
            f"raised at {place(__file__, _line_of('callback-raised'))} in _explode",
        )

    def test_subprocess_left_running_is_named_with_its_start_line(self) -> None:
        run = _verdict("test_leaves_subprocess_running")
        self.assert_fails_with(
            run,
            "[fail_on_unclosed_resources] A subprocess was left running",
            f"started at {place(__file__, _line_of('subprocess-started'))}",
        )

    def test_each_check_turns_off_with_its_class_attribute(self) -> None:
        cases = {
            "test_leaves_task_pending": "fail_on_pending_tasks",
            "test_never_awaits_coroutine": "fail_on_unawaited_coroutines",
            "test_loses_task_exception": "fail_on_lost_exceptions",
            "test_leaves_socket_open": "fail_on_unclosed_resources",
            "test_blocks_the_loop": "fail_on_slow_callbacks",
            "test_computes_on_the_loop": "fail_on_slow_callbacks",
            "test_raises_in_a_callback": "fail_on_callback_errors",
            "test_leaves_timer_scheduled": "fail_on_pending_timers",
            "test_leaves_thread_running": "fail_on_running_threads",
        }
        for test_name, attribute in cases.items():
            with self.subTest(attribute), warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                self.assert_passed(_verdict(test_name, **{attribute: False}), tests_run=1)

    def test_detects_the_same_when_warnings_are_errors(self) -> None:
        for test_name, fragment in [
            ("test_never_awaits_coroutine", "was never awaited"),
            ("test_leaves_socket_open", "unclosed <socket.socket"),
        ]:
            with self.subTest(test_name), warnings.catch_warnings():
                warnings.simplefilter("error")
                self.assert_fails_with(_verdict(test_name), fragment)

    def test_detects_warnings_a_test_turns_into_errors_itself(self) -> None:
        class Strict(AsyncTestCase):
            async def test_errors_on_warnings(self) -> None:
                warnings.simplefilter("error")
                socket.socket()

        self.assert_fails_with(run_child(Strict), "unclosed <socket.socket")

    def test_lists_every_problem_of_a_test(self) -> None:
        class Sloppy(AsyncTestCase):
            async def test_two_mistakes(self) -> None:
                asyncio.create_task(_wait_forever(), name="first")  # noqa: RUF006 -- on purpose
                _wait_forever()  # type: ignore[unused-coroutine]
                await asyncio.sleep(0)

        run = run_child(Sloppy)
        self.assert_fails_with(run, "2 problem(s)", "Task 'first'", "was never awaited", problems=2)

    def test_correct_code_passes(self) -> None:
        class Careful(AsyncTestCase):
            async def test_awaits_its_tasks(self) -> None:
                task = asyncio.create_task(asyncio.sleep(0.001))
                await task

            async def test_reads_task_exceptions(self) -> None:
                task = asyncio.create_task(_boom())
                await asyncio.wait([task])
                self.assertIsInstance(task.exception(), ValueError)

            async def test_closes_connections(self) -> None:
                server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
                port = server.sockets[0].getsockname()[1]
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                await reader.read()
                writer.close()
                await writer.wait_closed()
                server.close()
                await server.wait_closed()

            async def test_blocks_in_a_thread(self) -> None:
                await asyncio.to_thread(time.sleep, 0.03)

        self.assert_passed(run_child(Careful), tests_run=4)


class TimerDetectionTests(ChildRunTestCase):
    """A timer still scheduled after the cleanups fails the test, on either loop, named once."""

    def test_a_call_later_never_cancelled_names_its_callback_and_line(self) -> None:
        for base in (AsyncTestCase, VirtualTimeTestCase):
            with self.subTest(base=base.__name__):
                self.assert_fails_with(
                    _verdict("test_leaves_timer_scheduled", base),
                    "[fail_on_pending_timers] A timer was still scheduled after the test's "
                    "cleanups: _explode(), due in ",
                    f"scheduled at {place(__file__, _line_of('timer-scheduled'))} "
                    "in test_leaves_timer_scheduled",
                    "it never ran",
                )

    def test_call_at_and_a_future_s_timeout_left_armed_fail_too(self) -> None:
        class Forgetful:
            async def test_calls_at(self) -> None:
                loop = asyncio.get_running_loop()
                loop.call_at(loop.time() + 60, _explode)  # call-at

            async def test_arms_a_timeout(self) -> None:
                loop = asyncio.get_running_loop()
                answer: asyncio.Future[int] = loop.create_future()
                loop.call_later(30, answer.cancel)  # timeout-armed
                answer.set_result(42)
                self.assertEqual(await answer, 42)  # type: ignore[attr-defined]

        expected = {
            "test_calls_at": ("_explode()", 60, "call-at"),
            "test_arms_a_timeout": ("Future.cancel()", 30, "timeout-armed"),
        }
        for base in (AsyncTestCase, VirtualTimeTestCase):
            for test_name, (callback, seconds, marker) in expected.items():
                with self.subTest(base=base.__name__, test=test_name):
                    run = run_child(type("Forgetful", (Forgetful, base), {}), test_name)
                    self.assert_fails_with(
                        run,
                        f"[fail_on_pending_timers] A timer was still scheduled after the test's "
                        f"cleanups: {callback}, due in ",
                        f"scheduled at {place(__file__, _line_of(marker))} in {test_name}",
                    )
                    if base is VirtualTimeTestCase:
                        # Virtual time stood still from the test's start to its verdict.
                        self.assertIn(f"due in {seconds} s (at {seconds} s", run.failures[0])

    def test_a_pending_task_s_own_sleep_is_reported_once_as_the_task(self) -> None:
        class Sleepy:
            async def test_leaves_a_sleeper(self) -> None:
                asyncio.create_task(asyncio.sleep(3600), name="sleeper")  # noqa: RUF006
                await asyncio.sleep(0)

        for base in (AsyncTestCase, VirtualTimeTestCase):
            with self.subTest(base=base.__name__):
                run = run_child(type("Sleepy", (Sleepy, base), {}))
                self.assert_fails_with(run, "[fail_on_pending_tasks] Task 'sleeper'", problems=1)

    def test_timers_cancelled_fired_or_awaited_pass(self) -> None:
        class Tidy:
            async def test_cancels_in_a_cleanup(self) -> None:
                handle = asyncio.get_running_loop().call_later(3600, _explode)
                self.addCleanup(handle.cancel)  # type: ignore[attr-defined]

            async def test_disarms_a_timeout_once_answered(self) -> None:
                loop = asyncio.get_running_loop()
                answer: asyncio.Future[int] = loop.create_future()
                timeout = loop.call_later(30, answer.cancel)
                answer.add_done_callback(lambda _: timeout.cancel())
                answer.set_result(42)
                await answer

            async def test_lets_its_timer_fire(self) -> None:
                fired = asyncio.Event()
                asyncio.get_running_loop().call_later(0.001, fired.set)
                await fired.wait()

            async def test_times_out_with_asyncio(self) -> None:
                async with asyncio.timeout(3600):
                    await asyncio.sleep(0)
                await asyncio.wait_for(asyncio.sleep(0), 3600)
                await asyncio.wait([asyncio.create_task(asyncio.sleep(0))], timeout=3600)

        for base in (AsyncTestCase, VirtualTimeTestCase):
            with self.subTest(base=base.__name__):
                self.assert_passed(run_child(type("Tidy", (Tidy, base), {})), tests_run=4)


class ThreadDetectionTests(ChildRunTestCase):
    """A thread the test started and left running fails it; a pool shut down does not."""

    def test_a_thread_never_joined_names_where_it_was_started_and_where_it_is(self) -> None:
        for base in (AsyncTestCase, VirtualTimeTestCase):
            with self.subTest(base=base.__name__):
                self.assert_fails_with(
                    _verdict("test_leaves_thread_running", base),
                    "[fail_on_running_threads] Thread 'forgotten' was still running after the "
                    "test's cleanups, started at "
                    f"{place(__file__, _line_of('thread-started'))} in test_leaves_thread_running",
                    "now at ",
                    "Make it stop and join it (thread.join()) in a cleanup",
                )

    def test_a_daemon_thread_left_running_fails_too(self) -> None:
        class Haunted(AsyncTestCase):
            async def test_starts_a_daemon(self) -> None:
                threading.Thread(target=_wait_for_release, name="forgotten", daemon=True).start()

        with _threads_left_on_purpose():
            run = run_child(Haunted)
        self.assert_fails_with(
            run,
            "[fail_on_running_threads] Thread 'forgotten' (daemon) was still running",
            f"now at {place(__file__, _line_of('waits-for-release'))} in _wait_for_release",
        )

    def test_an_executor_never_shut_down_names_its_idle_worker(self) -> None:
        pools: list[concurrent.futures.ThreadPoolExecutor] = []

        class Wasteful(AsyncTestCase):
            async def test_keeps_a_pool(self) -> None:
                pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="kept")
                pools.append(pool)
                await asyncio.get_running_loop().run_in_executor(pool, int)  # pool-used

        try:
            with mock.patch.object(_threads, "GRACE_S", 0.0):
                run = run_child(Wasteful)
        finally:
            for pool in pools:
                pool.shutdown()
        self.assert_fails_with(
            run,
            "[fail_on_running_threads] Thread 'kept_0', an idle worker of an executor that was "
            "never shut down",
            f"started at {place(__file__, _line_of('pool-used'))} in test_keeps_a_pool",
            "executor.shutdown()",
        )

    def test_threads_joined_stopped_or_pooled_and_shut_down_pass(self) -> None:
        class Tidy(AsyncTestCase):
            async def test_joins_its_thread(self) -> None:
                thread = threading.Thread(target=time.sleep, args=(0.01,))
                thread.start()
                await asyncio.to_thread(thread.join)

            async def test_stops_its_daemon_in_a_cleanup(self) -> None:
                stop = threading.Event()
                threading.Thread(target=stop.wait, daemon=True).start()
                self.addCleanup(stop.set)

            async def test_shuts_its_pool_down_without_waiting(self) -> None:
                pool = concurrent.futures.ThreadPoolExecutor()
                self.addCleanup(pool.shutdown, wait=False)
                await asyncio.get_running_loop().run_in_executor(pool, int)

            async def test_runs_in_the_default_executor(self) -> None:
                await asyncio.to_thread(time.sleep, 0.01)

            async def test_uses_its_pool_in_a_with_block(self) -> None:
                with concurrent.futures.ThreadPoolExecutor() as pool:
                    await asyncio.get_running_loop().run_in_executor(pool, int)

        self.assert_passed(run_child(Tidy), tests_run=5)

    def test_a_thread_started_before_the_test_is_not_its_own(self) -> None:
        class Fixture(AsyncTestCase):
            @classmethod
            def setUpClass(cls) -> None:
                stop = threading.Event()
                thread = threading.Thread(target=stop.wait)
                thread.start()
                cls.addClassCleanup(thread.join)
                cls.addClassCleanup(stop.set)

            async def test_uses_the_fixture(self) -> None:
                await asyncio.sleep(0)

        self.assert_passed(run_child(Fixture), tests_run=1)


class SlowCallbackDefaultTests(unittest.TestCase):
    def default_with(self, value: str) -> subprocess.CompletedProcess[str]:
        code = "from tests.support import AsyncTestCase as C; print(C.slow_callback_duration)"
        return subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "TESTS_SLOW_CALLBACK_DURATION": value},
            capture_output=True,
            text=True,
            check=False,
        )

    def test_the_variable_sets_the_default_for_every_class(self) -> None:
        self.assertEqual(self.default_with("0.5").stdout.strip(), "0.5")

    def test_a_bad_value_stops_the_run_naming_the_variable(self) -> None:
        refused = self.default_with("soon")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("TESTS_SLOW_CALLBACK_DURATION='soon'", refused.stderr)


class FidelityTests(unittest.TestCase):
    """What a plain IsolatedAsyncioTestCase shows the user, AsyncTestCase shows too."""

    def test_asyncio_records_still_reach_the_last_resort_output(self) -> None:
        class Quiet(AsyncTestCase):
            fail_on_callback_errors = False

            async def test_raises_in_a_callback(self) -> None:
                asyncio.get_running_loop().call_soon(_explode)
                await asyncio.sleep(0)

        # As with no logging configured: a runner's own handlers (pytest's) are set aside.
        printed = io.StringIO()
        last_resort, root_handlers = logging.lastResort, logging.root.handlers
        logging.lastResort, logging.root.handlers = logging.StreamHandler(printed), []
        try:
            result = unittest.TestResult()
            Quiet("test_raises_in_a_callback").run(result)
        finally:
            logging.lastResort, logging.root.handlers = last_resort, root_handlers
        self.assertTrue(result.wasSuccessful())
        self.assertIn("Exception in callback _explode()", printed.getvalue())

    def test_warnings_point_where_they_point_on_a_plain_case(self) -> None:
        class ReturnsValue:
            async def test_returns(self) -> int:
                return 1

        def where_the_warning_points(base: type[unittest.IsolatedAsyncioTestCase]) -> str:
            shown: list[str] = []

            def show(  # noqa: PLR0913, PLR0917 -- the signature of warnings.showwarning
                message: Warning | str,
                category: type[Warning],
                filename: str,
                lineno: int,
                file: TextIO | None = None,
                line: str | None = None,
            ) -> None:
                if "deprecated to return a value" in str(message):
                    shown.append(f"{filename}:{lineno}")

            case = type("Case", (ReturnsValue, base), {})
            with warnings.catch_warnings():
                warnings.simplefilter("always", DeprecationWarning)
                warnings.showwarning = show
                case("test_returns").run(unittest.TestResult())
            return "".join(shown)

        plain = where_the_warning_points(unittest.IsolatedAsyncioTestCase)
        self.assertTrue(plain)
        self.assertEqual(where_the_warning_points(AsyncTestCase), plain)
        self.assertEqual(where_the_warning_points(VirtualTimeTestCase), plain)


@unittest.skipIf(_EAGER_TASK_FACTORY is None, "eager tasks came in 3.12")
class EagerTaskDetectionTests(ChildRunTestCase):
    """Each detection holds when tasks start eagerly, running to their first await at once."""

    def test_every_check_fails_its_mistake_with_eager_tasks(self) -> None:
        async def start_tasks_eagerly(case: AsyncTestCase) -> None:
            asyncio.get_running_loop().set_task_factory(_EAGER_TASK_FACTORY)

        mistakes = {
            "test_leaves_task_pending": "[fail_on_pending_tasks] Task 'worker'",
            "test_never_awaits_coroutine": "[fail_on_unawaited_coroutines]",
            "test_loses_task_exception": "[fail_on_lost_exceptions]",
            "test_leaves_socket_open": "[fail_on_unclosed_resources]",
            "test_blocks_the_loop": "[fail_on_slow_callbacks] A blocking call",
            "test_computes_on_the_loop": "[fail_on_slow_callbacks] A callback kept",
            "test_raises_in_a_callback": "[fail_on_callback_errors]",
            "test_leaves_timer_scheduled": "[fail_on_pending_timers]",
        }
        for base in (AsyncTestCase, VirtualTimeTestCase):
            for test_name, fragment in mistakes.items():
                with self.subTest(base=base.__name__, mistake=test_name):
                    members = {"asyncSetUp": start_tasks_eagerly}
                    case = type("EagerMistake", (_Mistakes, base), members)
                    self.assert_fails_with(run_child(case, test_name), fragment)


class SetUpReleaseTests(ChildRunTestCase):
    """gh-96139: asyncTearDown does not run when asyncSetUp fails, but cleanups do."""

    def test_what_a_failing_async_set_up_acquired_is_released(self) -> None:
        events: list[str] = []

        @contextlib.asynccontextmanager
        async def connection(name: str) -> AsyncIterator[str]:
            events.append(f"open {name}")
            yield name
            events.append(f"close {name}")

        class HalfSetUp(AsyncTestCase):
            resources: ClassVar[list[str]] = []

            async def asyncSetUp(self) -> None:
                await self.enterAsyncContext(connection("database"))
                server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
                self.addAsyncCleanup(server.wait_closed)
                self.addCleanup(server.close)
                self.addCleanup(events.append, "close server")
                raise ConnectionError("the cache is down")

            async def asyncTearDown(self) -> None:
                events.append("asyncTearDown")

            async def test_never_runs(self) -> None:
                events.append("test")

        run = run_child(HalfSetUp)
        self.assertEqual(run.failures, [], run.report)
        self.assertEqual(len(run.errors), 1, run.report)
        self.assertIn("ConnectionError: the cache is down", run.errors[0])
        self.assertEqual(events, ["open database", "close server", "close database"])
