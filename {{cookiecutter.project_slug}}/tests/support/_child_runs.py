"""Running a test class inside a test, to check the verdict the toolkit gives it.

The toolkit's own tests define deliberately buggy test classes inside test methods (where
neither unittest nor pytest discovery sees them), run them here in the same process, and
assert on the failures they produce. A verdict that differs from the one expected must show
the child's whole report, or the cause of a rare failure is lost: `ChildRunTestCase` makes
every such assertion print it, untruncated.
"""

from __future__ import annotations

import logging
import re
import unittest
from dataclasses import dataclass

# Each problem a failure lists starts a line with the switch that turns its check off.
_PROBLEM = re.compile(r"^\[fail_on_\w+\]", re.MULTILINE)


@dataclass(frozen=True)
class ChildRun:
    """What became of each test of a child run: failure texts, error texts, tests run."""

    failures: list[str]
    errors: list[str]
    tests_run: int

    @property
    def report(self) -> str:
        """Every failure and error text, for assertions and for messages when they fail."""
        return "\n".join(self.failures + self.errors)

    @property
    def problem_count(self) -> int:
        """How many problems the toolkit's verdicts listed, over every failure."""
        return sum(len(_PROBLEM.findall(text)) for text in self.failures)


class ChildRunTestCase(unittest.TestCase):
    """A test of the verdicts child runs get; each failed assertion shows the child's report."""

    maxDiff = None

    def assert_passed(self, run: ChildRun, tests_run: int) -> None:
        """Every one of the child's `tests_run` tests passed."""
        self.assertEqual((run.failures, run.errors, run.tests_run), ([], [], tests_run), run.report)

    def assert_fails_with(self, run: ChildRun, *fragments: str, problems: int = 1) -> None:
        """The child's one test failed (not errored) with exactly `problems`, naming `fragments`."""
        self.assertEqual(run.errors, [], f"a mistake must fail, not error:\n{run.report}")
        self.assertEqual(len(run.failures), 1, run.report)
        self.assertEqual(run.problem_count, problems, run.report)
        for fragment in fragments:
            self.assertIn(fragment, run.failures[0])


def line_marked(path: str, marker: str) -> int:
    """The number of the line of `path` that carries `# marker` in a comment.

    A child test marks the line of its mistake so that the test checking its verdict can say
    which line the report must name, without counting lines by hand.
    """
    with open(path, encoding="utf-8") as source:
        for number, text in enumerate(source, start=1):
            if f"# {marker}" in text:
                return number
    raise LookupError(f"no line of {path} is marked {marker!r}")


def run_child(case: type[unittest.TestCase], *names: str) -> ChildRun:
    """Run the tests `names` of `case` (all by default); keep asyncio's logs off stderr."""
    loader = unittest.defaultTestLoader
    suite = (
        unittest.TestSuite(case(name) for name in names)
        if names
        else loader.loadTestsFromTestCase(case)
    )
    result = unittest.TestResult()
    asyncio_logger = logging.getLogger("asyncio")
    silencer = logging.NullHandler()
    propagates = asyncio_logger.propagate
    asyncio_logger.addHandler(silencer)
    asyncio_logger.propagate = False
    try:
        suite.run(result)
    finally:
        asyncio_logger.propagate = propagates
        asyncio_logger.removeHandler(silencer)
    return ChildRun(
        failures=[text for _, text in result.failures],
        errors=[text for _, text in result.errors],
        tests_run=result.testsRun,
    )
