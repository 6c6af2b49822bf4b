"""End to end: the service as a process, started, signalled and stopped as production does it.

These tests take real time (each starts a Python process); they keep jobs and grace periods
short. Where a test would wait for a process to start, the process is started for the whole
class at once in `setUpClass`, so the processes start side by side. Each process has a job
database of its own ({% if cookiecutter.job_store == "postgres" %}a new PostgreSQL database{% else %}a new SQLite file{% endif %}, see `tests.support.process`) unless a test
hands one process's database to the next.
"""

from __future__ import annotations

{% if cookiecutter.web_framework == "none" -%}
import json
{% endif -%}
import signal
import socket
import time
import unittest
{%- if cookiecutter.web_framework != "none" %}
import urllib.error
import urllib.request
{%- endif %}

from tests.support.process import (
    STORE_CLASS,
    STORE_MODULE,
    ServiceProcess,
{%- if cookiecutter.job_store == "postgres" %}
    new_job_database,
{%- endif %}
    started_for_class,
    stored_jobs,
)

PREFIX = "{{ cookiecutter.package_name | upper }}_"
FAST = {
    f"{PREFIX}TICK_INTERVAL": "0.05",
    f"{PREFIX}SHUTDOWN_GRACE_PERIOD": "3",
{%- if cookiecutter.web_framework != "none" %}
    f"{PREFIX}PORT": "0",
{%- endif %}
}
GRACE_PERIOD = 3.0
{%- if cookiecutter.job_store == "postgres" %}
# In database URLs that a configuration error must show without it.
PASSWORD = "s3cret"
{%- endif %}


def with_jobs(*durations: float) -> str:
    """Child set-up code: queue jobs ``job-0``, ``job-1``, ... taking `durations` seconds.

    They are added as the job store opens, before the worker starts, in this order.
    """
    return f"""
from {{ cookiecutter.package_name }}.jobs import Job
from {STORE_MODULE} import {STORE_CLASS} as Store

open_store = Store.open

async def open_with_jobs(*args, **kwargs):
    store = await open_store(*args, **kwargs)
    for number, duration in enumerate({list(durations)!r}):
        await store.add(Job("job-" + str(number), duration=duration), max_queued=100)
    return store

Store.open = open_with_jobs
"""


CRASHING_STORE = f"""
from {STORE_MODULE} import {STORE_CLASS} as Store

async def broken(self, owner, lease):
    raise RuntimeError("the job store broke")

Store.claim = broken
"""

JOB_RAISING_SYSTEM_EXIT = """
from {{ cookiecutter.package_name }}.worker import Worker

async def process(self, job):
    raise SystemExit(3)

Worker.process = process
"""

# Keeps the process alive for a moment after "service stopped", to send it a late signal.
SLOW_TO_EXIT = f"""
import time
from {STORE_MODULE} import {STORE_CLASS} as Store

close = Store.__aexit__

async def slow_close(self, *exc_info):
    time.sleep(0.3)
    return await close(self, *exc_info)

Store.__aexit__ = slow_close
"""
{%- if cookiecutter.web_framework != "none" %}


