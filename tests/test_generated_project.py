"""A generated project installs and passes its own test suite on every Python it supports.

Each answer set runs on its oldest Python, and every later Python runs at least once for each
web framework: every (framework, Python) pair is covered without running the same pair twice
for answers that differ only in names and licences.

Each project is installed from its lock into a fresh virtual environment (see
`tests.environments`). On its oldest Python it runs the command its CI runs, `python -m tests
--coverage`, which must pass its tests and its coverage threshold with the service's own
processes measured; on the others, `python -m tests`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.engines import render
from tests.environments import install, run_suite, suite_summary
from tests.interpreters import find_python
from tests.option_sets import OPTION_SETS, pythons_for


def suite_runs() -> list[object]:
    """Each answer set on its oldest Python, and every later Python once per web framework."""
    runs, covered = [], set()
    for name, options in OPTION_SETS.items():
        framework = options.get("web_framework", "aiohttp")
        for version in pythons_for(options):
            if version == pythons_for(options)[0] or (framework, version) not in covered:
                runs.append(pytest.param(options, version, id=f"{name}-py{version}"))
            covered.add((framework, version))
    return runs


RUNS = suite_runs()


@pytest.mark.parametrize(("options", "version"), RUNS)
def test_the_generated_suite_passes(
    template: Path, tmp_path: Path, options: dict[str, str], version: str
) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine (looked on PATH and in pyenv)")
    project = render("cookiecutter", template, options, tmp_path / "out", tmp_path / "home")
    # Coverage on the oldest Python of each answer set; on the others, the plain runner.
    measured = version == pythons_for(options)[0]
    venv_python = install(project, tmp_path / "venv", python)

    result = run_suite(venv_python, project, *(["--coverage"] if measured else []))

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = suite_summary(output)
    assert summary, f"the runner did not end with its summary line:\n{output}"
    passed, failed, _ = summary
    assert failed == 0, output
    assert passed > 0, output
    if measured:
        assert "TOTAL" in result.stdout, "no coverage report:\n" + output
        assert_child_processes_measured(venv_python, project)


def assert_child_processes_measured(python: Path, project: Path) -> None:
    """``__main__.py`` runs only in the service processes that the end-to-end tests start."""
    main_only = subprocess.run(
        [str(python), "-m", "coverage", "report", "--format=total", "--include=*/__main__.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(main_only.stdout) >= 90, "the service's own processes were not measured"
