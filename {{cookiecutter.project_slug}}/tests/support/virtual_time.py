"""Virtual time: a clock that jumps to the next deadline instead of waiting for it.

Two times matter in an asyncio test. Real time is what the machine spends; virtual time is what
the code under test sees through `loop.time()` and the `Clock` it was given. On a
`VirtualTimeLoop` they part ways: virtual time stands still while callbacks run, and when the
loop has nothing to do but wait for a timer, virtual time jumps straight to that timer's
deadline. An hour of timeouts, retries and heartbeats then runs in milliseconds, in exactly
the order and at exactly the instants it would have had for real.

The rule for a jump, checked each time the loop runs out of ready callbacks:

1. Real work first. While a job sent to an executor (`run_in_executor`, `asyncio.to_thread`,
   `getaddrinfo`) or a subprocess is still running, the loop waits for it in real time, and
   virtual time flows at the pace of real time up to the next deadline, never past it. So
   `wait_for(to_thread(time.sleep, 0.05), 1)` succeeds, as it would on a real loop.
2. Work outside the loop is real work too (`wait_for_outside_work`, on by default): a thread
   the test started that is alive and not an idle pool worker, and a peer outside the loop (a
   database, a broker, a server in a thread or another process) that owes the test an answer.
   A TCP connection owes one from a write until it next becomes readable, as Linux's
   `TCP_INFO` counters tell, writes made in C included (see `_outside`); a Unix socket, a pipe,
   or a connection where the kernel cannot tell, owes one for as long as the loop watches it.
   While any is there, the loop waits as in 1, so a query that a real server answers within
   its timeout is never cut short. A quiet peer (an idle or pooled connection, one waiting for
   notifications) holds no time back: the loop jumps over it, and waits for it in real time
   only when no timer is left, since it may still speak unasked. Turned off, outside work is
   never waited for, and gets only the `io_grace` poll.
3. Then I/O. If the loop watches any socket or pipe besides its own wake-up pipe, it polls
   them for `io_grace` seconds of real time (0.01 s by default); whatever arrives is handled
   before time moves. Peers on the same loop answer within that poll. Quiet outside peers
   alone get a zero-time look instead, but the whole poll right after the loop waited for
   outside work, so what an answer set off (a notification on another connection) arrives
   before time moves on. A poll that found nothing is not repeated in vain: while every
   watched descriptor is a TCP socket whose counters the kernel gives (see `_outside`), none
   is still connecting, none came or went, and none has written a byte since, no peer has
   been sent anything to answer, and the loop only looks (a zero-time poll) before each jump.
   So an idle server and its keep-alive connections cost a jump microseconds, not `io_grace`;
   a pipe or a Unix socket among them brings back the whole poll.
4. Then the jump, to the earliest of: the next timer, and the target of any pending
   `clock.advance()`. With `autojump` off, only a pending `advance()` lets time move.
5. Nothing to jump to and nothing in flight is a deadlock: after `deadlock_timeout` seconds of
   real time without an event, the loop cancels every task and raises `DeadlockError`, which
   lists the tasks and where each one waits.

A loop that never runs out of ready callbacks (a task polling with `await asyncio.sleep(0)`)
would never reach that rule; see `LoopCore` for how time passes while it is busy.

Time is kept as an integer count of nanoseconds, and each timer's deadline is one too, so it
never drifts and never stalls: a million steps of 0.1 s land on exactly 100,000 s, and ten
years of daily jobs on exactly 315,360,000 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import selectors
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar, TypeVarTuple

from tests.support._call_graph import cycles_among, describe_task
from tests.support._loop_core import UNREACHABLE_S, LoopCore, to_ns
from tests.support._outside import OutsideWork, Survey, tcp_writes
from tests.support._tasks import pending_tasks

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

_NS_PER_SECOND = 1_000_000_000
_DEFAULT_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_OUTSIDE_RECHECK_S = 0.05

# asyncio records a creation site (a walk of ten stack frames, tens of microseconds in debug
# mode) for every handle, timer and future. Only a task's creation site ever names a culprit in
# a report; the loop skips the walk for the callers below, which a sleep alone calls three times.
_CALLERS_WITHOUT_SITES = frozenset(
    function.__code__
    for function in (
        asyncio.Handle.__init__,
        asyncio.Handle.cancel,
        asyncio.BaseEventLoop.create_future,
    )
)


class DeadlockError(AssertionError):
    """Every task waits for something that no timer, I/O, thread or subprocess can bring.

    An `AssertionError`, so a test that deadlocks is reported as a failure, not an error.
    """


class VirtualClock:
    """The test's clock: the `Clock` the code under test is given, on virtual time.

    Virtual time is what the code under test sees; real time is what the machine spends. The
    two part ways because this clock does not tick by itself: it is set by the loop it drives.
    `monotonic()` equals the loop's `time()`, starting at 0.0; `now()` is `start` plus the same
    elapsed time, timezone-aware in UTC. Both move only when the `VirtualTimeLoop` driving this
    clock jumps or flows (see the module docstring), or when a task awaits `advance()`.

    `autojump` (on by default) lets the loop jump to the next timer whenever it is idle. Turn
    it off to step time by hand: then timers fire only inside `await clock.advance(seconds)`.
    """

    def __init__(self, start: dt.datetime = _DEFAULT_START, *, autojump: bool = True) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware, e.g. datetime(2024, 1, 1, tzinfo=UTC)")
        self.autojump = autojump
        self._start = start.astimezone(dt.UTC)
        self._start_ns = (self._start - _UNIX_EPOCH) // dt.timedelta(microseconds=1) * 1000
        self._now_ns = 0
        self._advances: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        """Virtual seconds since the clock started; the same value as `loop.time()`."""
        return self._now_ns / _NS_PER_SECOND

    def now(self) -> dt.datetime:
        """The virtual wall-clock time: `start` plus the virtual time elapsed, in UTC."""
        return self._start + dt.timedelta(microseconds=self._now_ns // 1000)

    def _wall_ns(self) -> int:
        """`now()` in nanoseconds since the Unix epoch, to the nanosecond: what the wall clock
        of a test with `virtual_wall_clock` returns (see `_wall_clock`)."""
        return self._start_ns + self._now_ns

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task for `seconds` of virtual time."""
        await asyncio.sleep(seconds)

    async def advance(self, seconds: float) -> None:
        """Move virtual time forward by `seconds`, running everything that falls due on the way.

        Timers fire in deadline order, each at its own instant, and whatever they set off
        (callbacks, task steps, new timers inside the window) runs before time moves on.
        Returns once virtual time is exactly `seconds` later. Works with autojump on or off.
        """
        if seconds < 0:
            raise ValueError(f"cannot advance time by a negative amount ({seconds} s)")
        loop = asyncio.get_running_loop()
        if getattr(loop, "clock", None) is not self:
            raise RuntimeError("advance() must be awaited on the VirtualTimeLoop of this clock")
        arrived: asyncio.Future[None] = loop.create_future()
        target = (self._now_ns + to_ns(seconds), next(self._order), arrived)
        heapq.heappush(self._advances, target)
        await arrived

    def _next_stop(self, timer_ns: int | None) -> int | None:
        """Where the loop may jump to when idle, given the next timer; None if nowhere."""
        while self._advances and self._advances[0][2].done():
            heapq.heappop(self._advances)
        if not self._advances:
            return timer_ns if self.autojump else None
        target = self._advances[0][0]
        return target if timer_ns is None else min(timer_ns, target)

    def _finish_advances(self) -> bool:
        """Complete the advances whose target has been reached; tell whether there were any."""
        finished = False
        while self._advances and self._advances[0][0] <= self._now_ns:
            arrived = heapq.heappop(self._advances)[2]
            if not arrived.done():
                arrived.set_result(None)
                finished = True
        return finished


