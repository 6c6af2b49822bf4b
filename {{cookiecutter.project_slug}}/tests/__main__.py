"""The test runner: ``python -m tests [unittest arguments]``.

It runs the suite the way ``python -m unittest`` would (discovery, or the test names given, and
unittest's own options such as ``-v``, ``-f`` and ``-k``) with three differences that make
asyncio bugs loud:

* It runs in Python's development mode, re-executing itself with ``-X dev`` when needed. Dev
  mode turns on asyncio's debug mode, which records where every task and coroutine was created
  and reports callbacks that block the loop.
* ``RuntimeWarning`` (a coroutine never awaited) and ``ResourceWarning`` (a socket or transport
  never closed) are errors.
* It ends with one line, ``N passed, N failed, N skipped``, and exits non-zero unless every test
  passed.

A passing run prints nothing else: unittest's dots (a line per test with ``-v``) and footer,
and the summary line. What the tests log (every record at INFO and above, from any logger,
asyncio's included) and what the service processes of the end-to-end tests write is kept for
each test and added to its report, under "Captured log:", only if it fails or errors (see
`tests.support.capture`). ``python -m tests --show-logs [unittest arguments]`` shows it all as
it is written instead, for passing tests too.

``python -m tests --coverage [--show-logs] [unittest arguments]`` runs the same under
coverage.py, configured in pyproject.toml to follow the service into the processes the
end-to-end tests start, then combines what every process measured and prints the report. It
exits non-zero when a test failed or the total is below ``fail_under``.

The detections themselves live in ``tests.support.AsyncTestCase``, so a test fails the same way
under ``python -m unittest`` or pytest; this runner only makes sure nothing is left switched off.
"""

from __future__ import annotations

import subprocess
import sys
import unittest
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

    from tests.support.capture import Capture

WARNINGS_AS_ERRORS = ("error::RuntimeWarning", "error::ResourceWarning")
SHOW_LOGS = "--show-logs"


def _in_dev_mode_with_warnings_as_errors() -> bool:
    return sys.flags.dev_mode and all(option in sys.warnoptions for option in WARNINGS_AS_ERRORS)


def _rerun_in_dev_mode(args: list[str]) -> int:
    warning_flags = [flag for option in WARNINGS_AS_ERRORS for flag in ("-W", option)]
    command = [sys.executable, "-X", "dev", *warning_flags, "-m", "tests", *args]
    if "-v" in args or "--verbose" in args:
        print("Re-running in development mode:", subprocess.list2cmdline(command), file=sys.stderr)
    return subprocess.call(command)


class CapturedLogResult(unittest.TextTestResult):
    """unittest's text result, with the runner's captured log added to each failure report."""

    _capture: Capture | None = None

    def startTestRun(self) -> None:
        super().startTestRun()
        from tests.support.capture import opened  # noqa: PLC0415 -- see _run_tests

        self._capture = opened()

    def addError(self, test: unittest.TestCase, err: OptExcInfo) -> None:
        super().addError(test, err)
        self._add_captured_log(self.errors, test)

    def addFailure(self, test: unittest.TestCase, err: OptExcInfo) -> None:
        super().addFailure(test, err)
        self._add_captured_log(self.failures, test)

    def addSubTest(
        self, test: unittest.TestCase, subtest: unittest.TestCase, err: OptExcInfo | None
    ) -> None:
        reported = len(self.failures), len(self.errors)
        super().addSubTest(test, subtest, err)
        if len(self.failures) > reported[0]:
            self._add_captured_log(self.failures, subtest)
        if len(self.errors) > reported[1]:
            self._add_captured_log(self.errors, subtest)

    def stopTest(self, test: unittest.TestCase) -> None:
        super().stopTest(test)
        if self._capture is not None:
            self._capture.next_test()

    def _add_captured_log(
        self, reports: list[tuple[unittest.TestCase, str]], test: unittest.TestCase
    ) -> None:
        if self._capture is None:
            return
        if captured := self._capture.text():
            failed, report = reports[-1]
            reports[-1] = (failed, f"{report}\nCaptured log:\n{captured}")
        if not isinstance(test, unittest.TestCase):
            # A class or module fixture failed (unittest reports it as an _ErrorHolder): no
            # stopTest follows, and what it logged is its own, not the next test's.
            self._capture.next_test()


class SummaryRunner(unittest.TextTestRunner):
    """unittest's text runner, closing with a one-line count of passed, failed and skipped tests."""

    # Any callable that makes a result will do; typeshed's narrower type rejects a subclass.
    resultclass: Callable[..., unittest.TextTestResult] = CapturedLogResult

    def run(self, test: unittest.TestSuite | unittest.TestCase) -> unittest.TextTestResult:
        result = super().run(test)
        failed = {_test_id(case) for case, _ in result.failures + result.errors}
        failed.update(_test_id(case) for case in result.unexpectedSuccesses)
        skipped = len(result.skipped)
        passed = max(result.testsRun - len(failed) - skipped, 0)
        self.stream.writeln(f"{passed} passed, {len(failed)} failed, {skipped} skipped")
        self.stream.flush()
        return result


def _test_id(case: unittest.TestCase) -> str:
    # A failing subtest reports a _SubTest wrapper; count the test it belongs to once.
    return getattr(case, "test_case", case).id()


def _run_with_coverage(args: list[str]) -> int:
    warning_flags = [flag for option in WARNINGS_AS_ERRORS for flag in ("-W", option)]
    measured = [sys.executable, "-X", "dev", *warning_flags, "-m", "coverage", "run", "-m", "tests"]
    status = subprocess.call([*measured, *args])
    subprocess.check_call([sys.executable, "-m", "coverage", "combine", "--quiet"])
    report = subprocess.call([sys.executable, "-m", "coverage", "report"])
    return status or report


def _run_tests(args: list[str]) -> int:
    # Imported here, in the one process that runs the tests: the processes that only
    # re-execute it need not spend a few hundred milliseconds loading the toolkit.
    from tests.support.capture import Capture  # noqa: PLC0415

    # Open before discovery, so that what a test module logs as it is imported goes with the
    # first report (a module that fails to import is reported as a failing test).
    with Capture(live=SHOW_LOGS in args):
        program = unittest.main(
            module=None,
            argv=["python -m tests", *(arg for arg in args if arg != SHOW_LOGS)],
            testRunner=SummaryRunner,
            exit=False,
        )
    result = program.result
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


def main(args: list[str]) -> int:
    # --show-logs stays in `args` through both re-executions: the process that runs the tests
    # is the one that reads it.
    if "--coverage" in args:
        return _run_with_coverage([arg for arg in args if arg != "--coverage"])
    if not _in_dev_mode_with_warnings_as_errors():
        return _rerun_in_dev_mode(args)
    return _run_tests(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
