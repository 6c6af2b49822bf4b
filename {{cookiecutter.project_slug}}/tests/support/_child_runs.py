"""Running a test class inside a test, to check the verdict the toolkit gives it.

The toolkit's own tests define deliberately buggy test classes inside test methods (where
neither unittest nor pytest discovery sees them), run them here in the same process, and
assert on the failures they produce.
"""

from __future__ import annotations

import logging
import unittest
from dataclasses import dataclass


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
