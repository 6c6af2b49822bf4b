"""``python -m tests --schedules N``: each test that explores schedules, run under N of them.

A virtual-time test explores schedules unless its class sets ``explore_schedules = False``
(see `tests.support.schedules`). The runner runs each such test N times in a row, as N tests:
first in today's order (``schedule_seed`` None), then under seeds 1 to N-1, each on a copy of
the test with ``schedule_seed`` set. Other tests run once. A copy's description names its
schedule, and a failing copy's report ends with the command that runs that schedule alone;
`Cost` adds up the time each kind of run took, for the line the runner prints at the end.
"""

from __future__ import annotations

import unittest
from dataclasses import dataclass
from typing import Any

from tests.support.cases import VirtualTimeTestCase
from tests.support.schedules import SEED_VARIABLE


def expanded(test: unittest.TestSuite | unittest.TestCase, schedules: int) -> unittest.TestSuite:
    """`test` with each test that explores schedules followed by its copies under seeds."""
    suite = unittest.TestSuite()
    for member in test if isinstance(test, unittest.TestSuite) else [test]:
        if isinstance(member, unittest.TestSuite):
            suite.addTest(expanded(member, schedules))
            continue
        suite.addTest(member)
        if isinstance(member, VirtualTimeTestCase) and _explores(member):
            suite.addTests(_seeded_copy(member, seed) for seed in range(1, schedules))
    return suite


def label(test: unittest.TestCase) -> str | None:
    """Which schedule `test` (or the test of a subtest) runs, or None if it explores none."""
    owner: Any = getattr(test, "test_case", test)
    if not _explores(owner):
        return None
    seed: int | None = owner.schedule_seed
    return "today's order" if seed is None else f"schedule seed {seed}"


def reproduction(test: unittest.TestCase) -> str | None:
    """The command that runs `test`'s schedule alone, or None if it explores none."""
    owner: Any = getattr(test, "test_case", test)
    if not _explores(owner):
        return None
    seed: int | None = owner.schedule_seed
    command = f"python -m tests {owner.id()}"
    return command if seed is None else f"{SEED_VARIABLE}={seed} {command}"


@dataclass
class Cost:
    """Seconds spent on the tests that explore schedules: in today's order, and under seeds."""

    tests: int = 0
    todays_order: float = 0.0
    seeded: float = 0.0

    def add(self, test: unittest.TestCase, seconds: float) -> None:
        """Count one run of `test`, from its start to its end (set-up and clean-ups included)."""
        if not _explores(test):
            return
        if getattr(test, "schedule_seed", None) is None:
            self.tests += 1
            self.todays_order += seconds
        else:
            self.seeded += seconds

    def merge(self, other: Cost) -> None:
        """Add up what another process measured."""
        self.tests += other.tests
        self.todays_order += other.todays_order
        self.seeded += other.seeded

    def summary(self, schedules: int) -> str:
        """The line the runner prints: what the seeded runs cost against today's order."""
        tests = f"{self.tests} test{'s' if self.tests != 1 else ''}"
        todays = f"{self.todays_order:.3f} s for today's order"
        if schedules == 1:
            return f"Schedules: 1 per test, today's order only, over {tests}: {todays}"
        per_seed = self.seeded / (schedules - 1)
        return (
            f"Schedules: {schedules} per test, over {tests}; the seeded runs took "
            f"{self.seeded:.3f} s, {per_seed:.3f} s per seed, against {todays}"
        )


def _explores(test: object) -> bool:
    # Duck-typed: a parallel run's parent holds stand-ins for the tests its workers ran.
    return bool(getattr(test, "explore_schedules", False)) and hasattr(test, "schedule_seed")


def _seeded_copy(test: VirtualTimeTestCase, seed: int) -> VirtualTimeTestCase:
    # A new instance of the same class, so that class and module fixtures run once for all.
    copy = type(test)(test._testMethodName)
    copy.schedule_seed = seed
    return copy
