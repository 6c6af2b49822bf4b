"""Races found by seed: a seed draws the order of what is due together, and only that.

The worked example of the README runs here as a child test: a race that passes in the order
things were scheduled, fails under the README's seed every time, and whose corrected version
passes under every seed tried. The other tests run a `VirtualTimeLoop` under many seeds and
check what a seed may reorder (timers due at the same instant, I/O events ready together) and
what it never does (`call_soon` order, a task's own steps, deadline order, early wake-ups).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import unittest
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, ClassVar
from unittest import mock

from tests.support import VirtualTimeTestCase
from tests.support._child_runs import ChildRun, ChildRunTestCase, run_child
from tests.support.schedules import SEED_VARIABLE, parse_seed, seed_from_environment
from tests.support.virtual_time import VirtualTimeLoop

_SEEDS = range(20)
# The seed the README reproduces the race with.
_README_SEED = 1


class Examples:
    """The README's worked example; held in a class of its own, out of unittest's discovery."""

    class HandoverTest(VirtualTimeTestCase):
        async def test_reader_gets_the_token(self) -> None:
            shared: dict[str, str] = {}

            async def writer() -> None:
                await asyncio.sleep(1)
                shared["token"] = "abc"

            async def reader() -> str | None:
                await asyncio.sleep(1)  # woken at the same instant as the writer
                return shared.get("token")

            async with asyncio.TaskGroup() as group:
                group.create_task(writer())
                read = group.create_task(reader())
            self.assertEqual(read.result(), "abc")

    class FixedHandoverTest(VirtualTimeTestCase):
        async def test_reader_gets_the_token(self) -> None:
            shared: dict[str, str] = {}
            written = asyncio.Event()

            async def writer() -> None:
                await asyncio.sleep(1)
                shared["token"] = "abc"
                written.set()

            async def reader() -> str | None:
                await asyncio.sleep(1)
                await written.wait()  # whichever of the two woke first
                return shared.get("token")

            async with asyncio.TaskGroup() as group:
                group.create_task(writer())
                read = group.create_task(reader())
            self.assertEqual(read.result(), "abc")


def _run_seeded(case: type[VirtualTimeTestCase], seed: int | None, **attributes: Any) -> ChildRun:
    """Run `case` as the runner runs a copy of it: with `schedule_seed` set to `seed`."""
    seeded = type(case.__name__, (case,), {"schedule_seed": seed, **attributes})
    return run_child(seeded)


class _SeedOwnTestCase(ChildRunTestCase):
    """Each test chooses its own seeds, whatever `TESTS_SCHEDULE_SEED` the suite runs under."""

    def setUp(self) -> None:
        self.enterContext(mock.patch.dict(os.environ))
        os.environ.pop(SEED_VARIABLE, None)


class WorkedExampleTests(_SeedOwnTestCase):
    def test_the_race_passes_in_the_order_things_were_scheduled(self) -> None:
        self.assert_passed(_run_seeded(Examples.HandoverTest, None), tests_run=1)

    def test_the_readmes_seed_fails_the_race_every_time(self) -> None:
        for _ in range(3):
            run = _run_seeded(Examples.HandoverTest, _README_SEED)
            self.assert_fails_with(run, "AssertionError: None != 'abc'", problems=0)

    def test_the_corrected_version_passes_under_every_seed(self) -> None:
        for seed in [None, *_SEEDS]:
            with self.subTest(seed=seed):
                self.assert_passed(_run_seeded(Examples.FixedHandoverTest, seed), tests_run=1)


class SeedChoiceTests(_SeedOwnTestCase):
    def test_the_environments_seed_is_used_over_the_attribute(self) -> None:
        racy = Examples.HandoverTest
        passing = next(seed for seed in _SEEDS if not _run_seeded(racy, seed).failures)
        os.environ[SEED_VARIABLE] = str(_README_SEED)
        self.assert_fails_with(_run_seeded(racy, None), "None != 'abc'", problems=0)
        os.environ[SEED_VARIABLE] = str(passing)
        self.assert_passed(_run_seeded(racy, _README_SEED), tests_run=1)

    def test_a_malformed_environment_seed_errors_the_test_in_one_line(self) -> None:
        os.environ[SEED_VARIABLE] = "soon"
        run = _run_seeded(Examples.FixedHandoverTest, None)
        self.assertEqual((run.failures, len(run.errors)), ([], 1), run.report)
        self.assertEqual(
            run.errors[0].rstrip().splitlines()[-1],
            "ValueError: TESTS_SCHEDULE_SEED='soon': expected a whole number >= 0",
        )

    def test_a_class_that_pins_the_order_runs_in_it_under_any_seed(self) -> None:
        pinned = {"explore_schedules": False}
        self.assert_passed(_run_seeded(Examples.HandoverTest, _README_SEED, **pinned), tests_run=1)
        os.environ[SEED_VARIABLE] = str(_README_SEED)
        self.assert_passed(_run_seeded(Examples.HandoverTest, None, **pinned), tests_run=1)


class ParseSeedTests(unittest.TestCase):
    def test_whole_numbers_from_zero_are_seeds(self) -> None:
        for text, seed in [("0", 0), ("7", 7), ("18446744073709551616", 2**64)]:
            self.assertEqual(parse_seed(text, "--schedules"), seed)

    def test_anything_else_is_a_one_line_error_naming_its_source(self) -> None:
        for text in ["", "-1", "+1", "1.5", " 3", "1_000", "x", "\u0663"]:
            with self.subTest(text=text), self.assertRaises(ValueError) as refused:
                parse_seed(text, "SOURCE")
            self.assertEqual(
                str(refused.exception), f"SOURCE={text!r}: expected a whole number >= 0"
            )

    def test_the_environment_gives_its_seed_or_none(self) -> None:
        with mock.patch.dict(os.environ, {SEED_VARIABLE: "42"}):
            self.assertEqual(seed_from_environment(), 42)
        with mock.patch.dict(os.environ):
            os.environ.pop(SEED_VARIABLE, None)
            self.assertIsNone(seed_from_environment())


def _run_on(
    seed: int | None, main: Callable[[], Coroutine[Any, Any, Any]], jitter: float = 0.0
) -> Any:
    loop_factory = functools.partial(VirtualTimeLoop, schedule_seed=seed, schedule_jitter=jitter)
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main())


async def _timers_fired() -> list[tuple[float, int]]:
    """Sixty timers, twenty due at each of 1, 2 and 3 s: (when it fired, its number)."""
    loop = asyncio.get_running_loop()
    fired: list[tuple[float, int]] = []

    def fire(number: int) -> None:
        fired.append((loop.time(), number))

    for number in range(60):
        loop.call_at(1 + number % 3, fire, number)
    await asyncio.sleep(4)
    return fired


class TimerOrderTests(unittest.TestCase):
    def test_without_a_seed_equal_deadlines_fire_in_the_order_they_were_set(self) -> None:
        expected = [(1.0 + number % 3, number) for number in sorted(range(60), key=lambda n: n % 3)]
        self.assertEqual(_run_on(None, _timers_fired), expected)

    def test_a_seed_draws_the_order_of_equal_deadlines_and_keeps_deadline_order(self) -> None:
        today = _run_on(None, _timers_fired)
        for seed in _SEEDS:
            with self.subTest(seed=seed):
                fired = _run_on(seed, _timers_fired)
                self.assertNotEqual(fired, today)
                self.assertEqual(sorted(fired), today)
                self.assertEqual([when for when, _ in fired], [when for when, _ in today])

    def test_a_seed_draws_the_same_order_every_run(self) -> None:
        orders = {seed: _run_on(seed, _timers_fired) for seed in _SEEDS}
        for seed in (0, 7):
            for _ in range(3):
                self.assertEqual(_run_on(seed, _timers_fired), orders[seed])
        distinct = {tuple(order) for order in orders.values()}
        self.assertEqual(len(distinct), len(_SEEDS))


class KeptOrderTests(unittest.TestCase):
    """What asyncio promises holds under every seed."""

    def test_call_soon_callbacks_run_in_the_order_they_were_queued(self) -> None:
        async def main() -> tuple[list[int], list[tuple[int, str]]]:
            loop = asyncio.get_running_loop()
            fired: list[int] = []
            queued: list[tuple[int, str]] = []

            def at_deadline(number: int) -> None:
                fired.append(number)
                loop.call_soon(queued.append, (number, "first"))
                loop.call_soon(queued.append, (number, "second"))

            for number in range(20):
                loop.call_at(1, at_deadline, number)
            await asyncio.sleep(2)
            return fired, queued

        for seed in [None, *_SEEDS]:
            with self.subTest(seed=seed):
                fired, queued = _run_on(seed, main)
                expected = [(number, part) for number in fired for part in ("first", "second")]
                self.assertEqual(queued, expected)

    def test_each_task_takes_its_own_steps_in_order_at_their_instants(self) -> None:
        async def main() -> list[tuple[int, int, float]]:
            loop = asyncio.get_running_loop()
            steps: list[tuple[int, int, float]] = []

            async def stepper(name: int) -> None:
                for step in range(5):
                    await asyncio.sleep(1)  # due with every other stepper's step
                    steps.append((name, step, loop.time()))

            await asyncio.gather(*(stepper(name) for name in range(10)))
            return steps

        for seed in [None, *_SEEDS]:
            with self.subTest(seed=seed):
                steps = _run_on(seed, main)
                for name in range(10):
                    own = [(step, when) for each, step, when in steps if each == name]
                    self.assertEqual(own, [(step, step + 1.0) for step in range(5)])


async def _slept(delays: list[float]) -> list[float]:
    """When each sleeper, started together at 0 s, woke."""
    loop = asyncio.get_running_loop()

    async def sleeper(seconds: float) -> float:
        await asyncio.sleep(seconds)
        return loop.time()

    return await asyncio.gather(*(sleeper(seconds) for seconds in delays))


class JitterTests(unittest.TestCase):
    # Quarter seconds add up exactly in binary floating point.
    delays: ClassVar[list[float]] = [0.25 * quarter for quarter in range(1, 41)] * 2

    def test_a_sleep_ends_late_by_at_most_the_jitter_and_never_early(self) -> None:
        for seed in _SEEDS:
            with self.subTest(seed=seed):
                woke = _run_on(seed, functools.partial(_slept, self.delays), jitter=0.5)
                lateness = [end - seconds for end, seconds in zip(woke, self.delays, strict=True)]
                self.assertGreaterEqual(min(lateness), 0.0)
                self.assertLessEqual(max(lateness), 0.5)
                self.assertGreater(max(lateness), 0.25)

    def test_without_a_seed_the_jitter_moves_nothing(self) -> None:
        woke = _run_on(None, functools.partial(_slept, self.delays), jitter=0.5)
        self.assertEqual(woke, self.delays)

    def test_a_negative_jitter_is_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "schedule_jitter=-1.0: expected seconds >= 0"):
            VirtualTimeLoop(schedule_seed=1, schedule_jitter=-1.0)


@contextlib.contextmanager
def _readable_pairs(count: int) -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    """`count` connected socket pairs, the first of each with a byte waiting to be read."""
    pairs: list[tuple[socket.socket, socket.socket]] = []
    try:
        for _ in range(count):
            pairs.append(socket.socketpair())
            ours, theirs = pairs[-1]
            ours.setblocking(False)
            theirs.send(b"x")
        yield pairs
    finally:
        for pair in pairs:
            for end in pair:
                end.close()


async def _handled(count: int = 6) -> list[int]:
    """The order the loop handles `count` sockets that are readable in the same select()."""
    loop = asyncio.get_running_loop()
    handled: list[int] = []
    all_read = loop.create_future()

    def on_readable(index: int, ours: socket.socket) -> None:
        loop.remove_reader(ours)
        ours.recv(1)
        handled.append(index)
        if len(handled) == count:
            all_read.set_result(None)

    with _readable_pairs(count) as pairs:
        for index, (ours, _) in enumerate(pairs):
            loop.add_reader(ours, on_readable, index, ours)
        await all_read
    return handled


class InputOutputOrderTests(unittest.TestCase):
    def test_a_seed_draws_the_order_of_events_ready_together_the_same_every_run(self) -> None:
        orders = {seed: _run_on(seed, _handled) for seed in _SEEDS}
        for seed in (0, 7):
            for _ in range(3):
                self.assertEqual(_run_on(seed, _handled), orders[seed])
        self.assertGreater(len({tuple(order) for order in orders.values()}), 1)
        for order in orders.values():
            self.assertEqual(sorted(order), list(range(6)))
