"""Render the template with each engine the way a user would, from a snapshot of this checkout.

Every engine reads the template from a git repository (cruft and copier clone it), so the tests
first copy the working tree, committed or not, into a fresh repository: what is tested is what
is on disk. Each engine then runs as its command-line tool, isolated from the user's own
configuration, and the functions here return the path of the project it made.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENGINES = ("cookiecutter", "copier", "cruft")
ANSWERS_FILES = {"copier": ".copier-answers.yml", "cruft": ".cruft.json"}
DEFAULT_SLUG = "my-async-service"
# The questions cookiecutter asks, in order: one prompt each.
QUESTIONS = [
    name
    for name in json.loads((REPO_ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
    if not name.startswith("_")
]


def snapshot_template(destination: Path) -> Path:
    """Copy the template's files as they are on disk into a new git repository at `destination`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "--quiet", "--initial-branch=main")
    git(destination, "add", "--all")
    git(destination, "commit", "--quiet", "--message=snapshot")
    return destination


def git(repository: Path, *args: str) -> str:
    """Run git in `repository` with a fixed identity, returning its output."""
    return subprocess.run(
        ["git", *args], cwd=repository, env=_git_env(), capture_output=True, text=True, check=True
    ).stdout


def isolated_env(home: Path) -> dict[str, str]:
    """An environment in which no engine reads or writes the user's own settings."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "cookiecutterrc.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "cookiecutters_dir": str(home / "cookiecutters"),
                "replay_dir": str(home / "replay"),
            }
        )
    )
    return {
        **_git_env(),
        "HOME": str(home),
        "COOKIECUTTER_CONFIG": str(config),
        "COPIER_SETTINGS_PATH": str(home / "copier-settings.yml"),
        "PYTHONUTF8": "1",
    }


def run_engine(
    engine: str, template: Path, answers: Mapping[str, str], parent: Path, home: Path
) -> subprocess.CompletedProcess[str]:
    """Run `engine` non-interactively, writing the project below `parent`."""
    parent.mkdir(parents=True, exist_ok=True)
    if engine == "cookiecutter":
        pairs = [f"{name}={value}" for name, value in answers.items()]
        command = [str(BIN / "cookiecutter"), "--no-input", "-o", str(parent), str(template)]
        command += pairs
    elif engine == "copier":
        destination = parent / answers.get("project_slug", DEFAULT_SLUG)
        command = [str(BIN / "copier"), "copy", "--defaults", "--quiet"]
        if answers:
            data_file = home / "copier-data.yml"
            home.mkdir(parents=True, exist_ok=True)
            data_file.write_text(yaml.safe_dump(dict(answers), allow_unicode=True), "utf-8")
            command += ["--data-file", str(data_file)]
        command += [str(template), str(destination)]
    elif engine == "cruft":
        command = [str(BIN / "cruft"), "create", "--no-input", "--output-dir", str(parent)]
        command += ["--extra-context", json.dumps(dict(answers)), str(template)]
    else:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    return subprocess.run(
        command, cwd=parent, env=isolated_env(home), capture_output=True, text=True, check=False
    )


def render(
    engine: str, template: Path, answers: Mapping[str, str], parent: Path, home: Path
) -> Path:
    """Render with `engine` and return the project's directory, or fail with what it printed."""
    result = run_engine(engine, template, answers, parent, home)
    if result.returncode != 0:
        raise AssertionError(f"{engine} failed:\n{result.stdout}\n{result.stderr}")
    (project,) = (path for path in parent.iterdir() if path.is_dir())
    return project


def tree(project: Path) -> dict[str, bytes]:
    """Every file below `project`, by its path relative to it, with its bytes."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file()
    }


def _git_env() -> dict[str, str]:
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "Template Tests",
        "GIT_AUTHOR_EMAIL": "tests@example.com",
        "GIT_COMMITTER_NAME": "Template Tests",
        "GIT_COMMITTER_EMAIL": "tests@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
