"""cookiecutter.json and copier.yml ask the same questions, so neither engine can drift."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from types import ModuleType
from typing import Any

import pytest
import yaml
from cookiecutter.environment import StrictEnvironment
from cookiecutter.prompt import render_variable
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from jinja2.sandbox import SandboxedEnvironment

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
    ("python_version", "3.11", ["3.11", "3.12", "3.13", "3.14"]),
    ("web_framework", "aiohttp", ["aiohttp", "fastapi", "none"]),
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


def copier_name_list(message_end: str) -> set[str]:
    """The names in the package_name validator's list whose refusal message ends so."""
    validator = COPIER["package_name"]["validator"]
    refusals = re.findall(
        r"package_name in \[(.*?)\] -%}\s*Invalid package_name \{\{ quoted \}\}: (.*?)\s*\{%",
        validator,
        re.S,
    )
    (names,) = (body for body, message in refusals if message.endswith(message_end))
    return set(re.findall(r"'([^']+)'", names))


def test_reserved_module_names_are_the_same_for_both_engines_and_cover_every_python() -> None:
    hook = load_hook_rules()
    copier_stdlib = copier_name_list("the standard-library module of that name.")
    assert copier_stdlib == hook.STDLIB_MODULE_NAMES
    assert copier_name_list("the project imports or installs.") == hook.PROJECT_MODULE_NAMES
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
        assert set(listed) <= copier_stdlib, f"Python {version} has modules the list lacks"


def load_hook_rules() -> ModuleType:
    """hooks/pre_gen_project.py as a module, the way the template's Jinja extension loads it."""
    path = REPO_ROOT / "hooks" / "pre_gen_project.py"
    spec = importlib.util.spec_from_file_location("hook_rules", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
