"""VirtualTimeTestCase runs on the loop a suite chose, on virtual time, or refuses it by name.

Suites written for Python 3.14 choose their loop with `loop_factory` (asyncio's policies are
deprecated): the standard loop class, a subclass, or a function that sets a task factory.
Each must run on virtual time with what it chose kept; a loop that virtual time cannot stand
in for must fail each test with a message that says why and what to do.
"""

from __future__ import annotations

import asyncio
import unittest
from collections.abc import Callable
from typing import Any

from tests.support import VirtualTimeTestCase
from tests.support._child_runs import ChildRunTestCase, run_child
from tests.support.virtual_time import VirtualTimeLoop


class _Greeting(asyncio.SelectorEventLoop):
    """A subclass that adds a method and changes nothing virtual time replaces."""

    def greeting(self) -> str:
        return "hello"


class _OwnClock(asyncio.SelectorEventLoop):
    def time(self) -> float:
        return 0.0


class _NotASelectorLoop(asyncio.AbstractEventLoop):
    """Stands in for uvloop or a proactor: a loop of another kind altogether."""


# From 3.12 on; looked up so that the module reads the same whatever Python a project targets.
_EAGER_TASK_FACTORY = getattr(asyncio, "eager_task_factory", None)


def _eager_loop() -> asyncio.AbstractEventLoop:
    loop = asyncio.SelectorEventLoop()
    loop.set_task_factory(_EAGER_TASK_FACTORY)
    return loop


class _SleepsAnHour:
    async def test_sleeps_an_hour(self) -> None:
        await asyncio.sleep(3600)
        self.assertEqual(self.clock.monotonic(), 3600)  # type: ignore[attr-defined]
        self.assertIsInstance(asyncio.get_running_loop(), VirtualTimeLoop)  # type: ignore[attr-defined]


def _case(loop_factory: Callable[[], Any], **members: Any) -> type[VirtualTimeTestCase]:
    return type(
        "Chosen", (_SleepsAnHour, VirtualTimeTestCase), {"loop_factory": loop_factory, **members}
    )


class HonouredChoiceTests(ChildRunTestCase):
    def test_the_standard_loop_runs_on_virtual_time(self) -> None:
        standard = [asyncio.SelectorEventLoop, asyncio.new_event_loop]
        standard += [asyncio.EventLoop] if hasattr(asyncio, "EventLoop") else []
        for factory in standard:
            with self.subTest(factory):
                self.assert_passed(run_child(_case(factory)), tests_run=1)

    def test_a_subclass_keeps_its_own_methods(self) -> None:
        async def test_greets(case: VirtualTimeTestCase) -> None:
            case.assertEqual(asyncio.get_running_loop().greeting(), "hello")  # type: ignore[attr-defined]

        self.assert_passed(run_child(_case(_Greeting, test_greets=test_greets)), tests_run=2)

    @unittest.skipIf(_EAGER_TASK_FACTORY is None, "eager tasks came in 3.12")
    def test_a_factory_that_starts_tasks_eagerly_keeps_them_eager(self) -> None:
        async def test_starts_eagerly(case: VirtualTimeTestCase) -> None:
            started: list[str] = []

            async def note() -> None:
                started.append("ran")

            task = asyncio.create_task(note())
            case.assertEqual(started, ["ran"], "an eager task runs before create_task returns")
            await task

        case = _case(_eager_loop, test_starts_eagerly=test_starts_eagerly)
        self.assert_passed(run_child(case), tests_run=2)

    def test_a_back_ported_runner_on_the_standard_loop_runs_on_virtual_time(self) -> None:
        def back_port(case: VirtualTimeTestCase) -> None:
            case._asyncioRunner = asyncio.Runner(loop_factory=asyncio.new_event_loop)

        case = _case(None, _setupAsyncioRunner=back_port)  # type: ignore[arg-type]
        self.assert_passed(run_child(case), tests_run=1)


class RefusedChoiceTests(ChildRunTestCase):
    def assert_refused(self, case: type[VirtualTimeTestCase], *fragments: str) -> None:
        run = run_child(case)
        self.assertEqual((len(run.errors), run.failures), (1, []), run.report)
        for fragment in (*fragments, "derive from AsyncTestCase to keep your own loop"):
            self.assertIn(fragment, run.errors[0])

    def test_a_loop_of_another_kind_is_refused_by_name(self) -> None:
        self.assert_refused(
            _case(_NotASelectorLoop),
            "Chosen sets loop_factory = ",
            "_NotASelectorLoop is not a subclass of asyncio's selector event loop",
        )

    def test_a_subclass_with_its_own_clock_is_refused_naming_the_method(self) -> None:
        self.assert_refused(
            _case(_OwnClock), "_OwnClock overrides time, which virtual time replaces"
        )

    def test_a_back_ported_runner_on_a_refused_loop_is_refused(self) -> None:
        def back_port(case: VirtualTimeTestCase) -> None:
            case._asyncioRunner = asyncio.Runner(loop_factory=_OwnClock)

        case = _case(None, _setupAsyncioRunner=back_port)  # type: ignore[arg-type]
        self.assert_refused(case, "Chosen overrides _setupAsyncioRunner with ")
