"""What each test logged, kept out of sight and shown with that test's failure report only.

A passing test should print nothing but its dot. The code under test logs all the same (a
service warns that a job was interrupted, asyncio reports an exception in a callback), and with
no handler configured, logging's last resort prints every warning to standard error, in among
the dots. The runner, ``python -m tests``, therefore opens one `Capture` for the whole run:

* A handler on the root logger keeps every record at INFO and above from every logger,
  asyncio's included, in the service's text format (time, level, logger name, message), with
  the message's further lines and an exception's traceback indented beneath it, so that each
  record starts a line of its own that begins with its time. INFO, not DEBUG: INFO is the
  service's story (ready, job started, job done, shutdown requested), which is what explains a
  failure, while DEBUG would add asyncio's debug-mode chatter (the selector of every test's
  loop, every socket it connects) to every report and cost each test the records.
* Each service process an end-to-end test starts (`tests.support.process`) hands every line it
  writes to `child_output`, which keeps it too, marked with the process's label.

What is kept belongs to the test running when it is written, and to no other: the runner calls
`text()` when a test fails or errors and appends it to the report, like pytest's "Captured log"
section, and calls `next_test()` once the test is over, which drops it. Records logged while no
test runs (a class's ``setUpClass``, the service process it shares) go with the test after them.

``python -m tests --show-logs`` opens the capture *live* instead: each line goes to standard
error as it is written, during passing tests too, and nothing is kept. Under pytest or
``python -m unittest`` no capture is open: records go wherever those runners send them, and a
child process's lines stay in its `ServiceProcess.log` only.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType

from {{ cookiecutter.package_name }}.logs import TEXT_FORMAT

LEVEL = logging.INFO


class Capture:
    """The root logger's records and the child processes' lines, kept for the running test.

    Use it as a context manager around the run; with ``live=True`` lines are written to
    standard error at once instead of kept.
    """

    def __init__(self, *, live: bool = False) -> None:
        self.live = live
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._handler = _KeepingHandler(self)
        self._outer_level = logging.NOTSET

    def __enter__(self) -> Capture:
        global _open  # noqa: PLW0603 -- one capture per run, found by the processes it serves
        if _open is not None:
            raise RuntimeError("a capture is open already; close it before opening another")
        root = logging.getLogger()
        self._outer_level = root.level
        root.setLevel(min(root.level, LEVEL))
        root.addHandler(self._handler)
        _open = self
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        global _open  # noqa: PLW0603 -- see __enter__
        _open = None
        root = logging.getLogger()
        root.removeHandler(self._handler)
        root.setLevel(self._outer_level)

    def add(self, line: str) -> None:
        """Keep `line` for the running test, or write it out now if the capture is live."""
        with self._lock:
            if self.live:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()
            else:
                self._lines.append(line)

    def text(self) -> str:
        """Everything kept for the running test, one line each; empty if nothing was."""
        with self._lock:
            return "".join(line + "\n" for line in self._lines)

    def next_test(self) -> None:
        """Drop what the test that just ended left, so that the next one starts empty."""
        with self._lock:
            self._lines = []


_open: Capture | None = None


def opened() -> Capture | None:
    """The capture the runner has open, or None (under pytest, say)."""
    return _open


def child_output(label: str) -> Callable[[str], None]:
    """Where a child process's lines go: into the open capture under `label`, or nowhere."""
    capture = _open
    if capture is None:
        return _discard

    def add(line: str) -> None:
        capture.add(f"[{label}] " + line.rstrip("\n"))

    return add


def _discard(line: str) -> None:
    """Outside the runner a child's lines stay in its `ServiceProcess.log` alone."""


class _KeepingHandler(logging.Handler):
    def __init__(self, capture: Capture) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter(TEXT_FORMAT))
        self._capture = capture

    def emit(self, record: logging.LogRecord) -> None:
        # Formatted now, not when a test fails: the objects a record names may change later.
        try:
            text = self.format(record)
        except Exception:  # logging's convention: report it on stderr, never raise
            self.handleError(record)
        else:
            self._capture.add("\n    ".join(text.splitlines()))
