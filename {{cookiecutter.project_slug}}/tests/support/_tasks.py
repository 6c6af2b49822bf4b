"""How the toolkit names a task in a failure: what it runs, where it waits, where it began.

A leaked or deadlocked task is found at the end of a test, long after the line that made it.
The report must lead back to that line, so it gives three places: the coroutine the task runs
(`name_task`), the chain of awaits it is suspended in, innermost last (`suspended_in`), and the
line that created it (`creation_site`). asyncio records that creation site only in debug mode,
which `IsolatedAsyncioTestCase` always turns on. `_call_graph.describe_task` puts them together
with who awaits the task.
"""

from __future__ import annotations

import asyncio
import os
import unittest
from collections.abc import Iterable
from typing import Any

_UNITTEST_DIR = os.path.dirname(unittest.__file__)
_LIBRARY_DIRS = (os.path.dirname(asyncio.__file__), _UNITTEST_DIR, os.path.dirname(__file__))


def suspended_in(task: asyncio.Task[Any]) -> str:
    """The chain of awaits `task` is suspended in, innermost last, and what it waits for."""
    awaits = " -> ".join(_await_chain(_coroutine_of(task)))
    waiter = getattr(task, "_fut_waiter", None)
    if waiter is not None:
        awaits += f", waiting for {waiter!r}"
    return awaits or "a coroutine that has not started yet"


def name_task(task: asyncio.Task[Any]) -> str:
    """`Task 'name' running coroutine()`: enough to pick the task out of the test's code."""
    coroutine = _coroutine_of(task)
    running = (
        "a coroutine that finished eagerly" if coroutine is None else f"{_qualname(coroutine)}()"
    )
    return f"Task {task.get_name()!r} running {running}"


def creation_site(task: asyncio.Task[Any]) -> str:
    """Where `task` came from: `created at file:line in function`, the innermost line outside
    asyncio, unittest and this toolkit; or the library that created it on its own behalf."""
    stack: Iterable[Any] | None = getattr(task, "_source_traceback", None)
    if not stack:
        return "created at an unknown place (asyncio debug mode was off when the task was created)"
    for frame in reversed(list(stack)):
        if frame.filename.startswith(_UNITTEST_DIR):
            return "created by unittest to run a phase of the test"
        if not is_library_file(frame.filename):
            return f"created at {place(frame.filename, frame.lineno)} in {frame.name}"
    return "created by asyncio itself (no line of the project's code was on the stack)"


def is_library_file(filename: str) -> bool:
    """Whether `filename` is part of asyncio, unittest or this toolkit: never the culprit."""
    return filename.startswith(_LIBRARY_DIRS)


def place(filename: str, lineno: int | None) -> str:
    """`file:line`, with the file relative to the working directory when it lies inside it."""
    relative = os.path.relpath(filename) if os.path.isabs(filename) else filename
    shown = filename if relative.startswith("..") else relative
    return f"{shown}:{lineno}"


def pending_tasks(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    """The tasks of `loop` that have not finished, oldest first as far as asyncio keeps order."""
    return [task for task in asyncio.all_tasks(loop) if not task.done()]


def _coroutine_of(task: asyncio.Task[Any]) -> object:
    """The coroutine `task` runs; None once a task that started eagerly (3.12+) let it go.

    `Task.get_coro()` crashes CPython 3.12.1 for such a task; the `_coro` attribute answers.
    """
    return getattr(task, "_coro", None) if task.done() else task.get_coro()


def _await_chain(awaitable: object) -> list[str]:
    steps = []
    current: object = awaitable
    while current is not None:
        frame = getattr(current, "cr_frame", None) or getattr(current, "gi_frame", None)
        if frame is None:
            break
        where = place(frame.f_code.co_filename, frame.f_lineno)
        steps.append(f"{_qualname(current)}() at {where}")
        current = getattr(current, "cr_await", None) or getattr(current, "gi_yieldfrom", None)
    return steps


def _qualname(obj: object) -> str:
    return str(getattr(obj, "__qualname__", type(obj).__qualname__))
