"""The generated toolkit catches each classic asyncio bug in a test a user writes.

Each case writes a new test module into a freshly generated project, as a user would, runs the
project's own runner on it (`python -m tests tests.<module>`) and reads what it reports: the
buggy version must fail with a message that names the bug, and the corrected version must pass.
"""

from __future__ import annotations

import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from tests.engines import render
from tests.environments import install, run_suite

HEADER = """\
import asyncio
import socket
import threading
import time

from tests.support import AsyncTestCase, VirtualTimeTestCase


def compute(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


"""

# name: (the buggy test, the same test done right, what the failure must say)
BUGS: dict[str, tuple[str, str, list[str]]] = {
    "pending_task": (
        """
        class Test(AsyncTestCase):
            async def test(self):
                asyncio.create_task(asyncio.sleep(60), name="forgotten-poller")
        """,
        """
        class Test(AsyncTestCase):
            async def test(self):
                task = asyncio.create_task(asyncio.sleep(60), name="forgotten-poller")
                task.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await task
        """,
        ["[fail_on_pending_tasks]", "forgotten-poller", "still pending"],
    ),
    "unawaited_coroutine": (
        """
        class Test(AsyncTestCase):
            async def test(self):
                asyncio.sleep(0)
        """,
        """
        class Test(AsyncTestCase):
            async def test(self):
                await asyncio.sleep(0)
        """,
        ["[fail_on_unawaited_coroutines]", "never awaited"],
    ),
    "lost_exception": (
        """
        async def explode():
            raise ValueError("nobody saw this")

        class Test(AsyncTestCase):
            async def test(self):
                asyncio.create_task(explode())
                await asyncio.sleep(0.01)
        """,
        """
        async def explode():
            raise ValueError("nobody saw this")

        class Test(AsyncTestCase):
            async def test(self):
                with self.assertRaises(ValueError):
                    await asyncio.create_task(explode())
        """,
        ["[fail_on_lost_exceptions]", "never retrieved", "nobody saw this"],
    ),
    "unclosed_socket": (
        """
        class Test(AsyncTestCase):
            async def test(self):
                self.sock = socket.socket()
                del self.sock
        """,
        """
        class Test(AsyncTestCase):
            async def test(self):
                with socket.socket():
                    pass
        """,
        ["[fail_on_unclosed_resources]", "socket"],
    ),
    "socket_kept_on_self": (
        """
        class Test(AsyncTestCase):
            async def test(self):
                self.listener = socket.socket()
        """,
        """
        class Test(AsyncTestCase):
            async def test(self):
                self.listener = socket.socket()
                self.addCleanup(self.listener.close)
        """,
        ["[fail_on_unclosed_resources]", "A socket was still open after the test's cleanups"],
    ),
    "blocking_call": (
        """
        class Test(AsyncTestCase):
            async def test(self):
                time.sleep(0.2)
        """,
        """
        class Test(AsyncTestCase):
            async def test(self):
                await asyncio.to_thread(time.sleep, 0.2)
        """,
        ["[fail_on_slow_callbacks]", "A blocking call on the event loop's thread: time.sleep(0.2)"],
    ),
    "slow_callback": (
        """
        class Test(AsyncTestCase):
            async def test(self):
                compute(0.2)
        """,
        """
        class Test(AsyncTestCase):
            async def test(self):
                await asyncio.to_thread(compute, 0.2)
        """,
        ["[fail_on_slow_callbacks]", "busy for 0.2", "s of CPU time"],
    ),
    "callback_error": (
        """
        def on_reply(future):
            raise KeyError(future.result())

        class Test(AsyncTestCase):
            async def test(self):
                reply = asyncio.get_running_loop().create_future()
                reply.add_done_callback(on_reply)
                reply.set_result("missing")
                await asyncio.sleep(0)
        """,
        """
        def on_reply(future, seen):
            seen.append(future.result())

        class Test(AsyncTestCase):
            async def test(self):
                seen = []
                reply = asyncio.get_running_loop().create_future()
                reply.add_done_callback(lambda future: on_reply(future, seen))
                reply.set_result("missing")
                await asyncio.sleep(0)
                self.assertEqual(seen, ["missing"])
        """,
        ["[fail_on_callback_errors]", "KeyError('missing')", "in on_reply"],
    ),
    "pending_timer": (
        """
        class Test(AsyncTestCase):
            async def test(self):
                asyncio.get_running_loop().call_later(30, print, "retry")
        """,
        """
        class Test(AsyncTestCase):
            async def test(self):
                retry = asyncio.get_running_loop().call_later(30, print, "retry")
                self.addCleanup(retry.cancel)
        """,
        [
            "[fail_on_pending_timers]",
            "A timer was still scheduled after the test's cleanups: print('retry')",
            "scheduled at tests/test_bug_pending_timer.py:",
        ],
    ),
    "running_thread": (
        """
        class Test(AsyncTestCase):
            async def test(self):
                stop = threading.Event()
                threading.Thread(target=stop.wait, name="poller", daemon=True).start()
        """,
        """
        class Test(AsyncTestCase):
            async def test(self):
                stop = threading.Event()
                poller = threading.Thread(target=stop.wait, name="poller", daemon=True)
                poller.start()
                self.addCleanup(poller.join)
                self.addCleanup(stop.set)
        """,
        [
            "[fail_on_running_threads]",
            "Thread 'poller' (daemon) was still running after the test's cleanups",
            "started at tests/test_bug_running_thread.py:",
        ],
    ),
}


