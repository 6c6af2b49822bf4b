"""Answers an automated caller might pass on: each with the rule that must refuse it, or none.

`MARKER` in a value stands for the path of a file the test watches: a value that ran as code
would create it. Rules are the end of the message both engines print after
`Invalid <field> "<value>": `; a choice off its list has no common wording, so its rule is None
and only the field and the value must be named.
"""

from __future__ import annotations

MARKER = "MARKER"

NAME = "it must be one line of text, not empty."
ONE_LINE = "it must be one line of text."
SLUG = "use lower-case ASCII letters and digits in words joined by single hyphens"
IDENTIFIER = "it must be an ASCII Python identifier"
STDLIB = "it would shadow the standard-library module of that name."
PROJECT_MODULE = "it would shadow a module of that name that the project imports or installs."
KEYWORD = "it is a Python keyword."
EMAIL = "it must be an e-mail address such as name@example.com"
YEAR = "it must be a four-digit year."
TEMPLATE = "it must not contain {{, {% or {#"


def too_long(limit: int) -> str:
    return f"it must be at most {limit} characters."


RUN_MARKER = f"{{{{ cycler.__init__.__globals__.os.system('touch {MARKER}') }}}}"

# (field, value, the rule that refuses it)
REFUSED: list[tuple[str, str, str | None]] = [
    ("project_name", "", NAME),
    ("project_name", "   ", NAME),
    ("project_name", "Two\nLines", NAME),
    ("project_name", "Tab\tinside", NAME),
    ("project_name", "Line\u2028Separator", NAME),
    ("project_name", "N" * 101, too_long(100)),
    ("project_name", RUN_MARKER, TEMPLATE),
    ("project_name", "{% if true %}x{% endif %}", TEMPLATE),
    ("project_name", "{# hidden #}", TEMPLATE),
    ("project_slug", "a/b", SLUG),
    ("project_slug", "x/../../y", SLUG),
    ("project_slug", ".", SLUG),
    ("project_slug", "..", SLUG),
    ("project_slug", "Bad Slug!", SLUG),
    ("project_slug", "-lead", SLUG),
    ("project_slug", "trail-", SLUG),
    ("project_slug", "double--dash", SLUG),
    ("project_slug", "café", SLUG),
    ("project_slug", "back\\slash", SLUG),
    ("project_slug", "s" * 65, too_long(64)),
    ("project_slug", "{{cookiecutter.project_name}}", TEMPLATE),
    ("package_name", "asyncio", STDLIB),
    ("package_name", "annotationlib", STDLIB),
    ("package_name", "profiling", STDLIB),  # only in 3.15
    ("package_name", "_math_integer", STDLIB),  # only in 3.15
    ("package_name", f"os import system as _s; _s('touch {MARKER}'); from billing", IDENTIFIER),
    ("package_name", "\uff4d\uff59_\uff50\uff4b\uff47", IDENTIFIER),  # fullwidth my_pkg
    ("package_name", "\uff4f\uff53", IDENTIFIER),  # fullwidth os
    ("package_name", "\ufb01le", IDENTIFIER),
    ("package_name", "\u212aelvin", IDENTIFIER),
    ("package_name", "cafe\u0301", IDENTIFIER),
    ("package_name", "aiohttp", PROJECT_MODULE),
    ("package_name", "__main__", PROJECT_MODULE),
    ("package_name", "mypy", PROJECT_MODULE),
    ("package_name", "ruff", PROJECT_MODULE),
    ("package_name", "yarl", PROJECT_MODULE),
    ("package_name", "benchmarks", PROJECT_MODULE),
    ("package_name", "tests", PROJECT_MODULE),
    ("package_name", "class", KEYWORD),
    ("package_name", "1abc", IDENTIFIER),
    ("package_name", "my-pkg", IDENTIFIER),
    ("package_name", "p" * 65, too_long(64)),
    ("package_name", "{{ 7 * 7 }}", TEMPLATE),
    ("description", "line\nbreak", ONE_LINE),
    ("description", RUN_MARKER, TEMPLATE),
    ("description", "{% set x = 1 %}", TEMPLATE),
    ("description", "{#", TEMPLATE),
    ("description", "d" * 201, too_long(200)),
    ("description", "nul\x00inside", ONE_LINE),
    ("description", "next\x85line", ONE_LINE),
    ("author_name", "{{ config }}", TEMPLATE),
    ("author_name", "a" * 101, too_long(100)),
    ("author_name", "Ada\u2029Lovelace", ONE_LINE),
    ("author_name", "{%raw%}x{%endraw%}", TEMPLATE),
    ("author_email", "@", EMAIL),
    ("author_email", "a@", EMAIL),
    ("author_email", "<a@b.c>", EMAIL),
    ("author_email", '"quoted"@example.com', EMAIL),
    ("author_email", "back\\slash@example.com", EMAIL),
    ("author_email", "a@b", EMAIL),
    ("author_email", "a@@b.c", EMAIL),
    ("author_email", "a b@c.d", EMAIL),
    ("author_email", "a@-b.c", EMAIL),
    ("author_email", "ü@example.com", EMAIL),
    ("author_email", "a..b@example.com", EMAIL),
    ("author_email", "{{x}}@example.com", TEMPLATE),
    ("author_email", "e" * 250 + "@x.io", too_long(254)),
    ("copyright_year", "20x6", YEAR),
    ("copyright_year", "\uff12\uff10\uff12\uff16", YEAR),  # fullwidth 2026
    ("copyright_year", "{{ 2000 + 26 }}", TEMPLATE),
    ("python_version", "3.10", None),
    ("web_framework", "{{ 7 * 7 }}", None),
    ("job_store", "{{ 'post' ~ 'gres' }}", None),
    ("license", "GPL-3.0", None),
]

# Odd but valid answers: every engine must render them into a working project.
ACCEPTED: dict[str, str] = {
    "project_name": "Ünïcode Service 2 — “quotes” 'single' \\ back",
    "project_slug": "a1-b2",
    "package_name": "_private_name",
    "description": "$(touch MARKER) %(x)s {0} } { % # [toml] = 1 🚀",
    "author_name": 'O\'Brien "Bob" \\ 非同期 خدمة',
    "author_email": "ops+alerts@example.co.uk",
}
