"""Proof that `VirtualTimeTestCase` is a drop-in base for `IsolatedAsyncioTestCase` suites.

Each suite (a dotted test module importable by this interpreter) runs three times, each in a
fresh interpreter with the project's flags (`-X dev -W error::RuntimeWarning
-W error::ResourceWarning`):

- plain: as written, on `unittest.IsolatedAsyncioTestCase`;
- virtual: with `IsolatedAsyncioTestCase` replaced by `VirtualTimeTestCase` before the suite is
  imported, every `fail_on_*` check off, so only virtual time differs;
- strict: replaced by `VirtualTimeTestCase` with every check on, as the project runs.

The table gives tests run, failures, errors, skips and wall time per mode; then the tests that
fail in one mode and not in plain, with the first line of their message.

    python -m benchmarks.drop_in [--timeout SECONDS] [test.module ...]

With no module named, it runs the suites of CPython's own `test.test_asyncio` package that use
`IsolatedAsyncioTestCase` and exist in this interpreter. A PyPI package's suite runs the same
way once its source is on PYTHONPATH, e.g. `aiosqlite.tests.smoke` from its sdist.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import subprocess
import sys
import time
import unittest
from typing import TypedDict

_MODES = ("plain", "virtual", "strict")
_CPYTHON_SUITES = [
    f"test.test_asyncio.{name}"
    for name in (
        "test_taskgroups",
        "test_timeouts",
        "test_waitfor",
        "test_locks",
        "test_queues",
        "test_futures2",
        "test_threads",
        "test_server",
        "test_staggered",
        "test_graph",
    )
]
_FLAGS = ["-X", "dev", "-W", "error::RuntimeWarning", "-W", "error::ResourceWarning"]


class _Outcome(TypedDict):
    run: int
    failed: int
    errors: int
    skipped: int
    seconds: float
    broken: dict[str, str]


_CHECKS = (
    "fail_on_pending_tasks",
    "fail_on_unawaited_coroutines",
    "fail_on_lost_exceptions",
    "fail_on_unclosed_resources",
    "fail_on_slow_callbacks",
    "fail_on_callback_errors",
)


def _run_here(mode: str, module: str) -> _Outcome:
    if mode != "plain":
        from tests.support import VirtualTimeTestCase  # noqa: PLC0415 -- plain mode never loads it

        base: type[unittest.IsolatedAsyncioTestCase] = VirtualTimeTestCase
        if mode == "virtual":
            base = type("VirtualTimeOnly", (VirtualTimeTestCase,), dict.fromkeys(_CHECKS, False))
        setattr(unittest, "IsolatedAsyncioTestCase", base)  # noqa: B010 -- mypy forbids assigning a class
        setattr(unittest.async_case, "IsolatedAsyncioTestCase", base)  # noqa: B010
    suite = unittest.defaultTestLoader.loadTestsFromName(module)
    runner = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0)
    started = time.perf_counter()
    result = runner.run(suite)
    seconds = time.perf_counter() - started
    return {
        "run": result.testsRun,
        "failed": len(result.failures),
        "errors": len(result.errors),
        "skipped": len(result.skipped),
        "seconds": seconds,
        "broken": {test.id(): _last_line(text) for test, text in result.failures + result.errors},
    }


def _last_line(traceback_text: str) -> str:
    lines = [line for line in traceback_text.splitlines() if line and not line[0].isspace()]
    return lines[-1][:160] if lines else ""


def _run_child(mode: str, module: str, timeout: float) -> _Outcome | str:
    command = [sys.executable, *_FLAGS, "-m", "benchmarks.drop_in", "--child", mode, module]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:g} s"
    if completed.returncode != 0:
        return "crashed: " + " ".join(completed.stderr.strip().splitlines()[-1:])
    outcome: _Outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    return outcome


def _report(module: str, outcomes: dict[str, _Outcome | str]) -> None:
    print(f"\n{module}")
    for mode, outcome in outcomes.items():
        if isinstance(outcome, str):
            print(f"  {mode:<8} {outcome}")
            continue
        print(
            f"  {mode:<8} run {outcome['run']:>4}  failed {outcome['failed']:>3}  "
            f"errors {outcome['errors']:>3}  skipped {outcome['skipped']:>3}  "
            f"{outcome['seconds']:>7.2f} s"
        )
    plain = outcomes["plain"]
    broken_before = plain["broken"] if not isinstance(plain, str) else {}
    for mode in _MODES[1:]:
        outcome = outcomes[mode]
        if isinstance(outcome, str):
            continue
        for test_id, message in sorted(outcome["broken"].items()):
            if test_id not in broken_before:
                print(f"    {mode}: {'.'.join(test_id.rsplit('.', 2)[-2:])}: {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "MODULE"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds one suite may run in one mode"
    )
    options = parser.parse_args()
    if options.child:
        print(json.dumps(_run_here(*options.child)))
        return
    modules = options.modules or [m for m in _CPYTHON_SUITES if importlib.util.find_spec(m)]
    print(f"Python {sys.version.split()[0]}; flags {' '.join(_FLAGS)}")
    for module in modules:
        _report(module, {mode: _run_child(mode, module, options.timeout) for mode in _MODES})


if __name__ == "__main__":
    main()
