"""What the answers put into a generated project: metadata, licence, package, valid files."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from tests.checks import assert_files_parse, assert_no_template_syntax
from tests.engines import REPO_ROOT
from tests.option_sets import OPTION_SETS, pythons_for

# The names by which each web framework's code shows itself in a project's sources (httpx is
# the tests' client on both).
FRAMEWORK_NAMES = {
    "aiohttp": ("aiohttp",),
    "fastapi": ("fastapi", "uvicorn", "starlette", "pydantic"),
}
# What each job store adds to a project: its runtime dependencies, and its own files.
STORE_DEPENDENCIES = {"sqlite": set(), "postgres": {"psycopg", "psycopg-pool"}}
POSTGRES_FILES = (
    "src/{package}/postgres_store.py",
    "src/{package}/postgres_connections.py",
    "src/{package}/postgres_schema.py",
    "tests/support/postgres.py",
    "tests/test_service_on_postgres.py",
    "tests/test_postgres_store.py",
    "compose.yaml",
)
PSYCOPG_IMPORT = re.compile(r"^\s*(import|from) psycopg", re.MULTILINE)
LICENSE_HEADINGS = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
}


@pytest.fixture(scope="module", params=OPTION_SETS.values(), ids=OPTION_SETS.keys())
def options(request: pytest.FixtureRequest) -> dict[str, str]:
    return request.param


def test_files_are_well_formed(project: Path) -> None:
    assert_files_parse(project)
    assert_no_template_syntax(project)


def test_metadata_follows_the_answers(project: Path, options: dict[str, str]) -> None:
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["name"] == project.name
    assert metadata["requires-python"] == f">={options.get('python_version', '3.11')}"
    classifiers = {c for c in metadata["classifiers"] if c.startswith("Programming Language")}
    expected = {f"Programming Language :: Python :: {v}" for v in pythons_for(options)}
    assert classifiers == expected | {"Programming Language :: Python :: 3 :: Only"}
    web_dependencies = {
        "aiohttp": {"aiohttp", "prometheus-client"},
        "fastapi": {"fastapi", "prometheus-client", "uvicorn"},
        "none": set(),
    }[options.get("web_framework", "aiohttp")]
    store_dependencies = STORE_DEPENDENCIES[options.get("job_store", "sqlite")]
    assert {re.split(r"[<>=!~ \[]", d)[0] for d in metadata["dependencies"]} == (
        web_dependencies | store_dependencies
    )


def test_only_the_chosen_web_framework_appears_in_the_sources(
    project: Path, options: dict[str, str]
) -> None:
    chosen = options.get("web_framework", "aiohttp")
    package = options.get("package_name", project.name.replace("-", "_"))
    web_files = [project / "src" / package / "web.py"]
    web_files.append(project / "tests" / "test_web.py")
    assert all(path.is_file() == (chosen != "none") for path in web_files)
    sources = [*project.rglob("*.py"), project / "pyproject.toml", project / "Dockerfile"]
    for framework, names in FRAMEWORK_NAMES.items():
        if framework == chosen:
            continue
        mentions = [
            f"{path.relative_to(project)}: {name}"
            for path in sources
            for name in names
            if name in path.read_text(encoding="utf-8").lower()
        ]
        assert not mentions, f"{framework} code in a {chosen} project: {mentions}"


def test_only_the_chosen_job_store_appears(project: Path, options: dict[str, str]) -> None:
    postgres = options.get("job_store", "sqlite") == "postgres"
    package = options.get("package_name", project.name.replace("-", "_"))
    for name in POSTGRES_FILES:
        path = project / name.format(package=package)
        assert path.is_file() == postgres, f"{name} in a {options.get('job_store')} project"
    importing = [
        path.relative_to(project).as_posix()
        for path in project.rglob("*.py")
        if PSYCOPG_IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert bool(importing) == postgres, f"psycopg imported by {importing}"
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    # The image of a postgres project keeps no jobs of its own: no SQLite file, no volume.
    assert ("VOLUME" in dockerfile) == ("_JOBS_DATABASE=" in dockerfile) == (not postgres)


def test_the_chosen_license(project: Path, options: dict[str, str]) -> None:
    license_id = options.get("license", "MIT")
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    license_file = project / "LICENSE"
    if license_id == "Proprietary":
        assert metadata["license"] == "LicenseRef-Proprietary"
        assert not license_file.exists()
        return
    assert metadata["license"] == license_id
    text = license_file.read_text(encoding="utf-8")
    assert text.lstrip().startswith(LICENSE_HEADINGS[license_id])
    assert f"{date.today().year}" in text
    assert "Your Name" in text


def test_the_package_is_where_its_name_says(project: Path, options: dict[str, str]) -> None:
    package_name = options.get("package_name", project.name.replace("-", "_"))
    package = project / "src" / package_name
    assert (package / "__init__.py").is_file()
    assert (package / "py.typed").is_file()
    assert (project / "tests" / "__main__.py").is_file()


DIRECT_TIME = re.compile(
    r"\btime\.(monotonic|time|perf_counter|sleep)\b|\bdatetime\.(now|utcnow|today)\b"
    r"|\basyncio\.sleep\b|\.time\(\)"
)


def test_the_service_reads_time_only_through_its_clock(project: Path) -> None:
    for path in (project / "src").rglob("*.py"):
        if path.name == "clock.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not DIRECT_TIME.search(line), f"{path.name}:{number} reads time directly: {line}"


def test_ci_keeps_github_expressions_and_tests_every_supported_python(
    project: Path, options: dict[str, str]
) -> None:
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "${{ matrix.python }}" in workflow
    versions = ", ".join(f'"{version}"' for version in pythons_for(options))
    assert f"python: [{versions}]" in workflow


def test_template_file_names_can_be_checked_out_on_windows() -> None:
    forbidden = set('<>:"\\|?*')
    tree = REPO_ROOT / "{{cookiecutter.project_slug}}"
    for path in tree.rglob("*"):
        assert not forbidden & set(path.name), f"Windows cannot check out {path.relative_to(tree)}"
