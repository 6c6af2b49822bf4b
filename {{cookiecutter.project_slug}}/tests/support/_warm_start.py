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

from tests.support._resources import outlives_the_test

_PARENT = r"""
import json, os, select, signal, socket, sys, traceback
import {{ cookiecutter.package_name }}.service
{%- if cookiecutter.web_framework != "none" %}
import {{ cookiecutter.package_name }}.web
{%- endif %}
from {{ cookiecutter.package_name }}.__main__ import main


def run_child(request, output):
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.close(stdin)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["{{ cookiecutter.project_slug }}", *request["argv"]]
    status = 1
    try:
        if request["setup_code"]:
            exec(compile(request["setup_code"], "<setup_code>", "exec"), {"__name__": "setup"})
        status = main(request["argv"])
    except SystemExit as exit:
        status = 0 if exit.code is None else exit.code if isinstance(exit.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def receive(channel):
    # A request is a 4-byte length, then that many bytes of JSON; a spawn request's pipe comes
    # with its first bytes. Read exactly one request: the next may already be in the socket.
    header, fds, _, _ = socket.recv_fds(channel, 4, 1)
    rest = read_exactly(channel, 4 - len(header)) if header else None
    body = None if rest is None else read_exactly(channel, int.from_bytes(header + rest, "big"))
    if body is None:
        return None, None
    return json.loads(body), fds[0] if fds else None


def read_exactly(channel, size):
    data = b""
    while len(data) < size:
        chunk = channel.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def answer(channel, **message):
    channel.sendall(json.dumps(message).encode() + b"\n")


def reap(channel, children):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        answer(channel, exited=pid, status=os.waitstatus_to_exitcode(status))


channel = socket.socket(fileno=int(sys.argv[1]))
children = set()
wake_read, wake_write = os.pipe()
os.set_blocking(wake_write, False)
signal.set_wakeup_fd(wake_write)
signal.signal(signal.SIGCHLD, lambda signum, frame: None)
signal.signal(signal.SIGINT, signal.SIG_IGN)
try:
    while True:
        readable, _, _ = select.select([channel, wake_read], [], [])
        if wake_read in readable:
            os.read(wake_read, 4096)
            reap(channel, children)
        if channel in readable:
            request, output = receive(channel)
            if request is None:
                break
            if "signal" in request:
                # Only a child not yet reaped is signalled: its pid cannot be another's now.
                if request["pid"] in children:
                    os.kill(request["pid"], request["signal"])
                continue
            pid = os.fork()
            if pid == 0:
                channel.close()
                os.close(wake_read)
                os.close(wake_write)
                run_child(request, output)
            os.close(output)
            children.add(pid)
            answer(channel, started=pid)
finally:
    # However this parent ends, no service it started outlives it.
    for pid in children:
        os.kill(pid, signal.SIGKILL)
"""


class _WarmParent:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-c", _PARENT, str(theirs.fileno())],
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
