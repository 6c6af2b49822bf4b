"""A generated project builds from its lock file, refuses a stale one, and builds a wheel.

Its README says to commit ``uv.lock``; its CI and Dockerfile install with ``uv sync --locked``;
and its tests run under pytest and pytest-cov as well as under its own runner. This holds those
to what they promise, offline against the package index reachable here.
(Every other test that installs a project goes through the lock too: `tests.environments`.)
"""

from __future__ import annotations

import os
import subprocess
import tomllib
import zipfile
from pathlib import Path

from tests.engines import BIN, render
from tests.environments import install


def uv(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    env["UV_PROJECT_ENVIRONMENT"] = str(project.parent / "venv")
    return subprocess.run(
        [str(BIN / "uv"), *args], cwd=project, env=env, capture_output=True, text=True, check=False
    )


def test_the_lock_pins_everything_pytest_cov_agrees_a_stale_lock_fails_the_wheel_builds(
    template: Path, tmp_path: Path
) -> None:
    project = render("cookiecutter", template, {}, tmp_path / "out", tmp_path / "home")
    install(project, tmp_path / "out" / "venv", groups=("dev",))

    locked = {
        package["name"] for package in tomllib.loads((project / "uv.lock").read_text())["package"]
    }
    assert {"my-async-service", "aiohttp", "prometheus-client", "mypy", "ruff"} <= locked

    # Under pytest and pytest-cov too, as the README says: the same tests, the same coverage.
    under_pytest = uv(
        project,
        "run",
        "--with",
        "pytest",
        "--with",
        "pytest-cov",
        "pytest",
        "--cov",
        "-q",
        "-p",
        "no:cacheprovider",
    )
    assert under_pytest.returncode == 0, under_pytest.stdout + under_pytest.stderr
    assert "Required test coverage of 95.0% reached" in under_pytest.stdout

    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"aiohttp>=3.10",', '"aiohttp>=3.10",\n    "yarl>=1.9",'),
        encoding="utf-8",
    )
    stale = uv(project, "sync", "--locked")
    assert stale.returncode != 0
    assert "lockfile" in stale.stderr.lower(), stale.stderr

    built = uv(project, "build", "--wheel", "--out-dir", str(tmp_path / "dist"))
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("my_async_service-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "my_async_service/py.typed" in names
    assert "my_async_service/__main__.py" in names
    assert not [name for name in names if name.startswith("tests/")]
