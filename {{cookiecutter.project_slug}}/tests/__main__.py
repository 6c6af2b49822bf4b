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

``python -m tests -j N [unittest arguments]`` runs the suite in N processes at once (``-j``
alone, or ``-j auto``: one per CPU), each in development mode with the same warnings as errors,
and prints what a serial run prints (see `tests.support._parallel`). ``python -m tests
--schedules N`` runs each virtual-time test under N schedules of its loop, to find races (see
`tests.support._schedules_run`). Both combine with each other and with every option here.

``python -m tests --coverage [--show-logs] [unittest arguments]`` runs the same under
coverage.py, configured in pyproject.toml to follow the service into the processes the
end-to-end tests start (and a parallel run into its workers), then combines what every process
measured and prints the report. It exits non-zero when a test failed or the total is below
``fail_under``.

The detections themselves live in ``tests.support.AsyncTestCase``, so a test fails the same way
under ``python -m unittest`` or pytest; this runner only makes sure nothing is left switched off.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest
from collections.abc import Mapping
from dataclasses import dataclass

WARNINGS_AS_ERRORS = ("error::RuntimeWarning", "error::ResourceWarning")
USAGE_ERROR = 2
# tests.support.cases.SLOW_CALLBACK_VARIABLE, named here so that the processes that only
# re-execute the runner need not import the toolkit.
SLOW_CALLBACK_VARIABLE = "TESTS_SLOW_CALLBACK_DURATION"
SLOW_CALLBACK_UNDER_COVERAGE = "0.3"
# unittest's options that take the next argument as their value, never read as the runner's.
_UNITTEST_OPTIONS_WITH_VALUES = frozenset(
    {"-k", "-s", "--start-directory", "-p", "--pattern", "-t", "--top-level-directory"}
)


class UsageError(Exception):
    """A runner option given a value it does not allow; the message is one line."""


@dataclass(frozen=True)
class Options:
    """The runner's own options, and the arguments left for unittest."""

    unittest_args: list[str]
    coverage: bool = False
    show_logs: bool = False
    jobs: int = 1
    schedules: int | None = None


def parse(args: list[str]) -> Options:
    """Take the runner's options out of `args`; `UsageError` for a value that is not allowed."""
    rest: list[str] = []
    coverage = show_logs = False
    jobs, schedules = 1, None
    arguments = iter(args)
    for arg in arguments:
        option, equals, value = arg.partition("=")
        if arg == "--coverage":
            coverage = True
        elif arg == "--show-logs":
            show_logs = True
        elif arg in ("-j", "--jobs"):
            following = next(arguments, None)
            # -j alone (last, or before another option) means one process per CPU.
            if following is None or re.fullmatch(r"-[^0-9].*", following):
                rest.extend(filter(None, [following]))
                following = "auto"
            jobs = _jobs(arg, following)
        elif option == "--jobs" and equals:
            jobs = _jobs(option, value)
        elif arg.startswith("-j"):
            jobs = _jobs("-j", arg.removeprefix("-j"))
        elif option == "--schedules":
            schedules = _schedules(value if equals else next(arguments, ""))
        else:
            rest.append(arg)
            if arg in _UNITTEST_OPTIONS_WITH_VALUES:
                rest.extend(filter(None, [next(arguments, None)]))
    return Options(rest, coverage, show_logs, jobs, schedules)


def _jobs(option: str, text: str) -> int:
    if text == "auto":
        return _cpus_of_this_process()
    if not text.isdecimal() or int(text) < 1:
        raise UsageError(f"{option} {text!r}: expected a whole number of processes >= 1, or auto")
    return int(text)


def _cpus_of_this_process() -> int:
    # The CPUs this process may run on, not the machine's: os.process_cpu_count() from 3.13.
    process_cpu_count = getattr(os, "process_cpu_count", None)
    if process_cpu_count is not None:
        return int(process_cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _schedules(text: str) -> int:
    if not text.isdecimal() or int(text) < 1:
        raise UsageError(f"--schedules {text!r}: expected a whole number of schedules >= 1")
    return int(text)


def _in_dev_mode_with_warnings_as_errors() -> bool:
    return sys.flags.dev_mode and all(option in sys.warnoptions for option in WARNINGS_AS_ERRORS)


def _dev_mode_python() -> list[str]:
    warning_flags = [flag for option in WARNINGS_AS_ERRORS for flag in ("-W", option)]
    return [sys.executable, "-X", "dev", *warning_flags]


def _rerun_in_dev_mode(args: list[str]) -> int:
    command = [*_dev_mode_python(), "-m", "tests", *args]
    if "-v" in args or "--verbose" in args:
        print("Re-running in development mode:", subprocess.list2cmdline(command), file=sys.stderr)
    return subprocess.call(command)


def coverage_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` for the tests run under coverage.py: its tracer makes each step of the loop
    several times as costly in CPU time (building the web app: 12 ms alone, 80 ms traced on
    Python 3.12), so a step counts as slow from `SLOW_CALLBACK_UNDER_COVERAGE` seconds, unless
    the environment sets the threshold itself."""
    return {SLOW_CALLBACK_VARIABLE: SLOW_CALLBACK_UNDER_COVERAGE, **environment}


def _run_with_coverage(args: list[str]) -> int:
    measured = [*_dev_mode_python(), "-m", "coverage", "run", "-m", "tests"]
    status = subprocess.call([*measured, *args], env=coverage_environment(os.environ))
    subprocess.check_call([sys.executable, "-m", "coverage", "combine", "--quiet"])
    report = subprocess.call([sys.executable, "-m", "coverage", "report"])
    return status or report


def _run_tests(options: Options) -> int:
    # Imported here, in the one process that runs the tests: the processes that only
    # re-execute it need not spend a few hundred milliseconds loading the toolkit.
    from tests.support._parallel import ParallelRunner  # noqa: PLC0415
    from tests.support._results import SummaryRunner  # noqa: PLC0415
    from tests.support.capture import Capture  # noqa: PLC0415
    from tests.support.schedules import SEED_VARIABLE, seed_from_environment  # noqa: PLC0415

    if options.schedules and SEED_VARIABLE in os.environ:
        raise UsageError(f"--schedules explores seeds itself: unset {SEED_VARIABLE} to use it")
    try:
        # Every virtual-time test would error with this; say it once, before any runs.
        seed_from_environment()
    except ValueError as malformed:
        raise UsageError(str(malformed)) from None

    # unittest makes the runner itself, from a class, passing it unittest's options: the
    # runner's own go into a subclass made for this run.
    base = ParallelRunner if options.jobs > 1 else SummaryRunner
    chosen = {"schedules": options.schedules, "jobs": options.jobs, "show_logs": options.show_logs}
    runner = type("Runner", (base,), chosen)

    # Open before discovery, so that what a test module logs as it is imported goes with the
    # first report (a module that fails to import is reported as a failing test).
    with Capture(live=options.show_logs):
        program = unittest.main(
            module=None,
            argv=["python -m tests", *options.unittest_args],
            testRunner=runner,
            exit=False,
        )
    result = program.result
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


def main(args: list[str]) -> int:
    try:
        options = parse(args)
        # The options stay in `args` through both re-executions: the process that runs the
        # tests is the one that reads them.
        if options.coverage:
            return _run_with_coverage([arg for arg in args if arg != "--coverage"])
        if not _in_dev_mode_with_warnings_as_errors():
            return _rerun_in_dev_mode(args)
        return _run_tests(options)
    except UsageError as error:
        print(f"python -m tests: error: {error}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
