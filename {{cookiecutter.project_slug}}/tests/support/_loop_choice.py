"""The loop a suite chose, carried over to virtual time when virtual time can honour it.

Since Python 3.14 deprecates asyncio's policies, a suite picks its loop with
`IsolatedAsyncioTestCase.loop_factory`: the standard loop class (`asyncio.EventLoop`, or
`asyncio.SelectorEventLoop`), a subclass of it, or a function that makes a loop and sets it up,
typically with a task factory such as `asyncio.eager_task_factory`. A `VirtualTimeLoop` is a
selector loop whose scheduling runs on virtual time, so it can stand in for any of these:

- the standard class runs as the `VirtualTimeLoop` itself;
- a subclass runs as a class made of both (its own methods kept), unless it overrides the
  scheduling that virtual time replaces;
- a function is called once to see the loop it makes: its class is judged as above, and its
  task factory is set on the virtual loop; the sample loop is closed at once.

What cannot be honoured is refused by name: a loop that is not a selector loop (uvloop, a
proactor), or one that overrides `time`, `call_at` or the loop's iteration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.virtual_time import VirtualTimeLoop

# What virtual time replaces: a loop class that overrides any of these would not be on it.
_SCHEDULING = frozenset({"time", "call_at", "call_later", "_run_once", "_process_events"})
_STANDARD_LOOP: type[asyncio.AbstractEventLoop] = asyncio.SelectorEventLoop

TaskFactory = Callable[..., Any]
_virtual_classes: dict[type[Any], type[VirtualTimeLoop]] = {}


class UnsupportedLoopError(TypeError):
    """The loop a suite chose cannot run on virtual time; the message says why."""


@dataclass(frozen=True)
class LoopChoice:
    """How to build the virtual loop for a suite's choice: the class, and its task factory."""

    loop_class: type[VirtualTimeLoop]
    task_factory: TaskFactory | None = None

    @classmethod
    def of(cls, chosen: Callable[[], asyncio.AbstractEventLoop] | None) -> LoopChoice:
        """The choice behind `chosen` (a loop class, a function making a loop, or None)."""
        if chosen is None:
            return cls(VirtualTimeLoop)
        if isinstance(chosen, type):
            return cls(_virtual_class_for(chosen))
        sample = chosen()
        try:
            task_factory = sample.get_task_factory()
            loop_class = _virtual_class_for(type(sample))
        finally:
            sample.close()
        return cls(loop_class, task_factory)


def _virtual_class_for(chosen: type[Any]) -> type[VirtualTimeLoop]:
    if issubclass(chosen, VirtualTimeLoop):
        return chosen
    if chosen not in _virtual_classes:
        _virtual_classes[chosen] = _virtual_class_made_for(chosen)
    return _virtual_classes[chosen]


def _virtual_class_made_for(chosen: type[Any]) -> type[VirtualTimeLoop]:
    if not issubclass(chosen, _STANDARD_LOOP):
        raise UnsupportedLoopError(
            f"{chosen.__module__}.{chosen.__qualname__} is not a subclass of asyncio's selector "
            "event loop, which virtual time replaces the scheduling of"
        )
    overridden = sorted(
        name
        for klass in chosen.__mro__[: chosen.__mro__.index(_STANDARD_LOOP)]
        for name in vars(klass)
        if name in _SCHEDULING
    )
    if overridden:
        raise UnsupportedLoopError(
            f"{chosen.__qualname__} overrides {', '.join(overridden)}, which virtual time replaces"
        )
    if chosen is _STANDARD_LOOP:
        return VirtualTimeLoop
    return type(f"VirtualTime{chosen.__name__}", (VirtualTimeLoop, chosen), {})
