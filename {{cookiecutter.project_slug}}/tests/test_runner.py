"""The runner, ``python -m tests``: quiet when green; what a test logged comes with its failure;
``-j N`` prints what a serial run prints; ``--schedules N`` finds a race and names its seed.

Each test reads what the runner printed for a small sample suite, written into a temporary
package and run the way a developer runs the suite, in a process of its own. The runs start
when the module is set up, a few side by side, each next one as soon as a test has read one.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

from tests.__main__ import SLOW_CALLBACK_VARIABLE, Options, coverage_environment, parse
from tests.support import cases
from tests.support.schedules import SEED_VARIABLE

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

MIXED_SAMPLE = """
import logging
import unittest


class Outcomes(unittest.TestCase):
    def test_passes(self) -> None:
        logging.getLogger("sample").warning("the passing test warned")

    def test_fails(self) -> None:
        logging.getLogger("sample").warning("the failing test warned")
        self.assertEqual(1, 2)

    def test_errors(self) -> None:
        raise KeyError("an error")

    @unittest.skip("not today")
    def test_skipped(self) -> None:
        pass

    def test_subtests(self) -> None:
        for n in range(3):
            with self.subTest(n=n):
                self.assertLess(n, 1)

    @unittest.expectedFailure
    def test_expected_failure(self) -> None:
        self.fail("as expected")


class BrokenFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        raise RuntimeError("the class fixture failed")

    def test_never_runs(self) -> None:
        pass
"""

OTHER_SAMPLE = """
import sys
import unittest


class Other(unittest.TestCase):
    def test_runs_in_development_mode_with_warnings_as_errors(self) -> None:
        self.assertTrue(sys.flags.dev_mode)
        self.assertIn("error::ResourceWarning", sys.warnoptions)
        self.assertIn("error::RuntimeWarning", sys.warnoptions)

    def test_fails(self) -> None:
        \"\"\"Its docstring is its description.\"\"\"
        self.fail("the other module failed")
"""

CRASH_SAMPLE = """
import os
import unittest


class Crash(unittest.TestCase):
    def test_1_passes(self) -> None:
        pass

    def test_2_crashes(self) -> None:
        os._exit(7)

    def test_3_passes(self) -> None:
        pass
"""

# -f: the first module fails once the second has begun; the second has tests enough left to run
# for 20 s, where stopping it takes a message from the parent.
STOP_FIRST_SAMPLE = """
import pathlib
import time
import unittest

BEGUN = pathlib.Path(__file__).with_name("waiting_begun")


class Fails(unittest.TestCase):
    def test_fails_once_the_other_worker_has_begun(self) -> None:
        for _ in range(600):
            if BEGUN.exists():
                break
            time.sleep(0.1)
        self.fail("the first failure")
"""

STOP_SECOND_SAMPLE = """
import pathlib
import time
import unittest

BEGUN = pathlib.Path(__file__).with_name("waiting_begun")


class Waits(unittest.TestCase):
    def test_00_begins(self) -> None:
        BEGUN.touch()


for n in range(1, 41):
    setattr(Waits, f"test_{n:02}_sleeps", lambda self: time.sleep(0.5))
"""

RACE_SAMPLE = """
import asyncio

from tests.support import VirtualTimeTestCase


class Race(VirtualTimeTestCase):
    async def test_reader_sees_the_writers_value(self) -> None:
        box: list[str] = []

        async def writer() -> None:
            await asyncio.sleep(1)
            box.append("written")

        async def reader() -> str:
            await asyncio.sleep(1)
            return box[0] if box else "nothing"

        async with asyncio.TaskGroup() as group:
            group.create_task(writer())
            read = group.create_task(reader())
        self.assertEqual(read.result(), "written")


class Pinned(VirtualTimeTestCase):
    explore_schedules = False

    async def test_runs_once(self) -> None:
        await asyncio.sleep(1)
