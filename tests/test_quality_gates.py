"""Every generated project passes its own quality gates the day it is made, for every option set.

The gates are the ones its CI and pre-commit hooks run: ruff's lint and format check and
mypy --strict, with the versions its dev dependency group installs; plus the checks of its
configuration files: the GitHub workflow and Dependabot schemas (check-jsonschema's vendored
copies, offline), the pre-commit configuration, and hadolint on the Dockerfile. For the default
answers, the project's own pre-commit hooks that work offline also run over every file.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.engines import BIN, REPO_ROOT, git, render
from tests.environments import install
from tests.interpreters import find_python
from tests.option_sets import OPTION_SETS, pythons_for

HOOK = REPO_ROOT / "hooks" / "pre_gen_project.py"
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


def run_gate(command: list[str], project: Path) -> str | None:
    """Run one gate in `project`; return what it printed if it failed."""
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    return None if result.returncode == 0 else result.stdout + result.stderr


@pytest.mark.parametrize("options", OPTION_SETS.values(), ids=OPTION_SETS.keys())
def test_a_new_project_passes_every_gate(
    template: Path, tmp_path: Path, options: dict[str, str]
) -> None:
    python = find_python(pythons_for(options)[0])
    if python is None:
        pytest.skip(f"no Python {pythons_for(options)[0]} on this machine")
    project = render("cookiecutter", template, options, tmp_path / "out", tmp_path / "home")
    venv_bin = install(project, tmp_path / "venv", python, groups=("dev",)).parent

    failures = {
        name: output
        for name, command in CONFIG_CHECKS.items()
        if (output := run_gate([str(BIN / command[0]), *command[1:]], project))
    }
    failures |= {
        name: output
        for name, command in PROJECT_GATES.items()
        if (output := run_gate([str(venv_bin / command[0]), *command[1:]], project))
    }
    if not options and (output := offline_pre_commit_failure(project, venv_bin, tmp_path)):
        failures["pre-commit (offline hooks)"] = output
    assert not failures, "\n".join(f"--- {name}\n{output}" for name, output in failures.items())
    own = {options.get("package_name", project.name.replace("-", "_"))}
    unreserved = installed_module_names(venv_bin / "python") - reserved_module_names() - own
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


def installed_module_names(python: Path) -> set[str]:
    """The top-level modules of every distribution in the environment, minus the stdlib's."""
    listed = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, sys; print(*(name for name in"
            " m.packages_distributions() if name not in sys.stdlib_module_names))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # mypyc's compiled helpers carry a hash in their name: nobody picks one as a package name.
    return {name for name in listed if not name.endswith("__mypyc")}


def reserved_module_names() -> set[str]:
    spec = importlib.util.spec_from_file_location("hook_rules", HOOK)
    assert spec is not None
    assert spec.loader is not None
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    return set(rules.PROJECT_MODULE_NAMES)
