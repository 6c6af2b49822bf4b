"""Finding work outside the event loop that may still deliver: threads and outside peers.

Virtual time may jump only when nothing but a timer can wake the loop. Besides the executor
jobs and subprocesses a loop starts itself, two kinds of work run where the loop cannot see:

- threads: a `threading.Thread` the test started, or a pool worker it submitted to, may call
  `loop.call_soon_threadsafe()` or resolve a `concurrent.futures.Future` at any moment;
- outside peers: a socket whose peer is not another socket of this loop (a database, a broker,
  a server in a thread or another process), or a pipe whose other end this loop does not hold,
  may deliver data at any moment.

`OutsideWork` tells them apart from what cannot deliver: threads that were already running when
the loop was made (the test runner's), pool workers that are idle between jobs, listening
sockets, and connections whose both ends this loop serves.
"""

from __future__ import annotations

import collections
import concurrent.futures.thread
import os
import selectors
import socket
import stat
import sys
import threading
from typing import Any

from tests.support import _audit

_IDLE_POOL_WORKER = concurrent.futures.thread._worker.__code__
# From 3.12, `threading` starts every thread through one of these (the second from 3.13 on),
# raising its audit event; on 3.11, which raises none, threads are counted at every wait.
_THREAD_START_EVENTS = frozenset({"_thread.start_new_thread", "_thread.start_joinable_thread"})
_THREAD_STARTS_ARE_HEARD = sys.version_info >= (3, 12)
_thread_starts = 0


def _count_thread_start(event: str, args: tuple[Any, ...]) -> None:
    global _thread_starts  # noqa: PLW0603 -- one count for the process, read by every loop
    _thread_starts += 1


_audit.listen(_THREAD_START_EVENTS, _count_thread_start)


class OutsideWork:
    """What outside this loop may still wake it; see the module docstring."""

    def __init__(self, selector: selectors.BaseSelector, own_fds: set[int]) -> None:
        self._selector = selector
        self._own_fds = own_fds
        self._threads_before = set(threading.enumerate())
        # A new thread shows in the count first; a full look is cheap, but not free per wait.
        self._thread_count_before = len(self._threads_before)
        self._thread_starts_before = _thread_starts

    def describe(self) -> list[str]:
        """One phrase per piece of outside work that may still deliver, e.g. `thread 'worker'`."""
        # Counting threads takes a lock (and, from 3.14, Python code) at every idle moment;
        # until a thread starts after the loop was made, there is none to count.
        threads_started = (
            _thread_starts != self._thread_starts_before or not _THREAD_STARTS_ARE_HEARD
        ) and threading.active_count() > self._thread_count_before
        peers_registered = len(self._selector.get_map()) > len(self._own_fds)
        if not (threads_started or peers_registered):
            return []
        return self.working_threads() + self.outside_peers()

    def working_threads(self) -> list[str]:
        """The threads started since the loop was made that are alive and not idle pool workers."""
        if threading.active_count() <= self._thread_count_before:
            return []
        started = [t for t in threading.enumerate() if t not in self._threads_before]
        if not started:
            return []
        frames = sys._current_frames()
        working = []
        for thread in started:
            frame = frames.get(thread.ident) if thread.ident is not None else None
            if frame is not None and frame.f_code is not _IDLE_POOL_WORKER:
                working.append(f"thread {thread.name!r}")
        return working

    def outside_peers(self) -> list[str]:
        """The connections registered with the loop whose other end this loop does not serve."""
        registered = self._selector.get_map()
        if len(registered) <= len(self._own_fds):
            return []
        fds = [key.fd for key in registered.values() if key.fd not in self._own_fds]
        if not fds:
            return []
        ends = [_end(fd) for fd in fds]
        held = collections.Counter(end.local for end in ends if end.local is not None)
        outside = []
        for end in ends:
            if end.remote is None:
                continue
            if end.remote == end.local:
                served_here = held[end.remote] >= 2
            else:
                served_here = held[end.remote] >= 1
            if not served_here:
                outside.append(end.describe())
        return outside


class _End:
    """One file descriptor's place in a connection: its own address and its peer's."""

    def __init__(self, fd: int, kind: str, local: Any, remote: Any) -> None:
        self.fd = fd
        self.kind = kind
        self.local = local
        self.remote = remote

    def describe(self) -> str:
        if self.kind == "socket":
            peer = self.remote or "an unnamed socket"
            return f"a socket (fd {self.fd}) connected to {peer}, not served by this loop"
        return f"a {self.kind} (fd {self.fd}) whose other end this loop does not hold"


def _end(fd: int) -> _End:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return _End(fd, "closed", None, None)
    if stat.S_ISSOCK(mode):
        sock = socket.socket(fileno=fd)
        try:
            local = _address(sock.getsockname())
            try:
                remote = _address(sock.getpeername())
            except OSError:
                # Listening and unconnected datagram sockets wait passively: nothing under way.
                remote = None
        finally:
            sock.detach()
        return _End(fd, "socket", local, remote)
    if stat.S_ISFIFO(mode):
        # Both ends of a pipe share one inode: the pipe is this loop's own if it holds both.
        inode = (os.fstat(fd).st_dev, os.fstat(fd).st_ino)
        return _End(fd, "pipe", inode, inode)
    return _End(fd, "file", None, str(fd))


def _address(address: Any) -> Any:
    return tuple(address) if isinstance(address, list) else address
