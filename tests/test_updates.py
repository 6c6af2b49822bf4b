"""Template changes reach existing projects through `copier update` and `cruft update`.

Each test builds the history a team lives through, in a scratch copy of the template where it
makes its own tags: a project is generated at v1.0.0 and committed; the team edits it; the
template changes and is tagged v2.0.0; the project is updated. Template changes must arrive,
the team's edits must survive, edits that do not overlap must merge cleanly, and the updated
project's own tests must pass. An edit that overlaps a template change must surface as
copier's inline conflict markers, not be lost.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.engines import (
    ANSWERS_FILES,
    BIN,
    git,
    isolated_env,
    render,
    run_engine,
    snapshot_template,
    tree,
)
from tests.environments import install, run_suite, suite_summary
from tests.suite_scope import answer_dependent_modules

TREE = "{{cookiecutter.project_slug}}"
WORKER = f"{TREE}/src/{{{{cookiecutter.package_name}}}}/worker.py"
CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")
# What a project holds besides the rendered files: its history and copier's answers file.
NOT_RENDERED = (".git/", ANSWERS_FILES["copier"])

# What v2.0.0 of the template changes: (file in the template, text before, text after).
RUNNER_CHANGE = (
    f"{TREE}/tests/__main__.py",
    '"""The test runner: ``python -m tests [unittest arguments]``.',
    '"""The test runner of this project: ``python -m tests [unittest arguments]``.',
)
WORKER_CHANGE = (
    WORKER,
    '"""Do the work of one job. This example only takes the time the job says it takes."""',
    '"""Do the work of one job; this example only waits as long as the job says."""',
)
README_CHANGE = (
    f"{TREE}/README.md",
    "## Quick start\n",
    "## Quick start\n\nTemplate v2 says hello.\n",
)
ADDED_FILE = (f"{TREE}/CONTRIBUTING.md", "# Contributing\n\nRun `python -m tests` first.\n")

# What the team changes in its project: (file in the project, text before, text after).
TEAM_EDITS = [
    (
        "src/my_async_service/worker.py",
        "Runs the jobs of `store` as `owner`",
        "Runs the billing jobs of `store` as `owner`",
    ),
    ("pyproject.toml", '    "aiohttp>=3.10",\n', '    "aiohttp>=3.10",\n    "yarl>=1.9",\n'),
]
TEAM_README_SECTION = "\n## Team notes\n\nThe on-call rota lives in the wiki.\n"
TEAM_TEST = '''"""A test the team added."""

import unittest


class TeamTest(unittest.TestCase):
    def test_the_team_was_here(self) -> None:
        self.assertTrue(True)
'''
OVERLAPPING_EDIT = (
    "src/my_async_service/worker.py",
    '"""Do the work of one job. This example only takes the time the job says it takes."""',
    '"""Send the invoice described by the job."""',
)


@pytest.fixture
def versioned_template(tmp_path: Path) -> Path:
    """A scratch template repository whose current commit is tagged v1.0.0."""
    repository = snapshot_template(tmp_path / "template")
    git(repository, "tag", "v1.0.0")
    return repository


def release_v2(template: Path) -> None:
    """Change the template as a maintainer would, commit, and tag v2.0.0."""
    for name, before, after in (RUNNER_CHANGE, WORKER_CHANGE, README_CHANGE):
        replace(template / name, before, after)
    added, text = ADDED_FILE
    (template / added).write_text(text, encoding="utf-8")
    git(template, "add", "--all")
    git(template, "commit", "--quiet", "--message=v2")
    git(template, "tag", "v2.0.0")


def generate_at_v1(engine: str, template: Path, work: Path) -> Path:
    """Generate the default project from v1.0.0 with `engine`, as a committed git repository."""
    if engine == "copier":
        command = [str(BIN / "copier"), "copy", "--defaults", "--quiet", "--vcs-ref", "v1.0.0"]
        command += ["--data", "copyright_year=2020", str(template), str(work / "my-async-service")]
        run(command, work, work / "home")
    else:
        work.mkdir(parents=True, exist_ok=True)
        command = [str(BIN / "cruft"), "create", "--no-input", "--checkout", "v1.0.0"]
        command += ["--extra-context", '{"copyright_year": "2020"}', str(template)]
        run(command, work, work / "home")
    project = work / "my-async-service"
    git(project, "init", "--quiet", "--initial-branch=main")
    commit_all(project, "generated from the template")
    return project


