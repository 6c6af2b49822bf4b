"""``python -m tests -j N``: the suite across N worker processes, printed as a serial run prints it.

The parent process discovers the tests as a serial run does (so test names, ``-k`` and the
discovery options mean the same), then hands them out by class to N workers
(`tests.support._worker`), each a ``python -X dev`` process with the runner's warnings as
errors. Work is shared through one queue, not split in advance: a worker that finishes asks for
more. It gets the next class of the module it is in, so that ``setUpModule`` runs once per
module per worker; else a module no worker has started, in the order of discovery; else, at the
end, a class of the module with the most left, so that no worker idles while another still has a
queue of its own, unless that module has a ``setUpModule``: setting it up again in a second
worker would cost more than it saves.

Each worker runs its tests with the runner's own result (`tests.support._results`) writing to
a buffer, and after each test sends the parent what changed: what it printed (a dot, or a line
with ``-v``) and the new entries of its failures, errors, skips and so on, each report already
complete with its captured log. The parent prints the first, adds the rest to its own result,
and ends as a serial run does: the reports, unittest's footer, the summary line. The output is
a serial run's, but for the order of the dots and the time taken.

A worker that dies (a crash in C, ``os._exit``) is reported as an error of the test it was
running (or of the class whose fixtures it was in), and the tests of that class it had not
started go back to the queue, for a new worker. ``-f`` stops every worker after its current
test; Ctrl-C interrupts each worker, whose tests clean up as on a serial Ctrl-C, then the parent.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import unittest
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from tests.support._results import CapturedLogResult, SummaryRunner
from tests.support._schedules_run import Cost

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

# Keeps this module's frames out of the reports of lost workers, as unittest does for its own.
__unittest = True

# What a worker's connection raises once the worker is gone: an end, or a reset connection
# when it went with a "stop" unread.
_WORKER_GONE = (EOFError, ConnectionResetError)
# How long a worker interrupted by Ctrl-C may take to clean up before it is killed.
_INTERRUPTED_WORKER_GRACE_S = 10.0


class ParallelRunner(SummaryRunner):
    """`SummaryRunner` whose `run` hands the tests out to `jobs` worker processes."""

    jobs: int = 2
    show_logs: bool = False

    def work(self, test: unittest.TestSuite | unittest.TestCase) -> unittest.TestSuite:
        return _Dispatch(test, self)

    def settings(self) -> dict[str, Any]:
        """What a worker needs to run tests as this runner would, sent when it starts."""
        return {
            "verbosity": self.verbosity,
            "failfast": self.failfast,
            "buffer": self.buffer,
            "tb_locals": self.tb_locals,
            "show_logs": self.show_logs,
            "schedules": self.schedules,
            "sys_path": sys.path,
        }


class RemoteTest(unittest.TestCase):
    """A test a worker ran, as the parent's result holds it: its id, name and schedule."""

    def __init__(self, described: dict[str, Any]) -> None:
        super().__init__()
        self._id: str = described["id"]
        self._name: str = described["str"]
        self._short: str | None = described["short"]
        self.schedule_seed: int | None = described["seed"]
        self.explore_schedules: bool = described["explores"]
        if described["owner"] is not None:
            # A subtest: what it belongs to, as unittest's _SubTest says it.
            self.test_case = RemoteTest(described["owner"])

    def id(self) -> str:
        return self._id

    def __str__(self) -> str:
        return self._name

    def shortDescription(self) -> str | None:
        return self._short


def describe(test: Any) -> dict[str, Any]:
    """What the parent needs of `test` (a test, subtest or fixture) to report it as `RemoteTest`."""
    owner = getattr(test, "test_case", None)
    return {
        "id": test.id(),
        "str": str(test),
        "short": test.shortDescription(),
        "seed": getattr(test, "schedule_seed", None),
        "explores": bool(getattr(test, "explore_schedules", False)),
        "owner": describe(owner) if owner is not None else None,
    }