class VirtualTimeLoop(LoopCore):
    """An asyncio event loop whose `time()` is a `VirtualClock` (see the module docstring).

    Use it wherever a loop factory is accepted, for example
    `asyncio.Runner(loop_factory=VirtualTimeLoop)`; `VirtualTimeTestCase` does this for you.
    Everything else behaves as the standard selector loop does, debug mode included, except
    that in debug mode creation sites are recorded for tasks (and, by coroutine origin
    tracking, for coroutines) but not for each callback handle and bare future, and slow
    callbacks are measured in the thread's CPU time. Under a `schedule_seed`, what is due
    together runs in an order drawn from the seed (see `schedules`).
    """

    def __init__(  # noqa: PLR0913 -- a keyword for each setting of VirtualTimeTestCase
        self,
        clock: VirtualClock | None = None,
        *,
        deadlock_timeout: float = 0.5,
        io_grace: float = 0.01,
        wait_for_outside_work: bool = True,
        busy_tick: float = 1e-5,
        schedule_seed: int | None = None,
        schedule_jitter: float = 0.0,
    ) -> None:
        self.clock = clock or VirtualClock()
        self.deadlock_timeout = deadlock_timeout
        self.io_grace = io_grace
        self.wait_for_outside_work = wait_for_outside_work
        self.busy_tick = busy_tick
        self._executor_jobs: set[asyncio.Future[Any]] = set()
        self._helper_threads = 0
        self._subprocesses: list[asyncio.SubprocessTransport] = []
        self._real_work_since = 0
        self._waiting_for_outside = False
        self._outside_work_ended = False
        self._deadlock: DeadlockError | None = None
        super().__init__(schedule_seed=schedule_seed, schedule_jitter=schedule_jitter)
        own_fds = {key.fd for key in self._selector.get_map().values()}
        self._own_fd_count = len(own_fds)
        self._own_fds = own_fds
        self._outside = OutsideWork(self._selector, own_fds)
        # What the watched sockets had written when an `io_grace` poll last found nothing.
        self._writes_at_empty_grace: frozenset[Any] | None = None

    def time(self) -> float:
        return self.clock._now_ns / _NS_PER_SECOND

    def _now_ns(self) -> int:
        return self.clock._now_ns

    def _move_clock_while_busy(self) -> None:
        clock = self.clock
        stop = clock._next_stop(self._next_timer_ns())
        if stop is None or stop <= clock._now_ns:
            return
        clock._now_ns = min(clock._now_ns + to_ns(self.busy_tick), stop)
        clock._finish_advances()

    def get_debug(self) -> bool:
        return self._debug and sys._getframe(1).f_code not in _CALLERS_WITHOUT_SITES

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*_Ts], _T], *args: *_Ts
    ) -> asyncio.Future[_T]:
        self._note_real_work_starting()
        job = super().run_in_executor(executor, func, *args)
        self._executor_jobs.add(job)
        job.add_done_callback(self._executor_jobs.discard)
        return job

    async def shutdown_default_executor(self, *args: Any, **kwargs: Any) -> None:
        # The executor is joined from a helper thread, behind a timeout that a jump would expire.
        self._note_real_work_starting()
        self._helper_threads += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            self._helper_threads -= 1

    async def subprocess_exec(self, *args: Any, **kwargs: Any) -> Any:
        self._note_real_work_starting()
        transport, protocol = await super().subprocess_exec(*args, **kwargs)
        self._subprocesses.append(transport)
        return transport, protocol

    async def subprocess_shell(self, *args: Any, **kwargs: Any) -> Any:
        self._note_real_work_starting()
        transport, protocol = await super().subprocess_shell(*args, **kwargs)
        self._subprocesses.append(transport)
        return transport, protocol

    def _idle_wait(self) -> list[Any]:
        clock = self.clock
        if self._timers and self._timers[0][0] <= clock._now_ns:
            return self._selector.select(0)
        if clock._advances and clock._finish_advances():
            return self._selector.select(0)
        timer = self._next_timer_ns()
        stop = timer if clock.autojump and not clock._advances else clock._next_stop(timer)
        if self._executor_jobs or self._helper_threads or self._subprocess_running():
            return self._wait_in_real_time(clock._now_ns, stop)
        outside = self._outside.survey()
        # A quiet peer is no reason to wait while a timer is ahead; with none, it may still
        # speak unasked (a notification), so it is no deadlock either.
        if self.wait_for_outside_work and (outside.working or (stop is None and outside.quiet)):
            if not self._waiting_for_outside:
                self._real_work_since = time.monotonic_ns()
            self._waiting_for_outside = True
            # Outside work may end without a word to the loop: look again now and then.
            return self._wait_in_real_time(clock._now_ns, stop, _OUTSIDE_RECHECK_S)
        if self._waiting_for_outside:
            self._waiting_for_outside = False
            self._outside_work_ended = True
        return self._poll_then_jump(timer, stop, outside)

    def _process_events(self, event_list: list[tuple[selectors.SelectorKey, int]]) -> None:
        if self._outside.exchanges:
            self._outside.heard_from(event_list)
        super()._process_events(event_list)

    def _poll_then_jump(self, timer: int | None, stop: int | None, outside: Survey) -> list[Any]:
        selector = self._selector
        # The wake-up pipe alone needs no poll: whatever a foreign thread or signal sends
        # through it is read on the next iteration, before any task resumes. Quiet outside
        # peers alone get a look at what has arrived, and the whole grace only when outside
        # work has just ended: what an answer set off elsewhere (a notification to another
        # connection) may still be on its way.
        watched = len(selector.get_map()) - self._own_fd_count
        just_ended, self._outside_work_ended = self._outside_work_ended, False
        if watched:
            grace = self.io_grace if watched > len(outside.quiet) or just_ended else 0
            writes = None
            if grace and not just_ended:
                # A peer on this loop answers only after a watched socket wrote: with nothing
                # written since a grace that found nothing, another would find nothing too.
                writes = tcp_writes(selector, self._own_fds)
                if writes is not None and writes == self._writes_at_empty_grace:
                    grace = 0
            events = selector.select(grace)
            if events:
                self._writes_at_empty_grace = None
                return events
            if grace:
                self._writes_at_empty_grace = writes
        if stop is None:
            return self._wait_out_deadlock(timer, [*outside.working, *outside.quiet])
        self.clock._now_ns = stop
        return []

    def _subprocess_running(self) -> bool:
        if not self._subprocesses:
            return False
        self._subprocesses = [t for t in self._subprocesses if t.get_returncode() is None]
        return bool(self._subprocesses)

    def _note_real_work_starting(self) -> None:
        # Real work runs from the moment it starts, not only while the loop waits for it: count
        # virtual time from here, so a thread's head start is not lost.
        if not (
            self._executor_jobs
            or self._helper_threads
            or self._subprocess_running()
            or self._waiting_for_outside
        ):
            self._real_work_since = time.monotonic_ns()

    def _wait_in_real_time(
        self, now: int, stop: int | None, recheck: float | None = None
    ) -> list[Any]:
        flows = stop is not None or self.clock.autojump
        already = time.monotonic_ns() - self._real_work_since
        timeout = None if stop is None else max(stop - now - already, 0) / _NS_PER_SECOND
        if recheck is not None:
            timeout = recheck if timeout is None else min(timeout, recheck)
        events = self._selector.select(timeout)
        real_now = time.monotonic_ns()
        if flows:
            reached = now + real_now - self._real_work_since
            self.clock._now_ns = reached if stop is None else min(reached, stop)
        self._real_work_since = real_now
        return events

    def run_until_complete(self, future: Any) -> Any:
        # A deadlock cancels every waiting task and lets them unwind here, in the phase that
        # deadlocked, so their cleanup runs in their own context before the error is raised.
        try:
            result = super().run_until_complete(future)
        except BaseException:
            if self._deadlock is None:
                raise
            result = None
        if self._deadlock is not None:
            deadlock, self._deadlock = self._deadlock, None
            raise deadlock
        return result

    def _wait_out_deadlock(self, timer: int | None, outside: list[str]) -> list[Any]:
        events = self._selector.select(self.deadlock_timeout)
        if events:
            return events
        if self._deadlock is not None:
            # A task went on waiting after its cancellation: stop the loop where it is.
            deadlock, self._deadlock = self._deadlock, None
            raise deadlock
        self._deadlock = DeadlockError(self._deadlock_report(timer, outside))
        return events

    def _deadlock_report(self, timer: int | None, outside: list[str]) -> str:
        if timer is not None:
            cause = "autojump is off and no task awaits clock.advance(), so no timer can fire"
        elif self._timers:
            cause = (
                f"the next timer is set for {self._timers[0][2].when():.6g} s, beyond the "
                f"{UNREACHABLE_S:.0e} s a test can reach"
            )
        else:
            cause = "no timer is pending"
        if outside:
            waited = (
                f"{', '.join(outside)} might still deliver, but wait_for_outside_work is off "
                "(set it to True to wait for them in real time)"
            )
        else:
            waited = "no thread, subprocess or outside peer is working"
        tasks = pending_tasks(self)
        lines = [
            f"Deadlock at virtual time {self.time():.9g} s: {cause}; {waited}; and no I/O "
            f"arrived within {self.deadlock_timeout} s of real time.",
            f"{len(tasks)} task(s) were waiting; all are now cancelled, but for any that await "
            "a cycle, which cannot be.",
            *cycles_among(tasks),
        ]
        lines += [describe_task(task, "was waiting") for task in tasks]
        for task in tasks:
            if _awaits_a_cycle(task):
                _set_aside(task)
            else:
                task.cancel("deadlock")
        return "\n".join(lines)


def _awaits_a_cycle(task: asyncio.Task[Any]) -> bool:
    """Whether `task` awaits, task by task, a task that awaits it back (or one in such a cycle).

    Such a task cannot be cancelled: `cancel()` passes itself on to what the task awaits, and
    round a cycle it never stops, until the interpreter's stack gives out.
    """
    seen: set[int] = set()
    current: object = task
    while isinstance(current, asyncio.Task) and not current.done():
        if id(current) in seen:
            return True
        seen.add(id(current))
        current = getattr(current, "_fut_waiter", None)
    return False


def _set_aside(task: asyncio.Task[Any]) -> None:
    """Leave a task that cannot be cancelled where it is: out of the loop's tasks, which the
    runner cancels as it closes, and silent when it is collected; the report named it."""
    asyncio.tasks._unregister_task(task)
    task._log_destroy_pending = False  # type: ignore[attr-defined]
