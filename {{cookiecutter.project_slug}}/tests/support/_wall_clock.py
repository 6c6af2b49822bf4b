"""The wall clock on virtual time: `time.time()` and `datetime.now()` read a `VirtualClock`.

Code that is given a `Clock` sees virtual time through it. Code that reads the wall clock
itself (a library that stamps `datetime.now()` into a token, a cache keyed on `time.time()`,
logging's timestamps) sees real time instead, while the loop jumps hours ahead. With
`VirtualTimeTestCase.virtual_wall_clock`, the wall clock follows the test's `VirtualClock`:
every reading is the clock's `start` plus the virtual time elapsed, to the nanosecond, so
`clock.now()` and `datetime.now(UTC)` agree at every instant, from any thread.

time-machine does the patching: it replaces, in C, the functions of `time` and `datetime`
that read the wall clock, so every caller sees the patch, whether it imported the function
by name before the test, calls it from C, or runs on another thread. The monotonic clocks
(`time.monotonic`, `time.perf_counter`), which asyncio and the loop's real-time waits use,
are left alone. Code in C that reads the system clock itself (SQLite's `CURRENT_TIMESTAMP`,
OpenSSL's certificate checks) sees real time.

time-machine's own clock ticks with real time or stands still; neither is virtual time. Each
patched function asks the travel on top of time-machine's stack for the time, by calling its
`time_ns()`; the travel started here answers with the clock's own reading instead. So the
wall clock needs nothing when time moves: a jump costs what it costs without it. The names of
time-machine this relies on are in `INTERNALS.md`, and `start()` checks that the patch reads
the clock before any test relies on it.

Off, nothing here runs: time-machine is imported only by `start()`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import time_machine

    from tests.support.virtual_time import VirtualClock


class VirtualWallClock:
    """The wall clock of one test, following `clock` from `start()` until `stop()`."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._travel: time_machine.travel | None = None
        self._traveller: time_machine.Traveller | None = None

    def start(self) -> None:
        """Patch the wall clock to read the virtual clock.

        Raises `RuntimeError`, patching nothing, when a `time_machine.travel` is already
        running: it would set the wall clock that `start_time` sets.
        """
        import time_machine  # noqa: PLC0415 -- imported only by the tests that ask for it

        if time_machine.escape_hatch.is_travelling():
            raise RuntimeError(
                "virtual_wall_clock: a time_machine.travel() was already running when the test "
                "began (a @time_machine.travel on the class?). The virtual wall clock starts "
                "at the class's start_time: set that instead, or travel inside the test."
            )
        clock = self._clock
        travel = time_machine.travel(clock._wall_ns() // 1_000_000_000, tick=False)
        traveller = travel.start()
        self._travel, self._traveller = travel, traveller
        # In the instance's dictionary, it comes before the class's method that the patched
        # functions look up on every reading.
        vars(traveller)["time_ns"] = clock._wall_ns
        if time.time_ns() != clock._wall_ns():
            self.stop()
            raise RuntimeError(
                "virtual_wall_clock: this time-machine no longer asks its travel for the time "
                "as tests/support/INTERNALS.md describes; check it again there"
            )

    def stop(self) -> None:
        """Undo the patch, with any travel the test started inside and left running.

        Raises `AssertionError` naming how many such travels there were, once all are stopped.
        """
        travel, self._travel = self._travel, None
        if travel is None:
            return
        import time_machine  # noqa: PLC0415 -- already imported by start()

        stack = time_machine.traveller_stack
        left_running = 0
        # travel.stop() stops whichever travel is on top of the stack, not its own.
        while self._traveller in stack:
            if stack[-1] is not self._traveller:
                left_running += 1
            travel.stop()
        self._traveller = None
        if left_running:
            raise AssertionError(
                f"virtual_wall_clock: the test left {left_running} time_machine.travel() "
                "running (now stopped): use it as a context manager or a decorator, or stop "
                "what you start"
            )