def replay(result: CapturedLogResult, change: dict[str, Any]) -> None:
    """Add to `result` what a worker's result reported since its last `change`."""
    result.stream.write(change["output"])
    result.stream.flush()
    result.testsRun += change["tests_run"]
    result.failures.extend((RemoteTest(test), text) for test, text in change["failures"])
    result.errors.extend((RemoteTest(test), text) for test, text in change["errors"])
    result.skipped.extend((RemoteTest(test), reason) for test, reason in change["skipped"])
    result.expectedFailures.extend(
        (RemoteTest(test), text) for test, text in change["expectedFailures"]
    )
    result.unexpectedSuccesses.extend(RemoteTest(test) for test in change["unexpectedSuccesses"])
    if hasattr(result, "collectedDurations"):  # Python 3.12 and later: --durations
        result.collectedDurations.extend(change["collectedDurations"])
    result.exploration.merge(Cost(*change["cost"]))
    failed = change["failures"] or change["errors"] or change["unexpectedSuccesses"]
    if failed and result.failfast:
        result.stop()


@dataclasses.dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    connection: Connection
    module: str | None = None
    unit: list[str] = dataclasses.field(default_factory=list)
    started: set[str] = dataclasses.field(default_factory=set)
    running: dict[str, Any] | None = None
    finished: bool = False


class _Queue:
    """The classes left to run, by module: see the module's docstring for who gets which."""

    def __init__(self, tests: list[unittest.TestCase]) -> None:
        by_module: dict[str, dict[type, list[str]]] = {}
        for test in tests:
            classes = by_module.setdefault(type(test).__module__, {})
            classes.setdefault(type(test), []).append(test.id())
        self._left = {
            module: collections.deque(classes.values()) for module, classes in by_module.items()
        }
        self._fresh = collections.deque(by_module)
        # A module with a setUpModule is never shared: a second worker would set it up again.
        self._shareable = {
            module for module in by_module if not hasattr(sys.modules[module], "setUpModule")
        }

    def __len__(self) -> int:
        """How many classes are left."""
        return sum(map(len, self._left.values()))

    def take(self, module: str | None) -> tuple[str, list[str]] | None:
        """The next class for a worker last in `module`, as its module and test ids."""
        if module is None or not self._left[module]:
            module = self._next_module()
        return None if module is None else (module, self._left[module].popleft())

    def put_back(self, module: str, ids: list[str]) -> None:
        """Run `ids` again, first: the tests of `module` that a worker that died had not begun."""
        self._left[module].appendleft(ids)
        self._fresh.appendleft(module)

    def _next_module(self) -> str | None:
        while self._fresh:
            module = self._fresh.popleft()
            if self._left[module]:
                return module
        shared = [module for module in self._shareable if self._left[module]]
        return max(shared, key=lambda module: len(self._left[module]), default=None)


