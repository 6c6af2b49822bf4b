"""Cookiecutter, copier and cruft make byte-identical projects from the one template tree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.engines import ANSWERS_FILES, BIN, ENGINES, isolated_env, render, tree
from tests.option_sets import OPTION_SETS


@pytest.mark.parametrize("options", OPTION_SETS.values(), ids=OPTION_SETS.keys())
def test_every_engine_renders_the_same_project(
    template: Path, tmp_path: Path, options: dict[str, str]
) -> None:
    trees = {
        engine: tree(render(engine, template, options, tmp_path / engine, tmp_path / "home"))
        for engine in ENGINES
    }
    for engine, answers_file in ANSWERS_FILES.items():
        assert answers_file in trees[engine], f"{engine} did not record its answers"
        for other in ENGINES:
            if other != engine:
                assert answers_file not in trees[other], f"{other} wrote {answers_file}"
    own_files = set(ANSWERS_FILES.values())
    reference = trees["cookiecutter"]
    for engine in ("copier", "cruft"):
        rendered = {name: data for name, data in trees[engine].items() if name not in own_files}
        assert sorted(rendered) == sorted(reference), f"{engine} made other files"
        differing = [name for name in reference if rendered[name] != reference[name]]
        assert not differing, f"{engine} rendered these differently: {differing}"


def test_copier_records_every_answer_for_updates(template: Path, tmp_path: Path) -> None:
    options = OPTION_SETS["py312-fastapi-postgres"]
    project = render("copier", template, options, tmp_path / "out", tmp_path / "home")
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert recorded["_src_path"] == str(template)
    assert {name: recorded[name] for name in options} == options
    assert "cookiecutter" not in recorded, "the computed namespace must not be recorded"
    assert "stdlib_module_names" not in recorded


def test_cruft_records_and_replays_every_answer(template: Path, tmp_path: Path) -> None:
    options = OPTION_SETS["py312-fastapi-postgres"]
    home = tmp_path / "home"
    project = render("cruft", template, options, tmp_path / "out", home)
    recorded = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert {name: recorded["context"]["cookiecutter"][name] for name in options} == options
    # cruft diff renders the template again from the recorded answers: a lost answer (a
    # sqlite store, say) would show as a difference from the project it made.
    replay = subprocess.run(
        [BIN / "cruft", "diff", "--exit-code"],
        cwd=project,
        env=isolated_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
