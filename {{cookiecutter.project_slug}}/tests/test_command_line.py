"""End to end: the service as a process, started, signalled and stopped as production does it.

These tests take real time (each starts a Python process); they keep jobs and grace periods
short so that the whole module runs in a few seconds.
"""

from __future__ import annotations

import signal
import time
import unittest
{%- if cookiecutter.web_framework == "aiohttp" %}
import urllib.error
import urllib.request
{%- endif %}

from tests.support.process import ServiceProcess

FAST = {
    "{{ cookiecutter.package_name | upper }}_TICK_INTERVAL": "0.05",
    "{{ cookiecutter.package_name | upper }}_SHUTDOWN_GRACE_PERIOD": "3",
{%- if cookiecutter.web_framework == "aiohttp" %}
    "{{ cookiecutter.package_name | upper }}_PORT": "0",
{%- endif %}
}
GRACE_PERIOD = 3.0

# Runs in the child before the service starts: queue one job that takes 0.2 s.
WITH_A_JOB = """
from {{ cookiecutter.package_name }}.service import Service
from {{ cookiecutter.package_name }}.worker import Job

run = Service.run

async def run_with_a_job(self):
    self.submit(Job("slow", duration=0.2))
    await run(self)

Service.run = run_with_a_job
"""

CRASHING_WORKER = f"""{WITH_A_JOB}
from {{ cookiecutter.package_name }}.worker import Worker

async def explode(self, job):
    raise RuntimeError("the worker exploded")

Worker.process = explode
"""
{%- if cookiecutter.web_framework == "aiohttp" %}


def http_status(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(url, data=data, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
{%- endif %}


class ShutdownTest(unittest.TestCase):
{%- if cookiecutter.web_framework == "aiohttp" %}
    def test_sigterm_mid_job_turns_unready_finishes_the_job_and_exits_0(self) -> None:
        with ServiceProcess("--port", "0", env=FAST) as service:
            port = service.wait_for_log(r"listening on http://[^ ]+:(\d+)").group(1)
            url = f"http://127.0.0.1:{port}"
            service.wait_for_log("service ready")
            self.assertEqual(http_status(f"{url}/healthz"), 200)
            self.assertEqual(http_status(f"{url}/readyz"), 200)
            job = b'{"name": "slow", "duration": 0.2}'
            self.assertEqual(http_status(f"{url}/jobs", data=job), 202)
            service.wait_for_log("job slow started")

            started = time.monotonic()
            service.send_signal(signal.SIGTERM)
            service.wait_for_log("shutdown requested")
            self.assertEqual(http_status(f"{url}/readyz"), 503)
            self.assertEqual(http_status(f"{url}/healthz"), 200)
            status = service.wait()

        self.assertEqual(status, 0, service.output)
        self.assertIn("job slow done", service.output)
        self.assertLess(time.monotonic() - started, GRACE_PERIOD)
{% endif %}
    def test_sigint_mid_job_finishes_the_job_and_exits_0(self) -> None:
        with ServiceProcess(env=FAST, setup_code=WITH_A_JOB) as service:
            service.wait_for_log("job slow started")
            started = time.monotonic()
            service.send_signal(signal.SIGINT)
            status = service.wait()

        self.assertEqual(status, 0, service.output)
        self.assertIn("job slow done", service.output)
        self.assertLess(time.monotonic() - started, GRACE_PERIOD)

    def test_a_second_signal_stops_at_once_and_returns_the_job(self) -> None:
        with ServiceProcess(env=FAST, setup_code=WITH_A_JOB.replace("0.2", "30")) as service:
            service.wait_for_log("job slow started")
            started = time.monotonic()
            service.send_signal(signal.SIGTERM)
            service.wait_for_log("shutdown requested")
            service.send_signal(signal.SIGTERM)
            status = service.wait()

        self.assertEqual(status, 0, service.output)
        self.assertIn("job slow interrupted and returned to the queue", service.output)
        self.assertLess(time.monotonic() - started, 1.0)


class FailureTest(unittest.TestCase):
    def test_a_crashing_worker_exits_1_with_its_traceback(self) -> None:
        with ServiceProcess(env=FAST, setup_code=CRASHING_WORKER) as service:
            status = service.wait()

        self.assertEqual(status, 1, service.output)
        self.assertIn("the service crashed", service.output)
        self.assertIn("Traceback", service.output)
        self.assertIn("RuntimeError: the worker exploded", service.output)

    def test_a_bad_variable_exits_2_naming_it(self) -> None:
        variable = "{{ cookiecutter.package_name | upper }}_TICK_INTERVAL"
        with ServiceProcess(env={variable: "soon"}) as service:
            status = service.wait()

        self.assertEqual(status, 2)
        self.assertIn(f"{variable}='soon' is not valid", service.output)
