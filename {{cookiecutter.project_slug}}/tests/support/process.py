"""The service as a child process, started and stopped as in production, for end-to-end tests.

`ServiceProcess` runs the service's command-line `main()` in a process of its own (or a few
lines of Python that set the service up first), reads its log as it is written, and lets a test
wait for a log line, send a signal and collect the exit status. Processes are forked from a warm
parent that has imported the service already (see `_warm_start`), so each starts in
milliseconds. A background thread drains the child's output so that it never blocks on a full
pipe; `wait_for_log` never waits longer than its timeout.

Unless the test names one, each process gets a job database of its own, gone with the process:
{%- if cookiecutter.job_store == "postgres" %}
a new, empty database from `tests.support.postgres` (a test that cannot have one is skipped
there, saying how to enable it). Several processes given the same database are replicas of one
service, as in production. `stored_jobs` reads a job database directly.
{%- else %}
a file in a temporary directory. `stored_jobs` reads a job database directly.
{%- endif %}
Under ``python -m tests`` every line the process writes also goes to the runner's capture
(`tests.support.capture`), so a failing test's report shows what its service processes logged.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
{%- if cookiecutter.job_store != "postgres" %}
import sqlite3
import tempfile
{%- endif %}
import threading
import unittest
from collections.abc import Iterator, Mapping
from types import TracebackType
{%- if cookiecutter.job_store == "postgres" %}

import psycopg
{%- endif %}

from tests.support._warm_start import warm_parent
from tests.support.capture import child_output
{%- if cookiecutter.job_store == "postgres" %}
from tests.support.postgres import new_database
{%- endif %}

{%- if cookiecutter.job_store == "postgres" %}

# The variable that gives the service its job database, and the store class that child set-up
# code patches (``from <STORE_MODULE> import <STORE_CLASS>``).
DATABASE_VARIABLE = "{{ cookiecutter.package_name | upper }}_DATABASE_URL"
STORE_MODULE, STORE_CLASS = "{{ cookiecutter.package_name }}.postgres_store", "PostgresJobStore"
{%- else %}

# The variable that gives the service its job database, and the store class that child set-up
# code patches (``from <STORE_MODULE> import <STORE_CLASS>``).
DATABASE_VARIABLE = "{{ cookiecutter.package_name | upper }}_JOBS_DATABASE"
STORE_MODULE, STORE_CLASS = "{{ cookiecutter.package_name }}.sqlite_store", "SqliteJobStore"
{%- endif %}


class ServiceProcess:
    """A running service process; use it as a context manager so it is always reaped."""

    def __init__(
        self,
        *args: str,
        env: Mapping[str, str | None] | None = None,
        setup_code: str | None = None,
        database: str | None = None,
    ) -> None:
        """Start the service with the command-line arguments `args`.

        `env` is added to this process's environment, where a None value removes the variable.
        `database` is the job database to use, another process's to share its jobs; by default
        the process has one of its own. Either way `self.database` names it. `setup_code`, if
        given, runs in the child before the service's main, for tests that change the service
        first (make it crash).
        """
        with contextlib.ExitStack() as resources:
            self.database = database or resources.enter_context(new_job_database())
            environment = {**os.environ, DATABASE_VARIABLE: self.database, **(env or {})}
            present = {name: value for name, value in environment.items() if value is not None}
            read_end, write_end = os.pipe()
            try:
                self.pid = warm_parent().spawn(args, present, setup_code, write_end)
            finally:
                os.close(write_end)
            # From here on the database goes when the process does (`__exit__`).
            self._resources = resources.pop_all()
        self._output = open(read_end, encoding="utf-8", errors="replace")  # noqa: SIM115
        self.log: list[str] = []
        self._captured = child_output(f"service pid {self.pid}")
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

    def wait_for_log(self, pattern: str, timeout: float = 5.0) -> re.Match[str]:
        """Wait until a log line matches `pattern`; fail if the process ends or time runs out."""
        expression = re.compile(pattern)
        for seen in self.log:
            if found := expression.search(seen):
                return found
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(self._explain(f"no log line matched {pattern!r}")) from None
            if line is None:
                raise AssertionError(self._explain(f"the process ended before {pattern!r}"))
            if found := expression.search(line):
                return found

    def send_signal(self, signum: signal.Signals) -> None:
        """Send `signum` to the service, unless it has exited."""
        warm_parent().send_signal(self.pid, signum)

    def wait(self, timeout: float = 5.0) -> int:
        """Wait for the process to exit and return its exit status."""
        status = warm_parent().exit_status(self.pid, timeout)
        if status is None:
            raise TimeoutError(self._explain(f"the process did not exit within {timeout} s"))
        self._reader.join(timeout)
        return status

    @property
    def output(self) -> str:
        """Everything the service has logged so far."""
        return "".join(self.log)

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.send_signal(signal.SIGKILL)
        self.wait()
        self._output.close()
        self._resources.close()

    def _read_log(self) -> None:
        for line in self._output:
            self.log.append(line)
            self._captured(line)
            self._lines.put(line)
        self._lines.put(None)

    def _explain(self, problem: str) -> str:
        return f"{problem}; the service logged:\n{self.output}"


def started_for_class(
    test_class: type[unittest.TestCase],
    *args: str,
    env: Mapping[str, str | None] | None = None,
    setup_code: str | None = None,
    database: str | None = None,
) -> ServiceProcess:
    """A `ServiceProcess` shared by a test class's tests, for its `setUpClass`.

    It is killed and reaped after the class, even when `setUpClass` fails after starting it.
    """
    process = ServiceProcess(*args, env=env, setup_code=setup_code, database=database)
    test_class.addClassCleanup(process.__exit__, None, None, None)
    return process


{% if cookiecutter.job_store == "postgres" -%}
def stored_jobs(database: str) -> dict[str, tuple[str, str, int]]:
    """Every job in a job database, by id: its name, status and number of attempts."""
    with psycopg.connect(database) as connection:
        rows = connection.execute("SELECT id, name, status, attempts FROM jobs").fetchall()
    return {str(job_id): (name, status, attempts) for job_id, name, status, attempts in rows}


@contextlib.contextmanager
def new_job_database() -> Iterator[str]:
    """A new, empty job database for service processes: its URL. It is dropped on exit."""
    with new_database() as url:
        yield url
{% else -%}
def stored_jobs(database: str) -> dict[str, tuple[str, str, int]]:
    """Every job in a job database, by id: its name, status and number of attempts."""
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute("SELECT id, name, status, attempts FROM jobs").fetchall()
    finally:
        connection.close()
    return {job_id: (name, status, attempts) for job_id, name, status, attempts in rows}


@contextlib.contextmanager
def new_job_database() -> Iterator[str]:
    """A new job database for service processes: its path. It is removed on exit."""
    with tempfile.TemporaryDirectory() as scratch:
        yield os.path.join(scratch, "jobs.sqlite3")
{% endif %}

# Start the warm parent as soon as an end-to-end test module is imported (at discovery), so that
# its imports run beside the tests that come first rather than in front of the first process.
warm_parent()
