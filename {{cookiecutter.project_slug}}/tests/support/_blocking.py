"""Blocking calls on the event loop's thread, found by the call itself rather than by a stopwatch.

While a callback sleeps, waits for a socket, a file or a child process, no other task runs. A
stopwatch around each callback sees that only when it lasts long enough, and cannot tell it
from a callback that waited for a CPU on a busy machine; so `BlockingCalls` listens for the
calls themselves, through the standard library's audit events (see `_audit`), and reports each
with the project's line that made it. It records and never raises, so the code under test runs
as it would have, and a `try`/`except` in it cannot hide the report.

A call counts when the test's loop is running on the calling thread and the call blocks:
`time.sleep` for a positive time, `connect` or `sendto` on a socket in blocking mode, a name
lookup, starting a process, opening a file by name, a synchronous HTTP client, `input()`. The
standard library's wrappers (`subprocess`, `pathlib`, `http.client`, ...) pass the blame to
their caller; a few parts of it that touch files of their own accord, once, and keep the result
(imports, `linecache` for tracebacks, `mimetypes`, `logging`'s handlers), and asyncio, which
starts subprocesses on the loop's thread by design, are not blamed; nor is this toolkit, nor
the tools that watch the run (coverage.py, which reads source files as it measures them,
pytest, a debugger).

Each line is reported once per test, with the number of calls made from it. Blocking calls
that make no audit event (a `recv` on a blocking socket, waiting for a `threading.Lock`) are
not seen here: a blocking `recv` follows a `connect` that is, and a lock wait usually follows
a thread the test started.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from tests.support import _audit
from tests.support._call_sites import (
    is_standard_library,
    is_toolkit,
    project_site,
    standard_library_package,
    third_party_package,
)
from tests.support._tasks import place

_SOCKET_CALLS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_NAME_LOOKUPS = frozenset(
    {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}
)
_PROCESS_STARTS = frozenset(
    {"subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn", "os.exec", "os.fork"}
)
_OTHER_CALLS = frozenset(
    {"time.sleep", "open", "sqlite3.connect", "http.client.connect", "urllib.Request"}
    | {"builtins.input"}
)
_EVENTS = _SOCKET_CALLS | _NAME_LOOKUPS | _PROCESS_STARTS | _OTHER_CALLS | {"import"}

_INSTEAD = {
    "time.sleep": "await asyncio.sleep() instead",
    "socket": "use the loop's socket methods (loop.sock_connect) or asyncio.open_connection",
    "lookup": "await loop.getaddrinfo() instead",
    "process": "use asyncio.create_subprocess_exec or asyncio.create_subprocess_shell",
}
_IN_A_THREAD = "run it in a thread: await asyncio.to_thread(...)"
# Standard-library packages that touch files on their own behalf, once, and keep the result.
_INCIDENTAL = frozenset(
    {"importlib", "linecache", "tokenize", "traceback", "inspect", "warnings", "logging"}
    | {"mimetypes", "locale", "gettext", "encodings", "zoneinfo", "sysconfig", "site"}
    | {"asyncio", "unittest", "concurrent", "threading", "selectors"}
)
# Tools that watch the test run (coverage, debuggers, pytest) and read files as they go.
_TEST_TOOLS = frozenset({"coverage", "pytest", "_pytest", "pluggy", "debugpy", "pydevd"})
# tempfile tries out the temporary directory by writing a file there, once per process.
_INCIDENTAL_FUNCTIONS = frozenset({"_get_default_tempdir"})
_IMPORT_MACHINERY = "<frozen importlib"
# Files the kernel answers from memory, at once: reading them never waits for a disk.
_KERNEL_FILES = ("/proc/", "/sys/", "/dev/null")


@dataclass
class _Report:
    call: str
    instead: str
    site: str
    count: int = 1

    def describe(self) -> str:
        times = f" ({self.count} calls from that line)" if self.count > 1 else ""
        return (
            f"A blocking call on the event loop's thread: {self.call} at {self.site}{times}; "
            f"no other task or callback runs until it returns: {self.instead}"
        )


class BlockingCalls:
    """The blocking calls made on `loop`'s thread while it runs; see the module docstring.

    Also notes when the loop's thread last began an import, in thread CPU time, so that the
    check for slow callbacks can leave out first-time work (`last_import_cpu_time`).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._reports: dict[str, _Report] = {}
        self.last_import_cpu_time = float("-inf")

    def start(self) -> None:
        """Begin listening."""
        _audit.listen(_EVENTS, self._on_event)

    def stop(self) -> list[str]:
        """Stop listening; describe each line that made blocking calls, once."""
        _audit.stop(self._on_event)
        return [report.describe() for report in self._reports.values()]

    def _on_event(self, event: str, args: tuple[Any, ...]) -> None:
        if asyncio._get_running_loop() is not self._loop:
            return
        frame = sys._getframe(2)
        if event == "import" or frame.f_code.co_filename.startswith(_IMPORT_MACHINERY):
            # `import` raises its event; importlib.import_module only opens the module's file.
            self.last_import_cpu_time = time.thread_time()
            return
        call = _blocking_call(event, args)
        if call is None:
            return
        site = _culprit(frame)
        if site is None:
            return
        if site in self._reports:
            self._reports[site].count += 1
        else:
            self._reports[site] = _Report(call, _advice(event), site)


def _blocking_call(event: str, args: tuple[Any, ...]) -> str | None:
    """How to name the call that raised `event`, or None if it does not block."""
    blocks = True
    if event == "time.sleep":
        blocks = args[0] > 0
    elif event in _SOCKET_CALLS:
        blocks = args[0].gettimeout() != 0.0
        return f"{event}({args[1]!r}) on a socket in blocking mode" if blocks else None
    elif event == "open":
        blocks = not isinstance(args[0], int) and not os.fsdecode(args[0]).startswith(_KERNEL_FILES)
    elif event in _NAME_LOOKUPS:
        return f"{event}({', '.join(repr(arg) for arg in args[:2])})"
    if not blocks:
        return None
    if event in {"time.sleep", "open"}:
        return f"{event}({args[0]!r})"
    return f"{event}({args[0]!r}, ...)" if args else f"{event}()"


def _advice(event: str) -> str:
    if event in _SOCKET_CALLS:
        return _INSTEAD["socket"]
    if event in _NAME_LOOKUPS:
        return _INSTEAD["lookup"]
    if event in _PROCESS_STARTS:
        return _INSTEAD["process"]
    return _INSTEAD.get(event, _IN_A_THREAD)


def _culprit(frame: FrameType | None) -> str | None:
    """The line to blame for a call whose innermost Python frame is `frame`, or None if none.

    Standard-library wrappers pass the blame outward; an incidental part of the standard
    library, or this toolkit, takes it and is excused; anything else is blamed, at the
    project's line that led there (or its own line, if no project line is on the stack).
    """
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if code in _audit.SHIM_CODES:
            frame = frame.f_back
            continue
        if is_toolkit(filename) or third_party_package(filename) in _TEST_TOOLS:
            return None
        if not is_standard_library(filename):
            return project_site(frame) or f"{place(filename, frame.f_lineno)} in {code.co_name}"
        if (
            standard_library_package(filename) in _INCIDENTAL
            or code.co_name in _INCIDENTAL_FUNCTIONS
        ):
            return None
        frame = frame.f_back
    return None