"""

SAMPLES = {
    "test_logs": LOGGING_SAMPLE,
    "test_child": CHILD_SAMPLE,
    "test_mixed": MIXED_SAMPLE,
    "test_other": OTHER_SAMPLE,
    "test_crash": CRASH_SAMPLE,
    "test_stop_first": STOP_FIRST_SAMPLE,
    "test_stop_second": STOP_SECOND_SAMPLE,
    "test_race": RACE_SAMPLE,
}
RACE = f"{PACKAGE}.test_race"
# A parallel run and a serial one of the same samples: tests that pass, fail, error, skip,
# fail in subtests and in a class fixture, and a race, each test of which runs under ten
# schedules, in two modules and three classes for the two workers to share.
SAMPLE_RUN = ["--schedules", "10", "-v", f"{PACKAGE}.test_mixed", f"{PACKAGE}.test_other", RACE]
RUNS = {
    "green": [f"{PACKAGE}.test_logs.Green"],
    "shown": ["--show-logs", "-v", f"{PACKAGE}.test_logs.Green"],
    "red": [f"{PACKAGE}.test_logs.Red", f"{PACKAGE}.test_child"],
    "serial": SAMPLE_RUN,
    "parallel": ["-j", "2", *SAMPLE_RUN],
    "crash": ["-j2", f"{PACKAGE}.test_crash"],
    "stop": ["--jobs=2", "-f", f"{PACKAGE}.test_stop_first", f"{PACKAGE}.test_stop_second"],
}
# A record's line in a report begins with its time, as the service's text log lines do.
TIME = r"\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "
GREEN_OUTPUT = re.compile(
    r"\.\.\n-{70}\nRan 2 tests in \d+\.\d+s\n\nOK\n2 passed, 0 failed, 0 skipped\n"
)
_started: dict[str, subprocess.Popen[str]] = {}
_finished: dict[str, tuple[int, str, str]] = {}
_environment: dict[str, str] = {}
_RUNS_AT_ONCE = 3


def setUpModule() -> None:
    scratch = tempfile.TemporaryDirectory()
    unittest.addModuleCleanup(scratch.cleanup)
    package = Path(scratch.name, PACKAGE)
    package.mkdir()
    (package / "__init__.py").write_text("")
    for module, text in SAMPLES.items():
        (package / f"{module}.py").write_text(textwrap.dedent(text))
    _environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [scratch.name, os.environ.get("PYTHONPATH")])
    )
    for name in RUNS:
        unittest.addModuleCleanup(_reap, name)
    _start_more()


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m tests *args`` in the project, with the sample package importable."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests", *args],
        cwd=PROJECT,
        env=_environment_of_a_run(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# Not passed on to a sample run: a schedule seed this run was given (each sample run chooses its
# own), and coverage.py's settings under ``--coverage``, which would trace the sample runs too:
# they exercise the runner, not the service, and traced they cost twice the CPU time.
_NOT_INHERITED = frozenset({SEED_VARIABLE, "COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"})


def _environment_of_a_run(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a sample run, less what `_NOT_INHERITED` names."""
    inherited = {name: value for name, value in os.environ.items() if name not in _NOT_INHERITED}
    return {**inherited, **_environment, **(extra or {})}


def _start_more() -> None:
    # A few runs at a time: each loads the toolkit, a parallel run once per process, and all
    # at once would slow every one on a small machine, the end-to-end sample's past its timeouts.
    running = sum(process.poll() is None for process in _started.values())
    for name, args in RUNS.items():
        if running >= _RUNS_AT_ONCE:
            return
        if name not in _started:
            _started[name] = start(*args)
            running += 1


def _reap(name: str) -> None:
    # A run no selected test read (python -m tests -k ...) is ended, not waited for.
    if name in _started and name not in _finished:
        _started[name].kill()
        _started[name].communicate()


def run(name: str) -> tuple[int, str, str]:
    """The exit status, standard output and standard error of the run `name` of `RUNS`."""
    if name not in _finished:
        if name not in _started:
            _started[name] = start(*RUNS[name])
        stdout, stderr = _started[name].communicate(timeout=120)
        _finished[name] = (_started[name].returncode, stdout, stderr)
        _start_more()
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


# A report as two runs can differ in it only by the time its log records were written.
def comparable(report: str) -> str:
    """`report` with each captured record's time replaced by a placeholder."""
    return re.sub(TIME, "\n<time> ", report)


def reports(output: str) -> list[str]:
    """Every failure and error report in `output`, sorted, comparable across runs."""
    found = output.split("=" * 70 + "\n")[1:]
    return sorted(comparable(report.split("-" * 70 + "\nRan ")[0]) for report in found)


