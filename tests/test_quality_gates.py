"""Every generated project passes its own quality gates the day it is made, for every option set.

Each answer set is checked on its oldest Python, and each web framework on each of the newest
Pythons (3.14, 3.15: `tests.option_sets.matrix`), which may come from the Debian root of
`.ci/debian-root`; the project's own gates then run inside that root.

The gates are the ones its CI and pre-commit hooks run: ruff's lint and format check and
mypy --strict, with the versions its dev dependency group installs; plus the checks of its
configuration files: the GitHub workflow and Dependabot schemas (check-jsonschema's vendored
copies, offline), the pre-commit configuration, and hadolint on the Dockerfile. For the default
answers, the project's own pre-commit hooks that work offline also run over every file.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from hooks import answer_rules
from tests.engines import BIN, git, render
from tests.environments import install, run_in
from tests.interpreters import Interpreter, require_interpreter
from tests.option_sets import NEWEST_PYTHONS, matrix

CONFIG_CHECKS = {
    "workflow schema": [
        "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        ".github/workflows/ci.yml",
    ],
    "dependabot schema": [
        "check-jsonschema",
        "--builtin-schema",
        "vendor.dependabot",
        ".github/dependabot.yml",
    ],
    "pre-commit config": ["pre-commit", "validate-config", ".pre-commit-config.yaml"],
    "hadolint": ["hadolint", "Dockerfile"],
}
PROJECT_GATES = {
    "ruff check": ["ruff", "check"],
    "ruff format": ["ruff", "format", "--check"],
    "mypy --strict": ["mypy"],
}


RUNS = [
    pytest.param(options, version, id=f"{name}-py{version}")
    for name, options, version in matrix(NEWEST_PYTHONS)
]


def run_gate(command: list[str | Path], project: Path, where: Interpreter | None) -> str | None:
    """Run one gate in `project`, where `where` lives; return what it printed if it failed."""
    result = run_in(where, command, project)
    return None if result.returncode == 0 else result.stdout + result.stderr


@pytest.mark.parametrize(("options", "version"), RUNS)
def test_a_new_project_passes_every_gate(
    template: Path, tmp_path: Path, options: dict[str, str], version: str
) -> None:
    python = require_interpreter(version)
    project = render("cookiecutter", template, options, tmp_path / "out", tmp_path / "home")
    venv_bin = install(project, tmp_path / "venv", python, groups=("dev",)).parent

    # The configuration checks are the template suite's own tools, whatever the Python.
    failures = {
        name: output
        for name, command in CONFIG_CHECKS.items()
        if (output := run_gate([BIN / command[0], *command[1:]], project, None))
    }
    failures |= {
        name: output
        for name, command in PROJECT_GATES.items()
        if (output := run_gate([venv_bin / command[0], *command[1:]], project, python))
    }
    # The hooks need the template suite's uv on PATH: on the default answers' oldest Python.
    if (
        not options
        and python.root is None
        and (output := offline_pre_commit_failure(project, venv_bin, tmp_path))
    ):
        failures["pre-commit (offline hooks)"] = output
    assert not failures, "\n".join(f"--- {name}\n{output}" for name, output in failures.items())
    own = {options.get("package_name", project.name.replace("-", "_"))}
    unreserved = installed_module_names(venv_bin / "python", python) - reserved_module_names() - own
    assert not unreserved, f"package_name would accept names the project installs: {unreserved}"


def offline_pre_commit_failure(project: Path, venv_bin: Path, scratch: Path) -> str | None:
    """Run the project's local pre-commit hooks (ruff, ruff format, mypy) over all its files.

    The other hooks come from a repository pre-commit clones from GitHub, out of reach here.
    """
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    local = {"repos": [repo for repo in config["repos"] if repo["repo"] == "local"]}
    offline_config = scratch / "pre-commit-local.yaml"
    offline_config.write_text(yaml.safe_dump(local), encoding="utf-8")
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "UV_PROJECT_ENVIRONMENT": str(venv_bin.parent),
        "UV_PYTHON_DOWNLOADS": "never",
        "PRE_COMMIT_HOME": str(scratch / "pre-commit-home"),
    }
    result = subprocess.run(
        [str(venv_bin / "pre-commit"), "run", "--all-files", "--config", str(offline_config)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    hooks = [hook["id"] for repo in local["repos"] for hook in repo["hooks"]]
    if result.returncode == 0 and result.stdout.count("Passed") == len(hooks) == 3:
        return None
    return f"hooks {hooks}:\n{result.stdout}{result.stderr}"


def installed_module_names(python: Path, where: Interpreter) -> set[str]:
    """The top-level modules of every distribution in the environment, minus the stdlib's."""
    script = (
        "import importlib.metadata as m, sys; print(*(name for name in"
        " m.packages_distributions() if name not in sys.stdlib_module_names))"
    )
    result = run_in(where, [python, "-c", script], python.parent)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split()
    # mypyc's compiled helpers carry a hash in their name: nobody picks one as a package name.
    return {name for name in listed if not name.endswith("__mypyc")}


def reserved_module_names() -> set[str]:
    """The names package_name refuses because the project imports or installs them."""
    return set(answer_rules.PROJECT_MODULE_NAMES)
