"""Free text reaches every generated file exactly as typed, and is never evaluated.

Names, descriptions and author names may hold quotes, backslashes, braces and percent signs,
characters that mean something in TOML, YAML or Markdown, emoji, CJK and right-to-left scripts.
Each engine is given such text the way a person gives it (cookiecutter at its prompts, copier
as data) and the project must still parse, hold the exact text, and have run nothing.
"""

from __future__ import annotations

import io
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
import yaml
from cookiecutter.main import cookiecutter
from copier import run_copy
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.checks import assert_files_parse
from tests.engines import QUESTIONS, isolated_env

FIXED = {"project_slug": "escaped-service", "package_name": "escaped_service"}
# Cookiecutter's questions up to the last free-text one, then how many more take their default.
PROMPT_ORDER = ("project_name", "project_slug", "package_name", "description", "author_name")
MARKER = "MARKER"

# Text with Jinja's delimiters is refused by every engine (tests/test_hostile_answers.py);
# everything else must arrive as typed.
PAYLOADS = [
    f"__import__('os').system('touch {MARKER}')",
    "$(touch MARKER) `touch MARKER` ${HOME} %(name)s {0} {x} %} #} }}",
    "Lone braces { } and {x} } { % # %% ## and a set x = 1 that is no tag",
    'Quotes " \' """ \'\'\' and back\\slashes \\n \\" \\\\ \\u0041',
    "TOML [table] key = 1 # not a comment; YAML: - &a *a !tag | > ~ null",
    "Markdown # *bold* _x_ [link](http://example.com) <b>tag</b> `code` | pipe",
    "Emoji 🚀👩‍💻, CJK 非同期サービス, RTL خدمة غير متزامنة שירות",
]

# One line of any text: what the validators accept and a prompt keeps (it strips the ends).
one_line_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30
).filter(lambda text: text == text.strip() and not any(s in text for s in ("{{", "{%", "{#")))
free_text = st.sampled_from(PAYLOADS) | one_line_text


def render_at_cookiecutter_prompts(template: Path, answers: dict[str, str], work: Path) -> Path:
    typed = [answers[name] for name in PROMPT_ORDER]
    typed += [""] * (len(QUESTIONS) - len(typed))
    config = isolated_env(work / "home")["COOKIECUTTER_CONFIG"]
    with mock.patch("sys.stdin", io.StringIO("\n".join(typed) + "\n")):
        project = cookiecutter(str(template), output_dir=str(work / "out"), config_file=config)
    return Path(project)


def render_with_copier_data(template: Path, answers: dict[str, str], work: Path) -> Path:
    destination = work / "out" / FIXED["project_slug"]
    run_copy(str(template), destination, data=answers, defaults=True, quiet=True)
    recorded = yaml.safe_load((destination / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert {name: recorded[name] for name in answers} == answers
    return destination


RENDERERS: dict[str, Callable[[Path, dict[str, str], Path], Path]] = {
    "cookiecutter": render_at_cookiecutter_prompts,
    "copier": render_with_copier_data,
}


@pytest.mark.parametrize("engine", RENDERERS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(project_name=free_text, description=free_text, author_name=free_text)
@example(project_name=PAYLOADS[1], description=PAYLOADS[0], author_name=PAYLOADS[3])
@example(project_name=PAYLOADS[6], description=PAYLOADS[2], author_name=PAYLOADS[4])
@example(project_name=PAYLOADS[5], description=PAYLOADS[3], author_name=PAYLOADS[6])
def test_free_text_arrives_exactly_and_is_never_evaluated(
    template: Path, engine: str, project_name: str, description: str, author_name: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        marker = work / "pwned"
        typed = {"project_name": project_name, "description": description}
        typed["author_name"] = author_name
        answers = {name: text.replace(MARKER, str(marker)) for name, text in typed.items()}

        project = RENDERERS[engine](template, {**answers, **FIXED}, work)

        assert not marker.exists(), "an answer was evaluated"
        assert_files_parse(project)
        metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
        assert metadata["project"]["description"] == answers["description"]
        assert metadata["project"]["authors"][0]["name"] == answers["author_name"]
        readme = (project / "README.md").read_text(encoding="utf-8")
        assert readme.startswith(f"# {answers['project_name']}\n\n{answers['description']}\n")
        assert answers["author_name"] in (project / "LICENSE").read_text(encoding="utf-8")
