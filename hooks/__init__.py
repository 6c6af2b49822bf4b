"""Cookiecutter's hooks, and the answer rules they share with the template's other engines."""
