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
