"""A generated project's releases happen as its README's "Releasing" section says.

The version comes from git tags (hatch-vcs): the README's release steps run here as written on a
default project installed from its lock, all but the push, and the version follows the tag
without ever making ``uv.lock`` stale; a build without git history, as the Dockerfile's is,
takes the version it is given, or the fallback. The release workflow cannot run here (no runner,
registry or container engine): it is held, by reading, to what the README says it does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engines import BIN, git, isolated_env, render
from tests.environments import install

FULL_SHA = re.compile(r"[^@\s]+@[0-9a-f]{40}")
PRETEND = "SETUPTOOLS_SCM_PRETEND_VERSION"


def releasing_section(project: Path) -> str:
    readme = (project / "README.md").read_text(encoding="utf-8")
    return readme.split("\n### Releasing\n", 1)[1].split("\n## ", 1)[0]


def block(section: str, language: str, index: int = 0) -> str:
    """The `index`-th fenced block of `language` in `section`, dedented out of its list item."""
    text = section.split(f"```{language}\n")[index + 1].split("```", 1)[0]
    return textwrap.dedent(text)


def run(command: str, project: Path, home: Path, **env: str) -> str:
    """Run `command` in bash in `project` as a user would, the template's uv on PATH."""
    environment = {**isolated_env(home), "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    environment["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        ["bash", "-e", "-c", command],
        cwd=project,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def test_the_version_follows_the_tag_and_the_lock_never_goes_stale(
    template: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    project = render("cookiecutter", template, {}, tmp_path / "out", home)
    venv = tmp_path / "venv"
    python = install(project, venv)
    sync = f"UV_PROJECT_ENVIRONMENT={venv} uv sync --locked --quiet --no-default-groups"
    sync += " --group test"
    version = f"{python} -m my_async_service --version"
    assert run(version, project, home) == "my-async-service 0.0.0\n", "no git history: fallback"
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message=generated")

    # Step 1: the Unreleased notes move under the new version's heading, as in the example.
    section = releasing_section(project)
    example = block(section, "markdown")
    new_heading = example.split("\n\n")[1]
    assert new_heading == "## [1.2.0] - 2026-12-03"
    changelog = project / "CHANGELOG.md"
    unreleased = "## [Unreleased]\n"
    text = changelog.read_text(encoding="utf-8")
    changelog.write_text(text.replace(unreleased, f"{unreleased}\n{new_heading}\n"), "utf-8")
    [preview] = re.findall(r"`(python scripts/release_notes.py v1.2.0)`", section)
    notes = run(preview, project, home)
    assert notes.startswith("### Added\n\n- "), notes
    # Step 2, all but the push.
    *commit_and_tag, push = block(section, "console").strip().splitlines()
    assert push == "git push origin main v1.2.0"
    run("\n".join(commit_and_tag), project, home)

    run(sync, project, home)
    assert run(version, project, home) == "my-async-service 1.2.0\n"
    assert git(project, "status", "--porcelain") == "", "uv sync changed uv.lock"
    (project / "NOTES.md").write_text("after the release\n", encoding="utf-8")
    git(project, "add", "NOTES.md")
    git(project, "commit", "--quiet", "--message=later")
    run(sync, project, home)
    development = run(version, project, home)
    assert re.fullmatch(r"my-async-service 1\.2\.1\.dev1\+g[0-9a-f]+\n", development), development
    assert git(project, "status", "--porcelain") == ""


def test_a_build_without_git_history_takes_the_version_it_is_given(
    template: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    project = render("cookiecutter", template, {}, tmp_path / "out", home)
    # What the Dockerfile's build sees: the files .dockerignore lets in, never .git.
    context = tmp_path / "context"
    context.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(project / name, context / name)
    shutil.copytree(project / "src", context / "src")

    run("uv build --wheel --quiet --out-dir given", context, home, **{PRETEND: "1.2.0"})
    run("uv build --wheel --quiet --out-dir fallback", context, home, **{PRETEND: ""})
    assert [wheel.name for wheel in (context / "given").glob("*.whl")] == [
        "my_async_service-1.2.0-py3-none-any.whl"
    ]
    assert [wheel.name for wheel in (context / "fallback").glob("*.whl")] == [
        "my_async_service-0.0.0-py3-none-any.whl"
    ]

    # The Dockerfile turns its VERSION argument into that variable for the project's install
    # alone, after the dependencies' layer.
    lines = (project / "Dockerfile").read_text(encoding="utf-8").splitlines()
    syncs = [number for number, line in enumerate(lines) if line.startswith("RUN uv sync ")]
    assert len(syncs) == 2
    assert "--no-install-project" in lines[syncs[0]]
    pretend = lines.index(f"ENV {PRETEND}=${{VERSION}}")
    assert syncs[0] < lines.index('ARG VERSION=""') < pretend < syncs[1]


@pytest.fixture(scope="module")
def released(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default project whose CHANGELOG.md has notes for 1.2.0."""
    work = tmp_path_factory.mktemp("release")
    project = render("cookiecutter", template, {}, work / "out", work / "home")
    changelog = project / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    changelog.write_text(text.replace("## [Unreleased]\n", "## [1.2.0] - 2026-12-03\n"), "utf-8")
    return project


@pytest.fixture(scope="module")
def workflow(released: Path) -> dict[str, Any]:
    text = (released / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(f"{action}@")]


def test_the_workflow_runs_on_version_tags_with_least_privilege_and_no_cache(
    workflow: dict[str, Any],
) -> None:
    # PyYAML reads the key `on` as True.
    assert workflow[True] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "dist": {"contents": "read"},
        "image": {"contents": "read", "packages": "write"},
        "release": {"contents": "write"},
        "pypi": {"id-token": "write"},
    }
    for name, job in jobs.items():
        for step in job["steps"]:
            uses = step.get("uses", "")
            assert not uses or FULL_SHA.fullmatch(uses), f"{name}: {uses} is not pinned"
            assert not uses.startswith("actions/cache@"), f"{name} uses a cache"
        for step in steps_using(job, "actions/checkout"):
            assert step["with"]["persist-credentials"] is False
        for step in steps_using(job, "astral-sh/setup-uv"):
            assert step["with"]["enable-cache"] is False


def test_the_notes_step_writes_the_notes_and_the_versions_or_stops_the_release(
    released: Path, workflow: dict[str, Any], tmp_path: Path
) -> None:
    [step] = [step for step in workflow["jobs"]["dist"]["steps"] if step.get("id") == "notes"]
    assert step["env"] == {"TAG": "${{ github.ref_name }}"}
    for tag, succeeds in (("v1.2.0", True), ("v1.3.0", False), ("v1.2", False)):
        outputs = tmp_path / f"outputs-{tag}"
        outputs.touch()
        # As GitHub runs a step's script: bash -e, the tag in TAG.
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=released,
            env={
                **os.environ,
                "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
                "UV_PYTHON_DOWNLOADS": "never",
                "TAG": tag,
                "GITHUB_OUTPUT": str(outputs),
            },
            capture_output=True,
            text=True,
            check=False,
        )
        assert (result.returncode == 0) == succeeds, result.stderr
        expected = "version=1.2.0\nseries=1.2\n" if succeeds else ""
        assert outputs.read_text(encoding="utf-8") == expected
        if succeeds:
            notes = (released / "release-notes.md").read_text(encoding="utf-8")
            assert notes.startswith("### Added\n\n- "), notes


def test_the_workflow_does_what_the_readme_says_in_its_order(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    dist = jobs["dist"]["steps"]
    runs = [step.get("run", "") for step in dist]
    [notes] = [n for n, run in enumerate(runs) if "scripts/release_notes.py" in run]
    [build] = [n for n, run in enumerate(runs) if run.startswith("uv build")]
    assert notes < build, "the notes are checked before anything is built"
    assert dist[build]["env"] == {PRETEND: "${{ steps.notes.outputs.version }}"}

    image = jobs["image"]
    assert image["needs"] == "dist"
    [meta] = steps_using(image, "docker/metadata-action")
    assert meta["with"]["images"] == "ghcr.io/${{ github.repository }}"
    assert meta["with"]["tags"].splitlines() == [
        "type=raw,value=${{ needs.dist.outputs.version }}",
        "type=raw,value=${{ needs.dist.outputs.series }}",
        "type=raw,value=latest",
    ]
    [push] = steps_using(image, "docker/build-push-action")
    assert push["with"] | {"tags": None, "labels": None} == {
        "context": ".",
        "build-args": "VERSION=${{ needs.dist.outputs.version }}",
        "push": True,
        "tags": None,
        "labels": None,
        "provenance": "mode=max",
        "sbom": True,
    }

    release = jobs["release"]
    assert release["needs"] == ["dist", "image"]
    [create] = [step["run"] for step in release["steps"] if "run" in step]
    assert create.startswith('gh release create "$TAG" --verify-tag')
    assert create.endswith("--notes-file release-notes.md dist/*")

    pypi = jobs["pypi"]
    assert pypi["if"] == "vars.PUBLISH_TO_PYPI == 'true'"
    assert pypi["environment"] == {"name": "pypi"}
    assert [step["run"] for step in pypi["steps"] if "run" in step] == [
        "uv publish --trusted-publishing always dist/*"
    ]
