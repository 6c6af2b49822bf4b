"""The mock factories stand in for their real counterparts and record what was done to them."""

from __future__ import annotations

import asyncio
import contextlib
from unittest import mock

from tests.support import AsyncTestCase, mocks


class Telemetry:
    """A class to patch: one async method, one plain one, a constructor with a signature."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    async def send(self, event: str) -> int:
        raise AssertionError("the real class must not run in these tests")

    def flush(self) -> None:
        raise AssertionError("the real class must not run in these tests")


async def report_startup(endpoint: str) -> int:
    telemetry = Telemetry(endpoint)
    sent = await telemetry.send("started")
    telemetry.flush()
    return sent


class AsyncFunctionTests(AsyncTestCase):
    async def test_returns_its_value_and_records_awaits(self) -> None:
        fetch = mocks.async_function(return_value=b"ok")
        self.assertEqual(await fetch("/health", retries=2), b"ok")
        fetch.assert_awaited_once_with("/health", retries=2)

    async def test_side_effects_in_turn_including_exceptions(self) -> None:
        fetch = mocks.async_function(side_effect=[b"page 1", TimeoutError(), b"page 2"])
        self.assertEqual(await fetch(), b"page 1")
        with self.assertRaises(TimeoutError):
            await fetch()
        self.assertEqual(await fetch(), b"page 2")
        self.assertEqual(fetch.await_count, 3)

    async def test_side_effect_function_computes_the_result(self) -> None:
        async def double(value: int) -> int:
            return value * 2

        self.assertEqual(await mocks.async_function(side_effect=double)(21), 42)


class AsyncIteratorTests(AsyncTestCase):
    async def test_yields_items_in_order(self) -> None:
        rows = mocks.async_iterator([1, 2, 3])
        self.assertEqual([row async for row in rows], [1, 2, 3])
        self.assertEqual(rows.yielded, [1, 2, 3])

    async def test_raises_part_way_and_can_go_on(self) -> None:
        rows = mocks.async_iterator(["a", ConnectionResetError("peer left"), "b"])
        received = []
        with self.assertRaises(ConnectionResetError):
            async for row in rows:
                received.append(row)
        self.assertEqual(received, ["a"])
        self.assertEqual([row async for row in rows], ["b"])

    async def test_aclose_ends_iteration(self) -> None:
        rows = mocks.async_iterator([1, 2, 3])
        async with contextlib.aclosing(rows):
            async for row in rows:
                self.assertEqual(row, 1)
                break
        self.assertTrue(rows.closed)
        self.assertEqual([row async for row in rows], [])


class AsyncContextManagerTests(AsyncTestCase):
    async def test_enters_with_its_value_and_records_exit(self) -> None:
        transaction = mocks.async_context_manager(entered="tx-1")
        async with transaction as handle:
            self.assertEqual(handle, "tx-1")
        transaction.__aexit__.assert_awaited_once_with(None, None, None)

    async def test_raises_on_exit(self) -> None:
        transaction = mocks.async_context_manager(raise_on_exit=ConnectionError("commit failed"))
        with self.assertRaisesRegex(ConnectionError, "commit failed"):
            async with transaction:
                pass

    async def test_suppresses_the_bodys_exception_when_asked(self) -> None:
        for suppress in (True, False):
            with self.subTest(suppress=suppress):
                manager = mocks.async_context_manager(suppress=suppress)
                raised = False
                try:
                    async with manager:
                        raise KeyError("inside")
                except KeyError:
                    raised = True
                self.assertEqual(raised, not suppress)
                self.assertIs(manager.__aexit__.await_args.args[0], KeyError)


class PatchInstanceTests(AsyncTestCase):
    async def test_code_constructs_the_yielded_autospecced_instance(self) -> None:
        with mocks.patch_instance(f"{__name__}.Telemetry") as telemetry:
            self.assertIsInstance(telemetry.send, mock.AsyncMock)
            telemetry.send.return_value = 7
            self.assertEqual(await report_startup("udp://collector"), 7)
        telemetry.send.assert_awaited_once_with("started")
        telemetry.flush.assert_called_once_with()

    async def test_instance_rejects_what_the_class_does_not_have(self) -> None:
        with mocks.patch_instance(f"{__name__}.Telemetry") as telemetry:
            with self.assertRaises(AttributeError):
                telemetry.sned  # noqa: B018 -- the typo under test
            with self.assertRaises(TypeError):
                await telemetry.send("started", "extra argument")
            with self.assertRaises(TypeError):
                Telemetry()  # type: ignore[call-arg]
        self.assertIsInstance(Telemetry, type, "the real class is back after the patch")


class StreamTests(AsyncTestCase):
    async def test_reader_gives_bytes_lines_then_eof(self) -> None:
        reader = mocks.stream_reader(b"HELLO\n", b"partial")
        self.assertEqual(await reader.readline(), b"HELLO\n")
        self.assertEqual(await reader.read(), b"partial")
        self.assertTrue(reader.at_eof())

    async def test_reader_without_eof_waits_like_an_idle_connection(self) -> None:
        reader = mocks.stream_reader(b"half", eof=False)
        with self.assertRaises(TimeoutError):
            await asyncio.wait_for(reader.readexactly(8), timeout=0.01)

    async def test_writer_records_writes_drains_and_closes(self) -> None:
        connection = mocks.fake_connection(b"+OK\r\n")
        writer = connection.writer
        writer.write(b"PING\r\n")
        writer.writelines([b"a", b"b"])
        await writer.drain()
        self.assertEqual(await connection.reader.readline(), b"+OK\r\n")
        self.assertEqual(connection.written, b"PING\r\nab")
        self.assertEqual(writer.get_extra_info("peername"), ("127.0.0.1", 8080))
        self.assertFalse(writer.is_closing())
        writer.close()
        self.assertTrue(writer.is_closing())
        await writer.wait_closed()
        with self.assertRaises(RuntimeError):
            writer.write(b"too late")

    async def test_writer_records_end_of_file(self) -> None:
        connection = mocks.fake_connection()
        self.assertTrue(connection.writer.can_write_eof())
        connection.writer.write_eof()
        self.assertTrue(connection.transport.eof_written)
        connection.writer.close()
        await connection.writer.wait_closed()

    async def test_patched_open_connection(self) -> None:
        connection = mocks.fake_connection(b"pong")
        opener = mocks.async_function(return_value=(connection.reader, connection.writer))
        with mock.patch("asyncio.open_connection", opener):
            reader, writer = await asyncio.open_connection("example.invalid", 80)
        writer.write(b"ping")
        self.assertEqual(await reader.read(), b"pong")
        writer.close()
        await writer.wait_closed()
        self.assertEqual(connection.written, b"ping")
        opener.assert_awaited_once_with("example.invalid", 80)
