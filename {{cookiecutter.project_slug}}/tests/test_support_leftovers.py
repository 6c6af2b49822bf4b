"""AsyncTestCase fails a test that still holds a resource open after its cleanups, once per mistake.

Each case keeps a resource where no finalizer will see it during the test (on `self`, in a
module-level list) and checks that the verdict names it with the line that made it, exactly
once, and that the resource is closed afterwards, so it cannot warn later outside any test.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import ClassVar

from tests.support import AsyncTestCase, VirtualTimeTestCase
from tests.support._child_runs import ChildRunTestCase, line_marked, run_child
from tests.support._tasks import place

_KEPT: list[object] = []


def _line_of(marker: str) -> int:
    return line_marked(__file__, marker)


def _at(marker: str) -> str:
    return f"at {place(__file__, _line_of(marker))}"


async def _close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


class HeldResourceTests(ChildRunTestCase):
    def test_a_socket_kept_on_self_fails_and_is_closed(self) -> None:
        class Keeper(AsyncTestCase):
            async def test_keeps_a_socket(self) -> None:
                self.listener = socket.socket()  # socket-on-self
                _KEPT.append(self.listener)

        run = run_child(Keeper)
        self.assert_fails_with(
            run,
            "[fail_on_unclosed_resources] A socket was still open after the test's cleanups",
            f"opened {_at('socket-on-self')} in test_keeps_a_socket",
        )
        kept = _KEPT.pop()
        assert isinstance(kept, socket.socket)
        self.assertEqual(kept.fileno(), -1, "the toolkit should have closed the socket")

    def test_a_file_kept_on_self_fails_naming_the_line_that_opened_it(self) -> None:
        class Keeper(AsyncTestCase):
            def setUp(self) -> None:
                self.scratch = tempfile.TemporaryDirectory()
                self.addCleanup(self.scratch.cleanup)
                self.log = Path(self.scratch.name, "log.txt").open("w")  # noqa: SIM115  # file-on-self

            async def test_writes(self) -> None:
                self.log.write("kept open")

        self.assert_fails_with(
            run_child(Keeper),
            "[fail_on_unclosed_resources] A file was still open after the test's cleanups: "
            "<_io.TextIOWrapper",
            f"opened {_at('file-on-self')} in setUp",
        )

    def test_a_server_kept_serving_fails_once_for_all_its_sockets(self) -> None:
        class Keeper(AsyncTestCase):
            async def test_serves(self) -> None:
                self.server = await asyncio.start_server(_close_at_once, "127.0.0.1", 0)  # server

        self.assert_fails_with(
            run_child(Keeper),
            "[fail_on_unclosed_resources] A server was still open after the test's cleanups",
            f"opened {_at('server')} in test_serves",
        )

    def test_a_subprocess_pipe_kept_on_self_fails(self) -> None:
        class Keeper(AsyncTestCase):
            def setUp(self) -> None:
                command = [sys.executable, "-c", "print('hello')"]
                self.child = subprocess.Popen(command, stdout=subprocess.PIPE)  # pipe
                self.child.wait()

            async def test_reads_nothing(self) -> None:
                pass

        self.assert_fails_with(
            run_child(Keeper),
            "[fail_on_unclosed_resources] A file was still open after the test's cleanups: "
            "<_io.BufferedReader",
            f"opened {_at('pipe')} in setUp",
        )

    def test_a_resource_async_set_up_opened_and_never_closed_fails_there(self) -> None:
        class Keeper(VirtualTimeTestCase):
            async def asyncSetUp(self) -> None:
                self.peer, self.other = socket.socketpair()  # socketpair
                self.addCleanup(self.other.close)

            async def test_uses_it(self) -> None:
                self.peer.send(b"x")

        self.assert_fails_with(
            run_child(Keeper),
            "[fail_on_unclosed_resources] A socket was still open after the test's cleanups",
            f"opened {_at('socketpair')} in asyncSetUp",
        )

    def test_resources_closed_by_their_cleanups_pass(self) -> None:
        class Tidy(AsyncTestCase):
            shared: ClassVar[socket.socket]

            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                cls.shared = socket.socket()
                cls.addClassCleanup(cls.shared.close)

            async def asyncSetUp(self) -> None:
                self.server = await asyncio.start_server(_close_at_once, "127.0.0.1", 0)
                self.addAsyncCleanup(self.server.wait_closed)
                self.addCleanup(self.server.close)
                self.peer, self.other = socket.socketpair()
                self.addCleanup(self.peer.close)
                self.addCleanup(self.other.close)

            async def test_uses_them(self) -> None:
                port = self.server.sockets[0].getsockname()[1]
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                self.assertEqual(await reader.read(), b"")
                writer.close()
                await writer.wait_closed()
                self.assertNotEqual(self.shared.fileno(), -1)

            async def test_uses_them_again(self) -> None:
                self.peer.send(b"x")
                self.assertEqual(self.other.recv(1), b"x")

        self.assert_passed(run_child(Tidy), tests_run=2)


class OneReportPerMistakeTests(ChildRunTestCase):
    def test_an_unclosed_server_side_and_a_client_kept_on_self_are_two_lines(self) -> None:
        class TwoMistakes(AsyncTestCase):
            async def test_connects(self) -> None:
                async def forgets_its_end(
                    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                ) -> None:
                    pass

                server = await asyncio.start_server(forgets_its_end, "127.0.0.1", 0)  # listens
                # Not wait_closed(): from 3.12 on it waits for the connection never closed.
                self.addCleanup(server.close)
                port = server.sockets[0].getsockname()[1]
                self.client = await asyncio.open_connection("127.0.0.1", port)  # connects
                await asyncio.sleep(0.01)

        run = run_child(TwoMistakes)
        self.assert_fails_with(
            run,
            f"accepted by the server started {_at('listens')} in test_connects",
            f"opened {_at('connects')} in test_connects",
            problems=2,
        )
