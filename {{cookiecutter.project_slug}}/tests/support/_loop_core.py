"""One iteration of a selector event loop, with the wait taken out of the syscall's hands.

The standard loop computes how long to block from its next timer and hands that timeout to
`select()`. A loop on virtual time must decide instead: wait for real work, poll for I/O, jump
the clock, or declare a deadlock. `LoopCore` runs the same iteration as asyncio's (drop
cancelled timers, poll, move due timers to the ready queue, run the ready callbacks once each)
but calls `_idle_wait()` whenever no callback is ready, and measures slow callbacks by the
thread's CPU time: `time()` no longer is a real clock, and a callback that waited for a CPU on a
busy machine did not block anyone.

It also keeps its timers in a heap of `(deadline_ns, arrival, timer)` tuples rather than
asyncio's heap of handles. The deadline is a whole number of nanoseconds, fixed once when the
timer is scheduled: the float `when` the caller gave, rounded to the nearest nanosecond, and
never the current one for a `when` still ahead of `time()`, so code that sleeps until
`time() >= deadline` always gets there. Comparing integers keeps every timer reachable however
far time runs (a float "now plus one nanosecond" stops moving past 2**24 s), and a clock set
to a timer's deadline always finds it due. Tuples also compare in C, which matters when a
simulation schedules a hundred thousand timers, and timers with equal deadlines fire in the
order they were scheduled, which asyncio leaves undefined.

Under a schedule seed (see `schedules`) that order is drawn instead: the middle item of a
timer's entry, which breaks ties between equal deadlines, is a random number from the seed
rather than a count, and the I/O events of one `select()` are handled in a drawn order. With a
jitter, each deadline also moves later by a drawn amount. The ready queue is never reordered,
so `call_soon` callbacks and a task's steps keep their order. Without a seed nothing is drawn.

A real loop lets time pass while callbacks run, so a task that polls with `sleep(0)` until a
timer fires does see it fire. Here virtual time stands still while callbacks run; after
`BUSY_ITERATIONS` iterations in a row that found callbacks ready, each further iteration moves
the clock by `busy_tick` seconds (up to the next timer), about what a real iteration costs.
Ordinary code never runs that many iterations without an idle moment, so its time stays exact.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import heapq
import itertools
import random
import selectors
import time
from asyncio.log import logger
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVarTuple, cast

from tests.support._python import require_verified_python

# Every part of the toolkit that drives asyncio's or unittest's internals imports this module.
require_verified_python()

_Ts = TypeVarTuple("_Ts")

_NS_PER_SECOND = 1_000_000_000
# Deadlines past this (infinity included) are never reached: no test means to wait that long,
# and `VirtualClock.now()` cannot represent them.
UNREACHABLE_S = 1e15
_UNREACHABLE_NS = int(UNREACHABLE_S) * _NS_PER_SECOND
# Iterations in a row with callbacks always ready before the loop counts them as time passing.
BUSY_ITERATIONS = 100
# Rebuild the timer heap once cancelled timers are this share of it (and it is not tiny).
_CANCELLED_SHARE_TO_REBUILD = 0.5
_HEAP_SIZE_WORTH_REBUILDING = 100


class _Callback(Protocol):
    _cancelled: bool

    def _run(self) -> None: ...


class _Timer(_Callback, Protocol):
    _scheduled: bool

    def when(self) -> float: ...


def to_ns(seconds: float) -> int:
    """`seconds` as the nearest whole nanosecond; past `UNREACHABLE_S` (or NaN), unreachable."""
    if not seconds < UNREACHABLE_S:
        return _UNREACHABLE_NS
    return round(seconds * _NS_PER_SECOND)


class LoopCore(asyncio.SelectorEventLoop):
    """A selector event loop that asks `_idle_wait()` what to do when no callback is ready.

    Subclasses provide `_idle_wait()`, which returns the I/O events to process and may move
    the clock, `_now_ns()`, and `_busy_tick_ns()`. A timer is due once the clock has reached
    its deadline, in whole nanoseconds. `schedule_seed` (None: the order things were scheduled
    and reported in) draws the order of timers due together and of I/O events; under a seed,
    `schedule_jitter` seconds is the most a timer's deadline may be drawn to move later.
    """

    # Internals of asyncio.BaseEventLoop and BaseSelectorEventLoop that this class drives.
    _selector: selectors.BaseSelector
    _ready: collections.deque[_Callback]
    _stopping: bool
    _debug: bool
    _current_handle: _Callback | None
    _timer_cancelled_count: int
    _process_events: Callable[[list[tuple[selectors.SelectorKey, int]]], None]
    _check_closed: Callable[[], None]
    _check_thread: Callable[[], None]
    _check_callback: Callable[[Callable[..., object], str], None]
    # Set only under a seed with a jitter.
    _jitter_draws: random.Random

    def __init__(self, *, schedule_seed: int | None = None, schedule_jitter: float = 0.0) -> None:
        super().__init__()
        self._timers: list[tuple[int, int, _Timer]] = []
        if not 0 <= schedule_jitter < UNREACHABLE_S:
            self.close()
            raise ValueError(f"schedule_jitter={schedule_jitter!r}: expected seconds >= 0")
        self._arrivals: Iterator[int] = itertools.count()
        self._io_order: random.Random | None = None
        self._jitter_ns = 0
        if schedule_seed is not None:
            draws = random.Random(schedule_seed)
            # Random tie-breaks put equal deadlines in a drawn order, at the cost of a count.
            self._arrivals = iter(functools.partial(draws.getrandbits, 64), -1)
            self._jitter_ns = to_ns(schedule_jitter)
            self._jitter_draws = draws
            # A stream of its own: how many I/O events arrive together is up to real timing,
            # and must not shift the timers' draws.
            self._io_order = random.Random(draws.getrandbits(64))
        self._busy_iterations = 0
        # The thread's CPU time when the last callback began (debug mode), for reports.
        self.last_callback_started = 0.0

    def call_at(
        self,
        when: float,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = asyncio.TimerHandle(when, callback, args, self, context)
        deadline = to_ns(when)
        now = self._now_ns()
        if deadline <= now and when > self.time():
            deadline = now + 1
        if self._jitter_ns and deadline < _UNREACHABLE_NS:
            deadline += self._jitter_draws.randint(0, self._jitter_ns)
        entry = (deadline, next(self._arrivals), cast(_Timer, timer))
        heapq.heappush(self._timers, entry)
        cast(_Timer, timer)._scheduled = True
        return timer

    def close(self) -> None:
        super().close()
        self._timers.clear()

    def _idle_wait(self) -> list[tuple[selectors.SelectorKey, int]]:
        raise NotImplementedError

    def _now_ns(self) -> int:
        raise NotImplementedError

    def _move_clock_while_busy(self) -> None:
        raise NotImplementedError

    def _next_timer_ns(self) -> int | None:
        """The next timer's deadline in whole nanoseconds; None if there is none to reach."""
        if not self._timers:
            return None
        deadline = self._timers[0][0]
        return deadline if deadline < _UNREACHABLE_NS else None

    def _run_once(self) -> None:
        if self._timer_cancelled_count:
            self._drop_cancelled_timers()
        if self._ready or self._stopping:
            self._busy_iterations += 1
            if self._busy_iterations > BUSY_ITERATIONS and self._timers:
                self._move_clock_while_busy()
            events = self._selector.select(0)
        else:
            self._busy_iterations = 0
            events = self._idle_wait()
        if events:
            if self._io_order is not None and len(events) > 1:
                events = self._in_drawn_order(events, self._io_order)
            self._process_events(events)
        timers = self._timers
        if timers:
            now = self._now_ns()
            ready = self._ready
            while timers and timers[0][0] <= now:
                timer = heapq.heappop(timers)[2]
                timer._scheduled = False
                ready.append(timer)
        self._run_ready()

    def _in_drawn_order(
        self, events: list[tuple[selectors.SelectorKey, int]], draws: random.Random
    ) -> list[tuple[selectors.SelectorKey, int]]:
        # Drawn from the order the loop began watching each file, which a test repeats on every
        # run, not from the kernel's listing or the descriptors' numbers, which may differ.
        watched = {fd: rank for rank, fd in enumerate(self._selector.get_map())}
        drawn = sorted(events, key=lambda event: watched[event[0].fd])
        draws.shuffle(drawn)
        return drawn

    def _drop_cancelled_timers(self) -> None:
        timers = self._timers
        if (
            len(timers) > _HEAP_SIZE_WORTH_REBUILDING
            and self._timer_cancelled_count > len(timers) * _CANCELLED_SHARE_TO_REBUILD
        ):
            for _, _, timer in timers:
                if timer._cancelled:
                    timer._scheduled = False
            kept = [entry for entry in timers if not entry[2]._cancelled]
            heapq.heapify(kept)
            self._timers = kept
            self._timer_cancelled_count = 0
            return
        while timers and timers[0][2]._cancelled:
            self._timer_cancelled_count -= 1
            heapq.heappop(timers)[2]._scheduled = False

    def _run_ready(self) -> None:
        ready = self._ready
        if not self._debug:
            for _ in range(len(ready)):
                handle = ready.popleft()
                if not handle._cancelled:
                    handle._run()
            return
        for _ in range(len(ready)):
            handle = ready.popleft()
            if handle._cancelled:
                continue
            self._current_handle = handle
            started = self.last_callback_started = time.thread_time()
            try:
                handle._run()
            finally:
                self._current_handle = None
            took = time.thread_time() - started
            if took >= self.slow_callback_duration:
                # The very message asyncio logs, so every tool that watches for it still works.
                logger.warning("Executing %s took %.3f seconds", _culprit(handle), took)


def _culprit(handle: _Callback) -> str:
    owner = getattr(getattr(handle, "_callback", None), "__self__", None)
    return repr(owner) if isinstance(owner, asyncio.Task) else repr(handle)
