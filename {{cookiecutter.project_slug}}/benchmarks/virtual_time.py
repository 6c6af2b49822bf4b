"""How fast virtual time runs a long simulation, and what it costs where no timer is involved.

Two workloads, each timed several times in one run; the table gives medians.

- The simulated day: one task ticks 86,400 times a second; 1,000 tasks each sleep 10 times a
  random 0-8,640 s: 96,400 wake-ups over a virtual day. It runs on `VirtualTimeLoop` with
  asyncio debug mode off, inside a `VirtualTimeTestCase` with every diagnostic on, and, when
  installed, on looptime and on trio's `MockClock(autojump_threshold=0)`. The floor is the
  same wake-ups with zero-length sleeps on a plain loop: the cost of the task switches alone.
- Timer-free overhead: 100,000 `sleep(0)` round trips, on `VirtualTimeLoop` against the
  standard loop, both with debug mode off.
- A crowd: 100,000 tasks (`--crowd`) gathered, each sleeping a random 0-1 ms, on
  `VirtualTimeLoop` against the standard loop, both with debug mode on, as in a test
  (`--slow-repeat` runs).

Run from the project root (standard library only; looptime and trio rows need those installed):

    python -m benchmarks.virtual_time [--repeat 5] [--slow-repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import random
import statistics
import time
import unittest
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any

from tests.support import VirtualTimeTestCase
from tests.support.virtual_time import VirtualTimeLoop

_TICKS = 86_400
_SLEEPERS = 1_000
_SLEEPS_EACH = 10
_LONGEST_SLEEP = 8_640.0
_ROUND_TRIPS = 100_000
_CROWD_LONGEST_SLEEP = 0.001


def _sleep_plan() -> list[list[float]]:
    rng = random.Random(2024)
    return [[rng.uniform(0, _LONGEST_SLEEP) for _ in range(_SLEEPS_EACH)] for _ in range(_SLEEPERS)]


async def _asyncio_day(plan: list[list[float]], zero: bool = False) -> None:
    async def ticker() -> None:
        for _ in range(_TICKS):
            await asyncio.sleep(0 if zero else 1)

    async def sleeper(delays: list[float]) -> None:
        for delay in delays:
            await asyncio.sleep(0 if zero else delay)

    async with asyncio.TaskGroup() as group:
        group.create_task(ticker())
        for delays in plan:
            group.create_task(sleeper(delays))
    if not zero and asyncio.get_running_loop().time() < _TICKS:
        raise AssertionError("the day ended early")


async def _round_trips() -> None:
    for _ in range(_ROUND_TRIPS):
        await asyncio.sleep(0)


async def _crowd(size: int) -> None:
    rng = random.Random(2024)
    await asyncio.gather(
        *(asyncio.sleep(rng.uniform(0, _CROWD_LONGEST_SLEEP)) for _ in range(size))
    )


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _on_loop(
    main: Callable[[], Coroutine[Any, Any, None]],
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
    *,
    debug: bool = False,
) -> Callable[[], None]:
    def run() -> None:
        with asyncio.Runner(debug=debug, loop_factory=loop_factory) as runner:
            runner.run(main())

    return run


def _in_test_case(plan: list[list[float]]) -> Callable[[], None]:
    class SimulatedDay(VirtualTimeTestCase):
        # The day's first step creates every sleeper task, each recording where it was created:
        # on a loaded machine that one step can pass the default 0.1 s. The check stays on, its
        # cost is part of what is measured; only its threshold is raised.
        slow_callback_duration = 1.0

        async def test_day(self) -> None:
            await _asyncio_day(plan)

    def run() -> None:
        result = unittest.TestResult()
        SimulatedDay("test_day").run(result)
        if not result.wasSuccessful():
            raise AssertionError((result.failures + result.errors)[0][1])

    return run


def _optional(name: str) -> ModuleType | None:
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


def _on_looptime(plan: list[list[float]]) -> Callable[[], None] | None:
    looptime = _optional("looptime")
    if looptime is None:
        return None
    return _on_loop(lambda: _asyncio_day(plan), looptime.new_event_loop)


def _on_trio(plan: list[list[float]]) -> Callable[[], None] | None:
    trio = _optional("trio")
    if trio is None:
        return None
    importlib.import_module("trio.testing")

    async def day() -> None:
        async def ticker() -> None:
            for _ in range(_TICKS):
                await trio.sleep(1)

        async def sleeper(delays: list[float]) -> None:
            for delay in delays:
                await trio.sleep(delay)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(ticker)
            for delays in plan:
                nursery.start_soon(sleeper, delays)

    return lambda: trio.run(day, clock=trio.testing.MockClock(autojump_threshold=0))


def _median(run: Callable[[], None], repeat: int) -> float:
    return statistics.median(_timed(run) for _ in range(repeat))


def _interleaved_medians(
    first: Callable[[], None], second: Callable[[], None], repeat: int
) -> tuple[float, float]:
    # Alternating the two keeps a noisy neighbour on this shared machine from favouring one.
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        times[0].append(_timed(first))
        times[1].append(_timed(second))
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each fast row")
    parser.add_argument(
        "--slow-repeat",
        type=int,
        default=1,
        help="runs of looptime, trio and the crowd (0 skips them)",
    )
    parser.add_argument("--crowd", type=int, default=100_000, help="tasks in the crowd")
    options = parser.parse_args()
    plan = _sleep_plan()
    rows: list[tuple[str, float | str, int]] = []

    floor = _median(_on_loop(lambda: _asyncio_day(plan, zero=True)), options.repeat)
    rows.append(("floor: same wake-ups, zero sleeps, plain loop", floor, options.repeat))
    virtual = _median(_on_loop(lambda: _asyncio_day(plan), VirtualTimeLoop), options.repeat)
    rows.append(("VirtualTimeLoop, debug off", virtual, options.repeat))
    in_case = _median(_in_test_case(plan), options.repeat)
    rows.append(("VirtualTimeTestCase, every diagnostic on", in_case, options.repeat))
    for name, factory in [("looptime", _on_looptime), ("trio MockClock(autojump=0)", _on_trio)]:
        run = factory(plan)
        if run is None:
            rows.append((name, "not installed", 0))
        elif options.slow_repeat == 0:
            rows.append((name, "skipped", 0))
        else:
            rows.append((name, _median(run, options.slow_repeat), options.slow_repeat))

    print(f"Simulated day: {_TICKS + _SLEEPERS * _SLEEPS_EACH:,} wake-ups, medians")
    print(f"{'runner':<48} {'seconds':>8} {'x floor':>8} {'runs':>5}")
    for name, seconds, runs in rows:
        if isinstance(seconds, str):
            print(f"{name:<48} {seconds:>17}")
        else:
            print(f"{name:<48} {seconds:>8.3f} {seconds / floor:>8.2f} {runs:>5}")
    print(f"every diagnostic on / debug off: {in_case / virtual:.2f}x")

    plain, on_virtual = _interleaved_medians(
        _on_loop(_round_trips), _on_loop(_round_trips, VirtualTimeLoop), options.repeat * 2
    )
    print(f"\nTimer-free: {_ROUND_TRIPS:,} sleep(0) round trips, debug off, medians")
    print(f"{'standard loop':<48} {plain:>8.3f}")
    print(f"{'VirtualTimeLoop':<48} {on_virtual:>8.3f} {on_virtual / plain:>8.2f}x")

    if options.slow_repeat == 0:
        return
    # Creating the crowd blocks the loop for seconds: asyncio's slow-callback warnings would
    # only bury the table.
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    plain, on_virtual = _interleaved_medians(
        _on_loop(lambda: _crowd(options.crowd), debug=True),
        _on_loop(lambda: _crowd(options.crowd), VirtualTimeLoop, debug=True),
        options.slow_repeat,
    )
    print(f"\nA crowd: {options.crowd:,} tasks gathered, 0-1 ms sleeps, debug on, medians")
    print(f"{'standard loop':<48} {plain:>8.3f}")
    print(f"{'VirtualTimeLoop':<48} {on_virtual:>8.3f} {on_virtual / plain:>8.2f}x")


if __name__ == "__main__":
    main()
