"""A generated project installs and passes its own test suite on every Python it supports.

Each answer set runs on its oldest Python, and every later Python runs at least once for each
web framework: every (framework, Python) pair is covered without running the same pair twice
for answers that differ only in names and licences (`tests.option_sets.matrix`). Python 3.14
and 3.15 may come from the Debian root of `.ci/debian-root` (see `tests.interpreters`).

A postgres project's suite tests its store against a real server, which it starts itself from
PostgreSQL's binaries where it runs, on this machine or in the Debian root (`tests.databases`).

Each project is installed from its lock into a fresh virtual environment (see
`tests.environments`). On its oldest Python it runs the command its CI runs, `python -m tests
--coverage`, which must pass its tests and its coverage threshold with the service's own
processes measured; on the others, `python -m tests`. The modules that are the same in every
project run in the first project of each Python, the rest in every project
(`tests.suite_scope`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import require_postgres
from tests.engines import render
from tests.environments import install, run_in, run_suite, suite_summary
from tests.interpreters import Interpreter, require_interpreter
from tests.option_sets import SUPPORTED_PYTHONS, matrix, pythons_for
from tests.suite_scope import answer_dependent_modules


def _runs() -> Iterator[tuple[str, dict[str, str], str, bool]]:
    """Each run of the matrix, and whether it is its Python's first, which runs every module."""
    pythons_begun = set()
    for name, options, version in matrix(SUPPORTED_PYTHONS):
        yield name, options, version, version not in pythons_begun
        pythons_begun.add(version)


RUNS = [
    pytest.param(options, version, whole, id=f"{name}-py{version}")
    for name, options, version, whole in _runs()
]


@pytest.mark.parametrize(("options", "version", "whole"), RUNS)
def test_the_generated_suite_passes(
    template: Path, tmp_path: Path, options: dict[str, str], version: str, whole: bool
) -> None:
    python = require_interpreter(version)
    if options.get("job_store") == "postgres":
        require_postgres(python)
    project = render("cookiecutter", template, options, tmp_path / "out", tmp_path / "home")
    # Coverage on the oldest Python of each answer set; on the others, the plain runner.
    measured = version == pythons_for(options)[0]
    venv_python = install(project, tmp_path / "venv", python)

    modules = [] if whole else answer_dependent_modules(project)
    result = run_suite(
        venv_python, project, *(["--coverage"] if measured else []), *modules, interpreter=python
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = suite_summary(output)
    assert summary, f"the runner did not end with its summary line:\n{output}"
    passed, failed, _ = summary
    assert failed == 0, output
    assert passed > 0, output
    if measured:
        assert "TOTAL" in result.stdout, "no coverage report:\n" + output
        assert_child_processes_measured(venv_python, project, python)


def assert_child_processes_measured(python: Path, project: Path, where: Interpreter) -> None:
    """``__main__.py`` runs only in the service processes that the end-to-end tests start."""
    report = [python, "-m", "coverage", "report", "--format=total", "--include=*/__main__.py"]
    main_only = run_in(where, report, project)
    assert main_only.returncode == 0, main_only.stdout + main_only.stderr
    assert float(main_only.stdout) >= 90, "the service's own processes were not measured"
