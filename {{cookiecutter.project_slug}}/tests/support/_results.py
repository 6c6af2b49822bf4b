"""What ``python -m tests`` prints: unittest's text output, a captured log per failure, a summary.

`CapturedLogResult` is unittest's text result with two additions to each failure or error
report: the log the runner captured for that test (`tests.support.capture`), and, under
``--schedules``, which schedule ran and the one command that runs it again alone
(`tests.support._schedules_run`). `SummaryRunner` is unittest's text runner closing with the
line ``N passed, N failed, N skipped``. A parallel run (`tests.support._parallel`) uses both in
its parent process, so that it prints what a serial run prints.
"""

from __future__ import annotations

import time
import unittest
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.support import _schedules_run
from tests.support.capture import opened

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

    from tests.support.capture import Capture


class CapturedLogResult(unittest.TextTestResult):
    """unittest's text result, with the runner's captured log added to each failure report.

    `schedules` is the ``--schedules`` count, None without it; `exploration` adds up the time
    spent on each schedule.
    """

    schedules: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exploration = _schedules_run.Cost()
        self._capture: Capture | None = None
        self._started_at = 0.0

    def startTestRun(self) -> None:
        super().startTestRun()
        self._capture = opened()

    def getDescription(self, test: unittest.TestCase) -> str:
        description = super().getDescription(test)
        label = _schedules_run.label(test) if self.schedules else None
        return f"{description} [{label}]" if label else description

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self._started_at = time.perf_counter()

    def addError(self, test: unittest.TestCase, err: OptExcInfo) -> None:
        super().addError(test, err)
        self._amend_report(self.errors, test)

    def addFailure(self, test: unittest.TestCase, err: OptExcInfo) -> None:
        super().addFailure(test, err)
        self._amend_report(self.failures, test)

    def addSubTest(
        self, test: unittest.TestCase, subtest: unittest.TestCase, err: OptExcInfo | None
    ) -> None:
        reported = len(self.failures), len(self.errors)
        super().addSubTest(test, subtest, err)
        if len(self.failures) > reported[0]:
            self._amend_report(self.failures, subtest)
        if len(self.errors) > reported[1]:
            self._amend_report(self.errors, subtest)

    def stopTest(self, test: unittest.TestCase) -> None:
        super().stopTest(test)
        if self.schedules:
            self.exploration.add(test, time.perf_counter() - self._started_at)
        if self._capture is not None:
            self._capture.next_test()

    def _amend_report(
        self, reports: list[tuple[unittest.TestCase, str]], test: unittest.TestCase
    ) -> None:
        failed, report = reports[-1]
        if self._capture is not None:
            if captured := self._capture.text():
                report = f"{report}\nCaptured log:\n{captured}"
            if not isinstance(test, unittest.TestCase):
                # A class or module fixture failed (unittest reports it as an _ErrorHolder): no
                # stopTest follows, and what it logged is its own, not the next test's.
                self._capture.next_test()
        if self.schedules and (command := _schedules_run.reproduction(test)):
            report = f"{report.rstrip()}\n\nRun this schedule alone with:\n{command}\n"
        reports[-1] = (failed, report)


class SummaryRunner(unittest.TextTestRunner):
    """unittest's text runner, closing with a one-line count of passed, failed and skipped tests.

    Under ``--schedules`` (`schedules`), each test that explores schedules runs once per
    schedule, each run counts as a test, and the line before the summary says what the
    schedules other than today's order cost.
    """

    # Any callable that makes a result will do; typeshed's narrower type rejects a subclass.
    resultclass: Callable[..., unittest.TextTestResult] = CapturedLogResult
    schedules: int | None = None

    def _makeResult(self) -> unittest.TextTestResult:
        result = super()._makeResult()
        if isinstance(result, CapturedLogResult):
            result.schedules = self.schedules
        return result

    def run(self, test: unittest.TestSuite | unittest.TestCase) -> unittest.TextTestResult:
        result = super().run(self.work(test))
        if self.schedules and isinstance(result, CapturedLogResult):
            self.stream.writeln(result.exploration.summary(self.schedules))
        self.stream.writeln(summary_line(result))
        self.stream.flush()
        return result

    def work(
        self, test: unittest.TestSuite | unittest.TestCase
    ) -> unittest.TestSuite | unittest.TestCase:
        """What `run` runs: `test`, with the copies of each test under ``--schedules``."""
        return _schedules_run.expanded(test, self.schedules) if self.schedules else test


def summary_line(result: unittest.TestResult) -> str:
    """``N passed, N failed, N skipped``: a test with failing subtests counts once."""
    failed = {_counted_as(case) for case, _ in result.failures + result.errors}
    failed.update(_counted_as(case) for case in result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = max(result.testsRun - len(failed) - skipped, 0)
    return f"{passed} passed, {len(failed)} failed, {skipped} skipped"


def _counted_as(case: unittest.TestCase) -> tuple[str, int | None]:
    # A failing subtest reports a _SubTest wrapper; count the test it belongs to once, and each
    # schedule of a test as a test of its own.
    owner = getattr(case, "test_case", case)
    return owner.id(), getattr(owner, "schedule_seed", None)
