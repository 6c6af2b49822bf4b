"""The version the service reports: the one it was built with, from its git tag (hatch-vcs)."""

from __future__ import annotations

import contextlib
import io
import unittest
from importlib.metadata import version

from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.__main__ import main


class VersionTest(unittest.TestCase):
    def test_version_flag_prints_the_installed_distributions_version(self) -> None:
        output = io.StringIO()
        with contextlib.redirect_stdout(output), self.assertRaises(SystemExit) as exited:
            main(["--version"])
        self.assertEqual(exited.exception.code, 0)
        installed = version("{{ cookiecutter.project_slug }}")
        self.assertEqual(output.getvalue(), f"{{ cookiecutter.project_slug }} {installed}\n")
        self.assertEqual(__version__, installed)
