"""Finding work outside the event loop that may still deliver: threads and outside peers.

Virtual time may jump only when nothing but a timer can wake the loop. Besides the executor
jobs and subprocesses a loop starts itself, two kinds of work run where the loop cannot see:

- threads: a `threading.Thread` the test started, or a pool worker it submitted to, may call
  `loop.call_soon_threadsafe()` or resolve a `concurrent.futures.Future` at any moment;
- outside peers: a socket whose peer is not another socket of this loop (a database, a broker,
  a server in a thread or another process), or a pipe whose other end this loop does not hold.

`OutsideWork` tells them apart from what cannot deliver: threads that were already running when
the loop was made (the test runner's), pool workers that are idle between jobs, listening
sockets, and connections whose both ends this loop serves.

An outside peer is working only while it owes the test an answer: from a write on the socket
until the socket next becomes readable. A database connection in a pool, or one that waits for
notifications, owes nothing, and time may jump over it. Writes are often made in C (libpq), out
of Python's sight, so the kernel tells: on Linux, `TCP_INFO` counts the bytes a TCP socket has
written (see INTERNALS.md), and the loop hands every batch of selector events to `heard_from()`
before handling them, which notes how much each outside TCP peer had been sent when it was last
heard from. A peer owes an answer while its connection is still being made, or while more has
been written than it was last heard after. The first time the loop sees a connection it knows
nothing of what came before, so whatever was written by then counts as owed until the peer is
next heard from; and data that came in before the last write went out (by the kernel's clock,
in milliseconds) answers nothing.

This reads an exchange at the level of bytes, not of a protocol's messages: the first part of
an answer that arrives in parts, or the first answer to requests sent back to back (pipelining),
counts as the answer to all that was written, and the rest gets one `io_grace` poll to arrive
before time moves on.
psycopg and asyncio streams read after a read event, which is what the rule relies on; when
psycopg reads without one (a zero-time poll while it sends in pipeline mode), the peer counts
as owing until its next read event, which errs towards waiting.

Where the kernel cannot tell (a system other than Linux, a kernel before 4.19, a Unix socket,
a pipe), an outside peer may deliver for as long as the loop watches it.
"""

from __future__ import annotations

import collections
import concurrent.futures.thread
import os
import selectors
import socket
import stat
import struct
import sys
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

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

# From Linux's `struct tcp_info` (linux/tcp.h), the fields read and their offsets: tcpi_state (0),
# tcpi_last_data_sent (44), tcpi_last_data_recv (52), tcpi_notsent_bytes (144), tcpi_bytes_sent
# (200) and tcpi_bytes_retrans (208), the last two from Linux 4.19. A shorter answer (an older
# kernel) reads as "cannot say".
_TCP_INFO = struct.Struct("=B43xI4xI88xI52xQQ")
_TCP_INFO_READABLE = sys.platform == "linux" and hasattr(socket, "TCP_INFO")
_TCP_SYN_SENT = 2
_TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class Survey(NamedTuple):
    """Outside work at one idle moment, one phrase each: what may deliver now, and quiet peers."""

    working: tuple[str, ...]
    quiet: tuple[str, ...]


_NO_OUTSIDE_WORK = Survey((), ())


class _TcpCounters(NamedTuple):
    connecting: bool
    # Every byte the application has written: sent once, or still waiting to be sent.
    written: int
    transmitted: int
    # Milliseconds since data last went out and since data last came in, by the kernel's clock.
    since_sent: int
    since_received: int


class _Exchange:
    """What one TCP socket has written, and how much of it its peer was last heard after."""

    __slots__ = ("heard_after", "inode")

    def __init__(self, inode: int) -> None:
        self.inode = inode
        # First seen: whatever it wrote before is still owed an answer, for all the loop knows.
        self.heard_after = 0