@pytest.fixture(scope="module")
def project(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project, installed into its own virtual environment under `.venv`."""
    work = tmp_path_factory.mktemp("toolkit")
    project = render("cookiecutter", template, {}, work / "out", work / "home")
    install(project, project / ".venv")
    return project


def run_test_module(project: Path, name: str, body: str) -> subprocess.CompletedProcess[str]:
    """Write `body` as tests/test_<name>.py and run only it with the project's runner."""
    (project / "tests" / f"test_{name}.py").write_text(HEADER + textwrap.dedent(body))
    return run_suite(project / ".venv/bin/python", project, f"tests.test_{name}")


@pytest.mark.parametrize("bug", BUGS)
def test_the_bug_fails_with_a_message_that_names_it(project: Path, bug: str) -> None:
    buggy, _, phrases = BUGS[bug]
    result = run_test_module(project, f"bug_{bug}", buggy)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert output.rstrip().endswith("0 passed, 1 failed, 0 skipped"), output
    for phrase in phrases:
        assert phrase in output, f"{phrase!r} is not in:\n{output}"


@pytest.mark.parametrize("bug", BUGS)
def test_the_corrected_code_passes(project: Path, bug: str) -> None:
    _, fixed, _ = BUGS[bug]
    result = run_test_module(project, f"fixed_{bug}", fixed)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_hour_of_virtual_sleep_takes_milliseconds(project: Path) -> None:
    test = """
        class Test(VirtualTimeTestCase):
            async def test(self):
                started = time.perf_counter()
                await asyncio.sleep(3600)
                self.assertEqual(self.clock.monotonic(), 3600)
                self.assertLess(time.perf_counter() - started, 0.25)
        """
    result = run_test_module(project, "hour", test)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_deadlock_fails_fast_instead_of_hanging(project: Path) -> None:
    test = """
        class Test(VirtualTimeTestCase):
            async def test(self):
                never_set = asyncio.Event()
                await asyncio.create_task(never_set.wait(), name="waits-forever")
        """
    started = time.monotonic()
    result = run_test_module(project, "deadlock", test)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "waits-forever" in output, output
    assert time.monotonic() - started < 5, "the run took too long to report the deadlock"


def test_the_benchmark_prints_its_table(project: Path) -> None:
    result = subprocess.run(
        [
            *(str(project / ".venv/bin/python"), "-m", "benchmarks.virtual_time"),
            *("--repeat", "1", "--crowd", "1000"),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = ("floor:", "VirtualTimeLoop, debug off", "every diagnostic on", "looptime", "A crowd:")
    for row in rows:
        assert row in result.stdout, result.stdout
