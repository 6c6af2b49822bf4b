"""SIGTERM and SIGINT: how the process hears them, and why it stops hearing them at the end.

A signal sent to a process goes to any one of its threads that does not block it. The service
wants every shutdown signal handled by the event loop in the main thread, so each thread it
starts runs `leave_shutdown_signals_to_main_thread` first (pass it as a thread pool's
``initializer``).

`shutdown_on_signals` turns both signals into a call while the service runs. When it ends the
service has stopped and the process is on its way out with the exit status it will report, so
from then on both signals are ignored: a late SIGTERM must not turn a clean exit into death by
signal. The switch from the loop's handler to "ignore" is made with the signals blocked, so
that there is no instant at which one would meet the default action, which ends the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator

SHUTDOWN_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


def leave_shutdown_signals_to_main_thread() -> None:
    """Block SIGTERM and SIGINT in the calling thread, so that they reach the main thread."""
    signal.pthread_sigmask(signal.SIG_BLOCK, SHUTDOWN_SIGNALS)


@contextlib.contextmanager
def shutdown_on_signals(request_shutdown: Callable[[], None]) -> Iterator[None]:
    """Call `request_shutdown` on the running loop at each SIGTERM or SIGINT during the block.

    Meant for the process's main function: after the block, both signals are ignored.
    """
    loop = asyncio.get_running_loop()
    for signum in SHUTDOWN_SIGNALS:
        loop.add_signal_handler(signum, request_shutdown)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, SHUTDOWN_SIGNALS)
        for signum in SHUTDOWN_SIGNALS:
            loop.remove_signal_handler(signum)
            signal.signal(signum, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SHUTDOWN_SIGNALS)
