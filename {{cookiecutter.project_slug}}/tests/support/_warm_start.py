"""Service processes that start in milliseconds: forked from a parent that imported the service.

A new interpreter spends a few hundred milliseconds importing the service and its dependencies
before it runs a line of it, and an end-to-end suite that starts twenty processes would spend
most of its time there. `spawn` instead asks a *warm parent*, one ``python`` process per test
run that has imported the service once, to fork a child. The child is a process like any other,
with its own pid, signals, file descriptors and exit status, and it runs the same `main()` as
the ``{{ cookiecutter.project_slug }}`` command; only the imports are inherited, not repeated.

The warm parent starts on first use, without the test runner's development-mode and warning
flags, so each service runs as it does in production. It talks to the tests over a Unix socket:
a request carries the child's arguments, environment and set-up code, plus the write end of a
pipe (passed with ``SCM_RIGHTS``) that becomes the child's standard output and error; the
parent answers with the child's pid, and later with its exit status, negative when a signal
ended it, as `subprocess` reports it. (`multiprocessing`'s forkserver forks from a warm parent
too, but passes the runner's flags on and cannot give the child the test's pipe.)

The parent's own side of that protocol is `_warm_parent`, a script this module starts; this
module is the tests' side.
"""

from __future__ import annotations

import atexit
import json
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support._resources import outlives_the_test

# The parent's program: a script, run by path and with -P, for the reasons its docstring gives.
_PARENT = Path(__file__).with_name("_warm_parent.py")


class _WarmParent:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-P", _PARENT, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        theirs.close()
        self._channel = ours
        outlives_the_test(ours)
        self._requests = threading.Lock()
        self._started: queue.Queue[int] = queue.Queue()
        self._exits: dict[int, int] = {}
        self._exited = threading.Condition()
        threading.Thread(target=self._listen, name="warm-parent", daemon=True).start()

    def spawn(
        self, argv: Sequence[str], env: Mapping[str, str], setup_code: str | None, output: int
    ) -> int:
        request = {"argv": list(argv), "env": dict(env), "setup_code": setup_code}
        with self._requests:
            self._send(request, [output])
            return self._started.get(timeout=10)

    def send_signal(self, pid: int, signum: int) -> None:
        """Signal the child `pid`, unless it has exited: its pid may be another process's now."""
        with self._requests:
            self._send({"pid": pid, "signal": signum}, [])

    def exit_status(self, pid: int, timeout: float | None) -> int | None:
        """The child's exit status once it has exited; None if `timeout` passes first."""
        with self._exited:
            self._exited.wait_for(lambda: pid in self._exits, timeout)
            return self._exits.get(pid)

    def _send(self, request: Mapping[str, object], fds: list[int]) -> None:
        body = json.dumps(request).encode()
        socket.send_fds(self._channel, [len(body).to_bytes(4, "big") + body], fds)

    def close(self) -> None:
        self._channel.shutdown(socket.SHUT_WR)
        self._process.wait(timeout=10)
        self._channel.close()

    def _listen(self) -> None:
        with self._channel.makefile("rb") as messages:
            for line in messages:
                message = json.loads(line)
                if "started" in message:
                    self._started.put(message["started"])
                    continue
                with self._exited:
                    self._exits[message["exited"]] = message["status"]
                    self._exited.notify_all()


_parent: _WarmParent | None = None
_parent_lock = threading.Lock()


def warm_parent() -> _WarmParent:
    """The warm parent of this test run, started on first use and stopped at exit."""
    global _parent  # noqa: PLW0603 -- one warm parent per test run
    with _parent_lock:
        if _parent is None:
            _parent = _WarmParent()
            atexit.register(_parent.close)
        return _parent
