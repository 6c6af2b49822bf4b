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

    def __init__(self, source: str, value: str | None, allowed: str) -> None:
        problem = " is not set" if value is None else f"={value!r} is not valid"
        super().__init__(f"{source}{problem}: expected {allowed}")
        self.source = source


@dataclasses.dataclass(frozen=True)
class _Rule:
    """What a setting accepts: `allowed` says it in words, `read` gives the value or None.

    `shown` is how a value may appear in an error: as it is, unless it can hold a secret.
    """

    allowed: str
    read: Callable[[str], Any]
    shown: Callable[[str], str] = str

    def parse(self, source: str, text: str) -> Any:
        value = self.read(text)
        if value is None:
            raise ConfigError(source, self.shown(text), self.allowed)
        return value


def _choice(*allowed: str) -> _Rule:
    def read(text: str) -> str | None:
        matching = (option for option in allowed if text.strip().casefold() == option.casefold())
        return next(matching, None)

    return _Rule("one of " + ", ".join(allowed), read)


_DECIMAL = re.compile(r"[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[+]?[0-9]+")


def _seconds(low: float, high: float) -> _Rule:
    return _ranged(_DECIMAL, float, low, high, "a number of seconds")


def _count(low: int, high: int) -> _Rule:
    return _ranged(_WHOLE, int, low, high, "a whole number")


def _ranged(
    syntax: re.Pattern[str], convert: Callable[[str], float], low: float, high: float, what: str
) -> _Rule:
    """Numbers written as `syntax` matches, converted, from `low` to `high`."""

    def read(text: str) -> float | None:
        value = convert(text) if syntax.fullmatch(text.strip()) else None
        return value if value is not None and low <= value <= high else None

    return _Rule(f"{what} from {_plain(low)} to {_plain(high)}", read)


def _plain(number: float) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)
{%- if cookiecutter.job_store == "postgres" %}


