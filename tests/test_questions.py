"""cookiecutter.json and copier.yml ask the same questions, so neither engine can drift."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import yaml
from cookiecutter.environment import StrictEnvironment
from cookiecutter.prompt import render_variable
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from jinja2.sandbox import SandboxedEnvironment

from hooks import answer_rules
from tests.engines import REPO_ROOT
from tests.interpreters import find_python
from tests.option_sets import SUPPORTED_PYTHONS

COOKIECUTTER = json.loads((REPO_ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
COPIER = yaml.safe_load((REPO_ROOT / "copier.yml").read_text(encoding="utf-8"))

# DESIGN.md's question table, a public contract: name, default (None where derived), choices.
CONTRACT: list[tuple[str, str | None, list[str] | None]] = [
    ("project_name", "My Async Service", None),
    ("project_slug", None, None),
    ("package_name", None, None),
    ("description", "An asyncio service.", None),
    ("author_name", "Your Name", None),
    ("author_email", "you@example.com", None),
    ("python_version", "3.11", ["3.11", "3.12", "3.13", "3.14", "3.15"]),
    ("web_framework", "aiohttp", ["aiohttp", "fastapi", "none"]),
    ("job_store", "sqlite", ["sqlite", "postgres"]),
    ("license", "MIT", ["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"]),
]


def cookiecutter_questions() -> dict[str, Any]:
    return {name: value for name, value in COOKIECUTTER.items() if not name.startswith("_")}


def copier_questions() -> dict[str, Any]:
    """The questions copier asks: not its settings (`_…`), not the hidden computed answers."""
    return {
        name: spec
        for name, spec in COPIER.items()
        if not name.startswith("_") and spec.get("when", True) is not False
    }


def test_both_engines_ask_the_same_questions_in_the_same_order() -> None:
    assert list(cookiecutter_questions()) == list(copier_questions())


def test_the_questions_begin_with_the_contract_table() -> None:
    questions = copier_questions()
    assert list(questions)[: len(CONTRACT)] == [name for name, _, _ in CONTRACT]
    for name, default, choices in CONTRACT:
        if default is not None:
            assert questions[name]["default"] == default, name
        assert questions[name].get("choices") == choices, name


def test_choices_and_fixed_defaults_agree() -> None:
    copier = copier_questions()
    for name, value in cookiecutter_questions().items():
        if isinstance(value, list):
            assert copier[name]["choices"] == value, name
            assert copier[name]["default"] == value[0], name
        elif "{" not in value:
            assert copier[name]["default"] == value, name


def test_every_question_is_explained_to_the_user() -> None:
    prompts = COOKIECUTTER["__prompts__"]
    for name, spec in copier_questions().items():
        assert spec["help"] == prompts[name], name


@pytest.fixture(scope="module")
def copier_jinja() -> Environment:
    """An environment like copier's: sandboxed, with the Ansible filters copier always loads."""
    return SandboxedEnvironment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])


@settings(max_examples=200, deadline=None)
@given(project_name=st.text(max_size=40) | st.sampled_from(["Café Ünïcode", "İstanbul Ölçer"]))
def test_derived_defaults_agree_for_any_project_name(
    copier_jinja: Environment, project_name: str
) -> None:
    cookiecutter_env = StrictEnvironment(context={"cookiecutter": COOKIECUTTER})
    answers: dict[str, Any] = {"project_name": project_name}
    copier_answers = dict(answers)
    for name in ("project_slug", "package_name"):
        answers[name] = render_variable(cookiecutter_env, COOKIECUTTER[name], answers)
        template = copier_jinja.from_string(COPIER[name]["default"])
        copier_answers[name] = template.render(copier_answers)
        assert copier_answers[name] == answers[name], name


def test_the_default_slug_of_a_typical_name() -> None:
    env = StrictEnvironment(context={"cookiecutter": COOKIECUTTER})
    answers = {"project_name": "  Ünïcode Pay--Gateway 2 "}
    assert render_variable(env, COOKIECUTTER["project_slug"], answers) == "n-code-pay-gateway-2"


def test_standard_library_names_cover_this_python_and_every_other_found() -> None:
    assert set(sys.stdlib_module_names) <= answer_rules.STDLIB_MODULE_NAMES
    for version in SUPPORTED_PYTHONS:
        python = find_python(version)
        if python is None:
            continue
        listed = subprocess.run(
            [python, "-c", "import sys; print(*sys.stdlib_module_names)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert set(listed) <= answer_rules.STDLIB_MODULE_NAMES, f"Python {version} has more"