def footer(output: str) -> list[str]:
    """unittest's footer and the runner's lines after it, with the times measured left out."""
    _, _, ran = output.rpartition("-" * 70 + "\nRan ")
    untimed = re.sub(r" in \d+\.\d+s\n", "\n", "Ran " + ran)
    return re.sub(r"\d+\.\d{3} s\b", "<seconds>", untimed).splitlines()


def traceback_of(output: str) -> str:
    """The traceback of the first report in `output`, or of `output` if it is a report."""
    report = output.partition("-" * 70 + "\n")[2]
    traceback = report.partition("\nRun this schedule alone with:")[0]
    return traceback.partition("\n" + "-" * 70)[0].rstrip("\n")


def verbose_lines(output: str) -> list[str]:
    """The lines ``-v`` printed for each test, before the first report."""
    lines = output.partition("=" * 70)[0].splitlines()
    return [line for line in lines if not line.startswith("Re-running in development mode:")]


class ParallelTests(unittest.TestCase):
    def test_a_parallel_run_prints_what_a_serial_run_prints(self) -> None:
        serial_status, serial_stdout, serial = run("serial")
        status, stdout, parallel = run("parallel")
        self.assertEqual((status, stdout), (serial_status, serial_stdout), parallel)
        self.assertEqual(reports(parallel), reports(serial))
        self.assertEqual(footer(parallel), footer(serial))
        captured = "Captured log:\n<time> WARNING  sample: the failing test warned\n"
        self.assertIn(captured, "".join(reports(parallel)))
        # -v: the same line per test, in another order.
        self.assertCountEqual(verbose_lines(parallel), verbose_lines(serial))

    def test_a_crashed_worker_is_an_error_of_its_test_and_the_rest_of_its_class_runs(self) -> None:
        status, _, stderr = run("crash")
        report = report_of(stderr, "test_2_crashes")
        self.assertRegex(
            report,
            r"ChildProcessError: the test process \(pid \d+\) running this test ended with "
            r"exit status 7 before it did\n",
        )
        self.assertEqual(status, 1, stderr)
        self.assertTrue(stderr.endswith("\n2 passed, 1 failed, 0 skipped\n"), stderr)

    def test_failfast_stops_every_worker_after_the_first_failure(self) -> None:
        status, _, stderr = run("stop")
        self.assertEqual(status, 1, stderr)
        self.assertIn("AssertionError: the first failure", stderr)
        ran = int(re.findall(r"\nRan (\d+) tests? in", stderr)[-1])
        # The second module has 41 tests: it stopped after a few, without running them all.
        self.assertLess(ran, 1 + 41, stderr)

    def test_bad_values_are_one_line_errors_naming_the_option(self) -> None:
        expected = {
            ("-j", "0"): "-j '0': expected a whole number of processes >= 1, or auto",
            ("-j", "-2"): "-j '-2': expected a whole number of processes >= 1, or auto",
            ("-j", "x2"): "-j 'x2': expected a whole number of processes >= 1, or auto",
            ("--jobs=0",): "--jobs '0': expected a whole number of processes >= 1, or auto",
            ("--schedules", "0"): "--schedules '0': expected a whole number of schedules >= 1",
            ("--schedules=x",): "--schedules 'x': expected a whole number of schedules >= 1",
        }
        for args, message in expected.items():
            with self.subTest(args=args):
                process = start(*args)
                stdout, stderr = process.communicate(timeout=60)
                self.assertEqual(process.returncode, 2, stderr)
                self.assertEqual(stderr, f"python -m tests: error: {message}\n")
                self.assertEqual(stdout, "")

    def test_j_alone_means_a_process_per_cpu_and_leaves_the_next_option_to_unittest(self) -> None:
        if hasattr(os, "sched_getaffinity"):
            cpus = len(os.sched_getaffinity(0))
        else:
            cpus = os.cpu_count() or 1
        self.assertEqual(parse(["-j"]), Options([], jobs=cpus))
        self.assertEqual(parse(["-j", "-v", "x"]), Options(["-v", "x"], jobs=cpus))
        self.assertEqual(parse(["-j", "auto", "x"]), Options(["x"], jobs=cpus))
        self.assertEqual(parse(["-k", "-j", "-j3"]), Options(["-k", "-j"], jobs=3))
        self.assertEqual(parse(["x", "--jobs", "1"]), Options(["x"], jobs=1))


