"""The template README's commands for a local clone, run as written, render from that clone.

The README gives each engine's command for a clone at ``~/src/async-template`` and says what
each takes from it. This test reads those commands from the README, puts a scratch clone's
path in place of that one, runs them in a shell with every prompt answered by Enter (the
defaults), and checks each claim: cookiecutter renders the files on disk, copier the newest
release tag (or, with ``--vcs-ref HEAD``, the checked-out commit and uncommitted edits) and
records a path that ``copier update`` can open, cruft the checked-out commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.engines import BIN, git, isolated_env, snapshot_template

README_PATH = "~/src/async-template"
TREE = "{{cookiecutter.project_slug}}"
# A file committed after the release tag, and one not committed at all.
LATER, DRAFT = "LATER.md", "DRAFT.md"


def local_clone_commands(readme: str) -> dict[str, str]:
    """The commands of the console block after "From a clone of the template", by engine."""
    after = readme.split("\nFrom a clone of the template", 1)[1]
    block = after.split("```console\n", 1)[1].split("\n```", 1)[0]
    commands = [line.strip() for line in block.splitlines() if line.strip()]
    return {command.split()[0]: command for command in commands}


def run_as_typed(command: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run `command` in a shell, pressing Enter at every prompt."""
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        ["bash", "-e", "-c", command],
        cwd=cwd,
        env={**isolated_env(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        input="\n" * 20,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def rendered(command: str, clone: Path, work: Path) -> Path:
    """Run the README's `command` against `clone` in `work`; the project directory it made."""
    result = run_as_typed(command.replace(README_PATH, str(clone)), work, work / "home")
    assert result.returncode == 0, f"{command}:\n{result.stdout}{result.stderr}"
    (project,) = (path for path in work.iterdir() if path.is_dir() and path.name != "home")
    return project


def later_and_draft(project: Path) -> tuple[bool, bool]:
    """Whether `project` got the file committed after the tag, and the uncommitted one."""
    return (project / LATER).is_file(), (project / DRAFT).is_file()


def test_the_local_clone_commands_render_from_the_clone_as_the_readme_says(
    tmp_path: Path,
) -> None:
    clone = snapshot_template(tmp_path / "async-template")
    git(clone, "tag", "v1.0.0")
    (clone / TREE / LATER).write_text("Committed after v1.0.0.\n", encoding="utf-8")
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "--message=after the release")
    (clone / TREE / DRAFT).write_text("Not committed.\n", encoding="utf-8")
    commands = local_clone_commands((clone / "README.md").read_text(encoding="utf-8"))
    assert set(commands) == {"cookiecutter", "copier", "cruft"}
    assert all(README_PATH in command for command in commands.values()), commands

    on_disk = rendered(commands["cookiecutter"], clone, tmp_path / "cookiecutter")
    assert later_and_draft(on_disk) == (True, True), "not the files on disk"

    released = rendered(commands["copier"], clone, tmp_path / "copier")
    assert later_and_draft(released) == (False, False), "not the release tag"
    answers = yaml.safe_load((released / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert (answers["_commit"], answers["_src_path"]) == ("v1.0.0", str(clone))
    git(released, "init", "--quiet", "--initial-branch=main")
    git(released, "add", "--all")
    git(released, "commit", "--quiet", "--message=generated")
    updated = run_as_typed("copier update --defaults", released, tmp_path / "copier" / "home")
    assert updated.returncode == 0, updated.stdout + updated.stderr

    checked_out = commands["copier"].replace("copier copy", "copier copy --vcs-ref HEAD", 1)
    at_head = rendered(checked_out, clone, tmp_path / "copier-head")
    assert later_and_draft(at_head) == (True, True), "not the checked-out commit and edits"

    cloned = rendered(commands["cruft"], clone, tmp_path / "cruft")
    assert later_and_draft(cloned) == (True, False), "not the checked-out commit alone"


def test_copier_copies_a_plain_directory_but_cannot_update_from_it(tmp_path: Path) -> None:
    plain = snapshot_template(tmp_path / "async-template")
    shutil.rmtree(plain / ".git")
    commands = local_clone_commands((plain / "README.md").read_text(encoding="utf-8"))

    project = rendered(commands["copier"], plain, tmp_path / "work")
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message=generated")
    updated = run_as_typed("copier update --defaults", project, tmp_path / "work" / "home")

    assert updated.returncode != 0
    assert "Cannot update" in updated.stdout + updated.stderr