class OutsideWork:
    """What outside this loop may still wake it; see the module docstring."""

    def __init__(self, selector: selectors.BaseSelector, own_fds: set[int]) -> None:
        self._selector = selector
        self._own_fds = own_fds
        self._threads_before = set(threading.enumerate())
        # A new thread shows in the count first; a full look is cheap, but not free per wait.
        self._thread_count_before = len(self._threads_before)
        self._thread_starts_before = _thread_starts
        # Outside TCP peers seen so far, by descriptor; kept while a connection is not
        # registered, as a pooled database connection is between queries.
        self.exchanges: dict[int, _Exchange] = {}

    def survey(self) -> Survey:
        """The outside work that may deliver now, and the outside peers that owe no answer."""
        # Counting threads takes a lock (and, from 3.14, Python code) at every idle moment;
        # until a thread starts after the loop was made, there is none to count.
        threads_started = (
            _thread_starts != self._thread_starts_before or not _THREAD_STARTS_ARE_HEARD
        ) and threading.active_count() > self._thread_count_before
        peers_registered = len(self._selector.get_map()) > len(self._own_fds)
        if not (threads_started or peers_registered):
            return _NO_OUTSIDE_WORK
        working, quiet = self.outside_peers()
        return Survey((*self.working_threads(), *working), tuple(quiet))

    def heard_from(self, events: list[tuple[selectors.SelectorKey, int]]) -> None:
        """Note the outside TCP peers that `events`, the selector's latest, find readable.

        Called before the events are handled, so before anything reads or writes in answer.
        """
        exchanges = self.exchanges
        for key, mask in events:
            exchange = exchanges.get(key.fd)
            if exchange is None or not mask & selectors.EVENT_READ:
                continue
            counters = _tcp_counters(key.fd)
            if counters is None:
                del exchanges[key.fd]
            elif counters.since_received <= counters.since_sent:
                exchange.heard_after = counters.transmitted

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

    def outside_peers(self) -> tuple[list[str], list[str]]:
        """The connections registered with the loop whose other end this loop does not serve:
        those that may deliver now, and those that owe no answer."""
        registered = self._selector.get_map()
        if len(registered) <= len(self._own_fds):
            return [], []
        fds = [key.fd for key in registered.values() if key.fd not in self._own_fds]
        if not fds:
            return [], []
        ends = [_end(fd) for fd in fds]
        held = collections.Counter(end.local for end in ends if end.local is not None)
        working, quiet = [], []
        for end in ends:
            if end.remote is None:
                served_here = True
            elif end.remote == end.local:
                served_here = held[end.remote] >= 2
            else:
                served_here = held[end.remote] >= 1
            if served_here:
                self.exchanges.pop(end.fd, None)
            elif self._owes_an_answer(end):
                working.append(end.describe())
            else:
                quiet.append(end.describe())
        return working, quiet

    def _owes_an_answer(self, end: _End) -> bool:
        counters = _tcp_counters(end.fd) if end.tcp else None
        if counters is None:
            return True
        exchange = self.exchanges.get(end.fd)
        if exchange is None or exchange.inode != end.inode:
            exchange = self.exchanges[end.fd] = _Exchange(end.inode)
        return counters.connecting or counters.written > exchange.heard_after


@dataclass(frozen=True)
class _End:
    """One file descriptor's place in a connection: its own address and its peer's."""

    fd: int
    kind: str
    local: Any
    remote: Any
    inode: int = 0
    tcp: bool = False

    def describe(self) -> str:
        if self.kind == "socket":
            peer = self.remote or "an unnamed socket"
            return f"a socket (fd {self.fd}) connected to {peer}, not served by this loop"
        return f"a {self.kind} (fd {self.fd}) whose other end this loop does not hold"


def _end(fd: int) -> _End:
    try:
        status = os.fstat(fd)
    except OSError:
        return _End(fd, "closed", None, None)
    if stat.S_ISSOCK(status.st_mode):
        sock = socket.socket(fileno=fd)
        try:
            local = _address(sock.getsockname())
            try:
                remote = _address(sock.getpeername())
            except OSError:
                # Listening and unconnected datagram sockets wait passively: nothing under way.
                remote = None
            tcp = sock.type == socket.SOCK_STREAM and sock.family in _TCP_FAMILIES
        finally:
            sock.detach()
        return _End(fd, "socket", local, remote, status.st_ino, tcp)
    if stat.S_ISFIFO(status.st_mode):
        # Both ends of a pipe share one inode: the pipe is this loop's own if it holds both.
        inode = (status.st_dev, status.st_ino)
        return _End(fd, "pipe", inode, inode)
    return _End(fd, "file", None, str(fd))


def tcp_writes(selector: selectors.BaseSelector, own_fds: set[int]) -> frozenset[Any] | None:
    """How much each socket the loop watches has written, as a value to compare at two idle
    moments: equal answers mean that no watched socket wrote in between, and none came or went.

    None when one cannot be counted (a pipe, a Unix socket, a system without `TCP_INFO`) or is
    still connecting. Each socket is told apart by its inode too, since a closed socket's
    descriptor is soon given to a new one.
    """
    writes = []
    for key in selector.get_map().values():
        fd = key.fd
        if fd in own_fds:
            continue
        counters = _tcp_counters(fd)
        if counters is None or counters.connecting:
            return None
        writes.append((fd, os.fstat(fd).st_ino, counters.written))
    return frozenset(writes)


def _tcp_counters(fd: int) -> _TcpCounters | None:
    """What the kernel counts for the TCP socket `fd`; None where it cannot say."""
    if not _TCP_INFO_READABLE:
        return None
    # Family and type given: the socket object then asks the kernel nothing more.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, fd)
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO.size)
    except OSError:
        return None
    finally:
        sock.detach()
    if len(info) < _TCP_INFO.size:
        return None
    state, since_sent, since_received, unsent, sent, resent = _TCP_INFO.unpack(info)
    transmitted = sent - resent
    return _TcpCounters(
        state == _TCP_SYN_SENT, transmitted + unsent, transmitted, since_sent, since_received
    )


def _address(address: Any) -> Any:
    return tuple(address) if isinstance(address, list) else address
