"""No answer, from any engine's entry point, can run code or produce a broken project.

A service catalogue or portal may pass a form's values straight to an engine, so each answer in
`tests/hostile_answers.py` is given to each engine the ways automation gives it: cookiecutter's
and cruft's extra context (what `key=value` and `--extra-context` become) and copier's data
(`--data`, `--data-file`), then the user config's `default_context`, prompts, and answers files
replayed by `copier update`, `copier recopy`, `cruft update` and `cruft diff`. Each refused
answer must stop the engine with a message naming the question, the value and the rule, leave
nothing behind, and never create the marker file a payload would create if it ran.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import cruft
import pytest
import yaml
from cookiecutter.main import cookiecutter
from copier import run_copy, run_recopy, run_update

from tests.checks import assert_files_parse
from tests.engines import QUESTIONS, git, isolated_env
from tests.environments import install, run_suite
from tests.hostile_answers import ACCEPTED, MARKER, REFUSED, RUN_MARKER

VALID = {"project_slug": "hostile-check", "package_name": "hostile_check"}


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    """The file a payload would create; the test fails if it ever exists."""
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "an answer ran as code"


def armed(value: str, marker: Path) -> str:
    return value.replace(MARKER, str(marker))


def expected_message(field: str, value: str, rule: str | None) -> list[str]:
    if rule is None:
        return [field, value]
    return [f"Invalid {field} {json.dumps(value, ensure_ascii=False)}: {rule}"]


def answers_for(field: str, value: str) -> dict[str, str]:
    answers = {**VALID, field: value}
    if field == "project_slug":
        del answers["package_name"]
    return answers


def render_with_cookiecutter(
    template: Path, answers: dict[str, str], out: Path, config: str
) -> None:
    cookiecutter(
        str(template), no_input=True, extra_context=answers, output_dir=str(out), config_file=config
    )


def refused_by(render: object, *args: object, **kwargs: object) -> str:
    try:
        render(*args, **kwargs)  # type: ignore[operator]
    except Exception as error:  # any engine's error, read for its message
        return str(error)
    raise AssertionError("the engine accepted the answer")


def assert_each_refused(render_one: object, tmp_path: Path, marker: Path) -> None:
    failures = []
    for index, (field, raw, rule) in enumerate(REFUSED):
        value = armed(raw, marker)
        out = tmp_path / f"out{index}"
        out.mkdir()
        try:
            message = refused_by(render_one, answers_for(field, value), out)
        except AssertionError:
            failures.append(f"{field}={value!r} was accepted")
            continue
        missing = [text for text in expected_message(field, value, rule) if text not in message]
        if missing or any(out.iterdir()):
            failures.append(f"{field}={value!r}: said {message!r}, left {list(out.iterdir())}")
    assert not failures, "\n".join(failures)


def test_cookiecutter_refuses_each_hostile_answer(
    template: Path, tmp_path: Path, marker: Path
) -> None:
    config = isolated_env(tmp_path / "home")["COOKIECUTTER_CONFIG"]

    def render_one(answers: dict[str, str], out: Path) -> None:
        render_with_cookiecutter(template, answers, out, config)

    assert_each_refused(render_one, tmp_path, marker)


def test_copier_refuses_each_hostile_answer(template: Path, tmp_path: Path, marker: Path) -> None:
    def render_one(answers: dict[str, str], out: Path) -> None:
        run_copy(str(template), out / "project", data=answers, defaults=True, quiet=True)

    assert_each_refused(render_one, tmp_path, marker)


def test_cruft_refuses_each_hostile_answer(template: Path, tmp_path: Path, marker: Path) -> None:
    config = Path(isolated_env(tmp_path / "home")["COOKIECUTTER_CONFIG"])

    def render_one(answers: dict[str, str], out: Path) -> None:
        cruft.create(
            str(template),
            output_dir=out,
            extra_context=answers,
            no_input=True,
            config_file=config,
        )

    assert_each_refused(render_one, tmp_path, marker)


def test_copier_computed_answers_cannot_be_given(template: Path, tmp_path: Path) -> None:
    injected = {
        "cookiecutter": {"project_slug": "Bad Slug!", "package_name": "os"},
        "stdlib_module_names": [],
    }
    for name, value in injected.items():
        out = tmp_path / name
        message = refused_by(
            run_copy,
            str(template),
            out,
            data={name: value, "package_name": "asyncio"},
            defaults=True,
            quiet=True,
        )
        assert "Invalid" in message, message
        assert not out.exists()


def test_cookiecutter_user_config_and_prompts_are_checked(
    template: Path, tmp_path: Path, marker: Path
) -> None:
    home = tmp_path / "home"
    config = Path(isolated_env(home)["COOKIECUTTER_CONFIG"])
    settings = yaml.safe_load(config.read_text())
    settings["default_context"] = {"description": armed(RUN_MARKER, marker)}
    config.write_text(yaml.safe_dump(settings))
    message = refused_by(
        cookiecutter,
        str(template),
        no_input=True,
        output_dir=str(tmp_path / "a"),
        config_file=str(config),
    )
    assert "Invalid description" in message
    # At a prompt the text is taken as typed; the pre-generation hook refuses it.
    typed = ["Prompted", "", "", armed(RUN_MARKER, marker)]
    typed += [""] * (len(QUESTIONS) - len(typed))
    with mock.patch("sys.stdin", io.StringIO("\n".join(typed) + "\n")):
        refused_by(cookiecutter, str(template), output_dir=str(tmp_path / "b"))
    assert list((tmp_path / "b").iterdir()) == []


def test_replayed_answers_files_are_checked(template: Path, tmp_path: Path, marker: Path) -> None:
    home = isolated_env(tmp_path / "home")
    config = Path(home["COOKIECUTTER_CONFIG"])
    payload = armed(RUN_MARKER, marker)

    # A template of its own, so that it can move on and give `cruft update` something to do.
    upstream = tmp_path / "upstream"
    git(tmp_path, "clone", "--quiet", str(template), str(upstream))
    cruft.create(str(upstream), output_dir=tmp_path / "cruft", no_input=True, config_file=config)
    with (upstream / "{{cookiecutter.project_slug}}" / "README.md").open("a") as readme:
        readme.write("\nA later version.\n")
    git(upstream, "commit", "--quiet", "--all", "--message=a later version")
    project = tmp_path / "cruft" / "my-async-service"
    state = json.loads((project / ".cruft.json").read_text())
    state["context"]["cookiecutter"]["description"] = payload
    (project / ".cruft.json").write_text(json.dumps(state))
    commit_all(project)
    assert "Invalid description" in refused_by(cruft.diff, project)
    assert "Invalid description" in refused_by(
        cruft.update, project, skip_apply_ask=True, allow_untracked_files=True
    )

    copied = tmp_path / "copier" / "project"
    run_copy(str(template), copied, defaults=True, quiet=True)
    answers_file = copied / ".copier-answers.yml"
    answers = yaml.safe_load(answers_file.read_text())
    answers["description"] = payload
    answers_file.write_text(yaml.safe_dump(answers))
    commit_all(copied)
    before = tree_bytes(copied)
    message = refused_by(run_update, str(copied), defaults=True, overwrite=True, quiet=True)
    assert "Invalid description" in message, message
    assert tree_bytes(copied) == before, "the refused update changed the project"
    # Recopy starts afresh: copier drops the recorded answer its validator refuses and takes
    # the question's default instead.
    run_recopy(str(copied), defaults=True, overwrite=True, quiet=True)
    assert yaml.safe_load(answers_file.read_text())["description"] == "An asyncio service."
    assert_files_parse(copied)


def tree_bytes(project: Path) -> dict[str, bytes]:
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.parts
    }


def commit_all(project: Path) -> None:
    if not (project / ".git").exists():
        git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message=answers")


@pytest.mark.parametrize("engine", ["cookiecutter", "copier", "cruft"])
def test_odd_valid_answers_make_a_sound_project(
    template: Path, tmp_path: Path, marker: Path, engine: str
) -> None:
    """Odd but valid answers parse everywhere and round-trip; copier's project passes its tests."""
    answers = {field: armed(value, marker) for field, value in ACCEPTED.items()}
    config = isolated_env(tmp_path / "home")["COOKIECUTTER_CONFIG"]
    out = tmp_path / "out"
    if engine == "cookiecutter":
        render_with_cookiecutter(template, answers, out, config)
    elif engine == "copier":
        run_copy(str(template), out / "a1-b2", data=answers, defaults=True, quiet=True)
    else:
        cruft.create(
            str(template),
            output_dir=out,
            extra_context=answers,
            no_input=True,
            config_file=Path(config),
        )
    project = out / "a1-b2"
    assert_files_parse(project)
    if engine == "copier":
        recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    elif engine == "cruft":
        recorded = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    else:
        recorded = answers
    assert {field: recorded[field] for field in answers} == answers
    if engine == "copier":
        suite = run_suite(install(project, tmp_path / "venv"), project)
        assert suite.returncode == 0, suite.stdout + suite.stderr
    shutil.rmtree(out)
