"""The project's test toolkit: strict asyncio test cases, virtual time, and mocks.

- `AsyncTestCase`: `IsolatedAsyncioTestCase` that fails a test which leaves a task pending,
  never awaits a coroutine, loses a task's exception, leaves a resource open, blocks the
  event loop, or raises in a loop callback.
- `VirtualTimeTestCase`: the same on virtual time, read through `self.clock`, a
  `VirtualClock`: sleeps and timeouts take no real time, in the order they would for real.
- `ServiceTestCase`: a `VirtualTimeTestCase` with the service running for each test.
{%- if cookiecutter.web_framework != "none" %}
- `WebAppTestCase`: a `ServiceTestCase` serving HTTP as in production, with an httpx client
  for its endpoints.
{%- endif %}
- `tests.support.mocks`: stand-ins for async functions, iterators, context managers, classes
  and streams.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support import mocks
    from tests.support.cases import AsyncTestCase, VirtualTimeTestCase
    from tests.support.services import ServiceTestCase{% if cookiecutter.web_framework != "none" %}, WebAppTestCase{% endif %}
    from tests.support.virtual_time import VirtualClock

__all__ = [
    "AsyncTestCase",
    "ServiceTestCase",
    "VirtualClock",
    "VirtualTimeTestCase",
{%- if cookiecutter.web_framework != "none" %}
    "WebAppTestCase",
{%- endif %}
    "mocks",
]

# Where each name lives. They are imported on first use, so that a process that needs only
# the test cases (the runner's, a worker's) does not import the service and its web framework,
# which `services` does: about 0.4 s for each of the many processes the runner's tests start.
_MODULES = {
    "AsyncTestCase": "tests.support.cases",
    "VirtualTimeTestCase": "tests.support.cases",
    "ServiceTestCase": "tests.support.services",
{%- if cookiecutter.web_framework != "none" %}
    "WebAppTestCase": "tests.support.services",
{%- endif %}
    "VirtualClock": "tests.support.virtual_time",
}


def __getattr__(name: str) -> object:
    if name == "mocks":
        value: object = importlib.import_module("tests.support.mocks")
    elif name in _MODULES:
        value = getattr(importlib.import_module(_MODULES[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
