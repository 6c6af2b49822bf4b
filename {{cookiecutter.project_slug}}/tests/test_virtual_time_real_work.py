"""Virtual time waits for real work, reports deadlocks, and spans every phase of a test."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, cast

from tests.support import AsyncTestCase, VirtualTimeTestCase
from tests.support._child_runs import ChildRunTestCase, run_child
from tests.support.virtual_time import VirtualTimeLoop

_DEADLOCK_TIMEOUT = 0.02

if TYPE_CHECKING:
    _Case = AsyncTestCase
else:
    _Case = object


class RealWorkTests(VirtualTimeTestCase):
    async def test_thread_work_is_not_cut_short_by_a_timeout(self) -> None:
        await asyncio.wait_for(asyncio.to_thread(time.sleep, 0.05), timeout=1)
        self.assertGreaterEqual(self.clock.monotonic(), 0.05)
        self.assertLess(self.clock.monotonic(), 1.0)

    async def test_thread_work_that_outlasts_its_timeout_times_out(self) -> None:
        with self.assertRaises(TimeoutError):
            await asyncio.wait_for(asyncio.to_thread(time.sleep, 0.05), timeout=0.01)
        self.assertEqual(self.clock.monotonic(), 0.01)

    async def test_executor_jobs_are_waited_for(self) -> None:
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            job = loop.run_in_executor(pool, time.sleep, 0.03)
            await asyncio.wait_for(job, timeout=0.5)

    async def test_loopback_exchange_with_a_peer_on_the_loop(self) -> None:
        async def answer_after_a_second(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            request = await reader.readline()
            await asyncio.sleep(1)
            writer.write(request.upper())
            await writer.drain()
            writer.close()
            await writer.wait_closed()

        server = await asyncio.start_server(answer_after_a_second, "127.0.0.1", 0)
        self.addAsyncCleanup(server.wait_closed)
        self.addCleanup(server.close)
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname())
        writer.write(b"ping\n")
        self.assertEqual(await asyncio.wait_for(reader.readline(), timeout=5), b"PING\n")
        self.assertEqual(self.clock.monotonic(), 1.0)
        writer.close()
        await writer.wait_closed()

    async def test_loopback_exchange_with_a_peer_in_a_thread(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as listener:

            def serve_slowly() -> None:
                connection, _ = listener.accept()
                with connection:
                    request = connection.recv(100)
                    time.sleep(0.05)
                    connection.sendall(request.upper())

            peer = asyncio.create_task(asyncio.to_thread(serve_slowly))
            reader, writer = await asyncio.open_connection(*listener.getsockname())
            writer.write(b"ping")
            self.assertEqual(await asyncio.wait_for(reader.read(), timeout=1), b"PING")
            writer.close()
            await writer.wait_closed()
            await peer

    @unittest.skipUnless(shutil.which("sleep"), "needs the sleep command")
    async def test_subprocess_is_waited_for(self) -> None:
        process = await asyncio.create_subprocess_exec("sleep", "0.05")
        self.assertEqual(await asyncio.wait_for(process.wait(), timeout=1), 0)
        self.assertLess(self.clock.monotonic(), 1.0)


class _OutsideWork(_Case):
    """Threads the test starts itself and peers outside the loop: the same on either loop."""

    def start_thread(self, work: Callable[[], None]) -> None:
        thread = threading.Thread(target=work, name="outside")
        thread.start()
        self.addCleanup(thread.join)

    async def test_a_thread_answering_within_the_timeout_is_not_cut_short(self) -> None:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str] = loop.create_future()

        def answer_later() -> None:
            time.sleep(0.02)
            loop.call_soon_threadsafe(answer.set_result, "done")

        started = loop.time()
        self.start_thread(answer_later)
        self.assertEqual(await asyncio.wait_for(answer, timeout=5), "done")
        self.assertLess(loop.time() - started, 5)

    async def test_a_working_thread_is_no_deadlock(self) -> None:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str] = loop.create_future()

        def answer_after_a_deadlock_timeout() -> None:
            time.sleep(_DEADLOCK_TIMEOUT * 3)
            loop.call_soon_threadsafe(answer.set_result, "done")

        self.start_thread(answer_after_a_deadlock_timeout)
        self.assertEqual(await answer, "done")

    async def test_a_pool_the_test_made_is_waited_for(self) -> None:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            await asyncio.wait_for(asyncio.wrap_future(pool.submit(time.sleep, 0.02)), 1)

    async def test_a_socket_peer_outside_the_loop_is_waited_for(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            # Served by a plain socket outside the loop, as a database or broker would be.
            self.start_thread(lambda: _answer_slowly(listener))
            reader, writer = await asyncio.open_connection(*listener.getsockname())
            writer.write(b"ping")
            self.assertEqual(await asyncio.wait_for(reader.read(), timeout=5), b"PING")
            writer.close()
            await writer.wait_closed()

    async def test_a_pipe_written_outside_the_loop_is_waited_for(self) -> None:
        read_end, write_end = os.pipe()

        def write_later() -> None:
            time.sleep(0.02)
            os.write(write_end, b"ready")
            os.close(write_end)

        reader = asyncio.StreamReader()
        transport, _ = await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_end, "rb")
        )
        self.addCleanup(transport.close)
        self.start_thread(write_later)
        self.assertEqual(await asyncio.wait_for(reader.read(), timeout=5), b"ready")

    async def test_polling_with_sleep_zero_sees_a_timer_fire(self) -> None:
        fired = asyncio.Event()
        asyncio.get_running_loop().call_later(0.002, fired.set)
        while not fired.is_set():  # noqa: ASYNC110 -- the pattern under test
            await asyncio.sleep(0)


class OutsideWorkOnARealLoop(_OutsideWork, AsyncTestCase):
    pass


class OutsideWorkOnVirtualTime(_OutsideWork, VirtualTimeTestCase):
    deadlock_timeout = _DEADLOCK_TIMEOUT

    async def test_idle_pool_workers_do_not_hold_time_back(self) -> None:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            await asyncio.wrap_future(pool.submit(time.sleep, 0.001))
            started = time.perf_counter()
            await asyncio.sleep(3600)
            self.assertLess(time.perf_counter() - started, 0.5)

    async def test_a_unix_socket_to_an_outside_peer_holds_time_back_while_open(self) -> None:
        # The kernel counts no bytes written on a Unix socket: an open one may always be owed
        # an answer, as a database reached through its socket file would be.
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        self.addCleanup(theirs.close)
        self.addCleanup(ours.close)
        loop.add_reader(ours.fileno(), lambda: None)
        self.addCleanup(loop.remove_reader, ours.fileno())
        started = time.perf_counter()
        await asyncio.sleep(0.05)
        self.assertGreaterEqual(time.perf_counter() - started, 0.05)


def _answer_slowly(listener: socket.socket) -> None:
    connection, _ = listener.accept()
    with connection:
        request = connection.recv(100)
        time.sleep(0.02)
        connection.sendall(request.upper())


# A peer in a process of its own, as a database server is: one answer per request line, at
# once, but "slow" after 0.3 s, and "notify-later" followed 0.1 s later by a line unasked for.
_PEER = """
import socketserver, time

