"""Threads a test leaves running: started by the test, still alive once it has ended.

A thread outlives the test that started it unless something stops it and waits for it. It
then runs on beside the next tests: it writes to what they read, calls into a loop that is
closed, holds a port or a file, and its failure lands in another test's report, or nowhere.
Joining is what proves a thread has ended, so a thread alive after the test's cleanups fails
the test. `StartedThreads` finds them:

1. while the test runs it hears every thread start (the audit events
   `_thread.start_new_thread`, and from Python 3.13 `_thread.start_joinable_thread`; 3.11
   raises neither, so there `threading`'s own call is wrapped to raise the first), and keeps
   the `threading.Thread` started by the test's thread or by a thread the test started, with
   the line of the project's code that started it. A thread started before the test (a class
   fixture's, the toolkit's) is not the test's, nor one that an older thread starts on its own
   (a server's handler);
2. `left_running()`, once the loop is closed (its runner has shut the default executor down
   and joined its workers), gives those threads up to `GRACE_S` seconds of real time in all to
   end: a thread told to stop in a cleanup, or the idle workers of an executor shut down with
   `shutdown(wait=False)`, end by then without being joined;
3. each thread still alive is described with where it was started, where it is now, and what
   to do: an idle worker of an executor that was never shut down says so.
"""

from __future__ import annotations

import _thread
import concurrent.futures.thread
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from tests.support import _audit
from tests.support._call_sites import is_projects, project_site
from tests.support._tasks import place

GRACE_S = 1.0
_STARTS = frozenset({"_thread.start_new_thread", "_thread.start_joinable_thread"})
_STARTS_ARE_AUDITED = sys.version_info >= (3, 12)
_IDLE_POOL_WORKER = concurrent.futures.thread._worker.__code__
_UNKNOWN_SITE = "an unknown place (no line of the project's code was on the stack)"

# What `threading.Thread.start` calls on 3.11, wrapped there while a test listens.
_start_new_thread: Callable[..., int] = getattr(
    threading, "_start_new_thread", _thread.start_new_thread
)
_listeners = 0


def _start_new_thread_audited(function: Callable[..., object], *args: Any) -> int:
    sys.audit("_thread.start_new_thread", function, *args)
    return _start_new_thread(function, *args)


class StartedThreads:
    """The threads one test starts, and those it leaves running; see the module docstring."""

    def __init__(self) -> None:
        self._test_thread = threading.get_ident()
        self._started: dict[threading.Thread, str] = {}
        self._listening = True
        _audit.listen(_STARTS, self._on_start)
        _audit_starts_on_3_11(+1)

    def stop(self) -> None:
        """Stop hearing thread starts."""
        if self._listening:
            self._listening = False
            _audit.stop(self._on_start)
            _audit_starts_on_3_11(-1)

    def left_running(self) -> list[str]:
        """Describe each thread the test started that is still alive after `GRACE_S`."""
        self.stop()
        deadline = time.monotonic() + GRACE_S
        for thread in self._started:
            # One that failed to start is not alive, and cannot be joined.
            if thread.is_alive():
                thread.join(max(deadline - time.monotonic(), 0))
        alive = [thread for thread in self._started if thread.is_alive()]
        frames = sys._current_frames()
        return [self._describe(thread, frames.get(thread.ident or 0)) for thread in alive]

    def _on_start(self, event: str, args: tuple[Any, ...]) -> None:
        thread = getattr(args[0], "__self__", None)
        if not isinstance(thread, threading.Thread):
            return  # started with `_thread` itself: there is no `Thread` to join
        starter = threading.get_ident()
        if starter != self._test_thread and all(t.ident != starter for t in self._started):
            return
        self._started[thread] = project_site(sys._getframe(1)) or _UNKNOWN_SITE

    def _describe(self, thread: threading.Thread, frame: FrameType | None) -> str:
        named = f"Thread {thread.name!r}" + (" (daemon)" if thread.daemon else "")
        started = f"started at {self._started[thread]}"
        if frame is not None and frame.f_code is _IDLE_POOL_WORKER:
            return (
                f"{named}, an idle worker of an executor that was never shut down, was still "
                f"running after the test's cleanups, {started}. Shut the executor down: "
                "use it in a `with` block, or call executor.shutdown() in a cleanup"
            )
        if _runs_a_pool_job(frame):
            advice = "Wait for the job before the test ends (await it, or shutdown(wait=True))"
        else:
            advice = "Make it stop and join it (thread.join()) in a cleanup"
        return (
            f"{named} was still running after the test's cleanups, {started}, now "
            f"{_now_at(frame)}; it would run on beside the next tests. {advice}"
        )


def _now_at(frame: FrameType | None) -> str:
    """`at file:line in function`: the innermost line of the project's code a thread is at,
    else its innermost line."""
    innermost = frame
    while frame is not None:
        code = frame.f_code
        if is_projects(code.co_filename):
            return f"at {place(code.co_filename, frame.f_lineno)} in {code.co_name}"
        frame = frame.f_back
    if innermost is None:
        return "at an unknown place"
    code = innermost.f_code
    return f"at {place(code.co_filename, innermost.f_lineno)} in {code.co_name}"


def _runs_a_pool_job(frame: FrameType | None) -> bool:
    """Whether the thread at `frame` is an executor's worker (running a job, if not idle)."""
    while frame is not None:
        if frame.f_code is _IDLE_POOL_WORKER:
            return True
        frame = frame.f_back
    return False


def _audit_starts_on_3_11(listeners: int) -> None:
    """Count a listener in (+1) or out (-1); on 3.11, have thread starts audited meanwhile."""
    global _listeners  # noqa: PLW0603 -- one wrapper per process, however many tests listen
    _listeners += listeners
    if not _STARTS_ARE_AUDITED:
        threading._start_new_thread = (  # type: ignore[attr-defined]
            _start_new_thread_audited if _listeners else _start_new_thread
        )
