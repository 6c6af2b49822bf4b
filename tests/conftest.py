"""Fixtures shared by the template's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines import snapshot_template


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the template exactly as it is on disk now."""
    return snapshot_template(tmp_path_factory.mktemp("template"))