class Peer(socketserver.StreamRequestHandler):
    def handle(self):
        for request in self.rfile:
            if request == b"slow\\n":
                time.sleep(0.3)
            self.wfile.write(request.upper())
            if request == b"notify-later\\n":
                time.sleep(0.1)
                self.wfile.write(b"NOTIFICATION\\n")

socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Peer) as server:
    print(server.server_address[1], flush=True)
    server.serve_forever()
"""


def _stop(peer: subprocess.Popen[str]) -> None:
    peer.kill()
    peer.wait()
    if peer.stdout is not None:
        peer.stdout.close()


class PeerInAnotherProcess(VirtualTimeTestCase):
    """Real time flows while a peer outside the loop owes an answer, not for an open socket."""

    deadlock_timeout = _DEADLOCK_TIMEOUT
    address: ClassVar[tuple[str, int]]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # Started outside the loop: a subprocess of the loop's own would be real work itself.
        peer = subprocess.Popen([sys.executable, "-c", _PEER], stdout=subprocess.PIPE, text=True)
        cls.addClassCleanup(_stop, peer)
        assert peer.stdout is not None
        cls.address = ("127.0.0.1", int(peer.stdout.readline()))

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(*self.address)
        self.addAsyncCleanup(writer.wait_closed)
        self.addCleanup(writer.close)
        return reader, writer

    async def assert_sleep_jumps(self, seconds: float, real_at_most: float = 1.0) -> None:
        started, real_started = self.clock.monotonic(), time.perf_counter()
        await asyncio.sleep(seconds)
        self.assertAlmostEqual(self.clock.monotonic() - started, seconds, places=6)
        self.assertLess(time.perf_counter() - real_started, real_at_most)

    async def test_an_idle_connection_lets_time_jump(self) -> None:
        reader, writer = await self.connect()
        await self.assert_sleep_jumps(5)
        writer.write(b"ping\n")
        self.assertEqual(await reader.readline(), b"PING\n")
        await self.assert_sleep_jumps(5)

    async def test_an_answer_within_the_timeout_is_not_cut_short(self) -> None:
        reader, writer = await self.connect()
        await self.assert_sleep_jumps(5)
        asked, real_asked = self.clock.monotonic(), time.perf_counter()
        writer.write(b"slow\n")
        async with asyncio.timeout(1):
            self.assertEqual(await reader.readline(), b"SLOW\n")
        waited = time.perf_counter() - real_asked
        # Virtual time flowed at the pace of real time while the peer took its 0.3 s.
        self.assertGreater(self.clock.monotonic() - asked, 0.1)
        self.assertLessEqual(self.clock.monotonic() - asked, waited + 0.01)
        await self.assert_sleep_jumps(5)

    async def listen(self) -> socket.socket:
        """A connection that has sent "listen" and read its answer, as psycopg does both:
        send, then register a reader and wait for it, then read."""
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        self.addCleanup(sock.close)
        sock.setblocking(False)
        await loop.sock_connect(sock, self.address)
        await loop.sock_sendall(sock, b"listen\n")
        await _readable(sock)
        self.assertEqual(sock.recv(100), b"LISTEN\n")
        return sock

    def in_background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self.addAsyncCleanup(_cancel, task)
        return task

    async def test_a_reader_waiting_for_notifications_lets_time_jump(self) -> None:
        sock = await self.listen()
        notified = self.in_background(_readable(sock))
        await self.assert_sleep_jumps(5)
        self.assertFalse(notified.done())

    async def test_a_reader_that_wakes_every_tenth_of_a_second_lets_time_jump(self) -> None:
        # As psycopg's notifies() waits: a reader and a 0.1 s timer on one future, both dropped
        # and set again each time. Every wake-up is a jump; a quiet peer adds no real time to it.
        sock = await self.listen()
        loop = asyncio.get_running_loop()

        async def wait_for_notifications() -> None:
            while True:
                woken: asyncio.Future[None] = loop.create_future()
                loop.add_reader(sock.fileno(), _resolve, woken)
                timer = loop.call_later(0.1, _resolve, woken)
                try:
                    await woken
                finally:
                    timer.cancel()
                    loop.remove_reader(sock.fileno())

        self.in_background(wait_for_notifications())
        # 200 wake-ups need a few tens of milliseconds of CPU, which a loaded machine stretches.
        await self.assert_sleep_jumps(20, real_at_most=2.0)

    async def test_a_quiet_peer_is_waited_for_when_no_timer_is_left(self) -> None:
        # Nothing is owed, yet the peer may still speak (a notification): no deadlock.
        reader, writer = await self.connect()
        writer.write(b"notify-later\n")
        self.assertEqual(await reader.readline(), b"NOTIFY-LATER\n")
        self.assertEqual(await reader.readline(), b"NOTIFICATION\n")


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _readable(sock: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    loop.add_reader(sock.fileno(), _resolve, ready)
    try:
        await ready
    finally:
        loop.remove_reader(sock.fileno())


class GracePollTests(VirtualTimeTestCase):
    """Sockets both ends of which the loop serves get the `io_grace` poll after they write,
    not before every jump; a Unix socket gets it before every jump."""

    def count_grace_polls(self) -> list[float | None]:
        """The timeouts of the polls that wait (a grace), from now until the test ends."""
        selector = cast(VirtualTimeLoop, asyncio.get_running_loop())._selector
        select = selector.select
        polls: list[float | None] = []

        def counting_select(timeout: float | None = None) -> Any:
            if timeout is None or timeout > 0:
                polls.append(timeout)
            return select(timeout)

        selector.select = counting_select  # type: ignore[method-assign]
        self.addCleanup(delattr, selector, "select")
        return polls

    async def keep_alive(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to an echo server on this loop, after one exchange, left open."""
        served = asyncio.get_running_loop().create_future()

        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while line := await reader.readline():
                writer.write(line.upper())
            writer.close()
            await writer.wait_closed()
            served.set_result(None)

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        self.addAsyncCleanup(server.wait_closed)
        self.addCleanup(server.close)
        self.addAsyncCleanup(asyncio.wait_for, served, 1)
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname())
        self.addAsyncCleanup(writer.wait_closed)
        self.addCleanup(writer.close)
        writer.write(b"ping\n")
        self.assertEqual(await reader.readline(), b"PING\n")
        return reader, writer

    async def test_jumps_beside_an_idle_server_and_connection_spend_one_grace(self) -> None:
        await self.keep_alive()
        polls = self.count_grace_polls()
        for _ in range(50):
            await asyncio.sleep(1)
        self.assertEqual(self.clock.monotonic(), 50)
        self.assertLessEqual(len(polls), 1)

    async def test_an_exchange_costs_a_few_graces_not_one_a_jump(self) -> None:
        reader, writer = await self.keep_alive()
        polls = self.count_grace_polls()
        await asyncio.sleep(1)
        idle = len(polls)
        writer.write(b"pong\n")
        self.assertEqual(await reader.readline(), b"PONG\n")
        for _ in range(50):
            await asyncio.sleep(1)
        # The exchange's own polls, each ended by what arrived, and one after it that found
        # nothing; not one for each of the fifty jumps.
        self.assertLessEqual(len(polls) - idle, 5)

    async def test_a_write_that_wakes_no_reader_brings_the_grace_back_once(self) -> None:
        loop = asyncio.get_running_loop()
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        listener.setblocking(False)
        writing = socket.socket()
        self.addCleanup(writing.close)
        writing.setblocking(False)
        await loop.sock_connect(writing, listener.getsockname())
        reading, _ = await loop.sock_accept(listener)
        self.addCleanup(reading.close)
        # The reading end waits for a thousand bytes, so one byte written wakes nothing: only
        # the writer's count tells that a peer on the loop has been sent something.
        reading.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1000)
        for end in (writing, reading):
            loop.add_reader(end, end.recv, 1000)
            self.addCleanup(loop.remove_reader, end)
        polls = self.count_grace_polls()
        for _ in range(5):
            await asyncio.sleep(1)
        settled = len(polls)
        writing.send(b"x")
        for _ in range(20):
            await asyncio.sleep(1)
        self.assertEqual(polls[settled:], [0.01])

    async def test_a_unix_socket_gets_the_grace_before_every_jump(self) -> None:
        loop = asyncio.get_running_loop()
        ends = socket.socketpair()
        for end in ends:
            self.addCleanup(end.close)
            loop.add_reader(end, end.recv, 1)
            self.addCleanup(loop.remove_reader, end)
        polls = self.count_grace_polls()
        for _ in range(5):
            await asyncio.sleep(1)
        self.assertEqual(polls, [0.01] * 5)


