"""Install a rendered project into a fresh virtual environment, with uv and the machine's Pythons.

uv shares one package cache between every environment the suite makes (the Debian root has its
own), and never downloads an interpreter here (`UV_PYTHON_DOWNLOADS=never`): each environment
uses a Python already installed. An environment made with an `Interpreter` from the Debian root
exists, and runs, only inside that root: pass the same interpreter to `run_suite` and `run_in`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from pathlib import Path

from tests.engines import BIN
from tests.interpreters import Interpreter


def install(
    project: Path,
    venv: Path,
    python: Interpreter | None = None,
    groups: tuple[str, ...] = ("test",),
) -> Path:
    """Install `project` into a new environment at `venv` the way its README says: from uv.lock.

    Writes the project's ``uv.lock`` if it has none (``uv lock``, as ``uv sync`` would), then
    installs with ``uv sync --locked``, as its CI and Dockerfile do: the runtime dependencies,
    plus the dependency `groups` named (by default ``test``, what its suite needs). With `python`,
    uv runs where that interpreter lives and builds the environment with it. Returns the
    environment's Python.
    """
    interpreter = ["--python", str(python.executable)] if python else []
    if not (project / "uv.lock").exists():
        _uv("lock", "--quiet", *interpreter, cwd=project, python=python)
    group_options = [option for group in groups for option in ("--group", group)]
    _uv(
        "sync",
        "--locked",
        "--quiet",
        "--no-default-groups",
        *group_options,
        *interpreter,
        cwd=project,
        environment=venv,
        python=python,
    )
    return venv / "bin" / "python"


def run_suite(
    python: Path, project: Path, *args: str, interpreter: Interpreter | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the project's own runner, ``python -m tests *args``, as its README says to.

    Several projects' suites run at once here on two cores, at the toolkit's own defaults: its
    slow-callback check counts CPU time, which a crowded machine does not stretch. The timeout
    only stops a suite that hangs: a postgres project's end-to-end tests take about two minutes
    on a busy machine.
    """
    return run_in(interpreter, [python, "-m", "tests", *args], project, timeout=360)


def run_in(
    interpreter: Interpreter | None,
    argv: list[str | Path],
    cwd: Path,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` in `cwd` where `interpreter` lives (None: here), capturing its output.

    The command runs in a process group of its own, which is killed whole if it times out or
    the suite is interrupted: a project's runner re-executes itself in development mode, and
    its tests start services and database clusters, none of which may outlive the test.
    """
    command = interpreter.command(argv, cwd) if interpreter else [str(arg) for arg in argv]
    with subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def suite_summary(output: str) -> tuple[int, int, int] | None:
    """The counts (passed, failed, skipped) on the runner's closing line; None without one."""
    lines = output.rstrip().splitlines()
    found = _SUMMARY.fullmatch(lines[-1]) if lines else None
    if found is None:
        return None
    passed, failed, skipped = map(int, found.groups())
    return passed, failed, skipped


_SUMMARY = re.compile(r"(\d+) passed, (\d+) failed, (\d+) skipped")


def _uv(
    *args: str, cwd: Path, environment: Path | None = None, python: Interpreter | None = None
) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    if environment is not None:
        env["UV_PROJECT_ENVIRONMENT"] = str(environment)
    command = python.command([python.uv, *args], cwd) if python else [str(BIN / "uv"), *args]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"uv {' '.join(args)} failed:\n{result.stderr}"
