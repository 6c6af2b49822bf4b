"""Tracing on: the OpenTelemetry SDK's tracer provider, and what hooks it into the service.

Only `tracing.start_tracing` imports this module, and only when an exporter is configured, so a
service without tracing loads no OpenTelemetry module (see `tracing.py`). A `Tracing` holds one
`TracerProvider`, given to everything it traces rather than installed as the global one, so
that tests can each give the service a provider of their own, with an in-memory exporter.
What it traces:

- **each HTTP request**, by the instrumentation package made for the framework
  (`instrument_app`);
- **each job-store call**, by `traced_store.TracedJobStore` around the store (`traced`);
- **each attempt of a job**, by the `JobTracer` in `jobs`: a span whose parent is the trace
  context stored with the job when it was submitted (see `job_origin.py`).

**Child, not link.** An attempt's span is a child of the span that submitted the job, not the
root of a new trace linked to it: the run then belongs to the request's trace, and a slow job is
found from the request that caused it by the trace id alone, including every re-run after a
restart, each one another child of the same span. A link would start a trace per attempt, which
a backend shows apart unless it follows links. The price: a trace stays open for as long as its
job waits in the queue; a backend that closes traces after a few minutes shows a late run as a
fragment still carrying the trace id. A stored context that does not parse (a malformed
``traceparent``) starts a fresh trace.

Log records logged in a span carry its ids (`log_filter`), which JSON log lines show as
``trace_id`` and ``span_id``.
"""

from __future__ import annotations

import contextlib
import logging
{%- if cookiecutter.web_framework == "aiohttp" %}
import warnings
{%- endif %}
from collections.abc import Iterator

{% if cookiecutter.web_framework == "aiohttp" -%}
from aiohttp import web
{% elif cookiecutter.web_framework == "fastapi" -%}
from fastapi import FastAPI
{% endif -%}
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
{%- if cookiecutter.web_framework == "aiohttp" %}
from opentelemetry.instrumentation.aiohttp_server import (
    AioHttpServerInstrumentor,
    create_aiohttp_middleware,
)
{%- elif cookiecutter.web_framework == "fastapi" %}
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
{%- endif %}
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.job_origin import JobTracer
from {{ cookiecutter.package_name }}.jobs import StoredJob
from {{ cookiecutter.package_name }}.store import JobStore
from {{ cookiecutter.package_name }}.traced_store import TracedJobStore
from {{ cookiecutter.package_name }}.tracing import TracingSettings

SCOPE = "{{ cookiecutter.package_name }}"
SERVICE = "{{ cookiecutter.project_slug }}"


class Tracing:
    """Tracing switched on: spans of `provider`, for the parts of the service `otel` lists."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer(SCOPE, __version__)
        self.jobs: JobTracer = _JobSpans(self._tracer)

    def traced(self, store: JobStore, system: str) -> JobStore:
        """`store` with a span for each call; `system` is its database's semantic-convention
        name (``sqlite``, ``postgresql``)."""
        return TracedJobStore(store, self._tracer, system)
{%- if cookiecutter.web_framework == "aiohttp" %}

    def instrument_app(self, app: web.Application) -> None:
        """Make each request `app` serves a server span, the first thing its middlewares do."""
        _prepare_aiohttp_instrumentation()
        app.middlewares.insert(0, create_aiohttp_middleware(tracer_provider=self.provider))
{%- elif cookiecutter.web_framework == "fastapi" %}

    def instrument_app(self, app: FastAPI) -> None:
        """Make each request `app` serves a server span, outside every middleware of its own."""
        # Without the ASGI layer's span for each message received and sent: they say little
        # about a request of one small body, and each is a span more to make and export.
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.provider, exclude_spans=["receive", "send"]
        )
{%- endif %}

    def log_filter(self) -> logging.Filter:
        """A handler filter that stamps each record with the current span's ids, if any."""
        return _SpanIds()

    def shutdown(self) -> None:
        """Export what is still buffered and stop exporting; blocks for as long as that takes."""
        self.provider.shutdown()


def provider_for(settings: TracingSettings) -> TracerProvider:
    """A provider that samples and exports as `settings` say, batching spans in a thread."""
    provider = TracerProvider(resource=_resource(), sampler=_sampler(settings))
    for exporter in settings.exporters:
        provider.add_span_processor(BatchSpanProcessor(_exporter(exporter)))
    return provider


class _JobSpans:
    """Each attempt of a job is a span, child of the context its origin stores."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer
        self._propagator = TraceContextTextMapPropagator()

    def inject(self, origin: dict[str, str]) -> None:
        self._propagator.inject(origin)

    @contextlib.contextmanager
    def attempt(self, job: StoredJob) -> Iterator[None]:
        with self._tracer.start_as_current_span(
            "run job",
            context=self._propagator.extract(job.origin),
            kind=trace.SpanKind.CONSUMER,
            attributes={"job.id": job.id, "job.name": job.job.name, "job.attempt": job.attempts},
        ):
            yield


class _SpanIds(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = trace.format_trace_id(context.trace_id)
            record.span_id = trace.format_span_id(context.span_id)
        return True


def _resource() -> Resource:
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read by the SDK, name the service if set.
    detected = Resource.create({SERVICE_VERSION: __version__})
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        return detected.merge(Resource({SERVICE_NAME: SERVICE}))
    return detected


def _sampler(settings: TracingSettings) -> Sampler:
    root: Sampler = {
        "always_on": ALWAYS_ON,
        "always_off": ALWAYS_OFF,
        "traceidratio": TraceIdRatioBased(settings.ratio),
    }[settings.sampler.removeprefix("parentbased_")]
    return ParentBased(root) if settings.sampler.startswith("parentbased_") else root


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter(formatter=_one_line)
    # It reads the endpoint, headers, timeout and the rest from the OTEL_EXPORTER_OTLP_* variables.
    return OTLPSpanExporter()


def _one_line(span: ReadableSpan) -> str:
    return str(span.to_json(indent=None)) + "\n"
{%- if cookiecutter.web_framework == "aiohttp" %}


def _prepare_aiohttp_instrumentation() -> None:
    # The package's middleware reads the settings and instruments that its instrumentor sets up
    # (excluded URLs from OTEL_PYTHON_AIOHTTP_SERVER_EXCLUDED_URLS, metric instruments). Its
    # instrumentor also replaces aiohttp's Application class for the whole process: undone at
    # once, so that only the apps given to instrument_app are traced, each by its own provider.
    # The replacement subclasses Application, which aiohttp warns about: nothing here uses it.
    instrumentor = AioHttpServerInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Inheritance class", DeprecationWarning)
            instrumentor.instrument()
        instrumentor.uninstrument()
{%- endif %}
