"""The runner, ``python -m tests``: quiet when green; what a test logged comes with its failure.

Each test reads what the runner printed for a small sample suite, written into a temporary
package and run the way a developer runs the suite, in a process of its own. The runs start
side by side when the module is set up, so the module takes about as long as its slowest run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PACKAGE = "runner_sample"

LOGGING_SAMPLE = """
import asyncio
import logging
import unittest

logger = logging.getLogger("sample")


def explode() -> None:
    raise KeyError("from a callback")


class Green(unittest.IsolatedAsyncioTestCase):
    async def test_warns(self) -> None:
        logger.warning("the green test warned")

    async def test_asyncio_logs_a_callback_error(self) -> None:
        asyncio.get_running_loop().call_soon(explode)
        await asyncio.sleep(0)


class Red(unittest.TestCase):
    def test_1_passes(self) -> None:
        logger.warning("the first test warned")

    def test_2_fails(self) -> None:
        logger.info("the failing test began")
        logger.warning("the failing test warned")
        self.fail("the second test fails")

    def test_3_passes(self) -> None:
        logger.warning("the third test warned")
"""

CHILD_SAMPLE = '''
import unittest

from tests.support.process import ServiceProcess

SAY_AND_EXIT = """
import logging
logging.getLogger("child").warning("the service process said this")
raise SystemExit(3)
"""


class EndToEnd(unittest.TestCase):
    def test_fails_after_its_process_logged(self) -> None:
        with ServiceProcess(setup_code=SAY_AND_EXIT) as service:
            self.assertEqual(service.wait(), 3)
        self.fail("the end-to-end test fails")
'''

RUNS = {
    "green": [f"{PACKAGE}.test_logs.Green"],
    "shown": ["--show-logs", "-v", f"{PACKAGE}.test_logs.Green"],
    "red": [f"{PACKAGE}.test_logs.Red", f"{PACKAGE}.test_child"],
}
# A record's line in a report begins with its time, as the service's text log lines do.
TIME = r"\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "
GREEN_OUTPUT = re.compile(
    r"\.\.\n-{70}\nRan 2 tests in \d+\.\d+s\n\nOK\n2 passed, 0 failed, 0 skipped\n"
)
_started: dict[str, subprocess.Popen[str]] = {}
_finished: dict[str, tuple[int, str, str]] = {}


def setUpModule() -> None:
    scratch = tempfile.TemporaryDirectory()
    unittest.addModuleCleanup(scratch.cleanup)
    package = Path(scratch.name, PACKAGE)
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "test_logs.py").write_text(textwrap.dedent(LOGGING_SAMPLE))
    (package / "test_child.py").write_text(textwrap.dedent(CHILD_SAMPLE))
    path = os.pathsep.join(filter(None, [scratch.name, os.environ.get("PYTHONPATH")]))
    for name, args in RUNS.items():
        _started[name] = subprocess.Popen(
            [sys.executable, "-m", "tests", *args],
            cwd=PROJECT,
            env={**os.environ, "PYTHONPATH": path},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        unittest.addModuleCleanup(_reap, name)


def _reap(name: str) -> None:
    # A run no selected test read (python -m tests -k ...) is ended, not waited for.
    if name not in _finished:
        _started[name].kill()
        _started[name].communicate()


def run(name: str) -> tuple[int, str, str]:
    """The exit status, standard output and standard error of the run `name` of `RUNS`."""
    if name not in _finished:
        stdout, stderr = _started[name].communicate(timeout=60)
        _finished[name] = (_started[name].returncode, stdout, stderr)
    return _finished[name]


def report_of(output: str, test: str) -> str:
    """The failure report that unittest printed for `test` (a method name) in `output`."""
    for report in output.split("=" * 70 + "\n")[1:]:
        header, _, _ = report.partition("\n")
        if f".{test})" in header:
            return report.split("-" * 70 + "\nRan ")[0]
    raise AssertionError(f"no report for {test} in:\n{output}")


class QuietWhenGreenTests(unittest.TestCase):
    def test_a_green_run_prints_only_the_runners_own_lines(self) -> None:
        status, stdout, stderr = run("green")
        self.assertEqual(status, 0, stderr)
        self.assertEqual(stdout, "")
        self.assertIsNotNone(GREEN_OUTPUT.fullmatch(stderr), stderr)

    def test_show_logs_prints_what_passing_tests_logged(self) -> None:
        status, _, stderr = run("shown")
        self.assertEqual(status, 0, stderr)
        self.assertIn("WARNING  sample: the green test warned", stderr)
        self.assertIn("ERROR    asyncio: Exception in callback explode()", stderr)
        self.assertIn("test_warns (", stderr)  # -v went through to unittest
        self.assertTrue(stderr.endswith("\n2 passed, 0 failed, 0 skipped\n"), stderr)


class FailureReportTests(unittest.TestCase):
    def test_a_failing_tests_report_has_its_own_records_and_no_others(self) -> None:
        _, _, stderr = run("red")
        report = report_of(stderr, "test_2_fails")
        self.assertIn("AssertionError: the second test fails", report)
        self.assertIn("Captured log:\n", report)
        self.assertRegex(report, TIME + r"INFO     sample: the failing test began\n")
        self.assertRegex(report, TIME + r"WARNING  sample: the failing test warned\n")
        self.assertNotIn("the first test warned", stderr)
        self.assertNotIn("the third test warned", stderr)

    def test_a_failing_end_to_end_test_shows_what_its_service_process_wrote(self) -> None:
        _, _, stderr = run("red")
        report = report_of(stderr, "test_fails_after_its_process_logged")
        self.assertRegex(report, r"\[service pid \d+\] the service process said this\n")
        self.assertNotIn("the service process said this", report_of(stderr, "test_2_fails"))

    def test_the_exit_status_and_the_summary_line_stay(self) -> None:
        status, _, stderr = run("red")
        self.assertEqual(status, 1, stderr)
        self.assertTrue(stderr.endswith("\n2 passed, 2 failed, 0 skipped\n"), stderr)
