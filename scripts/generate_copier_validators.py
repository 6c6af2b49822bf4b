"""Generate the validators of copier.yml from hooks/answer_rules.py.

Cookiecutter and cruft apply `hooks/answer_rules.py` in Python; copier can only run a Jinja
expression, rendered with the answers, whose output is the refusal (empty when the answer is
good). This script says each rule in that form: for every question with rules, the validator
refuses with the first rule broken, in the rules' order and with the rules' own words. It
replaces each such question's validator, marked as generated and kept last in its question, and
leaves the rest of copier.yml as it is. After changing the rules, run it from the repository's
root, `python -m scripts.generate_copier_validators`; the template's tests fail while copier.yml
is stale.
"""

from __future__ import annotations

import re
from pathlib import Path

from hooks import answer_rules

COPIER_YML = Path(__file__).resolve().parent.parent / "copier.yml"
MARKER = "  # Generated from hooks/answer_rules.py by: python -m scripts.generate_copier_validators"
_VALIDATOR_KEYS = ("  validator: |-", "  validator: >-")
_INDENT = " " * 4
_WIDTH = 100


def regenerate(copier_yml: str) -> str:
    """`copier_yml` with the validator of every question that has rules written afresh."""
    lines = copier_yml.splitlines()
    for field, rules in answer_rules.RULES.items():
        start, end = _question(lines, field)
        question = _without_validator(lines[start:end], field)
        lines[start:end] = [*question, MARKER, _VALIDATOR_KEYS[0], *_validator(field, rules)]
    return "\n".join(lines) + "\n"


def _question(lines: list[str], field: str) -> tuple[int, int]:
    """Where the lines of `field`'s question begin and end, blank lines after it left out."""
    start = lines.index(f"{field}:")
    end = start + 1
    while end < len(lines) and (not lines[end] or lines[end].startswith(" ")):
        end += 1
    while not lines[end - 1].strip():
        end -= 1
    return start, end


def _without_validator(question: list[str], field: str) -> list[str]:
    """The question's lines without its validator, which must be the question's last key."""
    starts = [i for i, line in enumerate(question) if line in (MARKER, *_VALIDATOR_KEYS)]
    if not starts:
        return question
    own_lines = [line for line in question[starts[0] :] if line not in (MARKER, *_VALIDATOR_KEYS)]
    if not all(line.startswith(_INDENT) for line in own_lines):
        raise SystemExit(f"copier.yml: make the validator of {field} the last key of its question")
    return question[: starts[0]]


def _validator(field: str, rules: tuple[answer_rules.Rule, ...]) -> list[str]:
    lines = [f"{{%- set quoted = {field} | to_json(ensure_ascii=False) -%}}"]
    for index, rule in enumerate(rules):
        tests = [_jinja(condition, field) for condition in rule.broken_by]
        keyword = "if" if index == 0 else "elif"
        lines += _wrapped(f"{{%- {keyword} {' or '.join(tests)} -%}}")
        lines.append(f"Invalid {field} {{{{ quoted }}}}: {_literal_text(rule.reason)}.")
    lines.append("{%- endif %}")
    return [_INDENT + line for line in lines]


def _jinja(condition: answer_rules.Condition, name: str) -> str:
    """A Jinja expression, true when the answer `name` breaks `condition`."""
    match condition:
        case answer_rules.ContainsAny(parts):
            test = " or ".join(f"{part!r} in {name}" for part in parts)
        case answer_rules.Blank():
            test = f"not {name}.strip()"
        case answer_rules.NotOneLine():
            test = (
                f"{name} | select('lt', ' ') | list"
                f" or {name} | select('ge', '\\x7f') | select('le', '\\x9f') | list"
                f" or '\\u2028' in {name} or '\\u2029' in {name}"
            )
        case answer_rules.NotSlug():
            test = (
                f"not {name}[:1] or {name}[:1] not in {answer_rules.ASCII_LOWER!r}"
                f" or {name} | reject('in', {answer_rules.SLUG_CHARACTERS!r}) | list"
                f" or '--' in {name} or {name}.endswith('-')"
            )
        case answer_rules.NotIdentifier():
            test = f"not ({name}.isascii() and {name}.isidentifier())"
        case answer_rules.OneOf(names):
            test = f"{name} in [{', '.join(repr(each) for each in sorted(names))}]"
        case answer_rules.NotEmailAddress():
            test = _email_test(name)
        case answer_rules.NotYear():
            test = f"not ({name} | length == 4 and {name}.isascii() and {name}.isdigit())"
        case answer_rules.LongerThan(limit):
            test = f"{name} | length > {limit}"
    return test


def _email_test(name: str) -> str:
    # The Python rule splits the domain into labels; on the whole domain the same rule reads:
    # only label characters and dots, at least one dot, and no label empty or edged with `-`.
    local = f"{name}.partition('@')[0]"
    domain = f"{name}.partition('@')[2]"
    return (
        f"'@' not in {name} or not {local}"
        f" or {local} | reject('in', {answer_rules.EMAIL_LOCAL_CHARACTERS!r}) | list"
        f" or {local}[:1] == '.' or {local}[-1:] == '.' or '..' in {local}"
        f" or {domain} | reject('in', {answer_rules.EMAIL_DOMAIN_CHARACTERS + '.'!r}) | list"
        f" or '.' not in {domain} or {domain}[:1] in '.-' or {domain}[-1:] in '.-'"
        f" or '..' in {domain} or '.-' in {domain} or '-.' in {domain}"
    )


def _literal_text(text: str) -> str:
    """`text` as Jinja outputs it unchanged: each `{{`, `{%` or `{#` written as an expression."""
    return re.sub(r"\{[{%#]", lambda found: f"{{{{ {found.group()!r} }}}}", text)


def _wrapped(tag: str) -> list[str]:
    """A long tag over several lines, continued deeper; Jinja reads the breaks as spaces.

    A line breaks only after a comma or before an `or`, never inside a string literal.
    """
    lines = [""]
    for piece in re.split(r"(?<=, )|(?= or )", tag):
        if lines[-1] and len(_INDENT + lines[-1] + piece) > _WIDTH:
            lines.append(_INDENT + "  " + piece.lstrip())
        else:
            lines[-1] += piece
    return [line.rstrip() for line in lines]


def main() -> None:
    COPIER_YML.write_text(regenerate(COPIER_YML.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
