"""Transports and subprocesses a test opened through its loop, each with the line that opened it.

asyncio reports an unclosed transport only when the garbage collector finalizes it, and then
without the line that opened it; a subprocess still running at the end of a test is not
reported at all on Python 3.11. `OpenedResources` wraps the loop's public methods that open
connections, pipes and subprocesses, for one test, and remembers what each returned and where
it was called from. At the end, `left_open()` names what is still open, closes it (a subprocess
is killed and reaped), and so the report comes once, on every Python version.
"""

from __future__ import annotations

import asyncio
import functools
import traceback
import weakref
from collections.abc import Callable
from typing import Any

from tests.support._tasks import is_library_file, place

# The loop methods whose result starts with a transport, and those that return a server.
_OPENERS = (
    "create_connection",
    "create_unix_connection",
    "connect_accepted_socket",
    "create_datagram_endpoint",
    "connect_read_pipe",
    "connect_write_pipe",
    "subprocess_exec",
    "subprocess_shell",
)
_REAP_TIMEOUT_S = 2.0


class OpenedResources:
    """What one test opened through `loop`; see the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._opened: list[tuple[weakref.ref[asyncio.BaseTransport], str]] = []
        self._fd_sites: dict[int, str] = {}
        for name in _OPENERS:
            if hasattr(loop, name):
                setattr(loop, name, self._recording(getattr(loop, name)))

    def stop(self) -> None:
        """Give the loop back its own methods."""
        for name in _OPENERS:
            self._loop.__dict__.pop(name, None)

    def left_open(self) -> list[str]:
        """Describe each transport or subprocess still open, then close it."""
        found = []
        for reference, site in self._opened:
            transport = reference()
            if transport is None or transport.is_closing():
                continue
            if isinstance(transport, asyncio.SubprocessTransport):
                found.append(f"A subprocess was left running: {transport!r}, started at {site}")
                self._kill(transport)
            else:
                found.append(
                    f"An unclosed transport was left open: {transport!r}, opened at {site}"
                )
                transport.close()
        self._opened.clear()
        return found

    def site_named_in(self, text: str) -> str | None:
        """Where the socket that `text` (a warning about it) names by `fd=N` was opened."""
        for fd, site in self._fd_sites.items():
            if f"fd={fd} " in text or f"fd={fd}>" in text:
                return site
        return None

    def _recording(self, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        async def opener(*args: Any, **kwargs: Any) -> Any:
            site = _caller_site()
            result = await method(*args, **kwargs)
            transport = result[0]
            self._opened.append((weakref.ref(transport), site))
            sock = transport.get_extra_info("socket")
            if sock is not None:
                self._fd_sites[sock.fileno()] = site
            return result

        return opener

    def _kill(self, transport: asyncio.SubprocessTransport) -> None:
        transport.close()
        if transport.get_returncode() is None and not self._loop.is_running():
            # Reap it here, so no "loop is closed" complaint comes from the child watcher later.
            self._loop.run_until_complete(_exited(transport))


async def _exited(transport: asyncio.SubprocessTransport) -> None:
    async with asyncio.timeout(_REAP_TIMEOUT_S):
        # A transport offers no way to await its process's exit but asking again.
        while transport.get_returncode() is None:  # noqa: ASYNC110
            await asyncio.sleep(0.005)


def _caller_site() -> str:
    for frame in reversed(traceback.extract_stack()):
        if not is_library_file(frame.filename):
            return f"{place(frame.filename, frame.lineno)} in {frame.name}"
    return "an unknown place (no line of the project's code was on the stack)"