def make_team_edits(project: Path) -> None:
    for name, before, after in TEAM_EDITS:
        replace(project / name, before, after)
    with (project / "README.md").open("a", encoding="utf-8") as readme:
        readme.write(TEAM_README_SECTION)
    (project / "tests" / "test_team.py").write_text(TEAM_TEST, encoding="utf-8")
    commit_all(project, "the team's changes")


def update(engine: str, project: Path, home: Path) -> None:
    if engine == "copier":
        run([str(BIN / "copier"), "update", "--defaults", "--quiet"], project, home)
    else:
        run(
            [str(BIN / "cruft"), "update", "--skip-apply-ask", "--checkout", "v2.0.0"],
            project,
            home,
        )


@pytest.mark.parametrize("engine", ["copier", "cruft"])
def test_an_update_brings_template_changes_and_keeps_the_teams_edits(
    versioned_template: Path, tmp_path: Path, engine: str
) -> None:
    template = versioned_template
    project = generate_at_v1(engine, template, tmp_path / "work")
    make_team_edits(project)
    release_v2(template)

    update(engine, project, tmp_path / "work" / "home")

    assert files_with_conflicts(project) == []
    assert not list(project.rglob("*.rej")), "some changes were rejected"
    for name, _, after in (RUNNER_CHANGE, WORKER_CHANGE):
        assert after in read(project, rendered(name)), f"{name}: the template change is missing"
    assert "Template v2 says hello." in read(project, "README.md")
    assert (project / "CONTRIBUTING.md").is_file(), "the file the template added is missing"
    for name, _, after in TEAM_EDITS:
        assert after in read(project, name), f"{name}: the team's edit was lost"
    assert read(project, "README.md").endswith(TEAM_README_SECTION)
    assert (project / "tests" / "test_team.py").is_file()
    assert "Copyright (c) 2020 " in read(project, "LICENSE"), "the update rewrote the year"
    assert_tests_pass(project, tmp_path / "venv")


def test_an_overlapping_edit_becomes_copier_conflict_markers(
    versioned_template: Path, tmp_path: Path
) -> None:
    template = versioned_template
    project = generate_at_v1("copier", template, tmp_path / "work")
    name, before, after = OVERLAPPING_EDIT
    replace(project / name, before, after)
    commit_all(project, "the team rewrote the same docstring")
    release_v2(template)

    update("copier", project, tmp_path / "work" / "home")

    conflicted = files_with_conflicts(project)
    assert conflicted == [name], f"expected a conflict in {name} only, found {conflicted}"
    text = read(project, name)
    assert after in text, "the team's side of the conflict is missing"
    assert WORKER_CHANGE[2] in text, "the template's side of the conflict is missing"


# The README's own switch, aiohttp to FastAPI, is run as written by the test after this one.
# With it, these add and remove every file of each web app: FastAPI's and the files both apps
# share come with none -> fastapi and go with fastapi -> none, aiohttp's come with
# fastapi -> aiohttp and go with the README's switch. The other two switches (aiohttp to and
# from none) move no file these do not, and each costs a project install and suite.
README_SWITCH = ("aiohttp", "fastapi")
FRAMEWORK_SWITCHES = [("none", "fastapi"), ("fastapi", "aiohttp"), ("fastapi", "none")]


@pytest.mark.parametrize(("before", "after"), FRAMEWORK_SWITCHES)
def test_changing_web_framework_on_update_switches_the_web_app_in_place(
    versioned_template: Path, tmp_path: Path, before: str, after: str
) -> None:
    project = generate_with_copier(versioned_template, before, tmp_path / "work")

    command = [str(BIN / "copier"), "update", "--defaults", "--quiet"]
    run([*command, "--data", f"web_framework={after}"], project, tmp_path / "work" / "home")

    assert_switched(project, after)
    assert_tests_pass(project, tmp_path / "venv")


