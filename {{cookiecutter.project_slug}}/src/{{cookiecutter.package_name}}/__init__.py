"""The {{ cookiecutter.project_slug }} service."""

from importlib.metadata import version

__version__ = version("{{ cookiecutter.project_slug }}")
