"""Keep cookiecutter and cruft from running an answer as a template.

Cookiecutter (and cruft, which drives it) renders every value of the context as a Jinja
template before it asks anything or runs a hook: the template's own derived defaults, but also
values given from outside, on the command line (`key=value`), in the user config's
`default_context`, with cruft's `--extra-context`, or replayed from a project's `.cruft.json`
by `cruft update` and `cruft diff`. An answer such as `{{ cycler.__init__.__globals__.os... }}`
would run there, before any check could see it.

`AnswerGuard` is loaded into each environment the engine makes (cookiecutter.json lists it
under `_extensions`) and sees every text before Jinja parses it. Text the template wrote
itself, its cookiecutter.json values, its hooks and the names in its tree, passes. Any other
text is an answer: it is checked, while the engine is still reading the context and nothing
has been written, against the rules every engine applies (`hooks/answer_rules.py`), and refused
with their message if it breaks one. Those rules refuse `{{`, `{%` and `{#` in every answer, so
no answer is ever parsed as a template.

The pre-generation hook applies the same rules, but cookiecutter runs it from a temporary copy,
so `AnswerGuard` also tells it where the template is: the global `template_root`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension

TEMPLATE_ROOT = Path(__file__).resolve().parent
TEMPLATE_TREE = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"
# The cookiecutter function whose loop renders one answer at a time, in a local named `key`.
_PROMPT_LOOP = "prompt_for_config"


def _load_rules() -> ModuleType:
    # By path, not by name: the engine appends the template to sys.path, after any installed
    # package named `hooks`.
    name = "_template_answer_rules"
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_ROOT / "hooks" / "answer_rules.py")
    if spec is None or spec.loader is None:
        raise ImportError("the template's hooks/answer_rules.py cannot be loaded")
    rules = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name while they are made.
    sys.modules[name] = rules
    spec.loader.exec_module(rules)
    return rules


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _template_defaults() -> dict[str, frozenset[str]]:
    context = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
    return {field: frozenset(_strings(value)) for field, value in context.items()}


def _hook_texts() -> frozenset[str]:
    hooks = TEMPLATE_ROOT / "hooks"
    return frozenset(path.read_text(encoding="utf-8") for path in hooks.glob("*.py"))


def _template_names() -> list[str]:
    names = {TEMPLATE_TREE.name, *(path.name for path in TEMPLATE_TREE.rglob("*"))}
    # Longest first, so a name is never cut short by another it contains.
    return sorted((name for name in names if "{" in name), key=len, reverse=True)


# Read once, when the engine imports this module: cruft deletes its copy of the template after
# use, while the module stays imported.
_RULES = _load_rules()
_TEMPLATE_DEFAULTS = _template_defaults()
_TEMPLATE_TEXTS = _hook_texts().union(*_TEMPLATE_DEFAULTS.values())
_TEMPLATE_NAMES = _template_names()


class AnswerGuard(Extension):
    """Refuse, with the rules' own message, an answer that breaks the template's rules."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["template_root"] = str(TEMPLATE_ROOT)

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None:
            problem = _problem(source)
            if problem:
                raise FailedHookException(problem)
        return source


def _problem(source: str) -> str | None:
    field = _field_being_read()
    if field is not None:
        if source in _TEMPLATE_DEFAULTS.get(field, ()):
            return None
        return _RULES.check_answer(field, source)
    if source in _TEMPLATE_TEXTS or _is_template_path(source):
        return None
    return _RULES.check_answer("answer", source)


def _is_template_path(source: str) -> bool:
    for name in _TEMPLATE_NAMES:
        source = source.replace(name, "")
    return not any(syntax in source for syntax in _RULES.TEMPLATE_SYNTAX)


def _field_being_read() -> str | None:
    """The question whose answer cookiecutter is reading, while it reads the context."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == _PROMPT_LOOP:
            key = frame.f_locals.get("key")
            return key if isinstance(key, str) else None
        frame = frame.f_back
    return None
