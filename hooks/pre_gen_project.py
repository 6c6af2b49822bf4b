"""Check cookiecutter's answers once more, now that every one of them is known.

Cookiecutter runs this file as its pre-generation hook: after it has made the project's
directory, before it writes a file into it; a non-zero exit makes it remove that directory again.
`local_extensions.AnswerGuard` has already checked each answer given from outside while the
engine read the context. Here the same rules, `hooks/answer_rules.py`, meet every answer,
including one typed at a prompt and one derived from others, and every refusal is printed.

Cookiecutter renders this file as a template and runs the result from a temporary file, so the
script cannot find the template by its own path: the template's Jinja extension gives the root
of the template as `template_root`, and the script imports the rules from there.
"""

import importlib
import json
import sys


def main() -> None:
    # The spaces keep the JSON string's quotes apart from those of the Python string around it.
    sys.path.insert(0, json.loads(r""" {{ template_root | tojson }} """))
    answer_rules = importlib.import_module("hooks.answer_rules")
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    refusals = answer_rules.problems(answers)
    for refusal in refusals:
        print(refusal, file=sys.stderr)
    sys.exit(1 if refusals else 0)


if __name__ == "__main__":
    main()