class CoverageTests(unittest.TestCase):
    def test_under_coverage_a_step_is_slow_from_0_3_s_unless_the_variable_says(self) -> None:
        self.assertEqual(SLOW_CALLBACK_VARIABLE, cases.SLOW_CALLBACK_VARIABLE)
        expected = {"HOME": "/h", SLOW_CALLBACK_VARIABLE: "0.3"}
        self.assertEqual(coverage_environment({"HOME": "/h"}), expected)
        chosen = {SLOW_CALLBACK_VARIABLE: "0.05"}
        self.assertEqual(coverage_environment(chosen), chosen)


class ScheduleTests(unittest.TestCase):
    def test_a_race_fails_under_a_seed_and_its_command_fails_again_the_same_way(self) -> None:
        _, _, stderr = run("serial")
        failed = [report for report in reports(stderr) if "test_reader" in report]
        self.assertTrue(failed, stderr)
        for report in failed:
            header, *_, command = report.rstrip("\n").splitlines()
            seed = re.fullmatch(r"FAIL: test_reader\w+ \(.*\) \[schedule seed (\d+)\]", header)
            if seed is None:
                self.fail(f"the report names no seed:\n{report}")
            self.assertIn("AssertionError: 'nothing' != 'written'", report)
            test_id = f"{RACE}.Race.test_reader_sees_the_writers_value"
            self.assertEqual(command, f"TESTS_SCHEDULE_SEED={seed[1]} python -m tests {test_id}")
        # The last one, run as it says.
        setting, python, *args = shlex.split(command)
        variable, _, value = setting.partition("=")
        self.assertEqual(python, "python")
        again = subprocess.Popen(
            [sys.executable, *args],
            cwd=PROJECT,
            env=_environment_of_a_run({variable: value}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, again_stderr = again.communicate(timeout=60)
        self.assertEqual(again.returncode, 1, again_stderr)
        self.assertTrue(again_stderr.endswith("\n0 passed, 1 failed, 0 skipped\n"), again_stderr)
        self.assertEqual(traceback_of(again_stderr), traceback_of(report))

    def test_schedules_refuse_a_seed_set_for_every_test(self) -> None:
        process = start("--schedules", "2", RACE, env={"TESTS_SCHEDULE_SEED": "3"})
        stdout, stderr = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 2, stderr)
        message = "--schedules explores seeds itself: unset TESTS_SCHEDULE_SEED to use it"
        self.assertEqual((stdout, stderr), ("", f"python -m tests: error: {message}\n"))

    def test_a_malformed_seed_is_one_line_before_any_test_runs(self) -> None:
        process = start(RACE, env={"TESTS_SCHEDULE_SEED": "1.5"})
        stdout, stderr = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 2, stderr)
        message = "TESTS_SCHEDULE_SEED='1.5': expected a whole number >= 0"
        self.assertEqual((stdout, stderr), ("", f"python -m tests: error: {message}\n"))

    def test_todays_order_passes_and_each_schedule_counts_as_a_test(self) -> None:
        _, _, stderr = run("serial")
        race = [line for line in verbose_lines(stderr) if "test_reader" in line]
        self.assertEqual(len(race), 10, stderr)
        self.assertRegex(race[0], r"\[today's order\] \.\.\. ok$")
        failed = sum(line.endswith(" ... FAIL") for line in race)
        pinned = [line for line in verbose_lines(stderr) if "test_runs_once" in line]
        self.assertEqual(len(pinned), 1, stderr)
        self.assertTrue(pinned[0].endswith(".test_runs_once) ... ok"), pinned)
        # The other samples fail 5 times (a class fixture among them): each schedule counts.
        self.assertRegex(footer(stderr)[-1], rf"^\d+ passed, {5 + failed} failed, 1 skipped$")
        self.assertRegex(
            stderr,
            r"\nSchedules: 10 per test, over 1 test; the seeded runs took \d+\.\d{3} s, "
            r"\d+\.\d{3} s per seed, against \d+\.\d{3} s for today's order\n",
        )
