"""A job's origin: what it carries from the request that accepted it to every run of it.

A job is accepted in one request and run later, perhaps on another replica, perhaps after the
process that accepted it has restarted. Whatever ties its runs to that request must therefore
travel with the job, in the `JobStore`, not in memory. That is the origin: a small
``dict[str, str]`` stored as `StoredJob.origin`.

- `origin_here` writes it when the job is submitted: the current request id
  (`correlation.REQUEST_ID`) under ``request_id`` and, with tracing on, the W3C trace context
  of the current span (``traceparent``, ``tracestate``).
- `running_as_origin` reads it back around each attempt: the request id becomes the current
  one again, so the job's log records carry it, and with tracing on the attempt runs in a
  span whose parent is the stored context.

Tracing itself is behind `JobTracer`, so that nothing here, nor in the service or its worker,
imports OpenTelemetry: with tracing off the tracer is `UNTRACED`, which does nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol

from {{ cookiecutter.package_name }}.correlation import REQUEST_ID, bound_request_id
from {{ cookiecutter.package_name }}.jobs import StoredJob

REQUEST_ID_KEY = "request_id"


class JobTracer(Protocol):
    """What tracing adds to a job: its trace context at submission, a span for each attempt."""

    def inject(self, origin: dict[str, str]) -> None:
        """Add the current trace context to `origin`, as text entries."""

    def attempt(self, job: StoredJob) -> AbstractContextManager[None]:
        """A span around one attempt of `job`, in the trace its origin names."""
        ...


class _Untraced:
    """The `JobTracer` of a service without tracing."""

    def inject(self, origin: dict[str, str]) -> None:
        pass

    def attempt(self, job: StoredJob) -> AbstractContextManager[None]:
        return contextlib.nullcontext()


UNTRACED: JobTracer = _Untraced()


def origin_here(tracer: JobTracer) -> dict[str, str]:
    """The origin of a job submitted now: the current request id and trace context."""
    origin: dict[str, str] = {}
    request_id = REQUEST_ID.get()
    if request_id is not None:
        origin[REQUEST_ID_KEY] = request_id
    tracer.inject(origin)
    return origin


@contextlib.contextmanager
def running_as_origin(job: StoredJob, tracer: JobTracer) -> Iterator[None]:
    """Inside the block, `job`'s request id is the current one and its attempt's span is open."""
    with bound_request_id(job.origin.get(REQUEST_ID_KEY)), tracer.attempt(job):
        yield
