"""Checks that a rendered project's files are well formed, whatever the answers were."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import yaml

JINJA_MARKERS = ("{{", "{%", "{#")
# GitHub Actions expressions, ${{ ... }}, are meant to reach the generated workflows intact.
GITHUB_EXPRESSION = re.compile(r"\$\{\{[^}]*\}\}")


def assert_files_parse(project: Path) -> None:
    """Fail unless every Python, TOML, YAML and JSON file parses as its type says."""
    for name, path in _files(project):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            compile(text, name, "exec")
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in (".yml", ".yaml"):
            yaml.safe_load(text)
        elif path.suffix == ".json":
            json.loads(text)


def assert_no_template_syntax(project: Path) -> None:
    """Fail if any file still holds Jinja syntax: a tag or expression the engine did not render."""
    for name, path in _files(project):
        text = GITHUB_EXPRESSION.sub("", path.read_text(encoding="utf-8"))
        leftover = [marker for marker in JINJA_MARKERS if marker in text]
        assert not leftover, f"{name} still holds {leftover}"


def _files(project: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(project.rglob("*")):
        if path.is_file() and not {".venv", ".git"} & set(path.parts):
            yield path.relative_to(project).as_posix(), path
