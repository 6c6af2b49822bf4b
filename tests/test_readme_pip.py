"""The generated README's pip commands, run as written, install the project and pass its tests.

The README offers two ways in: uv, which every other test that installs a project follows
(`tests.environments`), and plain pip, which this test reads line by line from the rendered
README and runs in a shell. It uses the FastAPI answers, whose tests need the ``test``
dependency group (httpx): a README that forgot the group would fail here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.engines import render
from tests.environments import suite_summary
from tests.interpreters import find_python
from tests.option_sets import OPTION_SETS

OPTIONS = OPTION_SETS["py311-fastapi-mit"]


def pip_commands(readme: str) -> list[str]:
    """The commands of the console block after "With pip:", without their comments."""
    after = readme.split("\nWith pip:\n", 1)[1]
    block = after.split("```console\n", 1)[1].split("\n```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_pip_commands_install_the_project_and_its_tests_pass(
    template: Path, tmp_path: Path
) -> None:
    python = find_python(OPTIONS["python_version"])
    if python is None:
        pytest.skip(f"no Python {OPTIONS['python_version']} on this machine")
    project = render("cookiecutter", template, OPTIONS, tmp_path / "out", tmp_path / "home")
    *setup, start_service = pip_commands((project / "README.md").read_text(encoding="utf-8"))
    # The last line runs the service until Ctrl-C; the end-to-end tests cover what it does.
    assert start_service == f"python -m {project.name.replace('-', '_')}"

    result = subprocess.run(
        ["bash", "-e", "-c", "\n".join(setup)],
        cwd=project,
        env={
            **os.environ,
            "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = suite_summary(output)
    assert summary is not None, output
    assert summary[1] == 0, output