class _Dispatch(unittest.TestSuite):
    """The run of the parent: its tests, handed out to workers, their results replayed."""

    def __init__(self, test: unittest.TestSuite | unittest.TestCase, runner: ParallelRunner):
        super().__init__()
        self._runner = runner
        # unittest's stand-ins for what failed to load (a module that does not import) hold
        # their error, not a name a worker could load: the parent runs them itself.
        self._here: list[unittest.TestCase] = []
        elsewhere: list[unittest.TestCase] = []
        for leaf in _leaves(test):
            is_stand_in = type(leaf).__module__.startswith("unittest.")
            (self._here if is_stand_in else elsewhere).append(leaf)
        self._queue = _Queue(elsewhere)
        self._workers: list[_Worker] = []
        self._stopping = False

    def run(self, result: unittest.TestResult, debug: bool = False) -> unittest.TestResult:
        assert isinstance(result, CapturedLogResult)
        unittest.TestSuite(self._here).run(result)
        try:
            for _ in range(min(self._runner.jobs, len(self._queue))):
                self._workers.append(self._start_worker())
            while self._workers:
                self._serve(result)
        except BaseException:
            self._interrupt_workers()
            raise
        return result

    def _serve(self, result: CapturedLogResult) -> None:
        if result.shouldStop and not self._stopping:
            self._stopping = True
            for worker in self._workers:
                _send(worker, "stop")
        for ready in wait([worker.connection for worker in self._workers]):
            worker = next(worker for worker in self._workers if worker.connection is ready)
            try:
                message = worker.connection.recv()
            except _WORKER_GONE:
                self._end(worker, result)
            else:
                self._handle(worker, message, result)

    def _handle(self, worker: _Worker, message: tuple[Any, ...], result: CapturedLogResult) -> None:
        kind = message[0]
        if kind == "ask":
            taken = None if self._stopping else self._queue.take(worker.module)
            if taken is not None:
                worker.module, worker.unit = taken
                worker.started = set()
            _send(worker, taken[1] if taken is not None else None)
        elif kind == "start":
            worker.running = message[1]
            worker.started.add(message[1]["id"])
        elif kind == "change":
            worker.running = None
            replay(result, message[1])
        elif kind == "finished":
            worker.finished = True

    def _end(self, worker: _Worker, result: CapturedLogResult) -> None:
        self._workers.remove(worker)
        worker.connection.close()
        status = worker.process.wait()
        if worker.finished or self._stopping:
            return
        self._report_lost(worker, status, result)
        left = [test for test in worker.unit if test not in worker.started]
        if left and worker.module is not None:
            self._queue.put_back(worker.module, left)
        if self._queue and not result.shouldStop:
            self._workers.append(self._start_worker())

    def _report_lost(self, worker: _Worker, status: int, result: CapturedLogResult) -> None:
        ended = f"signal {signal.Signals(-status).name}" if status < 0 else f"exit status {status}"
        pid = worker.process.pid
        if worker.running is not None:
            test = RemoteTest(worker.running)
            result.startTest(test)
            result.addError(test, _lost(f"running this test ended with {ended} before it did", pid))
            result.stopTest(test)
            return
        where = worker.unit[0].rpartition(".")[0] if worker.unit else str(worker.module)
        holder = RemoteTest(
            {"id": where, "str": f"{where} (fixtures)", "short": None, "seed": None}
            | {"explores": False, "owner": None}
        )
        result.addError(holder, _lost(f"running {where} ended with {ended} outside its tests", pid))

    def _start_worker(self) -> _Worker:
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [*_dev_mode_python(), "-m", "tests.support._worker", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                # Away from the terminal's Ctrl-C: the parent interrupts its workers itself.
                process_group=0,
            )
        connection = Connection(ours.detach())
        connection.send(self._runner.settings())
        return _Worker(process, connection)

    def _interrupt_workers(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.process.pid, signal.SIGINT)
        for worker in self._workers:
            try:
                worker.process.wait(_INTERRUPTED_WORKER_GRACE_S)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            worker.connection.close()
        self._workers = []


def _lost(what: str, pid: int) -> OptExcInfo:
    try:
        raise ChildProcessError(f"the test process (pid {pid}) {what}") from None
    except ChildProcessError:
        # Reported with no traceback: the frames are this module's (see __unittest).
        return sys.exc_info()


def _send(worker: _Worker, message: object) -> None:
    # A worker that stopped by itself (-f) may be gone: its end shows next as a closed connection.
    with contextlib.suppress(OSError):
        worker.connection.send(message)


def _leaves(test: unittest.TestSuite | unittest.TestCase) -> Iterator[unittest.TestCase]:
    if isinstance(test, unittest.TestSuite):
        for member in test:
            yield from _leaves(member)
    else:
        yield test


def _dev_mode_python() -> list[str]:
    # The parent runs in the runner's development mode already: its workers get the same flags.
    warning_flags = [flag for option in sys.warnoptions for flag in ("-W", option)]
    return [sys.executable, "-X", "dev", *warning_flags]
