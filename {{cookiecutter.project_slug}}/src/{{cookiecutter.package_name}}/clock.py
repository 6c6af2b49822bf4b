"""Time as the service sees it.

Every part of the service that reads the time or waits asks the `Clock` it was given, never the
`time` module, `datetime.now` or `asyncio.sleep` directly. Production code passes a
`SystemClock`; tests pass the toolkit's `VirtualClock`, on which an hour of timers runs in
milliseconds with their order preserved. Injecting the clock, rather than patching
`time.monotonic`, keeps the tests exact without reaching into the standard library.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable
from typing import Protocol


class Clock(Protocol):
    """The three questions the service may ask of time."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards. For measuring intervals."""
        ...

    def now(self) -> dt.datetime:
        """The current wall-clock time, timezone-aware, in UTC. For timestamps, not intervals."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task for `seconds` of this clock's time."""
        ...


class SystemClock:
    """The real clock: the event loop's monotonic time and the system's UTC time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def finished_within(clock: Clock, seconds: float, awaitable: Awaitable[object]) -> bool:
    """Await `awaitable` for at most `seconds` of `clock` time; say whether it finished.

    `asyncio.wait_for` and `asyncio.timeout` measure the event loop's time; this measures the
    injected clock's, so a test's virtual clock governs it too. When time runs out first,
    `awaitable` is cancelled and waited for before this returns False; when it raises, so does
    this.
    """
    work = asyncio.ensure_future(awaitable)
    timer = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait((work, timer), return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
        work.cancel()
        await asyncio.wait((work, timer))
    if work.cancelled():
        return False
    work.result()
    return True
