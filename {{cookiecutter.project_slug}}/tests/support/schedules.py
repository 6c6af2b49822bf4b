"""Schedules: the orders a virtual-time loop may run things in, each one chosen by a seed.

A race is two pieces of code whose result depends on which runs first. On a real loop the order
of things that happen "at the same time" is set by timing the test cannot see: two timers due
within the same millisecond, two sockets readable in the same `select()`. The virtual loop has
no such noise, so it always picks the same order (the order the timers were scheduled, the order
the kernel listed the events) and a race that this order happens to win passes every run.

A schedule is one choice among the orders real timing allows. Under a seed (a whole number),
`VirtualTimeLoop` draws from `random.Random(seed)`:

- the order of the timers due at the same virtual instant (equal deadlines), and
- the order in which it handles the I/O events one `select()` returned;
- with `schedule_jitter`, a delay of up to that many seconds added to each timer's deadline,
  so timers close together may also swap. A deadline only ever moves later: `sleep(1)` never
  returns before a second has passed.

What asyncio promises stays as it is under every seed: callbacks queued with `call_soon` run
in the order they were queued, a task's own steps run in order, and timers with different
deadlines (after jitter) fire in deadline order. Without a seed (None) nothing is drawn, and the
loop runs exactly as it always did.

A seed reproduces its schedule: the same seed on the same test draws the same orders on every
run, since nothing drawn depends on ids, hashes or the wall clock. (What real I/O delivers, and
when, stays real: a test that talks to a real server can be reordered, but only as far as the
same events arrive together.) `python -m tests --schedules N` runs each `VirtualTimeTestCase`
test under N schedules; `TESTS_SCHEDULE_SEED=<seed> python -m tests <test id>` runs one test
under one seed again. A class whose tests assert today's order on purpose sets
`explore_schedules = False`, and then runs in today's order under any seed.
"""

from __future__ import annotations

import os

SEED_VARIABLE = "TESTS_SCHEDULE_SEED"


def parse_seed(text: str, source: str) -> int:
    """The seed written in `text`: a whole number >= 0; `source` names where it was written.

    Raises `ValueError` with a one-line message naming `source` and `text` otherwise.
    """
    if text.isascii() and text.isdigit():
        return int(text)
    raise ValueError(f"{source}={text!r}: expected a whole number >= 0")


def seed_from_environment() -> int | None:
    """The seed `TESTS_SCHEDULE_SEED` sets; None when it is unset."""
    text = os.environ.get(SEED_VARIABLE)
    return None if text is None else parse_seed(text, SEED_VARIABLE)