def http_status(url: str, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
{%- endif %}


class ShutdownTest(unittest.TestCase):
    processes: dict[str, ServiceProcess]

    @classmethod
    def setUpClass(cls) -> None:
        cls.processes = {
{%- if cookiecutter.web_framework != "none" %}
            "sigterm": started_for_class(cls, "--port", "0", env=FAST),
{%- endif %}
            "sigint": started_for_class(cls, env=FAST, setup_code=with_jobs(0.2)),
            "twice": started_for_class(cls, env=FAST, setup_code=with_jobs(30)),
            "late": started_for_class(cls, env=FAST, setup_code=SLOW_TO_EXIT),
            "system_exit": started_for_class(
                cls, env=FAST, setup_code=with_jobs(0, 0) + JOB_RAISING_SYSTEM_EXIT
            ),
        }
{%- if cookiecutter.web_framework != "none" %}

    def test_sigterm_mid_job_turns_unready_finishes_the_job_and_exits_0(self) -> None:
        service = self.processes["sigterm"]
        port = service.wait_for_log(r"listening on http://[^ ]+:(\d+)").group(1)
        url = f"http://127.0.0.1:{port}"
        service.wait_for_log("service ready")
        self.assertEqual(http_status(f"{url}/healthz"), 200)
        self.assertEqual(http_status(f"{url}/readyz"), 200)
        job = b'{"name": "slow", "duration": 0.2}'
        self.assertEqual(http_status(f"{url}/jobs", data=job), 202)
        service.wait_for_log("'slow' started")

        started = time.monotonic()
        service.send_signal(signal.SIGTERM)
        service.wait_for_log("shutdown requested")
        self.assertEqual(http_status(f"{url}/readyz"), 503)
        self.assertEqual(http_status(f"{url}/healthz"), 200)
        status = service.wait()

        self.assertEqual(status, 0, service.output)
        self.assertIn("'slow' done", service.output)
        self.assertLess(time.monotonic() - started, GRACE_PERIOD)
{%- endif %}

    def test_sigint_mid_job_finishes_the_job_and_exits_0(self) -> None:
        service = self.processes["sigint"]
        service.wait_for_log("'job-0' started")
        started = time.monotonic()
        service.send_signal(signal.SIGINT)
        status = service.wait()

        self.assertEqual(status, 0, service.output)
        self.assertIn("'job-0' done", service.output)
        self.assertLess(time.monotonic() - started, GRACE_PERIOD)

    def test_a_second_signal_stops_at_once_and_the_job_stays_queued(self) -> None:
        service = self.processes["twice"]
        service.wait_for_log("'job-0' started")
        started = time.monotonic()
        service.send_signal(signal.SIGTERM)
        service.wait_for_log("shutdown requested")
        service.send_signal(signal.SIGTERM)
        status = service.wait()

        self.assertEqual(status, 0, service.output)
        self.assertIn("'job-0' interrupted and returned to the queue", service.output)
{%- if cookiecutter.job_store == "postgres" %}
        # The queue is shared: the job is the other replicas' now, not this process's next start.
        self.assertIn("1 job(s) released unfinished to the other replicas", service.output)
        self.assertNotIn("next start", service.output)
{%- else %}
        self.assertIn("1 accepted job(s) not run before shutdown", service.output)
{%- endif %}
        self.assertLess(time.monotonic() - started, GRACE_PERIOD / 2)
        [(name, state, _)] = stored_jobs(service.database).values()
        self.assertEqual((name, state), ("job-0", "queued"))

    def test_signals_after_the_service_stopped_do_not_change_the_exit_status(self) -> None:
        service = self.processes["late"]
        service.wait_for_log("service ready")
        service.send_signal(signal.SIGTERM)
        service.wait_for_log("service stopped")
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
            service.send_signal(signum)
        self.assertEqual(service.wait(), 0, service.output)

    def test_a_job_raising_system_exit_fails_alone(self) -> None:
        service = self.processes["system_exit"]
        service.wait_for_log("'job-1' failed")
        service.send_signal(signal.SIGTERM)
        self.assertEqual(service.wait(), 0, service.output)
        self.assertIn("SystemExit: 3", service.output)
        self.assertNotIn("never retrieved", service.output)
        states = sorted(state for _, state, _ in stored_jobs(service.database).values())
        self.assertEqual(states, ["failed", "failed"])


class RestartTest(unittest.TestCase):
{%- if cookiecutter.job_store == "postgres" %}
    def test_a_killed_replicas_running_job_runs_again_once_its_lease_has_run_out(self) -> None:
        # One job at a time, so that the jobs run in order; the killed process's lease is long
        # enough to see that the next process leaves the job alone until the lease runs out.
        first_env = {**FAST, f"{PREFIX}WORKER_CONCURRENCY": "1", f"{PREFIX}JOB_LEASE": "4"}
        second_env = {**FAST, f"{PREFIX}WORKER_CONCURRENCY": "1", f"{PREFIX}JOB_LEASE": "1"}
        with ServiceProcess(env=first_env, setup_code=with_jobs(0.3, 0, 0)) as first:
            first.wait_for_log("'job-0' started")
            first.send_signal(signal.SIGKILL)
            self.assertEqual(first.wait(), -signal.SIGKILL)
            with ServiceProcess(env=second_env, database=first.database) as second:
                second.wait_for_log("'job-0' done", timeout=15)
                second.send_signal(signal.SIGTERM)
                self.assertEqual(second.wait(), 0, second.output)
            jobs = sorted(stored_jobs(first.database).values())
        self.assertEqual(jobs, [("job-0", "done", 2), ("job-1", "done", 1), ("job-2", "done", 1)])
        started = [line.split("'")[1] for line in second.output.splitlines() if "' started" in line]
        self.assertEqual(started, ["job-1", "job-2", "job-0"], second.output)
        self.assertIn("'job-0' started (attempt 2)", second.output)
{%- else %}
    def test_jobs_running_when_the_process_is_killed_run_again_at_the_next_start(self) -> None:
        # One job at a time, so that the jobs after the killed one are still queued.
        env = {**FAST, f"{PREFIX}WORKER_CONCURRENCY": "1"}
        with ServiceProcess(env=env, setup_code=with_jobs(0.3, 0, 0)) as first:
            first.wait_for_log("'job-0' started")
            first.send_signal(signal.SIGKILL)
            self.assertEqual(first.wait(), -signal.SIGKILL)
            with ServiceProcess(env=env, database=first.database) as second:
                second.wait_for_log("1 job\\(s\\) were running")
                second.wait_for_log("'job-2' done")
                second.send_signal(signal.SIGTERM)
                self.assertEqual(second.wait(), 0, second.output)
            jobs = sorted(stored_jobs(first.database).values())
        self.assertEqual(jobs, [("job-0", "done", 2), ("job-1", "done", 1), ("job-2", "done", 1)])
{%- endif %}


class FailureTest(unittest.TestCase):
    """A crash exits 1 with its traceback; each configuration error exits 2 in one line."""

    processes: dict[str, ServiceProcess]
    busy_port: socket.socket

    @classmethod
    def setUpClass(cls) -> None:
        cls.busy_port = socket.create_server(("127.0.0.1", 0))
        cls.addClassCleanup(cls.busy_port.close)
{%- if cookiecutter.job_store == "postgres" %}
        # No process here reads another's jobs: one database for them all, not one each.
        database: str | None = cls.enterClassContext(new_job_database())
{%- else %}
        database = None
{%- endif %}
        crash = with_jobs(0) + CRASHING_STORE
        cls.processes = {
            "crash": started_for_class(cls, env=FAST, setup_code=crash, database=database),
            **{
                name: started_for_class(
                    cls, env={**FAST, PREFIX + variable: value}, setup_code=code, database=database
                )
                for name, (variable, value, code) in cls.configuration_errors().items()
            },
        }

    @classmethod
    def configuration_errors(cls) -> dict[str, tuple[str, str | None, str | None]]:
        """Each error's variable, value (None: not set) and child set-up code."""
        return {
            "bad number": ("TICK_INTERVAL", "soon", None),
            "denormal": ("TICK_INTERVAL", "5e-324", None),
            "fullwidth": ("MAX_QUEUED_JOBS", "\uff11\uff10", None),
{%- if cookiecutter.job_store == "postgres" %}
            "no database": ("DATABASE_URL", None, None),
            "not postgres": ("DATABASE_URL", f"mysql://u:{PASSWORD}@127.0.0.1/db", None),
            "closed port": ("DATABASE_URL", f"postgresql://u:{PASSWORD}@127.0.0.1:1/db", None),
{%- else %}
            "no such directory": ("JOBS_DATABASE", "/nonexistent/dir/jobs.sqlite3", None),
{%- endif %}
{%- if cookiecutter.web_framework != "none" %}
            "port in use": ("PORT", str(cls.busy_port.getsockname()[1]), None),
            "unknown host": ("HOST", "no-such-host.invalid", None),
            "bad address": ("HOST", "256.1.1.1", None),
            "too many connections": (
                "HTTP_MAX_CONNECTIONS",
                "100000",
                "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))",
            ),
{%- endif %}
        }

    def test_a_crash_exits_1_with_its_traceback(self) -> None:
        service = self.processes["crash"]
        status = service.wait()

        self.assertEqual(status, 1, service.output)
        self.assertIn("the service crashed", service.output)
        self.assertIn("Traceback", service.output)
        self.assertIn("RuntimeError: the job store broke", service.output)

    def test_each_configuration_error_exits_2_with_one_line_naming_it(self) -> None:
        for name, (variable, value, _) in self.configuration_errors().items():
            with self.subTest(name):
                service = self.processes[name]
                # Connecting to a database that is not there may take the store a few seconds.
                self.assertEqual(service.wait(timeout=15), 2, service.output)
                [line] = service.output.splitlines()
                self.assertIn(f"configuration error: {PREFIX}{variable}{_shown(value)}", line)
{%- if cookiecutter.job_store == "postgres" %}
                self.assertNotIn(PASSWORD, service.output)
{%- endif %}


def _shown(value: str | None) -> str:
    """How a configuration error names the value it refused, after the variable's name."""
    if value is None:
        return " is not set"
{%- if cookiecutter.job_store == "postgres" %}
    if PASSWORD in value:
        return "="  # and then the value without its password, whichever way it is hidden
{%- endif %}
    return f"={value!r}"
{%- if cookiecutter.web_framework == "none" %}


class TracingTest(unittest.TestCase):
    def test_the_console_exporter_shows_a_jobs_run_and_its_store_calls_in_one_trace(self) -> None:
        env = {**FAST, f"{PREFIX}LOG_FORMAT": "json", "OTEL_TRACES_EXPORTER": "console"}
        with ServiceProcess(env=env, setup_code=with_jobs(0)) as service:
            service.wait_for_log("'job-0' done")
            service.send_signal(signal.SIGTERM)
            self.assertEqual(service.wait(timeout=10), 0, service.output)

        # Spans and log records share the output, one JSON object a line; spans have a context.
        spans = [span for span in map(json.loads, service.log) if "context" in span]
        [run] = [span for span in spans if span["name"] == "run job"]
        [finish] = [span for span in spans if span["name"] == "finish jobs"]
        self.assertEqual(finish["context"]["trace_id"], run["context"]["trace_id"])
        self.assertEqual(finish["parent_id"], run["context"]["span_id"])
{%- endif %}
