"""One worker process of ``python -m tests -j N``: runs the classes its parent hands it.

`tests.support._parallel` starts it as ``python -X dev -W ... -m tests.support._worker FD``,
where FD is its end of a socket pair to the parent. The parent sends the run's settings first;
then the worker asks for a class at a time (a list of test ids, None when there are none left)
and runs it, within one run of unittest's, so that a module's fixtures run once however many of
its classes follow one another here. Around each test it tells the parent that the test began
(so that a crash can be pinned on it) and, once it ended, what its result changed. Between
tests it heeds a "stop" from the parent (``-f``: another worker failed).
"""

from __future__ import annotations

import dataclasses
import io
import sys
import unittest
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from tests.support._parallel import describe
from tests.support._results import CapturedLogResult
from tests.support._schedules_run import Cost, expanded
from tests.support.capture import Capture

_INTERRUPTED = 130  # what a shell reports for a process ended by Ctrl-C


class _Buffer(io.StringIO):
    """Where the worker's result prints; the parent prints it, a test's worth at a time."""

    def writeln(self, text: str = "") -> None:
        self.write(text + "\n")

    def take(self) -> str:
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return text


class _WorkerResult(CapturedLogResult):
    """The runner's result, reporting each test to the parent as it begins and as it ends."""

    def __init__(self, connection: Connection, settings: dict[str, Any]) -> None:
        self._buffer = _Buffer()
        super().__init__(self._buffer, True, settings["verbosity"])
        self.failfast = settings["failfast"]
        self.buffer = settings["buffer"]
        self.tb_locals = settings["tb_locals"]
        self.schedules = settings["schedules"]
        self._connection = connection
        self._sent = dict.fromkeys(_LISTS, 0)
        self._sent_tests_run = 0

    def startTest(self, test: unittest.TestCase) -> None:
        self._connection.send(("start", describe(test)))
        super().startTest(test)

    def stopTest(self, test: unittest.TestCase) -> None:
        super().stopTest(test)
        self.send_change()
        if self._connection.poll() and self._connection.recv() == "stop":
            self.stop()

    def send_change(self) -> None:
        """Send the parent what was printed and reported since the last change sent."""
        change: dict[str, Any] = {"output": self._buffer.take()}
        change["tests_run"], self._sent_tests_run = (
            self.testsRun - self._sent_tests_run,
            self.testsRun,
        )
        for name in _LISTS:
            entries = getattr(self, name, [])[self._sent[name] :]
            self._sent[name] += len(entries)
            change[name] = [_portable(entry) for entry in entries]
        change["cost"] = dataclasses.astuple(self.exploration)
        self.exploration = Cost()
        self._connection.send(("change", change))

    def next_class(self) -> unittest.TestSuite | None:
        """The next class to run, from the parent; None once there is none or it said stop."""
        self.send_change()
        if self.shouldStop:
            return None
        self._connection.send(("ask",))
        answer = self._connection.recv()
        if answer == "stop":
            self.stop()
        if not isinstance(answer, list):
            return None
        suite = unittest.TestLoader().loadTestsFromNames(answer)
        return expanded(suite, self.schedules) if self.schedules else suite


_LISTS = (
    "failures",
    "errors",
    "skipped",
    "expectedFailures",
    "unexpectedSuccesses",
    "collectedDurations",  # Python 3.12 and later
)


def _portable(entry: Any) -> Any:
    # (test, text) pairs, bare tests and (name, seconds) pairs, with each test described; a
    # test may be unittest's _ErrorHolder, which stands for a fixture and is no TestCase.
    if not isinstance(entry, tuple):
        return describe(entry)
    first, second = entry
    return (first if isinstance(first, str) else describe(first), second)


class _Classes(unittest.TestSuite):
    """The classes the parent hands out, asked for one at a time as the run reaches them."""

    def __init__(self, result: _WorkerResult) -> None:
        super().__init__()
        self._result = result

    def __iter__(self) -> Iterator[unittest.TestSuite | unittest.TestCase]:
        # unittest's run empties each slot it has run, by index: the list only grows.
        index = 0
        while True:
            if index == len(self._tests):
                next_class = self._result.next_class()
                if next_class is None:
                    return
                self.addTest(next_class)
            yield self._tests[index]
            index += 1


def main(descriptor: int) -> int:
    """Run what the parent at the other end of `descriptor` hands out; 0 once there is no more."""
    connection = Connection(descriptor)
    settings = connection.recv()
    sys.path[:] = settings["sys_path"]
    result = _WorkerResult(connection, settings)
    with Capture(live=settings["show_logs"]):
        result.startTestRun()
        try:
            _Classes(result).run(result)
        finally:
            result.stopTestRun()
        result.send_change()
    connection.send(("finished",))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(int(sys.argv[1])))
    except KeyboardInterrupt:
        # The parent interrupted this worker (Ctrl-C) and reports it; the tests have cleaned up.
        sys.exit(_INTERRUPTED)
