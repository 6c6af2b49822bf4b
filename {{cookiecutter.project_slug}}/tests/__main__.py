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

``python -m tests --coverage [unittest arguments]`` runs the same under coverage.py, configured
in pyproject.toml to follow the service into the processes the end-to-end tests start, then
combines what every process measured and prints the report. It exits non-zero when a test
failed or the total is below ``fail_under``.

The detections themselves live in ``tests.support.AsyncTestCase``, so a test fails the same way
under ``python -m unittest`` or pytest; this runner only makes sure nothing is left switched off.
"""

import subprocess
import sys
import unittest

WARNINGS_AS_ERRORS = ("error::RuntimeWarning", "error::ResourceWarning")


def _in_dev_mode_with_warnings_as_errors() -> bool:
    return sys.flags.dev_mode and all(option in sys.warnoptions for option in WARNINGS_AS_ERRORS)


def _rerun_in_dev_mode(args: list[str]) -> int:
    warning_flags = [flag for option in WARNINGS_AS_ERRORS for flag in ("-W", option)]
    command = [sys.executable, "-X", "dev", *warning_flags, "-m", "tests", *args]
    if "-v" in args or "--verbose" in args:
        print("Re-running in development mode:", subprocess.list2cmdline(command), file=sys.stderr)
    return subprocess.call(command)


class SummaryRunner(unittest.TextTestRunner):
    """unittest's text runner, closing with a one-line count of passed, failed and skipped tests."""

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


def main(args: list[str]) -> int:
    if "--coverage" in args:
        return _run_with_coverage([arg for arg in args if arg != "--coverage"])
    if not _in_dev_mode_with_warnings_as_errors():
        return _rerun_in_dev_mode(args)
    program = unittest.main(
        module=None, argv=["python -m tests", *args], testRunner=SummaryRunner, exit=False
    )
    result = program.result
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
