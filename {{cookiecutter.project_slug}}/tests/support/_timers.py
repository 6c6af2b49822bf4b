"""Timers a test leaves scheduled: a `call_later` never cancelled, a timeout left armed.

A timer still in the loop's heap when the test and its cleanups have ended is a callback that
was meant to run and never will, since the loop closes first: a handle from `call_later` or
`call_at` that was dropped instead of cancelled, a future's timeout left armed after the future
was answered, a deadline nothing awaits any more. The test passes; in production the callback
fires late, on state the code thought finished. `PendingTimers` finds them:

1. from the start of the test it notes where each timer is scheduled, on a loop that does not
   note it itself: asyncio's own loops in debug mode keep ten frames of stack on every handle,
   but a `VirtualTimeLoop` skips that walk to keep timers cheap. There a timer gets one frame,
   the innermost of the project's code (or else of a library's), found by a walk from the caller
   outward that stops at the first such frame, usually three frames up: about 3 us a timer in
   a test (a tenth of a virtual `sleep`'s cost, where asyncio's walk takes some 70 us), made
   only while this check is on;
2. `close_loop(close)`, once the cleanups have run, takes the timers still scheduled, runs
   `close` (the runner's: it cancels the pending tasks, lets them unwind, and closes the loop)
   and keeps those that nothing cancelled meanwhile. A pending task's own sleep or timeout is
   cancelled as the task unwinds, so it is reported once, as a pending task, never as a timer;
3. each timer kept is described by its callback, its deadline and the line that scheduled it,
   then cancelled, so that what it holds is let go.
"""

from __future__ import annotations

import asyncio
import contextvars
import reprlib
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, Final, TypeVarTuple

from tests.support._call_sites import is_projects, is_third_party
from tests.support._loop_core import LoopCore
from tests.support._tasks import place

_Ts = TypeVarTuple("_Ts")

# What a frame's file says about its code: the project's, a library's, or neither.
_PROJECT: Final = 2
_LIBRARY: Final = 1
_NEITHER: Final = 0
# Every loop callback starts in this method: what lies beyond it on the stack runs the loop.
_CALLBACK_START = asyncio.Handle._run.__code__
_CALLBACK_START_GLOBALS = vars(asyncio.events)
# The module of `BaseEventLoop.call_later`, the one caller of `call_at` there.
_CALL_LATER_GLOBALS = vars(asyncio.base_events)
_UNKNOWN_SITE = "scheduled at an unknown place (no line of the project's code was on the stack)"

# By file name; code with none (built by exec) is neither.
_kinds: dict[str, int] = {"": _NEITHER}
_functions: dict[tuple[str, int], str] = {}


