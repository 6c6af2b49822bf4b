"""copier.yml's validators are hooks/answer_rules.py said in Jinja: current, and saying the same.

The validators are generated (`python -m scripts.generate_copier_validators`), so a change to the
rules that was not regenerated fails here. And since each kind of condition is written once in
Python and once, by the generator, in Jinja, each generated validator is rendered the way copier
renders it and must refuse exactly what the Python rules refuse, with the same message.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from jinja2.sandbox import SandboxedEnvironment

from hooks import answer_rules
from scripts.generate_copier_validators import COPIER_YML, regenerate
from tests.hostile_answers import ACCEPTED, REFUSED

COPIER: dict[str, Any] = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))

# Text near every rule's edge: the characters the rules name, and each name a list holds.
_EDGE_CHARACTERS = "aZ09-_.@ {}%#\t\n\x7f\x85\x9f\u2028\u2029é\uff21"
_EDGE_TEXT = (
    st.text(alphabet=_EDGE_CHARACTERS, max_size=12)
    | st.text(max_size=12)
    | st.sampled_from(sorted(answer_rules.STDLIB_MODULE_NAMES | answer_rules.PROJECT_MODULE_NAMES))
    | st.sampled_from(sorted(answer_rules.KEYWORDS))
    | st.from_regex(r"[a-z0-9.+-]{1,6}@[a-z0-9.-]{0,8}", fullmatch=True)
)


def test_copier_yml_is_generated_from_the_rules() -> None:
    text = COPIER_YML.read_text(encoding="utf-8")
    assert regenerate(text) == text, "run: python -m scripts.generate_copier_validators"


@pytest.fixture(scope="module")
def copier_jinja() -> Environment:
    """An environment like copier's: sandboxed, with the Ansible filters copier always loads."""
    return SandboxedEnvironment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])


def copier_refusal(env: Environment, field: str, value: str) -> str | None:
    return env.from_string(COPIER[field]["validator"]).render({field: value}) or None


@pytest.mark.parametrize("field", answer_rules.RULES)
@settings(max_examples=300, deadline=None)
@given(value=_EDGE_TEXT)
def test_copier_refuses_what_the_rules_refuse_in_their_words(
    copier_jinja: Environment, field: str, value: str
) -> None:
    assert copier_refusal(copier_jinja, field, value) == answer_rules.check_answer(field, value)


def test_copier_and_the_rules_agree_on_every_hostile_and_odd_answer(
    copier_jinja: Environment,
) -> None:
    cases = [(field, value) for field, value, _ in REFUSED if field in answer_rules.RULES]
    cases += list(ACCEPTED.items())
    for field, value in cases:
        expected = answer_rules.check_answer(field, value)
        assert copier_refusal(copier_jinja, field, value) == expected, (field, value)
