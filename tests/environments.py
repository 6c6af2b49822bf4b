"""Install a rendered project into a fresh virtual environment, with uv and the machine's Pythons.

uv shares one package cache between every environment the suite makes, and never downloads an
interpreter here (`UV_PYTHON_DOWNLOADS=never`): each environment uses a Python already installed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.engines import BIN


def install(
    project: Path, venv: Path, python: Path | None = None, groups: tuple[str, ...] = ()
) -> Path:
    """Install `project`, and its dependency `groups`, into a new environment at `venv`.

    Returns the environment's Python.
    """
    interpreter = ["--python", str(python)] if python else []
    _uv("venv", "--quiet", *interpreter, str(venv), cwd=project)
    venv_python = venv / "bin" / "python"
    group_options = [option for group in groups for option in ("--group", group)]
    _uv("pip", "install", "--quiet", "--python", str(venv_python), ".", *group_options, cwd=project)
    return venv_python


def run_suite(python: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the project's own runner, ``python -m tests *args``, as its README says to."""
    return subprocess.run(
        [str(python), "-m", "tests", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _uv(*args: str, cwd: Path) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    result = subprocess.run(
        [str(BIN / "uv"), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"uv {' '.join(args)} failed:\n{result.stderr}"
