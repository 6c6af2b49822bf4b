"""Base classes for the project's asyncio tests: strict about asyncio's silent errors.

`AsyncTestCase` is `unittest.IsolatedAsyncioTestCase` plus a verdict on what the test left
behind. `VirtualTimeTestCase` is the same on a loop whose clock jumps over idle waits, for code
that sleeps, times out and retries.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import inspect
import os
import unittest
from typing import Any, ClassVar

from tests.support._loop_choice import LoopChoice, UnsupportedLoopError
from tests.support._tasks import pending_tasks
from tests.support._wall_clock import VirtualWallClock
from tests.support.diagnostics import Checks, Diagnostics
from tests.support.schedules import seed_from_environment
from tests.support.virtual_time import VirtualClock, VirtualTimeLoop

SLOW_CALLBACK_VARIABLE = "TESTS_SLOW_CALLBACK_DURATION"


def _default_slow_callback_duration() -> float:
    """0.1 s, or the seconds in `SLOW_CALLBACK_VARIABLE` (for a suite whose steps compute more)."""
    text = os.environ.get(SLOW_CALLBACK_VARIABLE, "0.1")
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{SLOW_CALLBACK_VARIABLE}={text!r}: expected a number of seconds > 0")
    return seconds


# Keeps this module's frames out of failure tracebacks, as unittest does for its own.
__unittest = True


class AsyncTestCase(unittest.IsolatedAsyncioTestCase):
    """An `IsolatedAsyncioTestCase` that fails tests on the mistakes asyncio only whispers about.

    Each test runs, as in its base class, on a fresh event loop in debug mode: `asyncSetUp`,
    the test, `asyncTearDown` and the async cleanups. After the last cleanup the loop is
    closed, garbage is collected, and the test fails if, at any point, it:

    - left a task pending at the end (`fail_on_pending_tasks`); the task is cancelled, so it
      cannot run on into the next test;
    - created a coroutine and never awaited it (`fail_on_unawaited_coroutines`);
    - lost an exception: a task failed and nothing awaited it or read `.exception()`
      (`fail_on_lost_exceptions`);
    - left a socket, file, server, transport, subprocess or event loop open, whether it
      dropped it or still holds it after its cleanups, on `self` or anywhere else
      (`fail_on_unclosed_resources`); what it still holds is closed, so it warns nowhere else;
    - blocked the loop (`fail_on_slow_callbacks`): made a blocking call on the loop's thread
      (`time.sleep`, a blocking socket, a name lookup, a process, opening a file, a sync HTTP
      client), found by the call itself, or kept the thread busy in one callback for
      `slow_callback_duration` seconds of CPU time or more (first-time imports aside), a
      measure that does not grow when the machine is busy;
    - raised an exception in a loop callback (`call_soon`, a done callback, a protocol method),
      which asyncio hands to its exception handler and a test never sees
      (`fail_on_callback_errors`);
    - left a timer scheduled (`fail_on_pending_timers`): a `call_later` or `call_at` handle
      never cancelled, a timeout left armed, which would never run; a pending task's own sleep
      is not one, it is reported with the task;
    - left a thread it started still running (`fail_on_running_threads`), once the loop's
      default executor is shut down and after up to a second for threads told to stop: a
      thread never joined, a busy executor worker, or an idle worker of an executor never
      shut down (one shut down with `wait=False` is fine).

    The failure message names each culprit, once, and the line of the project's code that
    created it: task creation sites and coroutine origins are recorded in debug mode, sockets,
    files, threads and blocking calls through the standard library's audit events, and where
    each timer was scheduled when its loop does not record it. Set a `fail_on_*`
    attribute to False on a class to turn its check off there.

    Releasing what `asyncSetUp` acquired: `IsolatedAsyncioTestCase` skips `asyncTearDown` when
    `asyncSetUp` raises (CPython gh-96139), so whatever a failing `asyncSetUp` had acquired
    would leak, and the checks above would then report it. Register each release right after
    its acquisition; cleanups run whatever happens:

        async def asyncSetUp(self) -> None:
            self.client = await self.enterAsyncContext(Client.connect(URL))
            self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
            self.addAsyncCleanup(close_server, self.server)
    """

    slow_callback_duration: ClassVar[float] = _default_slow_callback_duration()
    fail_on_pending_tasks: ClassVar[bool] = True
    fail_on_unawaited_coroutines: ClassVar[bool] = True
    fail_on_lost_exceptions: ClassVar[bool] = True
    fail_on_unclosed_resources: ClassVar[bool] = True
    fail_on_slow_callbacks: ClassVar[bool] = True
    fail_on_callback_errors: ClassVar[bool] = True
    fail_on_pending_timers: ClassVar[bool] = True
    fail_on_running_threads: ClassVar[bool] = True

    _asyncioRunner: asyncio.Runner | None
    _diagnostics: Diagnostics | None = None

    def _tearDownAsyncioRunner(self) -> None:
        # The hook IsolatedAsyncioTestCase.run itself calls last. Overriding `run` instead
        # would add a frame, and warnings that unittest issues with a fixed stacklevel would
        # then point at this file.
        try:
            super()._tearDownAsyncioRunner()  # type: ignore[misc]
        finally:
            if self._diagnostics is not None:
                self._diagnostics.finish()
                self._diagnostics = None

    def _callSetUp(self) -> None:
        # The hook IsolatedAsyncioTestCase itself uses to create the loop before setUp.
        loop = self._runner().get_loop()
        loop.slow_callback_duration = self.slow_callback_duration
        self._diagnostics = Diagnostics(self._checks(), self.slow_callback_duration)
        self._diagnostics.start(loop)
        self.addCleanup(self._judge_what_was_left)
        super()._callSetUp()  # type: ignore[misc]

    def _checks(self) -> Checks:
        return Checks(
            pending_tasks=self.fail_on_pending_tasks,
            unawaited_coroutines=self.fail_on_unawaited_coroutines,
            lost_exceptions=self.fail_on_lost_exceptions,
            unclosed_resources=self.fail_on_unclosed_resources,
            slow_callbacks=self.fail_on_slow_callbacks,
            callback_errors=self.fail_on_callback_errors,
            pending_timers=self.fail_on_pending_timers,
            running_threads=self.fail_on_running_threads,
        )

    def _runner(self) -> asyncio.Runner:
        if self._asyncioRunner is None:
            raise RuntimeError("the test's asyncio runner does not exist yet")
        return self._asyncioRunner

    def _judge_what_was_left(self) -> None:
        # Registered first, so it runs after every other cleanup.
        diagnostics = self._diagnostics
        if diagnostics is None:
            return
        runner = self._runner()
        try:
            diagnostics.note_pending_tasks(pending_tasks(runner.get_loop()))
            diagnostics.note_open_resources()
            diagnostics.close_loop(runner.close)
            gc.collect()
            diagnostics.note_running_threads()
        finally:
            problems = diagnostics.finish()
        if problems:
            self.fail(
                f"the test left {len(problems)} problem(s) behind "
                "(each [name] is the class attribute that turns its check off):\n"
                + "\n".join(problems)
            )


class VirtualTimeTestCase(AsyncTestCase):
    """An `AsyncTestCase` whose every phase runs on virtual time, read through `self.clock`.

    `self.clock` is a `VirtualClock` (it satisfies the service's `Clock` protocol): pass it to
    the code under test. Its `monotonic()` equals `loop.time()`, and `now()` starts at the
    class attribute `start_time`. Whenever every task is waiting for a timer, time jumps to
    the earliest deadline at once, so `await asyncio.sleep(3600)` returns immediately with the
    clock an hour later, and timers still fire in deadline order.

    - `autojump = False` stops the jumps: time then moves only inside
      `await self.clock.advance(seconds)`, which runs everything due on the way.
    - Real work is never cut short: while an executor job (`asyncio.to_thread`,
      `run_in_executor`) or a subprocess runs, the loop waits for it in real time; sockets
      and pipes get `io_grace` seconds of real time to deliver before a jump (TCP sockets on
      Linux only after one of them wrote: see `virtual_time`).
    - A deadlock fails the test after `deadlock_timeout` seconds of real time, listing every
      waiting task and where it is suspended, instead of hanging.
    - `virtual_wall_clock = True` puts the wall clock on virtual time too, for the whole test
      (setUp, the test, cleanups): `time.time()`, `time.time_ns()`, `datetime.now()`,
      `datetime.utcnow()` and `date.today()` read `start_time` plus the virtual time elapsed,
      from any thread and from C, so they agree with `self.clock.now()` at every instant. The
      monotonic clocks are never patched. Off (the default), nothing is imported or patched.

    - Work outside the loop is waited for in real time too (`wait_for_outside_work`): a
      thread the test started, and a socket whose peer is a real server while that peer owes
      an answer (an idle database connection lets time jump); see `virtual_time`.
    - A task that polls with `await asyncio.sleep(0)` sees time pass: after a hundred busy
      loop iterations in a row, each further one moves the clock by `busy_tick` seconds.
    - Races are found by seed (see `schedules`): under a seed, the timers due at the same
      instant and the I/O events ready together run in an order drawn from it, and with
      `schedule_jitter` each deadline moves later by up to that many seconds. The seed is
      `TESTS_SCHEDULE_SEED` when set, else the attribute `schedule_seed`, which
      `python -m tests --schedules N` sets on each copy of a test; None (the default) keeps
      the order things were scheduled in. `explore_schedules = False` pins that order for a
      class whose tests assert it on purpose.

    A suite written for `IsolatedAsyncioTestCase` runs unchanged on this base, except tests
    that measure real elapsed time. The clock exists from `setUp` on, one per test. The loop a
    subclass chooses, with `loop_factory` (on every Python, not only from 3.13) or with the
    3.11 back-port that overrides `_setupAsyncioRunner`, is honoured on virtual time when it
    can be: the standard loop class, a subclass of it, or a function that sets a task factory
    such as `asyncio.eager_task_factory` (see `_loop_choice`). Any other loop (uvloop, one that
    overrides the scheduling) fails each test with a message saying so, rather than running
    without virtual time.
    """

    start_time: ClassVar[dt.datetime] = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    autojump: ClassVar[bool] = True
    deadlock_timeout: ClassVar[float] = 0.5
    io_grace: ClassVar[float] = 0.01
    wait_for_outside_work: ClassVar[bool] = True
    busy_tick: ClassVar[float] = 1e-5
    virtual_wall_clock: ClassVar[bool] = False
    schedule_jitter: ClassVar[float] = 0.0
    explore_schedules: ClassVar[bool] = True
    schedule_seed: int | None = None

    clock: VirtualClock
    _sets_event_loop = False
    _wall_clock: VirtualWallClock | None = None
    _loop_choice = LoopChoice(VirtualTimeLoop)

    def _setupAsyncioRunner(self) -> None:
        # IsolatedAsyncioTestCase takes a loop_factory only from 3.13 on: build the runner it
        # would build, with this class's loop, on every version.
        self._asyncioRunner = asyncio.Runner(debug=True, loop_factory=self._new_loop)

    def _tearDownAsyncioRunner(self) -> None:
        try:
            super()._tearDownAsyncioRunner()
        finally:
            if self._sets_event_loop:
                # What the standard runner does for the loop it made: unset it.
                asyncio.set_event_loop(None)
                self._sets_event_loop = False
            if self._wall_clock is not None:
                # Its cleanup already ran, unless an interrupt skipped the cleanups.
                self._wall_clock.stop()
                self._wall_clock = None

    def _callSetUp(self) -> None:
        runner = self._runner()
        factory = getattr(runner, "_loop_factory", None)
        # A subclass's _setupAsyncioRunner (the 3.11 back-port of loop_factory), not started.
        back_ported = getattr(runner, "_loop", None) is None and factory != self._new_loop
        if back_ported:
            chosen, described = factory, f"overrides _setupAsyncioRunner with {factory!r}"
        else:
            chosen = self._class_loop_factory()
            described = f"sets loop_factory = {chosen!r}"
        try:
            self._loop_choice = LoopChoice.of(chosen)
        except UnsupportedLoopError as refused:
            raise TypeError(self._foreign_loop_message(described, refused)) from None
        if back_ported:
            runner = self._asyncioRunner = asyncio.Runner(debug=True, loop_factory=self._new_loop)
        if not isinstance(runner.get_loop(), VirtualTimeLoop):
            started = UnsupportedLoopError("its runner was started on another loop")
            raise TypeError(self._foreign_loop_message("builds its own runner", started))
        if self.virtual_wall_clock:
            self._start_wall_clock()
        super()._callSetUp()

    def _start_wall_clock(self) -> None:
        wall_clock = VirtualWallClock(self.clock)
        wall_clock.start()
        self._wall_clock = wall_clock
        # Registered before the verdict's cleanup, so it runs after every other one.
        self.addCleanup(wall_clock.stop)

    @classmethod
    def _class_loop_factory(cls) -> Any:
        # From the class, unbound: a function set as a class attribute is not a method.
        chosen = inspect.getattr_static(cls, "loop_factory", None)
        if isinstance(chosen, staticmethod | classmethod):
            return chosen.__get__(None, cls)
        return chosen

    def _foreign_loop_message(self, choice: str, reason: Exception) -> str:
        return (
            f"{type(self).__qualname__} {choice}, so its tests would run without virtual time: "
            f"{reason}. VirtualTimeTestCase runs every test on a VirtualTimeLoop: choose the "
            "standard loop (or a subclass, or a factory that sets a task factory), or derive "
            "from AsyncTestCase to keep your own loop."
        )

    def _new_loop(self) -> VirtualTimeLoop:
        seed = self._schedule_seed_in_effect()
        self.clock = VirtualClock(self.start_time, autojump=self.autojump)
        choice = self._loop_choice
        loop = choice.loop_class(
            self.clock,
            deadlock_timeout=self.deadlock_timeout,
            io_grace=self.io_grace,
            wait_for_outside_work=self.wait_for_outside_work,
            busy_tick=self.busy_tick,
            schedule_seed=seed,
            schedule_jitter=self.schedule_jitter,
        )
        if choice.task_factory is not None:
            loop.set_task_factory(choice.task_factory)
        # As the standard runner does, so that sync setUp code may call get_event_loop().
        asyncio.set_event_loop(loop)
        self._sets_event_loop = True
        return loop

    def _schedule_seed_in_effect(self) -> int | None:
        if not self.explore_schedules:
            return None
        from_environment = seed_from_environment()
        return self.schedule_seed if from_environment is None else from_environment
