"""The CPU time of each callback a standard event loop runs, for the slow-callback check.

In debug mode asyncio times every callback with the loop's clock and logs the ones that took
`slow_callback_duration` or longer. That clock is wall time, which grows with the machine's load:
a callback that waited for a CPU, or for a blocking call (reported on its own, see `_blocking`),
looks as slow as one that computed. What blocks other tasks in the sense the check means is
computation on the loop's thread, and the thread's CPU time measures it whatever the load.

`CallbackCpuTime` wraps `asyncio.Handle._run` while a test runs, for the handles of its loop
only, and keeps the CPU time of the last one; asyncio logs its record right after that handle
returns, so the record and the measure meet. `VirtualTimeLoop` measures CPU time itself and
needs no wrapper.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

_original_run: Callable[[asyncio.Handle], None] = asyncio.Handle._run
_meters: dict[int, CallbackCpuTime] = {}


class CallbackCpuTime:
    """The CPU time, in seconds, that the last callback of `loop` took (`last`), and the
    thread's CPU time when it began (`last_started`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.last = 0.0
        self.last_started = 0.0

    def start(self) -> None:
        """Measure every callback of the loop from now on."""
        if not _meters:
            asyncio.Handle._run = _measured_run  # type: ignore[method-assign, assignment]
        _meters[id(self._loop)] = self

    def stop(self) -> None:
        """Stop measuring; the last test to stop gives asyncio its own method back."""
        if _meters.get(id(self._loop)) is self:
            del _meters[id(self._loop)]
        if not _meters:
            asyncio.Handle._run = _original_run  # type: ignore[method-assign, assignment]


def _measured_run(handle: asyncio.Handle) -> None:
    meter = _meters.get(id(handle._loop))  # type: ignore[attr-defined]
    if meter is None:
        _original_run(handle)
        return
    started = meter.last_started = time.thread_time()
    try:
        _original_run(handle)
    finally:
        meter.last = time.thread_time() - started
