"""Fixtures shared by the template's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.databases import find_initdb
from tests.engines import render, snapshot_template
from tests.interpreters import DEBIAN_PYTHONS, find_interpreter
from tests.option_sets import SUPPORTED_PYTHONS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Hand out the longest tests first: the generated suites, the postgres ones (two to three
    minutes each) before all. Begun last, they ran on alone at the end while a core sat idle."""

    def length_rank(item: pytest.Item) -> int:
        if "test_the_generated_suite_passes" not in item.name:
            return 2
        return 0 if "postgres" in item.name else 1

    items.sort(key=length_rank)


def pytest_report_header() -> list[str]:
    """Where each Python the rendered projects run on comes from, or that it is missing; and
    the PostgreSQL server their postgres suites start, here and in the Debian root."""
    lines = []
    for version in SUPPORTED_PYTHONS:
        found = find_interpreter(version)
        where = "missing" if found is None else str(found.executable)
        if found is not None and found.root is not None:
            where += f" in the Debian root {found.root}"
        lines.append(f"Python {version}: {where}")
    lines.append(f"PostgreSQL server: {find_initdb(None) or 'missing'}")
    in_root = [found for version in DEBIAN_PYTHONS if (found := find_interpreter(version))]
    for found in in_root[:1]:
        if found.root is not None:
            lines.append(f"PostgreSQL server in the Debian root: {find_initdb(found) or 'missing'}")
    return lines


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the template exactly as it is on disk now."""
    return snapshot_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def project(
    template: Path, tmp_path_factory: pytest.TempPathFactory, options: dict[str, str]
) -> Path:
    """The project cookiecutter renders with the module's `options` fixture."""
    work = tmp_path_factory.mktemp("render")
    return render("cookiecutter", template, options, work / "out", work / "home")
