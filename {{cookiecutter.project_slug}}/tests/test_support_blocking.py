"""Blocking is found by the call that blocks, and slowness by CPU time, never by a busy machine.

Each must-fail case makes one blocking call on the event loop's thread and checks that the
verdict names the call and its line, once. The must-pass cases do the same work where it
belongs (in a thread, before the loop runs) or do what only looks slow on a stopwatch: wait
for a CPU another thread holds, or import a module for the first time.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tests.support import AsyncTestCase, VirtualTimeTestCase, _audit
from tests.support._child_runs import ChildRunTestCase, line_marked, run_child
from tests.support._tasks import place

_CHILD = (sys.executable, "-c", "pass")
_BLOCKING_CALL = "A blocking call on the event loop's thread"


def _line_of(marker: str) -> int:
    return line_marked(__file__, marker)


def _compute_for(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


class _BlockingCalls:
    """One blocking call per test, mixed into a test case by `_verdict` (so never discovered)."""

    async def test_sleeps(self) -> None:
        time.sleep(0.001)  # sleeps  # noqa: ASYNC251

    async def test_connects_a_blocking_socket(self) -> None:
        with socket.socket() as listener, socket.socket() as client:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            client.connect(listener.getsockname())  # connects

    async def test_runs_a_process(self) -> None:
        subprocess.run(_CHILD, check=True)  # runs  # noqa: ASYNC221

    async def test_opens_a_file(self) -> None:
        with tempfile.TemporaryFile():  # opens
            pass

    async def test_calls_a_synchronous_http_client_and_swallows_its_error(self) -> None:
        with contextlib.suppress(OSError):
            urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)  # fetches  # noqa: ASYNC210

    async def test_sleeps_three_times(self) -> None:
        for _ in range(3):
            time.sleep(0.001)  # loops  # noqa: ASYNC251


class BlockingCallTests(ChildRunTestCase):
    def test_each_blocking_call_is_named_once_with_its_line(self) -> None:
        expected = {
            "test_sleeps": ("time.sleep(0.001)", "sleeps"),
            "test_connects_a_blocking_socket": ("socket.connect(('127.0.0.1', ", "connects"),
            "test_runs_a_process": ("subprocess.Popen(", "runs"),
            "test_opens_a_file": ("open(", "opens"),
            "test_calls_a_synchronous_http_client_and_swallows_its_error": (
                "urllib.Request(",
                "fetches",
            ),
        }
        for base in (AsyncTestCase, VirtualTimeTestCase):
            for test_name, (call, marker) in expected.items():
                with self.subTest(base=base.__name__, test=test_name):
                    case = type("Blocking", (_BlockingCalls, base), {})
                    self.assert_fails_with(
                        run_child(case, test_name),
                        f"[fail_on_slow_callbacks] {_BLOCKING_CALL}: {call}",
                        f"at {place(__file__, _line_of(marker))} in {test_name}",
                    )

    def test_calls_repeated_on_one_line_are_one_report_that_counts_them(self) -> None:
        case = type("Blocking", (_BlockingCalls, AsyncTestCase), {})
        self.assert_fails_with(
            run_child(case, "test_sleeps_three_times"), "(3 calls from that line)"
        )

    def test_the_same_work_off_the_loop_passes(self) -> None:
        class Careful(AsyncTestCase):
            def setUp(self) -> None:
                time.sleep(0.001)
                with tempfile.TemporaryFile():
                    pass

            async def test_sleeps_in_a_thread(self) -> None:
                await asyncio.to_thread(time.sleep, 0.001)

            async def test_runs_a_process_the_asyncio_way(self) -> None:
                child = await asyncio.create_subprocess_exec(*_CHILD)
                self.assertEqual(await child.wait(), 0)

            async def test_connects_the_asyncio_way(self) -> None:
                server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
                async with server:
                    port = server.sockets[0].getsockname()[1]
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    await reader.read()
                    writer.close()
                    await writer.wait_closed()

        self.assert_passed(run_child(Careful), tests_run=3)


class ListeningEndsWithTheTestTests(ChildRunTestCase):
    def test_a_finished_test_leaves_no_hook_or_wrapper_behind(self) -> None:
        handle_run, sleep, listening = asyncio.Handle._run, time.sleep, _audit.listening()
        for base in (AsyncTestCase, VirtualTimeTestCase):
            with self.subTest(base.__name__):
                case = type("Blocking", (_BlockingCalls, base), {})
                run_child(case, "test_sleeps")
                self.assertEqual(_audit.listening(), listening)
                self.assertIs(asyncio.Handle._run, handle_run)
                self.assertIs(time.sleep, sleep)


class CpuTimeTests(ChildRunTestCase):
    def test_waiting_for_a_cpu_that_another_thread_holds_is_not_slowness(self) -> None:
        records: list[logging.LogRecord] = []

        class Crowded(AsyncTestCase):
            slow_callback_duration = 0.02

            async def test_steps_while_a_thread_computes(self) -> None:
                handler = _Collect(records)
                logging.getLogger("asyncio").addHandler(handler)
                self.addCleanup(logging.getLogger("asyncio").removeHandler, handler)
                # The thread keeps the interpreter for 50 ms at a time: each step that has to
                # wait for it lasts longer than the threshold, while computing 20 times less.
                self.addCleanup(sys.setswitchinterval, sys.getswitchinterval())
                sys.setswitchinterval(0.05)
                hog = threading.Thread(target=_compute_for, args=(0.3,))
                hog.start()
                while hog.is_alive():
                    _compute_for(0.001)
                    await asyncio.sleep(0)
                hog.join()

        run = run_child(Crowded)
        self.assertTrue(records, "no callback looked slow on a stopwatch: the case proves nothing")
        self.assert_passed(run, tests_run=1)

    def test_first_time_imports_are_not_slowness(self) -> None:
        for number, base in enumerate((AsyncTestCase, VirtualTimeTestCase)):
            with self.subTest(base.__name__), tempfile.TemporaryDirectory() as directory:
                name = f"heavy_to_import_{number}"
                Path(directory, f"{name}.py").write_text(
                    f"from {__name__} import _compute_for\n_compute_for(0.05)\n"
                )
                sys.path.insert(0, directory)
                self.addCleanup(sys.modules.pop, name, None)
                self.addCleanup(sys.path.remove, directory)

                async def test_imports(case: AsyncTestCase, name: str = name) -> None:
                    importlib.import_module(name)

                members = {"test_imports": test_imports, "slow_callback_duration": 0.02}
                importing = type("Importing", (base,), members)
                self.assert_passed(run_child(importing), tests_run=1)


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("Executing"):
            self.records.append(record)
