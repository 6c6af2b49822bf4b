"""Stand-ins for the asynchronous things the code under test talks to.

Each factory returns an object the code can await, iterate, enter or read exactly as it would
the real one, and that records what the code did with it for the test to assert. They are
thin, typed wrappers over `unittest.mock` and `asyncio` streams, named for what they stand in
for, so a test says `async_iterator([1, 2])` rather than how to configure a `MagicMock`.
"""

from __future__ import annotations

import asyncio
import pkgutil
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar
from unittest import mock

from tests.support._streams import FakeConnection, RecordingTransport, fake_connection

_T = TypeVar("_T")

__all__ = [
    "AsyncIteratorMock",
    "FakeConnection",
    "RecordingTransport",
    "async_context_manager",
    "async_function",
    "async_iterator",
    "fake_connection",
    "patch_instance",
    "stream_reader",
]


def async_function(
    return_value: object = None,
    *,
    side_effect: BaseException | Iterable[object] | Callable[..., object] | None = None,
) -> mock.AsyncMock:
    """An async function that returns `return_value` and records every await.

    `side_effect` overrides `return_value`: an exception is raised on each await; an iterable
    gives one result per await (an exception in it is raised when its turn comes); a function,
    plain or async, is called with the same arguments and its result returned.

        fetch = async_function(side_effect=[b"page 1", TimeoutError(), b"page 2"])
        assert await fetch("/a") == b"page 1"
        fetch.assert_awaited_once_with("/a")
    """
    return mock.AsyncMock(return_value=return_value, side_effect=side_effect)


class AsyncIteratorMock(Generic[_T]):
    """An async iterator over fixed items that records how far it was consumed.

    An exception instance among the items is raised when iteration reaches it; iteration can
    go on past it, as with a stream that reports an error and then recovers. `yielded` lists
    the items handed out so far, and `closed` tells whether `aclose()` was awaited.
    """

    def __init__(self, items: Iterable[_T | BaseException]) -> None:
        self._items = iter(list(items))
        self.yielded: list[_T] = []
        self.closed = False

    def __aiter__(self) -> AsyncIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        if self.closed:
            raise StopAsyncIteration
        try:
            item = next(self._items)
        except StopIteration:
            raise StopAsyncIteration from None
        if isinstance(item, BaseException):
            raise item
        self.yielded.append(item)
        return item

    async def aclose(self) -> None:
        """Stop the iteration early, as `async with contextlib.aclosing(...)` does."""
        self.closed = True


def async_iterator(items: Iterable[_T | BaseException]) -> AsyncIteratorMock[_T]:
    """An async iterator yielding `items` in order, raising any exception instance among them.

    For example:

        rows = async_iterator([{"id": 1}, ConnectionResetError(), {"id": 2}])
        async for row in rows: ...            # gets row 1, then ConnectionResetError
        assert rows.yielded == [{"id": 1}]
    """
    return AsyncIteratorMock(items)


def async_context_manager(
    entered: object = None,
    *,
    raise_on_exit: BaseException | None = None,
    suppress: bool = False,
) -> mock.MagicMock:
    """An async context manager whose `async with` gives `entered`, recording entry and exit.

    `raise_on_exit` is raised from `__aexit__` (a failing commit or close); `suppress=True`
    swallows an exception raised in the body, as `__aexit__` returning True does. Assert on
    the magic methods, which are `AsyncMock`s:

        tx = async_context_manager(entered="tx-1", raise_on_exit=ConnectionError())
        async with tx as handle: ...          # handle == "tx-1"; ConnectionError on exit
        tx.__aexit__.assert_awaited_once_with(None, None, None)
    """
    manager = mock.MagicMock(name="async_context_manager")
    manager.__aenter__ = mock.AsyncMock(return_value=entered)
    manager.__aexit__ = mock.AsyncMock(return_value=suppress, side_effect=raise_on_exit)
    return manager


@contextmanager
def patch_instance(target: str) -> Iterator[Any]:
    """Patch the class named by `target` so that constructing it gives one autospec'd mock.

    `target` is where the code under test looks the class up, e.g.
    `"{{ cookiecutter.package_name }}.worker.HttpClient"` for a module that did `from .http import
    HttpClient`. The mock has the class's methods and signatures; its async methods are
    `AsyncMock`s. It is yielded so the test can set results before the code constructs it:

        with patch_instance("{{ cookiecutter.package_name }}.worker.HttpClient") as client:
            client.get.return_value = b"ok"
            await worker.run()
            client.get.assert_awaited_once_with("/health")
    """
    original = pkgutil.resolve_name(target)
    instance = mock.create_autospec(original, instance=True)
    with mock.patch(target, autospec=True) as constructor:
        constructor.return_value = instance
        yield instance


def stream_reader(*chunks: bytes, eof: bool = True) -> asyncio.StreamReader:
    """A `StreamReader` already fed with `chunks` and, unless `eof=False`, end of file.

    With `eof=False`, a read past the chunks waits, as on an idle connection; feed more with
    `reader.feed_data()` and `reader.feed_eof()`. Create it inside the running loop.

        reader = stream_reader(b"HELLO\\n", b"partial")
        assert await reader.readline() == b"HELLO\\n"
        assert await reader.read() == b"partial"
    """
    reader = asyncio.StreamReader()
    for chunk in chunks:
        reader.feed_data(chunk)
    if eof:
        reader.feed_eof()
    return reader