class PhaseTests(VirtualTimeTestCase):
    seen: list[tuple[str, bool, float]]

    def setUp(self) -> None:
        self.seen = [("setUp", isinstance(asyncio.get_event_loop(), VirtualTimeLoop), 0.0)]

    async def asyncSetUp(self) -> None:
        self.note("asyncSetUp")
        await asyncio.sleep(1)
        self.addAsyncCleanup(self.cleanup)

    def note(self, phase: str) -> None:
        loop = asyncio.get_running_loop()
        self.seen.append((phase, isinstance(loop, VirtualTimeLoop), self.clock.monotonic()))

    async def cleanup(self) -> None:
        await asyncio.sleep(1)
        self.note("cleanup")
        expected = [
            ("setUp", True, 0.0),
            ("asyncSetUp", True, 0.0),
            ("test", True, 1.0),
            ("asyncTearDown", True, 2.0),
            ("cleanup", True, 4.0),
        ]
        if self.seen != expected:
            raise AssertionError(f"phases saw {self.seen}")

    async def test_every_phase_runs_on_the_same_virtual_clock(self) -> None:
        self.note("test")
        await asyncio.sleep(1)

    async def asyncTearDown(self) -> None:
        self.note("asyncTearDown")
        await asyncio.sleep(1)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class VerdictTests(ChildRunTestCase):
    """A deadlock is one failure, the DeadlockError, with no other problem reported beside it."""

    def test_deadlock_fails_fast_listing_waiting_tasks(self) -> None:
        class Stuck(VirtualTimeTestCase):
            deadlock_timeout = 0.05

            async def test_waits_for_nothing(self) -> None:
                never = asyncio.Event()
                waiter = asyncio.create_task(never.wait(), name="waiter")
                await waiter

        started = time.perf_counter()
        run = run_child(Stuck)
        self.assertLess(time.perf_counter() - started, 1.0)
        self.assert_fails_with(
            run,
            "DeadlockError: Deadlock at virtual time 0 s: no timer is pending",
            "Task 'waiter' running Event.wait() was waiting",
            "test_waits_for_nothing() at ",
            "test_virtual_time_real_work.py:",
            problems=0,
        )

    def test_a_deadlock_is_reported_once_and_its_tasks_unwind_in_their_phase(self) -> None:
        unwound: list[str] = []

        class StuckInCleanup(VirtualTimeTestCase):
            deadlock_timeout = 0.02

            async def test_registers_a_stuck_cleanup(self) -> None:
                async def stuck() -> None:
                    try:
                        await asyncio.Event().wait()
                    finally:
                        unwound.append("stuck")

                self.addAsyncCleanup(stuck)

        self.assert_fails_with(run_child(StuckInCleanup), "DeadlockError", problems=0)
        self.assertEqual(unwound, ["stuck"])

    def test_a_deadlock_names_outside_work_it_was_told_not_to_wait_for(self) -> None:
        release = threading.Event()

        class Impatient(VirtualTimeTestCase):
            deadlock_timeout = 0.02
            wait_for_outside_work = False
            # Its thread waits for the release that follows the verdict, which is on the deadlock.
            fail_on_running_threads = False

            async def test_waits_for_a_thread(self) -> None:
                loop = asyncio.get_running_loop()
                answer: asyncio.Future[None] = loop.create_future()

                def answer_when_released() -> None:
                    release.wait(5)
                    with contextlib.suppress(RuntimeError):  # the loop closed at the deadlock
                        loop.call_soon_threadsafe(_resolve, answer)

                threading.Thread(target=answer_when_released, name="slow-peer").start()
                await answer

        try:
            run = run_child(Impatient)
        finally:
            release.set()
        self.assert_fails_with(
            run,
            "thread 'slow-peer' might still deliver",
            "wait_for_outside_work is off",
            problems=0,
        )

    def test_a_timer_out_of_reach_is_named(self) -> None:
        class Eternal(VirtualTimeTestCase):
            deadlock_timeout = 0.02

            async def test_sleeps_forever(self) -> None:
                await asyncio.sleep(1e16)

        run = run_child(Eternal)
        self.assert_fails_with(
            run,
            "the next timer is set for 1e+16 s, beyond the 1e+15 s",
            "created by unittest to run a phase of the test",
            problems=0,
        )
        self.assertNotIn("frozen", run.report)

    def test_manual_time_without_advance_is_a_deadlock(self) -> None:
        class Forgetful(VirtualTimeTestCase):
            autojump = False
            deadlock_timeout = 0.05

            async def test_sleeps_without_advancing(self) -> None:
                await asyncio.sleep(1)

        run = run_child(Forgetful)
        self.assert_fails_with(
            run, "autojump is off and no task awaits clock.advance()", problems=0
        )

    def test_blocking_calls_are_found_under_virtual_time_too(self) -> None:
        class Blocking(VirtualTimeTestCase):
            slow_callback_duration = 0.02

            async def test_blocks(self) -> None:
                time.sleep(0.03)  # noqa: ASYNC251 -- the mistake under test

        self.assert_fails_with(
            run_child(Blocking),
            "[fail_on_slow_callbacks] A blocking call on the event loop's thread",
        )

    def test_leaks_are_reported_under_virtual_time_too(self) -> None:
        class Leaky(VirtualTimeTestCase):
            async def test_leaks(self) -> None:
                asyncio.create_task(asyncio.sleep(3600), name="sleeper")  # noqa: RUF006 -- on purpose
                await asyncio.sleep(1)

        self.assert_fails_with(
            run_child(Leaky),
            "[fail_on_pending_tasks] Task 'sleeper' running sleep() was still pending",
        )
