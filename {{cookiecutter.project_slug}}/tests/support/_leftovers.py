"""What a test still holds open after its cleanups, found by file descriptor, one report each.

A socket, file, server or transport that the test keeps alive (on `self`, in a module-level
cache) is never finalized while the test runs, so asyncio's and the socket module's warnings,
which come from finalizers, never name it; it warns later, outside any test, or never. And one
mistake holds several objects open at once: a connection is a transport, a socket and perhaps a
stream writer; an event loop is a selector and a pair of sockets. So the check goes by what the
operating system sees, file descriptors:

1. `Leftovers(opened)` notes the descriptors open when the test starts;
2. `find()`, after the cleanups, takes those open now that were not then (on a system that
   cannot list them, every descriptor of an object the test made), finds the objects the test
   made that hold them (`gc.freeze()` at the start put every older object out of the
   collector's view), and gives each descriptor to the most telling holder: an event loop,
   then a server, a transport, a socket, a file;
3. each holder is described once, with the line that made it (a connection a server accepted
   is named by the line that started the server), and closed, so it warns nowhere else.

Objects exempted with `outlives_the_test` (the toolkit's warm parent) keep their descriptors.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import os
import socket
from dataclasses import dataclass

from tests.support._resources import OpenedResources, outliving_resources

_FD_DIRECTORIES = ("/proc/self/fd", "/dev/fd")


@dataclass(frozen=True)
class _Holder:
    rank: int
    kind: str
    resource: object
    fds: frozenset[int]
    closing: bool


class Leftovers:
    """The resources one test leaves open; see the module docstring."""

    def __init__(self, opened: OpenedResources, loop: asyncio.AbstractEventLoop) -> None:
        self._opened = opened
        self._loop = loop
        self._fds_before = _open_fds()

    def find(self) -> list[str]:
        """Describe and close each resource still open that the test made."""
        fds_now = _open_fds()
        if self._fds_before is not None and fds_now is not None:
            new_fds = fds_now - self._fds_before
            if not new_fds:
                return []
        else:
            new_fds = None
        exempt = {fd for resource in outliving_resources() for fd in _fds_of(resource)}
        holders = sorted(self._holders(), key=lambda holder: holder.rank)
        claimed: set[int] = set(exempt)
        found = []
        for holder in holders:
            fds = holder.fds if new_fds is None else holder.fds & new_fds
            if not fds - claimed:
                continue
            claimed |= fds
            if not holder.closing:
                found.append(
                    f"{holder.kind} was still open after the test's cleanups: "
                    f"{holder.resource!r}, {self._where(holder)}; it is closed now"
                )
                _close(holder.resource)
        return found

    def _holders(self) -> list[_Holder]:
        holders = []
        for resource in gc.get_objects():
            if resource is self._loop:
                continue
            holder = _holder(resource)
            if holder is not None and holder.fds:
                holders.append(holder)
        return holders

    def _where(self, holder: _Holder) -> str:
        verb = "created" if holder.rank == 0 else "opened"
        return self._opened.where_made(holder.resource, _sockets_of(holder.resource), verb)


def _holder(resource: object) -> _Holder | None:
    """`resource` as a holder of descriptors, if it is one of the kinds that hold them."""
    if isinstance(resource, asyncio.AbstractEventLoop):
        rank, kind, closing = 0, "An event loop", resource.is_closed()
    elif isinstance(resource, asyncio.base_events.Server):
        rank, kind, closing = 1, "A server", not resource.sockets
    elif isinstance(resource, asyncio.SubprocessTransport):
        # OpenedResources.left_running() reports it; its pipes are its own.
        rank, kind, closing = 2, "A subprocess", True
    elif isinstance(resource, asyncio.BaseTransport):
        rank, kind, closing = 2, "A transport", resource.is_closing()
    elif isinstance(resource, socket.socket):
        rank, kind, closing = 3, "A socket", False
    elif isinstance(resource, io.IOBase) and not resource.closed:
        # The outermost layer of a file is the one the test holds: text, buffer, then raw.
        layer = 0 if isinstance(resource, io.TextIOBase) else 1 + isinstance(resource, io.RawIOBase)
        rank, kind, closing = 4 + layer, "A file", False
    else:
        return None
    return _Holder(rank, kind, resource, _fds_of(resource), closing)


def _open_fds() -> set[int] | None:
    """The descriptors open in this process, or None where the system cannot list them."""
    for directory in _FD_DIRECTORIES:
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        # The listing's own descriptor is among the names, and closed by now.
        return {int(name) for name in names if _is_open(int(name))}
    return None


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _sockets_of(resource: object) -> list[socket.socket]:
    """The sockets `resource` is built on, as the test made them."""
    if isinstance(resource, socket.socket):
        return [resource]
    if isinstance(resource, asyncio.base_events.Server):
        return list(resource._sockets or ())  # type: ignore[attr-defined]
    inner = getattr(
        resource, "_ssock" if isinstance(resource, asyncio.BaseEventLoop) else "_sock", None
    )
    return [inner] if isinstance(inner, socket.socket) else []


def _fds_of(resource: object) -> frozenset[int]:
    """The descriptors `resource` holds open (none once it is closed)."""
    parts: list[object] = list(_sockets_of(resource))
    if isinstance(resource, asyncio.BaseEventLoop):
        parts += [getattr(resource, "_selector", None), getattr(resource, "_csock", None)]
    elif isinstance(resource, asyncio.BaseTransport):
        parts += [resource.get_extra_info("pipe")]
    elif isinstance(resource, io.IOBase):
        parts.append(resource)
    fds = set()
    for part in parts:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            fds.add(part.fileno())  # type: ignore[attr-defined]
    return frozenset(fd for fd in fds if isinstance(fd, int) and fd >= 0)


def _close(resource: object) -> None:
    """Close `resource` now; a transport at once, without waiting to send what it holds."""
    if isinstance(resource, asyncio.AbstractEventLoop):
        if not resource.is_running():
            resource.close()
        return
    if isinstance(resource, asyncio.WriteTransport):
        try:
            resource.abort()
        except RuntimeError:
            # Its loop is closed already: close what the loop would have closed.
            for sock in _sockets_of(resource):
                sock.close()
        return
    close = getattr(resource, "close", None)
    if close is not None:
        close()
