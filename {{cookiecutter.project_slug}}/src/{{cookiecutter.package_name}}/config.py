"""The service's settings, read from environment variables.

Each setting has one variable: its name in capitals after the prefix `ENV_PREFIX`, so
``log_level`` is read from

    {{ cookiecutter.package_name | upper }}_LOG_LEVEL

A variable that is not set leaves the default. A value that does not parse raises
`ConfigError`, which names the variable, the value and what is allowed; the command line turns
it into exit status 2. A command-line flag, where a setting has one, overrides its variable.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

ENV_PREFIX = "{{ cookiecutter.package_name | upper }}_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
{%- if cookiecutter.web_framework != "none" %}
MAX_PORT = 65535
{%- endif %}


class ConfigError(ValueError):
    """A setting was given a value the service cannot use, by a variable or a flag (`source`)."""

    def __init__(self, source: str, value: str, allowed: str) -> None:
        super().__init__(f"{source}={value!r} is not valid: expected {allowed}")
        self.source = source


def _choice(*allowed: str) -> Callable[[str, str], str]:
    def parse(source: str, text: str) -> str:
        for option in allowed:
            if text.strip().casefold() == option.casefold():
                return option
        raise ConfigError(source, text, "one of " + ", ".join(allowed))

    return parse


_DECIMAL = re.compile(r"[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[+]?[0-9]+")


def _seconds(low: float, high: float) -> Callable[[str, str], float]:
    return _ranged(_DECIMAL, float, low, high, "a number of seconds")


def _count(low: int, high: int) -> Callable[[str, str], float]:
    return _ranged(_WHOLE, int, low, high, "a whole number")


def _ranged(
    syntax: re.Pattern[str], convert: Callable[[str], float], low: float, high: float, what: str
) -> Callable[[str, str], float]:
    """A parser of numbers written as `syntax` matches, converted, from `low` to `high`."""

    def parse(source: str, text: str) -> float:
        value = convert(text) if syntax.fullmatch(text.strip()) else None
        if value is None or not low <= value <= high:
            raise ConfigError(source, text, f"{what} from {_plain(low)} to {_plain(high)}")
        return value

    return parse


def _plain(number: float) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)


def _path(source: str, text: str) -> str:
    if not text.strip() or not text.isprintable():
        raise ConfigError(source, text, "a file path (or :memory: for a store that is not kept)")
    return text
{%- if cookiecutter.web_framework != "none" %}


def _host(source: str, text: str) -> str:
    if not text.strip():
        raise ConfigError(source, text, "a host name or IP address")
    return text.strip()


def _port(source: str, text: str) -> int:
    if not (_WHOLE.fullmatch(text.strip()) and int(text) <= MAX_PORT):
        raise ConfigError(source, text, "a TCP port from 0 to 65535 (0 picks a free one)")
    return int(text)
{%- endif %}


def _setting(default: Any, parse: Callable[[str, str], Any], meaning: str) -> Any:
    return dataclasses.field(default=default, metadata={"parse": parse, "meaning": meaning})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the service can be told at start-up; immutable once read."""

    log_level: str = _setting("INFO", _choice(*LOG_LEVELS), "lowest level of log record shown")
    log_format: str = _setting("text", _choice(*LOG_FORMATS), "text, or json: an object per line")
    tick_interval: float = _setting(
        1.0, _seconds(0.001, 3600), "seconds between the worker's ticks"
    )
    shutdown_grace_period: float = _setting(
        10.0, _seconds(0.001, 3600), "seconds queued and running jobs may take on shutdown"
    )
    jobs_database: str = _setting(
        "jobs.sqlite3", _path, "SQLite file holding accepted jobs until they have run"
    )
    max_queued_jobs: int = _setting(
        10_000, _count(1, 1_000_000), "queued jobs at which new ones are refused"
    )
    max_job_duration: float = _setting(
        60.0, _seconds(0.001, 86_400), "longest duration a job may ask for, in seconds"
    )
{%- if cookiecutter.web_framework != "none" %}
    host: str = _setting("127.0.0.1", _host, "address the HTTP server listens on")
    port: int = _setting(8080, _port, "TCP port of the HTTP server; 0 picks a free one")
    http_max_connections: int = _setting(
        512, _count(1, 100_000), "open HTTP connections beyond which new ones get 503"
    )
    http_header_timeout: float = _setting(
        10.0, _seconds(0.01, 300), "seconds a new connection has to send its request head"
    )
    http_body_timeout: float = _setting(
        30.0, _seconds(0.01, 300), "seconds a client has to send a request's body"
    )
    http_idle_timeout: float = _setting(
        75.0, _seconds(0.01, 3600), "seconds an idle keep-alive connection is kept open"
    )
{%- endif %}
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, flags: Mapping[str, str | None] | None = None
    ) -> Settings:
        """Read each setting from its command-line flag, else its variable, else the default.

        `environ` is the process environment unless given; `flags` maps setting names to the
        text given on the command line, or None where no flag was given. `sources` records
        which flag or variable gave each value.
        """
        environ = os.environ if environ is None else environ
        flags = flags or {}
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for field in _setting_fields():
            variable = env_variable(field.name)
            if flags.get(field.name) is not None:
                source, text = command_line_flag(field.name), str(flags[field.name])
            elif variable in environ:
                source, text = variable, environ[variable]
            else:
                continue
            values[field.name] = field.metadata["parse"](source, text)
            sources[field.name] = source
        return cls(**values, sources=sources)

    def source_of(self, setting: str) -> str:
        """The flag or variable that gave `setting` its value: its variable if none did."""
        return self.sources.get(setting, env_variable(setting))


def _setting_fields() -> list[dataclasses.Field[Any]]:
    return [field for field in dataclasses.fields(Settings) if "parse" in field.metadata]


def env_variable(setting: str) -> str:
    """The environment variable that holds `setting`."""
    return ENV_PREFIX + setting.upper()


def command_line_flag(setting: str) -> str:
    """The command-line flag that overrides `setting`."""
    return "--" + setting.replace("_", "-")


def describe_variables() -> str:
    """A table of the variables, their defaults and meanings, for ``--help``."""
    rows = [
        (env_variable(field.name), str(field.default), field.metadata["meaning"])
        for field in _setting_fields()
    ]
    width = max(len(variable) for variable, _, _ in rows)
    lines = [f"  {name.ljust(width)}  {text} (default: {default})" for name, default, text in rows]
    return "environment variables:\n" + "\n".join(lines)
