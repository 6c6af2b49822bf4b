"""The warm parent: a process that has imported the service once and forks it on request.

`_warm_start` starts this file as a script (``python -P _warm_parent.py FD``), never imports
it: a script run by path imports nothing of the test toolkit, and ``-P`` keeps its own
directory, where the toolkit's modules live, off ``sys.path``, so that the service and its
dependencies import exactly what they import in production. FD is this end of a Unix socket
whose other end is the tests' `_WarmParent`.

The protocol on that socket, one request at a time from the tests: a 4-byte length, then that
many bytes of JSON. A spawn request, ``{"argv", "env", "setup_code"}``, carries with its first
bytes (``SCM_RIGHTS``) the write end of a pipe that becomes the child's standard output and
error; the answer is ``{"started": pid}``. A signal request, ``{"pid", "signal"}``, signals a
child not yet reaped and gets no answer. Each child that exits is reported, whenever that
happens, as ``{"exited": pid, "status": status}``, the status as `subprocess` gives it (negative
for a signal). Answers are JSON lines. When the tests close their end, the parent exits and
kills whatever children are left.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import sys
import traceback
from typing import Any

from {{ cookiecutter.package_name }}.__main__ import main as service_main

# Imported once here, so that no child spends its first milliseconds on it: what the command
# line imports only once it runs the service{% if cookiecutter.web_framework != "none" %} (the web app imports the service){% endif %}.
{%- if cookiecutter.web_framework != "none" %}
_PRELOADED = "{{ cookiecutter.package_name }}.web"
{%- else %}
_PRELOADED = "{{ cookiecutter.package_name }}.service"
{%- endif %}

_Request = dict[str, Any]


def main(channel_fd: int) -> None:
    """Serve the tests' requests on the socket `channel_fd` until they close it."""
    importlib.import_module(_PRELOADED)
    channel = socket.socket(fileno=channel_fd)
    children: set[int] = set()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    # SIGCHLD only wakes the select below, through the wake-up pipe; reaping happens there.
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    # Ctrl-C in the terminal reaches the whole process group: the tests decide what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watched: list[socket.socket | int] = [channel, wake_read]
    try:
        while True:
            readable, _, _ = select.select(watched, [], [])
            if wake_read in readable:
                os.read(wake_read, 4096)
                _reap(channel, children)
            if channel not in readable:
                continue
            request, output = _receive(channel)
            if request is None:
                break
            if "signal" in request:
                # Only a child not yet reaped is signalled: its pid cannot be another's now.
                if request["pid"] in children:
                    os.kill(request["pid"], request["signal"])
                continue
            assert output is not None, "a spawn request comes with its output pipe"
            pid = os.fork()
            if pid == 0:
                channel.close()
                os.close(wake_read)
                os.close(wake_write)
                _run_child(request, output)
            os.close(output)
            children.add(pid)
            _answer(channel, started=pid)
    finally:
        # However this parent ends, no service it started outlives it.
        for pid in children:
            os.kill(pid, signal.SIGKILL)


def _run_child(request: _Request, output: int) -> None:
    """Become the service the request describes; never return."""
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
        status = service_main(request["argv"])
    except SystemExit as exit_request:
        code = exit_request.code
        status = 0 if code is None else code if isinstance(code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _receive(channel: socket.socket) -> tuple[_Request | None, int | None]:
    """The next request and the descriptor that came with it; (None, None) once closed."""
    # Read exactly one request: the next may already be in the socket.
    header, fds, _, _ = socket.recv_fds(channel, 4, 1)
    rest = _read_exactly(channel, 4 - len(header)) if header else None
    body = None if rest is None else _read_exactly(channel, int.from_bytes(header + rest, "big"))
    if body is None:
        return None, None
    request: _Request = json.loads(body)
    return request, fds[0] if fds else None


def _read_exactly(channel: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = channel.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _answer(channel: socket.socket, **message: int) -> None:
    channel.sendall(json.dumps(message).encode() + b"\n")


def _reap(channel: socket.socket, children: set[int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        _answer(channel, exited=pid, status=os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main(int(sys.argv[1]))
