"""Reports of leaked and deadlocked tasks say who awaits them, and name a cycle of awaits.

From Python 3.14 asyncio records who awaits whom (`asyncio.capture_call_graph`), through
`gather` and `TaskGroup`; a report then leads from the leaked task to the line that awaited it.
Older Pythons keep the report they had. Tasks that await each other deadlock on every version:
the report names the cycle (3.14+), and the test fails with the deadlock alone, not with a
`RecursionError` from cancelling tasks whose cancellation goes round the cycle for ever.
"""

from __future__ import annotations

import asyncio
import sys

from tests.support import AsyncTestCase, VirtualTimeTestCase
from tests.support._child_runs import ChildRunTestCase, run_child

_RECORDS_CALL_GRAPH = sys.version_info >= (3, 14)


async def _wait_forever() -> None:
    await asyncio.Event().wait()


class _Leaky:
    """Mixed into an AsyncTestCase by `run_child` (so never discovered)."""

    async def test_leaks_a_gather(self) -> None:
        async def gathers() -> None:
            await asyncio.gather(_wait_forever())  # gathers

        asyncio.create_task(gathers(), name="gatherer")  # noqa: RUF006 -- the leak under test
        await asyncio.sleep(0)


class _Cycle:
    """Mixed into a VirtualTimeTestCase by `run_child` (so never discovered)."""

    async def test_awaits_round_a_cycle(self) -> None:
        tasks: dict[str, asyncio.Task[None]] = {}

        async def first() -> None:
            await tasks["second"]

        async def second() -> None:
            await tasks["first"]

        tasks["first"] = asyncio.create_task(first(), name="first")
        tasks["second"] = asyncio.create_task(second(), name="second")
        await tasks["first"]


class CallGraphTests(ChildRunTestCase):
    def test_a_leaked_task_names_who_awaits_it_through_gather(self) -> None:
        run = run_child(type("Leaky", (_Leaky, AsyncTestCase), {}))
        self.assert_fails_with(run, "Task 'gatherer'", "_wait_forever()", problems=2)
        awaited_by = "awaited by Task 'gatherer' running _Leaky.test_leaks_a_gather.<locals>."
        if _RECORDS_CALL_GRAPH:
            self.assertIn(awaited_by, run.report)
        else:
            self.assertNotIn("awaited by", run.report)

    def test_tasks_that_await_each_other_are_one_deadlock_naming_the_cycle(self) -> None:
        run = run_child(type("Cycle", (_Cycle, VirtualTimeTestCase), {"deadlock_timeout": 0.05}))
        self.assert_fails_with(run, "DeadlockError", "Task 'first'", "Task 'second'", problems=0)
        self.assertNotIn("RecursionError", run.report)
        if _RECORDS_CALL_GRAPH:
            self.assertIn("A cycle of awaits: Task '", run.report)
            self.assertIn("none of them can ever finish", run.report)
        else:
            self.assertNotIn("cycle of awaits", run.report)
