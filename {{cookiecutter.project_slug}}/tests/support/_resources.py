"""Where a test opened each socket, file, transport and subprocess: the sites its report names.

asyncio reports an unclosed transport only when the garbage collector finalizes it, and then
without the line that opened it; a subprocess still running at the end of a test is not
reported at all on Python 3.11; and a socket the test keeps on `self` is never finalized while
the test runs. `OpenedResources` remembers, for one test, where each of these was made:

- the loop's public methods that start servers and open connections, pipes and subprocesses
  are wrapped, so a transport is named by the line that asked for it, not by asyncio's
  internals;
- sockets and files are seen as they are created, through the standard library's audit events
  (`socket.__new__`, `open`), from any thread and from C code alike.

At the end, `left_running()` kills and reaps the subprocesses still running, and `site_of()`
gives `_leftovers` the line to name for whatever else is still open.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import socket
import sys
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from tests.support import _audit
from tests.support._call_sites import is_toolkit, project_site

# The loop methods whose result is a server, or starts with a transport.
_SERVERS = ("create_server", "create_unix_server")
_OPENERS = (
    *_SERVERS,
    "create_connection",
    "create_unix_connection",
    "connect_accepted_socket",
    "create_datagram_endpoint",
    "connect_read_pipe",
    "connect_write_pipe",
    "subprocess_exec",
    "subprocess_shell",
)
_EVENTS = frozenset({"socket.__new__", "open"})
_REAP_TIMEOUT_S = 2.0
UNKNOWN_SITE = "an unknown place (no line of the project's code was on the stack)"

_outliving: weakref.WeakSet[object] = weakref.WeakSet()


def outlives_the_test(resource: object) -> None:
    """Exempt `resource` (a socket or file the toolkit keeps for the whole run) from the check."""
    _outliving.add(resource)


def outliving_resources() -> list[object]:
    """Everything exempted by `outlives_the_test` that still exists."""
    return list(_outliving)


class OpenedResources:
    """Where one test opened what it opened through `loop`, or anywhere; see the docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transports: list[tuple[weakref.ref[object], str]] = []
        self._subprocesses: list[tuple[weakref.ref[asyncio.SubprocessTransport], str]] = []
        self._sockets: list[tuple[weakref.ref[socket.socket], str]] = []
        self._files: dict[str | int, str] = {}
        for name in _OPENERS:
            if hasattr(loop, name):
                setattr(loop, name, self._recording(getattr(loop, name)))
        _audit.listen(_EVENTS, self._on_event)

    def stop(self) -> None:
        """Give the loop back its own methods; stop watching sockets and files."""
        _audit.stop(self._on_event)
        for name in _OPENERS:
            self._loop.__dict__.pop(name, None)

    def left_running(self) -> list[str]:
        """Describe each subprocess the test left running, then kill and reap it."""
        found = []
        for reference, site in self._subprocesses:
            transport = reference()
            if transport is None or transport.is_closing():
                continue
            found.append(f"A subprocess was left running: {transport!r}, started at {site}")
            self._kill(transport)
        self._subprocesses.clear()
        return found

    def site_of(self, resource: object) -> str | None:
        """Where the test made `resource`: a server, transport, socket, or a file by its name."""
        for reference, site in self._transports:
            if reference() is resource:
                return site
        if isinstance(resource, socket.socket):
            for socket_reference, site in self._sockets:
                if socket_reference() is resource:
                    return site
            return None
        name = getattr(resource, "name", None)
        return self._files.get(name) if isinstance(name, str | int) else None

    def sockets(self) -> list[tuple[socket.socket, str]]:
        """The sockets the test made that still exist, each with its site."""
        alive = [(reference(), site) for reference, site in self._sockets]
        return [(sock, site) for sock, site in alive if sock is not None]

    def where_made(
        self, resource: object, sockets: Sequence[socket.socket], verb: str = "opened"
    ) -> str:
        """Where `resource`, built on `sockets`, was made, as a report says it: `opened at
        file:line in function`, or for a connection a server accepted (which asyncio made in a
        callback of its own), the line that started the server."""
        server = getattr(resource, "_server", None)
        server_site = self.site_of(server) if server is not None else None
        site = self.site_of(resource)
        for sock in sockets:
            if site in {None, UNKNOWN_SITE}:
                site = self.site_of(sock)
            if site in {None, UNKNOWN_SITE} and server_site is None:
                server_site = self._listener_site(sock)
        if server_site is not None:
            return f"accepted by the server started at {server_site}"
        return f"{verb} at {site or UNKNOWN_SITE}"

    def where_named_in(self, text: str) -> str | None:
        """Where the resource that `text` (a warning naming its `fd=N`) was made, if known."""
        named = re.search(r"\bfd=(\d+)\b", text)
        if named is None:
            return None
        fd = int(named[1])
        for reference, _ in self._transports:
            transport = reference()
            if isinstance(transport, asyncio.BaseTransport):
                sock = transport.get_extra_info("socket")
                if sock is not None and sock.fileno() == fd:
                    return self.where_made(transport, [])
        for sock, _ in self.sockets():
            if sock.fileno() == fd:
                return self.where_made(sock, [sock])
        return None

    def _listener_site(self, accepted: socket.socket) -> str | None:
        """The site of the listening socket that `accepted` came from, matched by address."""
        try:
            local = accepted.getsockname()
            accepted.getpeername()
        except OSError:
            return None  # not a connection
        for sock, site in self.sockets():
            if sock is accepted or site == UNKNOWN_SITE:
                continue
            with contextlib.suppress(OSError):
                listens = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
                if listens and _same_address(sock.getsockname(), local):
                    return site
        return None

    def _on_event(self, event: str, args: tuple[Any, ...]) -> None:
        frame = sys._getframe(2)
        if frame.f_code.co_filename.startswith("<frozen ") or is_toolkit(frame.f_code.co_filename):
            return  # an import, or the toolkit's own look at a socket
        site = project_site(frame) or UNKNOWN_SITE
        if event == "socket.__new__":
            self._sockets.append((weakref.ref(args[0]), site))
        elif isinstance(args[0], str | int):
            self._files[args[0]] = site

    def _recording(self, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        async def opener(*args: Any, **kwargs: Any) -> Any:
            site = project_site(sys._getframe(1)) or UNKNOWN_SITE
            result = await method(*args, **kwargs)
            made = result if method.__name__ in _SERVERS else result[0]
            if isinstance(made, asyncio.SubprocessTransport):
                self._subprocesses.append((weakref.ref(made), site))
            else:
                self._transports.append((weakref.ref(made), site))
            return result

        return opener

    def _kill(self, transport: asyncio.SubprocessTransport) -> None:
        transport.close()
        if transport.get_returncode() is None and not self._loop.is_running():
            # Reap it here, so no "loop is closed" complaint comes from the child watcher later.
            self._loop.run_until_complete(_exited(transport))


def _same_address(listening: object, local: object) -> bool:
    """Whether a connection whose own end is `local` may have come from a socket listening
    on `listening` (an IP address and port, the wildcard address included, or a path)."""
    if isinstance(listening, tuple) and isinstance(local, tuple):
        any_address = listening[0] in {"0.0.0.0", "::"}
        return listening[1] == local[1] and (any_address or listening[0] == local[0])
    return listening == local


async def _exited(transport: asyncio.SubprocessTransport) -> None:
    async with asyncio.timeout(_REAP_TIMEOUT_S):
        # A transport offers no way to await its process's exit but asking again.
        while transport.get_returncode() is None:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