@pytest.mark.parametrize(("before", "after"), [("sqlite", "postgres"), ("postgres", "sqlite")])
def test_changing_job_store_on_update_switches_the_store_in_place(
    versioned_template: Path, tmp_path: Path, before: str, after: str
) -> None:
    work = tmp_path / "work"
    result = run_engine("copier", versioned_template, {"job_store": before}, work, work / "home")
    assert result.returncode == 0, result.stderr
    project = work / "my-async-service"
    git(project, "init", "--quiet", "--initial-branch=main")
    commit_all(project, "generated")

    # The template README's own words for the switch, which `assert_store_switched` checks.
    assert f"--data job_store={after}" in (versioned_template / "README.md").read_text("utf-8")
    command = [str(BIN / "copier"), "update", "--defaults", "--quiet"]
    run([*command, "--data", f"job_store={after}"], project, work / "home")

    assert_store_switched(project, after)
    # Byte for byte the project the template makes with that store, whose suite the matrix runs.
    fresh = render("copier", versioned_template, {"job_store": after}, tmp_path / "fresh", work)
    switched, made = (
        {name: data for name, data in tree(root).items() if not name.startswith(NOT_RENDERED)}
        for root in (project, fresh)
    )
    assert sorted(switched) == sorted(made)
    assert [name for name in made if switched[name] != made[name]] == []


def test_the_readme_switch_relocks_and_ends_green_under_uv_sync_locked(
    versioned_template: Path, tmp_path: Path
) -> None:
    before, after = README_SWITCH
    home = tmp_path / "work" / "home"
    project = generate_with_copier(versioned_template, before, tmp_path / "work")
    assert_succeeds(shell("uv lock", project, home))
    commit_all(project, "the lock, committed as the generated README says")
    pinned_before = locked_versions(project)
    template_readme = (versioned_template / "README.md").read_text(encoding="utf-8")
    update, *relock_and_check = console_commands(template_readme, "\nsame change:\n")
    assert update == f"copier update --defaults --data web_framework={after}"
    # The README's block must install from the lock and then test; running it proves the rest.
    assert relock_and_check.index("uv sync --locked") < relock_and_check.index(
        "uv run python -m tests"
    )

    # The generated README, which a team reads first, relocks after every update too.
    generated = console_commands(read(project, "README.md"), "\n## Keeping up with the template\n")
    assert generated[generated.index("copier update --defaults") + 1] == "uv lock", generated
    assert_succeeds(shell(update, project, home))
    assert git(project, "status", "--porcelain", "uv.lock") == "", "the update changed uv.lock"
    stale = shell("uv sync --locked", project, home)
    assert stale.returncode != 0
    assert "The lockfile at `uv.lock` needs to be updated" in stale.stderr, stale.stderr

    outputs = [assert_succeeds(shell(command, project, home)) for command in relock_and_check]

    suite = outputs[relock_and_check.index("uv run python -m tests")]
    summary = suite_summary(suite)
    assert summary is not None, suite
    assert summary[1] == 0, suite
    assert_switched(project, after)
    assert git(project, "status", "--porcelain") == "", "the README's commit left files out"
    pinned_after = locked_versions(project)
    moved = {
        name
        for name in pinned_before.keys() & pinned_after.keys()
        if pinned_before[name] != pinned_after[name]
    }
    needless = moves_unexplained(project, pinned_after.keys() - pinned_before.keys(), moved)
    assert not needless, f"uv lock moved pins the switch did not need to move: {needless}"
    assert_succeeds(shell("uv lock", project, home))
    assert git(project, "status", "--porcelain") == "", "uv lock changed a lock that matched"


def generate_with_copier(template: Path, web_framework: str, work: Path) -> Path:
    """Generate the default project from v1.0.0 with `web_framework`, as a git repository."""
    result = run_engine("copier", template, {"web_framework": web_framework}, work, work / "home")
    assert result.returncode == 0, result.stderr
    project = work / "my-async-service"
    git(project, "init", "--quiet", "--initial-branch=main")
    commit_all(project, "generated")
    return project


