"""The service as a child process, started the way production starts it, for end-to-end tests.

`ServiceProcess` runs ``python -m {{ cookiecutter.package_name }}`` (or a few lines of Python that set the
service up first), reads its log as it is written, and lets a test wait for a log line, send a
signal and collect the exit status. A background thread drains the child's output so that it
never blocks on a full pipe; `wait_for_log` never waits longer than its timeout.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from types import TracebackType

PACKAGE = "{{ cookiecutter.package_name }}"


class ServiceProcess:
    """A running service process; use it as a context manager so it is always reaped."""

    def __init__(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        setup_code: str | None = None,
    ) -> None:
        """Start the service with the command-line arguments `args`.

        `env` is added to this process's environment. `setup_code`, if given, runs in the child
        before the service's main, for tests that change the service first (make it crash).
        """
        if setup_code is None:
            command = [sys.executable, "-m", PACKAGE, *args]
        else:
            run_main = f"from {PACKAGE}.__main__ import main\nraise SystemExit(main())"
            command = [sys.executable, "-c", f"{setup_code}\n{run_main}", *args]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.log: list[str] = []
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
        """Send `signum` to the service."""
        self._process.send_signal(signum)

    def wait(self, timeout: float = 5.0) -> int:
        """Wait for the process to exit and return its exit status."""
        status = self._process.wait(timeout)
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
        if self._process.poll() is None:
            self._process.kill()
        self.wait()
        assert self._process.stderr is not None
        self._process.stderr.close()

    def _read_log(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self.log.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _explain(self, problem: str) -> str:
        return f"{problem}; the service logged:\n{self.output}"
