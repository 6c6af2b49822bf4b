"""Turning what asyncio reports on the side into test failures.

asyncio reports most mistakes where no test can see them. A coroutine that was never awaited,
or a socket, transport or event loop that was never closed, is a warning issued while the
garbage collector finalizes the object; an exception cannot escape a finalizer, so even with
`-W error` Python only prints "Exception ignored in ..." and the test passes. A task exception
that nobody retrieved goes to the loop's exception handler, and a callback that blocked the
loop is a log record on the `asyncio` logger.

`Diagnostics` listens on each of those channels while one test runs, whatever the warning
filters of the surrounding runner (`python -m unittest`, pytest, `-W error::ResourceWarning`):

- warnings: inside its own `warnings.catch_warnings()`, it shows the two warnings it judges
  every time and takes them from `warnings.showwarning`; should a test turn them into errors
  anyway, `sys.unraisablehook` catches them from the finalizer;
- the loop's exception handler, for lost exceptions, destroyed pending tasks and exceptions
  raised in callbacks (it then passes each on, so it is still logged as asyncio would);
- a filter on the `asyncio` logger, for "Executing <callback> took N seconds" (a filter, not a
  handler, so Python's last-resort output still prints asyncio's records when nothing else
  is configured to), judged by the callback's CPU time (`_callback_cpu`), not by wall time;
- the standard library's audit events, for blocking calls on the loop's thread (`_blocking`)
  and for where each socket and file was made (`_resources`);
- the file descriptors open at the start and at the end, to find what the test still holds
  open after its cleanups, one report per mistake, and close it (`_leftovers`);
- the loop's timer heap as the loop closes, for timers nothing cancelled (`_timers`);
- the audit events of thread starts, for threads the test leaves running (`_threads`).

Everything else it receives goes on to where it was going. `finish()` stops listening and
returns the problems found, one readable paragraph each.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import sys
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO, cast

from tests.support._blocking import BlockingCalls
from tests.support._call_graph import describe_task
from tests.support._callback_cpu import CallbackCpuTime
from tests.support._leftovers import Leftovers
from tests.support._loop_core import LoopCore
from tests.support._resources import OpenedResources
from tests.support._tasks import creation_site, is_library_file, name_task, place
from tests.support._threads import StartedThreads
from tests.support._timers import PendingTimers

_UNAWAITED = r"coroutine .* was never awaited"
_ORIGIN_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
_SLOW_CALLBACK_LOG = "Executing %s took %.3f seconds"
# Deep enough to reach from asyncio's internals to the test's own line.
_ORIGIN_DEPTH = 10


@dataclass(frozen=True)
class Checks:
    """Which problems fail a test; `AsyncTestCase` sets each from its `fail_on_*` attribute."""

    pending_tasks: bool = True
    unawaited_coroutines: bool = True
    lost_exceptions: bool = True
    unclosed_resources: bool = True
    slow_callbacks: bool = True
    callback_errors: bool = True
    pending_timers: bool = True
    running_threads: bool = True


class Diagnostics:
    """The problems asyncio reported during one test, gathered from every channel it uses.

    Call `start(loop)` before the test's first phase, `note_pending_tasks()` and
    `note_open_resources()` while the loop still holds the test's leftovers, `close_loop()` to
    close it, `note_running_threads()` once garbage has been collected, and `finish()` last;
    `finish()` is safe to call twice.
    """

    def __init__(self, checks: Checks, slow_callback_duration: float) -> None:
        self._checks = checks
        self._slow_callback_duration = slow_callback_duration
        self._problems: list[str] = []
        self._listening = False
        self._warnings = warnings.catch_warnings()
        self._resources: OpenedResources | None = None
        self._leftovers: Leftovers | None = None
        self._blocking: BlockingCalls | None = None
        self._callback_cpu: CallbackCpuTime | None = None
        self._timers: PendingTimers | None = None
        self._threads: StartedThreads | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Begin listening; the problems reported from now on count against the test."""
        self._listening = True
        self._loop = loop
        self._resources = OpenedResources(loop)
        self._leftovers = Leftovers(self._resources, loop)
        if self._checks.slow_callbacks:
            self._blocking = BlockingCalls(loop)
            self._blocking.start()
            if not isinstance(loop, LoopCore):
                # A VirtualTimeLoop measures its callbacks' CPU time itself.
                self._callback_cpu = CallbackCpuTime(loop)
                self._callback_cpu.start()
        if self._checks.pending_timers:
            self._timers = PendingTimers(loop)
        if self._checks.running_threads:
            self._threads = StartedThreads()
        self._outer_exception_handler = loop.get_exception_handler()
        loop.set_exception_handler(self._on_loop_exception)
        self._warnings.__enter__()
        if self._checks.unclosed_resources:
            warnings.filterwarnings("always", category=ResourceWarning)
        if self._checks.unawaited_coroutines:
            warnings.filterwarnings("always", category=RuntimeWarning)
            # Narrowed to the one message, by a pattern that declines a message that is not
            # text: CPython 3.14's IsolatedAsyncioTestCase warns with a tuple (a stray comma),
            # which a regular expression in the filters would meet with a TypeError.
            filters = cast("list[tuple[Any, ...]]", warnings.filters)
            action, _, category, module, lineno = filters[0]
            filters[0] = (action, _TextPattern(_UNAWAITED), category, module, lineno)
        self._outer_showwarning = warnings.showwarning
        warnings.showwarning = self._showwarning
        self._outer_unraisablehook = sys.unraisablehook
        sys.unraisablehook = self._on_unraisable
        logging.getLogger("asyncio").addFilter(self._on_log_record)
        self._outer_origin_depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(max(self._outer_origin_depth, _ORIGIN_DEPTH))
        # Objects older than the test are not its garbage; freezing them keeps the collection
        # before judging as cheap as the test is small.
        gc.freeze()

    def note_pending_tasks(self, tasks: list[asyncio.Task[Any]]) -> None:
        """Record the tasks the test left unfinished, before anything cancels them."""
        if self._checks.pending_tasks:
            for task in tasks:
                status = "was still pending when the test ended (now cancelled)"
                self._add("fail_on_pending_tasks", describe_task(task, status))

    def note_open_resources(self) -> None:
        """Record the subprocesses still running and the resources still open; close them."""
        if self._resources is None or self._leftovers is None:
            return
        if self._checks.unclosed_resources:
            for text in self._resources.left_running() + self._leftovers.find():
                self._add("fail_on_unclosed_resources", text)

    def close_loop(self, close: Callable[[], None]) -> None:
        """Run `close`, which cancels the pending tasks and closes the loop; record the timers
        still scheduled after the cleanups that nothing cancelled meanwhile."""
        if self._timers is None:
            close()
            return
        for text in self._timers.close_loop(close):
            self._add("fail_on_pending_timers", text)

    def note_running_threads(self) -> None:
        """Record the threads the test started that are still alive, after a grace to end."""
        if self._threads is not None:
            for text in self._threads.left_running():
                self._add("fail_on_running_threads", text)

    def finish(self) -> list[str]:
        """Stop listening, restore every hook, and return the problems found."""
        if self._listening:
            self._listening = False
            if self._timers is not None:
                self._timers.stop()
            if self._threads is not None:
                self._threads.stop()
            gc.unfreeze()
            sys.set_coroutine_origin_tracking_depth(self._outer_origin_depth)
            logging.getLogger("asyncio").removeFilter(self._on_log_record)
            if self._resources is not None:
                self._resources.stop()
            if self._callback_cpu is not None:
                self._callback_cpu.stop()
            if self._blocking is not None:
                for text in self._blocking.stop():
                    self._add("fail_on_slow_callbacks", text)
            sys.unraisablehook = self._outer_unraisablehook
            self._warnings.__exit__(None, None, None)
            if self._loop.get_exception_handler() == self._on_loop_exception:
                self._loop.set_exception_handler(self._outer_exception_handler)
        return self._problems

    def _add(self, check: str, text: str) -> None:
        self._problems.append(f"[{check}] {text}")

    def _judges(self, category: type[Warning], text: str) -> str | None:
        if issubclass(category, ResourceWarning) and self._checks.unclosed_resources:
            return "fail_on_unclosed_resources"
        if (
            issubclass(category, RuntimeWarning)
            and re.match(_UNAWAITED, text)
            and self._checks.unawaited_coroutines
        ):
            return "fail_on_unawaited_coroutines"
        return None

    def _record_warning(self, check: str, text: str) -> None:
        if check == "fail_on_unclosed_resources":
            where = self._resources.where_named_in(text) if self._resources else None
            self._add(
                check, f"A resource was never closed: {text}" + (f"; {where}" if where else "")
            )
            return
        first_line = text.splitlines()[0]
        origins = [m for m in _ORIGIN_FRAME.finditer(text) if not is_library_file(m["file"])]
        site = ""
        if origins:
            origin = origins[-1]
            site = f"; created at {place(origin['file'], int(origin['line']))} in {origin['func']}"
        self._add(check, f"{first_line[0].upper()}{first_line[1:]}{site}")

    def _showwarning(  # noqa: PLR0913, PLR0917 -- the signature of warnings.showwarning
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        check = self._judges(category, str(message))
        if check is None:
            self._outer_showwarning(message, category, filename, lineno, file, line)
        else:
            self._record_warning(check, str(message))

    def _on_unraisable(self, unraisable: Any) -> None:
        error = unraisable.exc_value
        check = self._judges(type(error), str(error)) if isinstance(error, Warning) else None
        if check is None:
            self._outer_unraisablehook(unraisable)
        else:
            self._record_warning(check, str(error))

    def _on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        future = context.get("future")
        exception = context.get("exception")
        if "exception was never retrieved" in message:
            if self._checks.lost_exceptions:
                culprit = name_task(future) if isinstance(future, asyncio.Task) else repr(future)
                created = (
                    creation_site(future)
                    if isinstance(future, asyncio.Task)
                    else "created at an unknown place"
                )
                self._add(
                    "fail_on_lost_exceptions",
                    f"{message}: {culprit} raised {exception!r}, which nothing awaited or read\n"
                    f"    {created}",
                )
        elif isinstance(exception, BaseException) and self._checks.callback_errors:
            self._add("fail_on_callback_errors", _callback_error(message, exception, context))
        task = context.get("task")
        if isinstance(task, asyncio.Task) and self._checks.pending_tasks:
            self._add("fail_on_pending_tasks", describe_task(task, "was destroyed while pending"))
        if self._outer_exception_handler is None:
            loop.default_exception_handler(context)
        else:
            self._outer_exception_handler(loop, context)

    def _on_log_record(self, record: logging.LogRecord) -> bool:
        if (
            record.msg == _SLOW_CALLBACK_LOG
            and self._checks.slow_callbacks
            and isinstance(record.args, tuple)
        ):
            culprit, took = record.args
            # A VirtualTimeLoop logs CPU time itself; asyncio's own loops log wall time.
            if self._callback_cpu is None:
                cpu, started = took, getattr(self._loop, "last_callback_started", 0.0)
            else:
                cpu, started = self._callback_cpu.last, self._callback_cpu.last_started
            if isinstance(cpu, float) and self._computed_too_long(cpu, started):
                self._add(
                    "fail_on_slow_callbacks",
                    f"A callback kept the event loop's thread busy for {cpu:.3f} s of CPU time "
                    f"(slow_callback_duration is {self._slow_callback_duration} s): {culprit}",
                )
        return True

    def _computed_too_long(self, cpu: float, started: float) -> bool:
        """Whether a callback that began at thread CPU time `started` and took `cpu` seconds
        blocked the loop: not when it began an import, first-time work done once a process."""
        if cpu < self._slow_callback_duration:
            return False
        return self._blocking is None or self._blocking.last_import_cpu_time < started


class _TextPattern:
    """A warnings filter's message pattern that matches text only, never another object."""

    def __init__(self, pattern: str) -> None:
        self._regex = re.compile(pattern, re.IGNORECASE)

    def match(self, message: object) -> bool:
        return isinstance(message, str) and self._regex.match(message) is not None


def _callback_error(message: str, exception: BaseException, context: dict[str, Any]) -> str:
    culprit = context.get("handle") or context.get("protocol") or context.get("transport")
    frames = [
        frame
        for frame in traceback.extract_tb(exception.__traceback__)
        if not is_library_file(frame.filename)
    ]
    raised = (
        f", raised at {place(frames[-1].filename, frames[-1].lineno)} in {frames[-1].name}"
        if frames
        else ""
    )
    return (
        f"{message}: {exception!r}{raised}; asyncio only logs such errors, so the test would "
        f"pass without this check\n    in {culprit!r}"
    )
