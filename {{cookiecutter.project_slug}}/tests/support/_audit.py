"""The standard library's own report of what a test does: one audit hook, heard by one test.

CPython raises an audit event (PEP 578) whenever code sleeps, creates a socket, connects it,
opens a file, starts a process or imports a module, whichever name the caller imported the
function under and whether the caller is Python or C. That makes the events the one reliable
place to see what a test does on the event loop's thread, and where it made the sockets and
files it leaves open.

A hook cannot be removed once added, so this module adds one, on first use, for the whole
process. Between tests it returns at once; while a test runs, it hands the events it was asked
for to that test's `Listener`. The standard library raises other events far more often than
these (every `sys._getframe`, every `compile`), so the hook looks at the event's name first.

Python 3.11 and 3.12 raise no event for `time.sleep`; there, while a test listens,
`time.sleep` is a shim that raises the event and sleeps (code that imported `sleep` by name
before the test began keeps the original, and is not seen).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any, SupportsIndex, cast

Listener = Callable[[str, tuple[Any, ...]], None]

_listeners: list[tuple[frozenset[str], Listener]] = []
_installed = False
_install_lock = threading.Lock()
_SLEEP_RAISES_ITS_EVENT = sys.version_info >= (3, 13)
_sleep = time.sleep


def _sleep_that_raises_its_event(seconds: float | SupportsIndex) -> None:
    sys.audit("time.sleep", seconds)
    _sleep(seconds)


# Frames of this module's own that an audited call passes through: not the caller.
SHIM_CODES = frozenset({_sleep_that_raises_its_event.__code__})


def listen(events: frozenset[str], listener: Listener) -> None:
    """Call `listener(event, args)` for each of `events` raised in any thread, until `stop`.

    Listeners of nested test runs (a test that runs a test class) are all called, innermost
    last. A listener must not raise: its exception would escape from the audited call.
    """
    global _installed  # noqa: PLW0603 -- one hook per process, added once
    with _install_lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True
        if not _SLEEP_RAISES_ITS_EVENT and "time.sleep" in events:
            time.sleep = cast(Any, _sleep_that_raises_its_event)
        _listeners.append((events, listener))


def stop(listener: Listener) -> None:
    """Stop calling `listener`."""
    with _install_lock:
        _listeners[:] = [entry for entry in _listeners if entry[1] != listener]
        if not any("time.sleep" in events for events, _ in _listeners):
            time.sleep = _sleep


def listening() -> int:
    """How many listeners are listening now."""
    return len(_listeners)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    for events, listener in _listeners:
        if event in events:
            listener(event, args)
