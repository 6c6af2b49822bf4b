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