class PendingTimers:
    """The timers one test leaves scheduled on `loop`; see the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        # A handle made here tells whether this loop records where its handles come from.
        probe = asyncio.TimerHandle(0.0, print, (), loop)
        if probe._source_traceback is None:  # type: ignore[attr-defined]
            loop.call_at = self._noting_sites(loop.call_at)  # type: ignore[method-assign, assignment]

    def stop(self) -> None:
        """Give the loop back its own `call_at`."""
        self._loop.__dict__.pop("call_at", None)

    def close_loop(self, close: Callable[[], None]) -> list[str]:
        """Run `close`, which closes the loop; describe the timers it left scheduled."""
        loop = self._loop
        now = loop.time()
        scheduled = [timer for timer in _timers_of(loop) if not timer.cancelled()]
        close()
        found = []
        for timer in scheduled:
            if not timer.cancelled():
                found.append(_describe(timer, now))
                timer.cancel()
        return found

    def _noting_sites(
        self, call_at: Callable[..., asyncio.TimerHandle]
    ) -> Callable[..., asyncio.TimerHandle]:
        def call_at_noting_its_site(
            when: float,
            callback: Callable[[*_Ts], object],
            *args: *_Ts,
            context: contextvars.Context | None = None,
        ) -> asyncio.TimerHandle:
            timer = call_at(when, callback, *args, context=context)
            caller = sys._getframe(1)
            site = _caller_site(caller)
            if site is not None and caller.f_globals is _CALL_LATER_GLOBALS:
                # `call_later` drops the innermost frame, as its own, from what `call_at` kept.
                site.append(site[0])
            # The shape asyncio gives a stack there (a list of frames, innermost last), so its
            # own reports (a handle's repr, an exception in a callback) name the line too.
            timer._source_traceback = site  # type: ignore[attr-defined]
            return timer

        return call_at_noting_its_site


def _caller_site(frame: FrameType | None) -> list[tuple[str, int, str, None]] | None:
    """The innermost frame from `frame` outward of the project's code, else of a library's, as
    asyncio's one-frame stack; None when neither is on the stack of this loop callback.

    While a test runs, an audit hook hears every `sys._getframe()` and every read of a frame's
    `f_code`, each at the cost of a Python call (about 1 us); so frames are told apart by their
    module's `__file__`, and the function of the one chosen is asked for once per line.
    """
    library = None
    while frame is not None:
        filename: str = frame.f_globals.get("__file__") or ""
        kind = _kinds.get(filename)
        if kind is None:
            kind = _kind_of(filename)
        if kind == _PROJECT:
            return [_frame_summary(frame, filename)]
        if kind == _LIBRARY and library is None:
            library = frame
        elif frame.f_globals is _CALLBACK_START_GLOBALS and frame.f_code is _CALLBACK_START:
            break
        frame = frame.f_back
    return None if library is None else [_frame_summary(library, library.f_globals["__file__"])]


def _frame_summary(frame: FrameType, filename: str) -> tuple[str, int, str, None]:
    """What asyncio keeps of a frame: file, line, function and (not looked up) source line."""
    line = (filename, frame.f_lineno)
    function = _functions.get(line)
    if function is None:
        # A line belongs to one function (but for a lambda written on it, named as its own).
        function = _functions[line] = frame.f_code.co_name
    return (filename, frame.f_lineno, function, None)


def _kind_of(filename: str) -> int:
    """What the code in `filename` is (`_PROJECT`, `_LIBRARY` or `_NEITHER`), remembered."""
    kind = _LIBRARY if is_third_party(filename) else _PROJECT if is_projects(filename) else _NEITHER
    _kinds[filename] = kind
    return kind


def _timers_of(loop: asyncio.AbstractEventLoop) -> list[asyncio.TimerHandle]:
    """The timers in `loop`'s heap, cancelled ones included, soonest first."""
    if isinstance(loop, LoopCore):
        heap: list[Any] = [timer for _, _, timer in loop._timers]
    else:
        heap = getattr(loop, "_scheduled", [])
    return sorted(heap, key=lambda timer: timer.when())


def _describe(timer: asyncio.TimerHandle, now: float) -> str:
    callback = _name_callback(timer._callback, timer._args)  # type: ignore[attr-defined]
    due = timer.when() - now
    return (
        f"A timer was still scheduled after the test's cleanups: {callback}, due in {due:.6g} s "
        f"(at {timer.when():.6g} s on the loop's clock), {_site(timer)}; it never ran, and "
        "is cancelled now. Keep the handle that call_later or call_at returns and cancel it "
        "once its callback is no longer wanted (in a cleanup, or when the future it times out "
        "is done), or await what it was set for"
    )


def _site(timer: asyncio.TimerHandle) -> str:
    """`scheduled at file:line in function`: the innermost frame of the project's code on the
    stack the loop kept, else of a library's."""
    stack: list[Any] | None = timer._source_traceback  # type: ignore[attr-defined]
    frames = [(frame[0], frame[1], frame[2]) for frame in reversed(stack or [])]
    for wanted in (_PROJECT, _LIBRARY):
        for filename, lineno, name in frames:
            if _kind_of(filename) == wanted:
                return f"scheduled at {place(filename, lineno)} in {name}"
    return _UNKNOWN_SITE


def _name_callback(callback: object, args: Sequence[Any] | None) -> str:
    """`name(arg, ...)`, each argument shortened as asyncio shortens them in its reports."""
    name = getattr(callback, "__qualname__", None) or repr(callback)
    shown = ", ".join(reprlib.repr(arg) for arg in args or ())
    return f"{name}({shown})"
