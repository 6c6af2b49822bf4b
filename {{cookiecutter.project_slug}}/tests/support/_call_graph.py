"""Who awaits a task, from Python 3.14's call graph, and the cycles no timer can break.

A leaked or deadlocked task says where it is suspended; what a reader needs next is who was
waiting for it: the task that awaited it, perhaps through `gather` or a `TaskGroup`, and who
awaited that one. Python 3.14 records those edges (`asyncio.capture_call_graph`). A task that
awaits, through such edges, a task awaiting it back is in a cycle: each waits for the next, so
no event can ever finish any of them, and the report says so instead of listing them apart.

`capture_call_graph` follows the edges without remembering where it has been, and on a cycle
it recurses until the interpreter's stack gives out; so the edges are walked here first, from
the attribute asyncio keeps them in, and the call graph is captured only where no cycle lies.
On Python 3.13 and older, which record no such edges, both functions answer nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from tests.support._tasks import creation_site, is_library_file, name_task, place, suspended_in

# From 3.14 on; looked up so that the module reads the same whatever Python a project targets.
_capture_call_graph = getattr(asyncio, "capture_call_graph", None)
# Enough levels to reach from a leaf task to the test's own; deeper graphs are cut, saying so.
_MOST_LEVELS = 8


def describe_task(task: asyncio.Task[Any], status: str) -> str:
    """Describe an unfinished task: who it is, its `status`, where it waits, who awaits it
    (3.14+), and where it began."""
    lines = [f"{name_task(task)} {status}", f"    suspended in {suspended_in(task)}"]
    lines += awaited_by_lines(task)
    lines.append(f"    {creation_site(task)}")
    return "\n".join(lines)


def awaited_by_lines(task: asyncio.Task[Any]) -> list[str]:
    """Lines that say who awaits `task`, level by level, or that it is in a cycle."""
    if _capture_call_graph is None:
        return []
    cycle = await_cycle(task)
    if cycle:
        return [f"    in a cycle: {_cycle_text(cycle)}; none of them can ever finish"]
    if _reaches_a_cycle(task):
        return ["    awaited by tasks that await each other in a cycle"]
    graph = _capture_call_graph(task)
    if graph is None:
        return []
    return list(_parents(graph, level=1))


def cycles_among(tasks: list[asyncio.Task[Any]]) -> list[str]:
    """Each distinct cycle of awaits that `tasks` are caught in, as one sentence."""
    found: dict[frozenset[int], str] = {}
    for task in tasks:
        cycle = await_cycle(task)
        key = frozenset(id(future) for future in cycle)
        if cycle and key not in found:
            found[key] = f"A cycle of awaits: {_cycle_text(cycle)}; none of them can ever finish."
    return list(found.values())


def await_cycle(task: asyncio.Task[Any]) -> list[asyncio.Future[Any]]:
    """The futures of a cycle through `task`, `task` first, each awaited by the next; or []."""
    if _capture_call_graph is None:
        return []
    path: list[asyncio.Future[Any]] = [task]
    seen = {id(task)}

    def search(current: asyncio.Future[Any]) -> bool:
        for parent in _awaiters(current):
            if parent is task:
                return True
            if id(parent) not in seen:
                seen.add(id(parent))
                path.append(parent)
                if search(parent):
                    return True
                path.pop()
        return False

    return path if search(task) else []


def _reaches_a_cycle(task: asyncio.Future[Any]) -> bool:
    on_path: set[int] = set()
    done: set[int] = set()

    def search(current: asyncio.Future[Any]) -> bool:
        on_path.add(id(current))
        for parent in _awaiters(current):
            if id(parent) in on_path or (id(parent) not in done and search(parent)):
                return True
        on_path.discard(id(current))
        done.add(id(current))
        return False

    return search(task)


def _awaiters(future: asyncio.Future[Any]) -> list[asyncio.Future[Any]]:
    return list(getattr(future, "_asyncio_awaited_by", None) or ())


def _parents(graph: Any, level: int) -> Iterator[str]:
    indent = "    " + "  " * (level - 1)
    for parent in graph.awaited_by:
        if level > _MOST_LEVELS:
            yield f"{indent}awaited by more (cut at {_MOST_LEVELS} levels)"
            return
        yield f"{indent}awaited by {_name(parent.future)}{_where(parent)}"
        yield from _parents(parent, level + 1)


def _name(future: asyncio.Future[Any]) -> str:
    if isinstance(future, asyncio.Task):
        return name_task(future)
    return f"a {type(future).__name__.lstrip('_')} (as gather returns)"


def _where(graph: Any) -> str:
    for entry in graph.call_stack:
        code = entry.frame.f_code
        if not is_library_file(code.co_filename):
            return f" at {place(code.co_filename, entry.frame.f_lineno)} in {code.co_name}"
    return ""


def _cycle_text(cycle: list[asyncio.Future[Any]]) -> str:
    # Each future in the cycle is awaited by the next: read backwards, each awaits the next.
    names = [_name(future) for future in reversed(cycle)]
    return " awaits ".join([*names, names[0]])