_DSN = re.compile(r"(postgres|postgresql)://|[A-Za-z_]+\s*=")
# A password in a URL's user part or query, or in a key=value setting (quoted or not).
_PASSWORDS = (
    re.compile(r"(?<=://)([^:/?#@\s]*:)[^@/?#\s]*(?=@)"),
    re.compile(r"(?<=[?&]password=)[^&#\s]*", re.IGNORECASE),
    re.compile(r"(?<=password)(\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE),
)


def redact_password(dsn: str) -> str:
    """`dsn` with any password in it replaced by ``***``, fit for a log or an error."""
    user_part, query, keyword = _PASSWORDS
    dsn = user_part.sub(lambda found: found[1] + "***", dsn)
    dsn = query.sub("***", dsn)
    return keyword.sub(lambda found: found[1] + "***", dsn)


_DATABASE_URL = _Rule(
    "a PostgreSQL URL (postgresql://user:password@host:5432/dbname) or key=value settings",
    lambda text: text.strip() if _DSN.match(text.strip()) and text.isprintable() else None,
    shown=redact_password,
)
{%- else %}


_PATH = _Rule(
    "a file path (or :memory: for a store that is not kept)",
    lambda text: text if text.strip() and text.isprintable() else None,
)
{%- endif %}
{%- if cookiecutter.web_framework != "none" %}
_HOST = _Rule("a host name or IP address", lambda text: text.strip() or None)
_TOKENS_FILE = _Rule(
    "a file path", lambda text: text if text.strip() and text.isprintable() else None
)
_SWITCH = _Rule(
    "true or false",
    lambda text: {"true": True, "false": False}.get(text.strip().casefold()),
)
_PORT = _Rule(
    f"a TCP port from 0 to {MAX_PORT} (0 picks a free one)",
    lambda text: int(text) if _WHOLE.fullmatch(text.strip()) and int(text) <= MAX_PORT else None,
)
{%- endif %}


def _setting(
    default: Any, rule: _Rule, meaning: str, *, flag: bool = False, secret: bool = False
) -> Any:
    return dataclasses.field(
        default=default,
        repr=not secret,
        metadata={"rule": rule, "meaning": meaning, "flag": flag},
    )


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the service can be told at start-up; immutable once read.

    Each setting is defined here once: its default, the `_Rule` of what it accepts, its meaning
    and whether it has a command-line flag. ``--help`` is written from these definitions
    (`setting_docs`), and a test holds the README's table of settings to them.
    """

    log_level: str = _setting("INFO", _choice(*LOG_LEVELS), "lowest level logged", flag=True)
    log_format: str = _setting(
        "text",
        _choice(*LOG_FORMATS),
        "log line format: json writes one JSON object per line",
        flag=True,
    )
    tick_interval: float = _setting(
        1.0, _seconds(0.001, 3600), "seconds between the worker's ticks"
    )
    shutdown_grace_period: float = _setting(
        10.0, _seconds(0.001, 3600), "seconds queued and running jobs may take on shutdown"
    )
{%- if cookiecutter.job_store == "postgres" %}
    database_url: str = _setting(
        "",
        _DATABASE_URL,
        "PostgreSQL database holding accepted jobs until they have run (required)",
        secret=True,
    )
{%- else %}
    jobs_database: str = _setting(
        "jobs.sqlite3", _PATH, "SQLite file holding accepted jobs until they have run", flag=True
    )
{%- endif %}
    worker_concurrency: int = _setting(
        4, _count(1, 1_000), "jobs this process runs at the same time", flag=True
    )
    job_lease: float = _setting(
        30.0,
        _seconds(1, 3600),
        "seconds a running job stays claimed without a heartbeat; after that any worker may"
        " claim it again",
    )
    max_queued_jobs: int = _setting(
        10_000, _count(1, 1_000_000), "queued jobs at which new ones are refused"
    )
    max_job_duration: float = _setting(
        60.0, _seconds(0.001, 86_400), "longest duration a job may ask for"
    )
{%- if cookiecutter.web_framework != "none" %}
    host: str = _setting("127.0.0.1", _HOST, "address the HTTP server listens on", flag=True)
    port: int = _setting(8080, _PORT, "TCP port the HTTP server listens on", flag=True)
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
        75.0,
        _seconds(0.01, 3600),
        "seconds an idle keep-alive connection is kept open; set it above the load balancer's",
    )
    api_tokens_file: str | None = _setting(
        None,
        _TOKENS_FILE,
        "file of bearer tokens, one a line, that /jobs requests must carry; unset, /jobs is open"
        " to anyone who can reach the service",
    )
    access_log_probes: bool = _setting(
        False, _SWITCH, "log /healthz, /readyz and /metrics requests in the access log too"
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
            values[field.name] = field.metadata["rule"].parse(source, text)
            sources[field.name] = source
        return cls(**values, sources=sources)

    def source_of(self, setting: str) -> str:
        """The flag or variable that gave `setting` its value: its variable if none did."""
        return self.sources.get(setting, env_variable(setting))


def _setting_fields() -> list[dataclasses.Field[Any]]:
    return [field for field in dataclasses.fields(Settings) if "rule" in field.metadata]


def env_variable(setting: str) -> str:
    """The environment variable that holds `setting`."""
    return ENV_PREFIX + setting.upper()


def command_line_flag(setting: str) -> str:
    """The command-line flag that overrides `setting`."""
    return "--" + setting.replace("_", "-")


@dataclasses.dataclass(frozen=True)
class SettingDoc:
    """One setting as people read about it: in ``--help``, and in the README's table."""

    name: str
    variable: str
    flag: str | None
    default: str
    allowed: str
    meaning: str


def setting_docs() -> list[SettingDoc]:
    """Every setting, in the order `Settings` defines them, described from its definition."""
    return [
        SettingDoc(
            name=field.name,
            variable=env_variable(field.name),
            flag=command_line_flag(field.name) if field.metadata["flag"] else None,
            default=_shown_default(field.default),
            allowed=field.metadata["rule"].allowed,
            meaning=field.metadata["meaning"],
        )
        for field in _setting_fields()
    ]


def _shown_default(default: object) -> str:
    """A default as one would write it in its variable; None means the setting is off."""
    if default is None:
        return "(unset)"
    if isinstance(default, bool):
        return str(default).lower()
    return str(default) or "(required)"


def describe_variables() -> str:
    """The settings for the end of ``--help``: each one's meaning, allowed values and default."""
    lines = ["settings, from environment variables (a flag overrides its variable):"]
    for setting in setting_docs():
        lines.append("  " + ", ".join(filter(None, (setting.variable, setting.flag))))
        lines.append(f"      {setting.meaning}")
        lines.append(f"      allowed: {setting.allowed}; default: {setting.default}")
    return "\n".join(lines)
