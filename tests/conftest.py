"""Fixtures shared by the template's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines import snapshot_template
from tests.interpreters import find_interpreter
from tests.option_sets import SUPPORTED_PYTHONS


def pytest_report_header() -> list[str]:
    """Where each Python the rendered projects run on comes from, or that it is missing."""
    lines = []
    for version in SUPPORTED_PYTHONS:
        found = find_interpreter(version)
        where = "missing" if found is None else str(found.executable)
        if found is not None and found.root is not None:
            where += f" in the Debian root {found.root}"
        lines.append(f"Python {version}: {where}")
    return lines


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the template exactly as it is on disk now."""
    return snapshot_template(tmp_path_factory.mktemp("template"))
