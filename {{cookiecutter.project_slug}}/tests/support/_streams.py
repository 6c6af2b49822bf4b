"""asyncio streams with no socket behind them: scripted input, recorded output.

The writer is a real `asyncio.StreamWriter` over a `RecordingTransport`, so `write`, `drain`,
`close`, `wait_closed` and `is_closing` behave as asyncio's own: only the bytes stay here
instead of leaving the machine. Like a real writer, it must be closed before the test ends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any


class RecordingTransport(asyncio.Transport):
    """A transport that keeps every byte written to it; closing it ends the connection."""

    def __init__(self, protocol: asyncio.BaseProtocol, extra: dict[str, Any]) -> None:
        super().__init__(extra)
        self.written = bytearray()
        self.eof_written = False
        self._protocol = protocol
        self._closing = False
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            raise RuntimeError("write() on a closed connection")
        if self.eof_written:
            raise RuntimeError("write() after write_eof()")
        self.written += data

    def write_eof(self) -> None:
        self.eof_written = True

    def can_write_eof(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def is_reading(self) -> bool:
        return not self._closing

    def pause_reading(self) -> None:
        """Nothing to pause: the incoming bytes are all in the reader already."""

    def resume_reading(self) -> None:
        """Nothing to resume: the incoming bytes are all in the reader already."""


@dataclass(frozen=True)
class FakeConnection:
    """The two ends `asyncio.open_connection` would give, and what was sent through them."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    transport: RecordingTransport

    @property
    def written(self) -> bytes:
        """Every byte the code wrote so far, in order."""
        return bytes(self.transport.written)


def fake_connection(
    *incoming: bytes, eof: bool = True, peername: tuple[str, int] = ("127.0.0.1", 8080)
) -> FakeConnection:
    """A connection whose reader holds `incoming` (then end of file) and whose writer records.

    Stands in for `asyncio.open_connection` (patch it with
    `async_function(return_value=(conn.reader, conn.writer))`) or for the streams a server's
    client callback receives. Create it inside the running loop.

        conn = fake_connection(b"+OK\\r\\n")
        conn.writer.write(b"PING\\r\\n")
        await conn.writer.drain()
        assert await conn.reader.readline() == b"+OK\\r\\n"
        conn.writer.close()
        await conn.writer.wait_closed()
        assert conn.written == b"PING\\r\\n"
    """
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    protocol = asyncio.StreamReaderProtocol(reader)
    transport = RecordingTransport(protocol, {"peername": peername, "sockname": None})
    protocol.connection_made(transport)
    for chunk in incoming:
        reader.feed_data(chunk)
    if eof:
        reader.feed_eof()
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return FakeConnection(reader, writer, transport)
