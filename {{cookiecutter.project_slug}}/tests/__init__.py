"""Tests of {{ cookiecutter.package_name }}, and the toolkit they are written with (tests.support)."""
