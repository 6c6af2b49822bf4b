"""Tracing: the spans of {% if cookiecutter.web_framework != "none" %}a request, {% endif %}a job and the job store, one trace from submission to each run.

Each test gives the service a tracer provider of its own, whose spans an `InMemorySpanExporter`
keeps, on virtual time and in this process; the global provider is never set. Tracing off is
tested where nothing can leak into it, in a fresh interpreter, and the ``OTEL_*`` variables
through the command line's `main`, which stops at a bad one before it starts anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import unittest
from collections.abc import Callable, Sequence
from typing import Any
from unittest import mock

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from {{ cookiecutter.package_name }}.__main__ import main
from {{ cookiecutter.package_name }}.correlation import RequestIdFilter, bound_request_id
from {{ cookiecutter.package_name }}.job_origin import JobTracer
from {{ cookiecutter.package_name }}.jobs import Job, JobStatus
from {{ cookiecutter.package_name }}.logs import JsonFormatter
from {{ cookiecutter.package_name }}.otel import Tracing, provider_for
from {{ cookiecutter.package_name }}.service import {% if cookiecutter.web_framework != "none" %}RequestServer, {% endif %}Service
from {{ cookiecutter.package_name }}.store import JobStore
from {{ cookiecutter.package_name }}.tracing import TracingSettings, start_tracing
{%- if cookiecutter.web_framework != "none" %}
from {{ cookiecutter.package_name }}.web import HttpServer, create_app
{%- endif %}
from tests.support.services import ServiceTestCase{% if cookiecutter.web_framework != "none" %}, WebAppTestCase{% endif %}
from tests.support.stores import MemoryJobStore

PACKAGE = "{{ cookiecutter.package_name }}"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


class _JsonLines(logging.Handler):
    """The package's records as the JSON log format writes them, with the production filters."""

    def __init__(self, tracing: Tracing) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())
        self.addFilter(tracing.log_filter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


class _SpanEnds(SpanProcessor):
    """Sets `ended` whenever a span ends, for a test waiting for one."""

    def __init__(self) -> None:
        self.ended = asyncio.Event()

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.set()


class TracedServiceTestCase(ServiceTestCase):
    """The service with a store and a job tracer that export to `self.exporter`."""

    def setUp(self) -> None:
        super().setUp()
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.span_ends = _SpanEnds()
        provider.add_span_processor(self.span_ends)
        self.addCleanup(provider.shutdown)
        self.tracing = Tracing(provider)
        self.tracer = provider.get_tracer("tests")
        self.log = _JsonLines(self.tracing)
        logger = logging.getLogger(PACKAGE)
        logger.addHandler(self.log)
        self.addCleanup(logger.removeHandler, self.log)
        level = logger.level
        logger.setLevel(logging.INFO)
        self.addCleanup(logger.setLevel, level)

    async def make_store(self) -> JobStore:
        return self.tracing.traced(MemoryJobStore(), "memory")

    def make_tracer(self) -> JobTracer:
        return self.tracing.jobs

    def spans(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.exporter.get_finished_spans() if span.name == name]

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait until `condition()`, checked each time a span ends."""
        while not condition():
            self.span_ends.ended.clear()
            await self.span_ends.ended.wait()

    def claimed(self) -> list[object]:
        """The ids of the jobs claimed so far."""
        return [_attribute(claim, "job.id") for claim in self.spans("claim jobs")]

    async def until_run(self, job_id: str, attempts: int = 1) -> list[ReadableSpan]:
        """The spans of the job's runs, once `attempts` of them have ended."""

        def runs() -> list[ReadableSpan]:
            return [span for span in self.spans("run job") if _attribute(span, "job.id") == job_id]

        await self.until(lambda: len(runs()) >= attempts)
        return runs()


class JobTraceTest(TracedServiceTestCase):
    async def test_a_job_runs_in_the_trace_that_submitted_it_with_its_store_calls(self) -> None:
        with self.tracer.start_as_current_span("submitter") as submitter:
            stored = await self.service.submit(Job("report", duration=2))

        [run] = await self.until_run(stored.id)
        context = submitter.get_span_context()
        self.assertEqual(run.context.trace_id, context.trace_id)
        self.assertEqual(_parent(run), context.span_id)
        self.assertEqual(run.kind, trace.SpanKind.CONSUMER)
        self.assertEqual(
            {key: _attribute(run, key) for key in ("job.id", "job.name", "job.attempt")},
            {"job.id": stored.id, "job.name": "report", "job.attempt": 1},
        )
        [add] = self.spans("add jobs")
        self.assertEqual((add.context.trace_id, _parent(add)), (context.trace_id, context.span_id))
        [finish] = self.spans("finish jobs")
        self.assertEqual(_parent(finish), run.context.span_id)
        self.assertEqual(
            {key: _attribute(finish, key) for key in _DB_KEYS},
            {
                "db.system.name": "memory",
                "db.collection.name": "jobs",
                "db.operation.name": "finish",
                "job.id": stored.id,
            },
        )
        self.assertEqual(finish.kind, trace.SpanKind.CLIENT)
        # The worker's own calls are traces of their own.
        self.assertEqual({claim.parent for claim in self.spans("claim jobs")}, {None})

    async def test_an_idle_workers_claims_make_no_spans_until_one_finds_a_job(self) -> None:
        await self.clock.sleep(60)  # a minute of polls that find nothing

        self.assertEqual(self.spans("claim jobs"), [])
        stored = await self.service.submit(Job("report"))
        await self.until_run(stored.id)
        self.assertEqual(self.claimed(), [stored.id])

    async def test_a_job_run_again_after_a_restart_stays_in_its_trace(self) -> None:
        with self.tracer.start_as_current_span("submitter") as submitter:
            stored = await self.service.submit(Job("long", duration=30))
        await self.until(lambda: stored.id in self.claimed())
        # The grace period runs out mid-job: the job goes back to the queue, unfinished.
        self.service.request_shutdown()
        await self.service_stopped()
        restarted = Service(self.make_settings(), self.clock, self.store, tracer=self.tracing.jobs)
        running = asyncio.create_task(restarted.run())

        runs = await self.until_run(stored.id, attempts=2)
        restarted.request_shutdown()
        await running

        context = submitter.get_span_context()
        self.assertEqual(
            [(_attribute(run, "job.attempt"), run.context.trace_id, _parent(run)) for run in runs],
            [(1, context.trace_id, context.span_id), (2, context.trace_id, context.span_id)],
        )
        done = await self.store.get(stored.id)
        self.assertEqual(done.status if done else None, JobStatus.DONE)

    async def test_a_job_submitted_outside_any_trace_runs_in_a_trace_of_its_own(self) -> None:
        stored = await self.service.submit(Job("untraced"))

        [run] = await self.until_run(stored.id)
        [add] = self.spans("add jobs")
        self.assertIsNone(run.parent)
        self.assertNotEqual(run.context.trace_id, add.context.trace_id)
        [finish] = self.spans("finish jobs")
        self.assertEqual(_parent(finish), run.context.span_id)

    async def test_a_malformed_stored_traceparent_starts_a_fresh_trace(self) -> None:
        origin = {"traceparent": "00-not-a-trace-01"}
        stored = await self.service.submit(Job("before"))
        forged = await self.store.add(Job("forged"), max_queued=10, origin=origin)

        [run] = await self.until_run(forged.id)
        self.assertIsNone(run.parent)
        self.assertTrue(run.context.is_valid)
        self.assertEqual(len(await self.until_run(stored.id)), 1)

    async def test_a_jobs_log_records_carry_its_request_id_and_its_runs_span(self) -> None:
        with bound_request_id("req-7"), self.tracer.start_as_current_span("submitter"):
            stored = await self.service.submit(Job("logged"))
        self.assertEqual(stored.origin["request_id"], "req-7")

        [run] = await self.until_run(stored.id)
        [started] = [line for line in self.log.lines if "started" in line["message"]]
        self.assertEqual(
            (started["request_id"], started["trace_id"], started["span_id"]),
            ("req-7", f"{run.context.trace_id:032x}", f"{run.context.span_id:016x}"),
        )
        [ready] = [line for line in self.log.lines if line["message"] == "service ready"]
        self.assertNotIn("trace_id", ready)
{%- if cookiecutter.web_framework != "none" %}


class RequestTraceTest(TracedServiceTestCase, WebAppTestCase):
    def make_server(self) -> RequestServer:
        self.http = HttpServer(
            create_app(self.service, tracing=self.tracing), self.service.settings
        )
        return self.http

    async def post_job(self, headers: dict[str, str] | None = None) -> tuple[str, str]:
        """Post a job; its id and the request's id."""
        response = await self.client.post(
            "/jobs", json={"name": "from a request", "duration": 1}, headers=headers
        )
        self.assertEqual(response.status_code, 202, response.text)
        return response.json()["id"], response.headers["X-Request-ID"]

    def server_span(self) -> ReadableSpan:
        [server] = [
            span
            for span in self.exporter.get_finished_spans()
            if span.kind is trace.SpanKind.SERVER and "/jobs" in span.name
        ]
        return server

    async def test_a_request_and_its_job_make_one_trace(self) -> None:
        job_id, request_id = await self.post_job()

        [run] = await self.until_run(job_id)
        server = self.server_span()
        self.assertIsNone(server.parent)
        self.assertEqual(_attribute(server, "http.route"), "/jobs")
        self.assertEqual(run.context.trace_id, server.context.trace_id)
        self.assertEqual(_parent(run), server.context.span_id)
        [add] = self.spans("add jobs")
        self.assertEqual(_parent(add), server.context.span_id)
        [started] = [line for line in self.log.lines if "started" in line["message"]]
        self.assertEqual(
            (started["request_id"], started["trace_id"]),
            (request_id, f"{server.context.trace_id:032x}"),
        )

    async def test_the_trace_of_the_clients_traceparent_goes_on_into_the_job(self) -> None:
        job_id, _ = await self.post_job({"traceparent": TRACEPARENT, "tracestate": "vendor=7"})

        [run] = await self.until_run(job_id)
        stored = await self.service.job(job_id)
        self.assertEqual(stored.origin["tracestate"] if stored else None, "vendor=7")
        server = self.server_span()
        self.assertEqual(
            (f"{server.context.trace_id:032x}", f"{_parent(server):016x}"), (TRACE_ID, PARENT_ID)
        )
        self.assertEqual(
            (run.context.trace_id, _parent(run)), (server.context.trace_id, server.context.span_id)
        )

    async def test_a_malformed_traceparent_gets_a_fresh_trace_and_the_request_succeeds(
        self,
    ) -> None:
        job_id, _ = await self.post_job({"traceparent": f"00-{TRACE_ID}-{'z' * 16}-01"})

        [run] = await self.until_run(job_id)
        server = self.server_span()
        self.assertIsNone(server.parent)
        self.assertNotEqual(f"{server.context.trace_id:032x}", TRACE_ID)
        self.assertEqual(_parent(run), server.context.span_id)
{%- endif %}


class TracingSettingsTest(unittest.TestCase):
    def test_tracing_is_off_unless_an_exporter_is_named(self) -> None:
        for environ in ({}, {"OTEL_TRACES_EXPORTER": "none"}, {"OTEL_TRACES_SAMPLER": "x"}):
            with self.subTest(environ):
                settings = TracingSettings.from_env(environ)
                self.assertFalse(settings.enabled)
                self.assertIsNone(start_tracing(settings))

    def test_the_standard_variables_choose_exporters_and_sampler(self) -> None:
        settings = TracingSettings.from_env(
            {
                "OTEL_TRACES_EXPORTER": "otlp, Console",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4318",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "0.25",
            }
        )
        self.assertEqual(
            settings, TracingSettings(("otlp", "console"), "parentbased_traceidratio", 0.25)
        )

    def test_the_provider_names_the_service_and_samples_as_asked(self) -> None:
        settings = TracingSettings(("console",), "parentbased_traceidratio", 0.25)
        for environ, name in (
            ({}, "{{ cookiecutter.project_slug }}"),
            ({"OTEL_SERVICE_NAME": "jobs-api"}, "jobs-api"),
            ({"OTEL_RESOURCE_ATTRIBUTES": "service.name=billing,team=core"}, "billing"),
        ):
            with self.subTest(environ), mock.patch.dict(os.environ, environ):
                provider = provider_for(settings)
                provider.shutdown()
                self.assertEqual(provider.resource.attributes["service.name"], name)
                # ParentBased leaves get_description without type hints.
                self.assertEqual(
                    provider.sampler.get_description(),
                    ParentBased(TraceIdRatioBased(0.25)).get_description(),  # type: ignore[no-untyped-call]
                )


class BadSettingTest(unittest.TestCase):
    """Each bad ``OTEL_*`` value: exit status 2 and one line naming the variable."""

    def exit_of(self, environ: dict[str, str]) -> tuple[int, str]:
        errors = io.StringIO()
        with mock.patch.dict(os.environ, environ), contextlib.redirect_stderr(errors):
            status = main([])
        return status, errors.getvalue()

    def test_each_bad_value_exits_2_naming_its_variable(self) -> None:
        console = {"OTEL_TRACES_EXPORTER": "console"}
        otlp = {"OTEL_TRACES_EXPORTER": "otlp"}
        cases = {
            "OTEL_TRACES_EXPORTER='zipkin'": {"OTEL_TRACES_EXPORTER": "zipkin"},
            "OTEL_TRACES_EXPORTER='none,console'": {"OTEL_TRACES_EXPORTER": "none,console"},
            "OTEL_TRACES_SAMPLER='sometimes'": {**console, "OTEL_TRACES_SAMPLER": "sometimes"},
            "OTEL_TRACES_SAMPLER_ARG='1.5'": {
                **console,
                "OTEL_TRACES_SAMPLER": "traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "1.5",
            },
            "OTEL_TRACES_SAMPLER_ARG='half'": {
                **console,
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "half",
            },
            "OTEL_EXPORTER_OTLP_ENDPOINT='collector:4318'": {
                **otlp,
                "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318",
            },
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT='ftp://collector/'": {
                **otlp,
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://collector/",
            },
            "OTEL_EXPORTER_OTLP_ENDPOINT='https://user:***@collector": {
                **otlp,
                "OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:secret@collector\n",
            },
            "OTEL_EXPORTER_OTLP_PROTOCOL='grpc'": {**otlp, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
        }
        for expected, environ in cases.items():
            with self.subTest(expected):
                status, errors = self.exit_of(environ)
                self.assertEqual(status, 2, errors)
                [line] = errors.splitlines()
                self.assertIn(f"configuration error: {expected}", line)
                self.assertNotIn("secret", errors)

    def test_an_exporter_without_the_tracing_extra_exits_2_saying_what_to_install(self) -> None:
        missing = importlib_metadata_without("opentelemetry-sdk")
        with mock.patch("importlib.metadata.distribution", missing):
            status, errors = self.exit_of({"OTEL_TRACES_EXPORTER": "otlp"})
        self.assertEqual(status, 2, errors)
        [line] = errors.splitlines()
        self.assertIn("OTEL_TRACES_EXPORTER='otlp' is not valid", line)
        self.assertIn("{{ cookiecutter.project_slug }}[tracing]", line)


def importlib_metadata_without(name: str) -> Callable[[str], object]:
    """`importlib.metadata.distribution`, as if the distribution `name` were not installed."""
    import importlib.metadata  # noqa: PLC0415

    installed = importlib.metadata.distribution

    def distribution(wanted: str) -> object:
        if wanted == name:
            raise importlib.metadata.PackageNotFoundError(wanted)
        return installed(wanted)

    return distribution


{% if cookiecutter.web_framework == "fastapi" -%}
# FastAPI itself imports OpenTelemetry's API, for a telemetry of its own that stays off while
# no provider is set: what tracing off must leave unloaded is the tracing extra.
UNLOADED = ("opentelemetry.sdk", "opentelemetry.exporter", "opentelemetry.instrumentation")
{%- else -%}
UNLOADED = ("opentelemetry",)
{%- endif %}

# Runs in a fresh interpreter: a service without tracing submits and runs a job{% if cookiecutter.web_framework != "none" %}, its app built{% endif %},
# then prints the modules loaded whose names start with one of UNLOADED.
_UNTRACED_SERVICE = """
import asyncio, sys
from {package}.__main__ import main
from {package}.clock import SystemClock
from {package}.config import Settings
from {package}.jobs import Job, JobStatus
from {package}.service import Service
from {package}.sqlite_store import SqliteJobStore
from {package}.tracing import TracingSettings, start_tracing
{web_import}

async def run():
    assert start_tracing(TracingSettings.from_env()) is None
    async with await SqliteJobStore.open(":memory:", SystemClock()) as store:
        service = Service(Settings(tick_interval=0.01), SystemClock(), store)
        {web_app}
        running = asyncio.create_task(service.run())
        while not service.ready:
            await asyncio.sleep(0.01)
        stored = await service.submit(Job("untraced"))
        while (await service.job(stored.id)).status is not JobStatus.DONE:
            await asyncio.sleep(0.01)
        service.request_shutdown()
        await running

asyncio.run(run())
print([name for name in sys.modules if name.startswith({unloaded})])
"""


class TracingOffTest(unittest.TestCase):
    def test_a_service_without_an_exporter_imports_no_module_of_the_tracing_extra(self) -> None:
        code = _UNTRACED_SERVICE.format(
            package=PACKAGE,
            unloaded=UNLOADED,
{%- if cookiecutter.web_framework != "none" %}
            web_import=f"from {PACKAGE}.web import create_app",
            web_app="create_app(service)",
{%- else %}
            web_import="",
            web_app="",
{%- endif %}
        )
        # No OTEL_* variable at all, the usual case; "none" is the same settings (above).
        environ = {name: value for name, value in os.environ.items() if "OTEL_" not in name}
        loaded = _python(code, environ)
        self.assertEqual(loaded.strip().splitlines()[-1], "[]")


def _python(code: str, environ: dict[str, str]) -> str:
    finished = subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if finished.returncode != 0:
        raise AssertionError(finished.stderr)
    return finished.stdout


_DB_KEYS: Sequence[str] = ("db.system.name", "db.collection.name", "db.operation.name", "job.id")


def _attribute(span: ReadableSpan, key: str) -> object:
    return (span.attributes or {}).get(key)


def _parent(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None