def console_commands(markdown: str, after: str) -> list[str]:
    """The commands of the first console block after the text `after`, without comments."""
    block = markdown.split(after, 1)[1].split("```console\n", 1)[1].split("\n```", 1)[0]
    lines = [re.split(r"\s+# ", line, maxsplit=1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


def assert_switched(project: Path, web_framework: str) -> None:
    """The project's web app, its tests and its dependencies are those of `web_framework`."""
    web_files = ["src/my_async_service/web.py", "src/my_async_service/listener.py"]
    web_files += ["tests/test_web.py", "tests/test_http_end_to_end.py"]
    has_web = web_framework != "none"
    assert [(project / name).is_file() for name in web_files] == [has_web] * len(web_files)
    if has_web:
        assert f"from {web_framework} import" in read(project, "src/my_async_service/web.py")
    pyproject = read(project, "pyproject.toml")
    for framework in ("aiohttp", "fastapi"):
        assert (f'"{framework}>=' in pyproject) == (framework == web_framework), pyproject
    assert files_with_conflicts(project) == []


def assert_store_switched(project: Path, job_store: str) -> None:
    """The project keeps its jobs where `job_store` says, as the template README describes.

    The PostgreSQL store's module and tests, its dependencies, compose.yaml, CI's database
    service and the DATABASE_URL setting come and go together; nothing is left in conflict.
    """
    postgres = job_store == "postgres"
    postgres_files = ["src/my_async_service/postgres_store.py", "tests/test_postgres_store.py"]
    postgres_files.append("compose.yaml")
    assert [(project / name).is_file() for name in postgres_files] == [postgres] * 3
    pyproject = read(project, "pyproject.toml")
    assert ('"psycopg[binary]>=' in pyproject) == ('"psycopg-pool>=' in pyproject) == postgres
    assert ("services:" in read(project, ".github/workflows/ci.yml")) == postgres
    config = read(project, "src/my_async_service/config.py")
    assert ("database_url: str" in config) == postgres
    assert ("jobs_database: str" in config) == (not postgres)
    assert files_with_conflicts(project) == []


def locked_versions(project: Path) -> dict[str, str]:
    """The version ``uv.lock`` pins for each package but the project, whose version is git's."""
    lock = tomllib.loads(read(project, "uv.lock"))
    return {
        package["name"]: package["version"]
        for package in lock["package"]
        if package["name"] != project.name
    }


def moves_unexplained(project: Path, added: set[str], moved: set[str]) -> set[str]:
    """The `moved` pins of ``uv.lock`` that the `added` packages do not explain.

    A pin may move when an added package requires it, directly or through others, and when it
    requires a package that moved so (OpenTelemetry's packages are released together and require
    each other's exact versions: FastAPI's instrumentation needs a newer API, and the SDK, which
    it never names, moves with it).
    """
    lock = tomllib.loads(read(project, "uv.lock"))
    requires = {
        package["name"]: {dependency["name"] for dependency in package.get("dependencies", [])}
        for package in lock["package"]
    }
    explained: set[str] = set()
    pending = list(added)
    while pending:
        for dependency in requires.get(pending.pop(), set()) - explained:
            explained.add(dependency)
            pending.append(dependency)
    while followers := {
        name for name in moved - explained if requires.get(name, set()) & moved & explained
    }:
        explained |= followers
    return moved - explained


def shell(script: str, project: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` in `project` as a user would type it, the template's tools on PATH.

    The engines get a home of their own; uv keeps the suite's shared package cache and never
    downloads a Python.
    """
    env = {**isolated_env(home), "UV_PYTHON_DOWNLOADS": "never"}
    env |= {"UV_NO_PROGRESS": "1", "UV_CACHE_DIR": _uv_cache_dir()}
    env["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def assert_succeeds(result: subprocess.CompletedProcess[str]) -> str:
    """What the command printed, once it has exited 0."""
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{result.args[-1]} failed:\n{output}"
    return output


@functools.cache
def _uv_cache_dir() -> str:
    found = subprocess.run(
        [str(BIN / "uv"), "cache", "dir"], capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


def rendered(template_path: str) -> str:
    """The path in a default project of a file at `template_path` in the template."""
    name = template_path.removeprefix(f"{TREE}/")
    return name.replace("{{cookiecutter.package_name}}", "my_async_service")


def replace(path: Path, before: str, after: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert before in text, f"{path} no longer contains {before!r}: update this test"
    path.write_text(text.replace(before, after, 1), encoding="utf-8")


def read(project: Path, name: str) -> str:
    return (project / name).read_text(encoding="utf-8")


def files_with_conflicts(project: Path) -> list[str]:
    """The project's files, tracked or new, with a line that begins with a conflict marker."""
    listed = git(project, "ls-files", "--cached", "--others", "--exclude-standard").split()
    return sorted(
        name
        for name in set(listed)
        if (project / name).is_file()
        and any(line.startswith(CONFLICT_MARKERS) for line in read(project, name).splitlines())
    )


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", f"--message={message}")


def run(command: list[str], cwd: Path, home: Path) -> None:
    result = subprocess.run(
        command, cwd=cwd, env=isolated_env(home), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"


def assert_tests_pass(project: Path, venv: Path) -> None:
    """The updated project's tests pass: those its answers shape (the others, the same in every
    project, `tests.test_generated_project` runs)."""
    result = run_suite(install(project, venv), project, *answer_dependent_modules(project))
    assert result.returncode == 0, result.stdout + result.stderr
