"""Settings: read from the environment, overridden by flags, rejected with a clear message."""

from __future__ import annotations

import itertools
import unittest
from pathlib import Path

from {{ cookiecutter.package_name }}.__main__ import build_parser
from {{ cookiecutter.package_name }}.config import ConfigError, Settings, setting_docs

PREFIX = "{{ cookiecutter.package_name | upper }}_"
README = Path(__file__).resolve().parent.parent / "README.md"
README_TABLE_HEADER = "| Variable | Flag | Default | Allowed | Meaning |"
{%- if cookiecutter.job_store == "postgres" %}
DATABASE_URL_ALLOWED = (
    "a PostgreSQL URL (postgresql://user:password@host:5432/dbname) or key=value settings"
)
{%- endif %}


def readme_settings_table() -> list[tuple[str, ...]]:
    """The rows of the README's table of settings, each cell without its Markdown code marks."""
    lines = README.read_text(encoding="utf-8").splitlines()
    after_header = lines[lines.index(README_TABLE_HEADER) + 2 :]
    rows = itertools.takewhile(lambda line: line.startswith("|"), after_header)
    return [tuple(cell.strip().replace("`", "") for cell in row[1:-1].split("|")) for row in rows]


class SettingsTest(unittest.TestCase):
    def test_defaults_when_nothing_is_set(self) -> None:
        self.assertEqual(Settings.from_env({}), Settings())

    def test_each_variable_sets_its_setting(self) -> None:
        settings = Settings.from_env(
            {
                f"{PREFIX}LOG_LEVEL": "debug",
                f"{PREFIX}LOG_FORMAT": "JSON",
                f"{PREFIX}TICK_INTERVAL": "0.25",
                f"{PREFIX}SHUTDOWN_GRACE_PERIOD": "30",
{%- if cookiecutter.job_store == "postgres" %}
                f"{PREFIX}DATABASE_URL": "postgresql://app@db.internal:5432/jobs",
{%- else %}
                f"{PREFIX}JOBS_DATABASE": "/var/lib/jobs.sqlite3",
{%- endif %}
                f"{PREFIX}WORKER_CONCURRENCY": "8",
                f"{PREFIX}JOB_LEASE": "45",
                f"{PREFIX}MAX_QUEUED_JOBS": "+500",
                f"{PREFIX}MAX_JOB_DURATION": "1.5e2",
{%- if cookiecutter.web_framework != "none" %}
                f"{PREFIX}HOST": "0.0.0.0",
                f"{PREFIX}PORT": "0",
                f"{PREFIX}HTTP_MAX_CONNECTIONS": "64",
                f"{PREFIX}HTTP_HEADER_TIMEOUT": "2",
                f"{PREFIX}HTTP_BODY_TIMEOUT": "3",
                f"{PREFIX}HTTP_IDLE_TIMEOUT": "4",
{%- endif %}
            }
        )
        self.assertEqual(settings.log_level, "DEBUG")
        self.assertEqual(settings.log_format, "json")
        self.assertEqual(settings.tick_interval, 0.25)
        self.assertEqual(settings.shutdown_grace_period, 30.0)
{%- if cookiecutter.job_store == "postgres" %}
        self.assertEqual(settings.database_url, "postgresql://app@db.internal:5432/jobs")
{%- else %}
        self.assertEqual(settings.jobs_database, "/var/lib/jobs.sqlite3")
{%- endif %}
        self.assertEqual((settings.worker_concurrency, settings.job_lease), (8, 45.0))
        self.assertEqual(settings.max_queued_jobs, 500)
        self.assertEqual(settings.max_job_duration, 150.0)
{%- if cookiecutter.web_framework != "none" %}
        self.assertEqual(settings.host, "0.0.0.0")
        self.assertEqual(settings.port, 0)
        self.assertEqual(
            (
                settings.http_max_connections,
                settings.http_header_timeout,
                settings.http_body_timeout,
                settings.http_idle_timeout,
            ),
            (64, 2.0, 3.0, 4.0),
        )
{%- endif %}

    def test_a_flag_overrides_its_variable(self) -> None:
        environ = {f"{PREFIX}LOG_LEVEL": "ERROR"}
        settings = Settings.from_env(environ, flags={"log_level": "warning", "log_format": None})
        self.assertEqual(settings.log_level, "WARNING")
        self.assertEqual(settings.log_format, "text")

    def test_a_bad_value_names_the_variable_the_value_and_what_is_allowed(self) -> None:
        tick = "a number of seconds from 0.001 to 3600"
        cases = [
            ("LOG_LEVEL", "LOUD", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
            ("LOG_FORMAT", "xml", "one of text, json"),
            ("TICK_INTERVAL", "-1", tick),
            ("TICK_INTERVAL", "5e-324", tick),
            ("TICK_INTERVAL", "1e-9", tick),
            ("TICK_INTERVAL", "1e308", tick),
            ("TICK_INTERVAL", "nan", tick),
            ("TICK_INTERVAL", "\uff11", tick),
            ("TICK_INTERVAL", "1_0", tick),
            ("SHUTDOWN_GRACE_PERIOD", "soon", tick),
            ("MAX_QUEUED_JOBS", "0", "a whole number from 1 to 1000000"),
            ("MAX_QUEUED_JOBS", "1e3", "a whole number from 1 to 1000000"),
            ("MAX_JOB_DURATION", "1e300", "a number of seconds from 0.001 to 86400"),
{%- if cookiecutter.job_store == "postgres" %}
            ("DATABASE_URL", "jobs.sqlite3", DATABASE_URL_ALLOWED),
            ("DATABASE_URL", "mysql://root@db/jobs", DATABASE_URL_ALLOWED),
{%- else %}
            ("JOBS_DATABASE", " ", "a file path (or :memory: for a store that is not kept)"),
{%- endif %}
            ("WORKER_CONCURRENCY", "0", "a whole number from 1 to 1000"),
            ("JOB_LEASE", "0.5", "a number of seconds from 1 to 3600"),
{%- if cookiecutter.web_framework != "none" %}
            ("PORT", "70000", "a TCP port from 0 to 65535 (0 picks a free one)"),
            ("PORT", "\uff18\uff10", "a TCP port from 0 to 65535 (0 picks a free one)"),
            ("HOST", " ", "a host name or IP address"),
            ("HTTP_MAX_CONNECTIONS", "0", "a whole number from 1 to 100000"),
            ("HTTP_HEADER_TIMEOUT", "0", "a number of seconds from 0.01 to 300"),
            ("HTTP_BODY_TIMEOUT", "inf", "a number of seconds from 0.01 to 300"),
            ("HTTP_IDLE_TIMEOUT", "1e9", "a number of seconds from 0.01 to 3600"),
{%- endif %}
        ]
        for name, value, allowed in cases:
            with self.subTest(name=name, value=value), self.assertRaises(ConfigError) as caught:
                Settings.from_env({PREFIX + name: value})
            expected = f"{PREFIX}{name}={value!r} is not valid: expected {allowed}"
            self.assertEqual(str(caught.exception), expected)

    def test_each_value_remembers_where_it_came_from(self) -> None:
        settings = Settings.from_env(
            {f"{PREFIX}LOG_LEVEL": "debug", f"{PREFIX}TICK_INTERVAL": "2"},
            flags={"log_level": "info"},
        )
        self.assertEqual(settings.source_of("log_level"), "--log-level")
        self.assertEqual(settings.source_of("tick_interval"), f"{PREFIX}TICK_INTERVAL")
        self.assertEqual(settings.source_of("log_format"), f"{PREFIX}LOG_FORMAT")

{%- if cookiecutter.job_store == "postgres" %}

    def test_a_database_url_never_shows_its_password(self) -> None:
        secret = "s3cr3t-pw"
        for value in (
            f"mysql://app:{secret}@db/jobs",
            f"host=db password={secret} dbname=jobs\n",
            f"host=db password = '{secret} with spaces'\n",
            f"postgresql://app@db/jobs?password={secret}&sslmode=\n",
        ):
            with self.subTest(value=value), self.assertRaises(ConfigError) as caught:
                Settings.from_env({f"{PREFIX}DATABASE_URL": value})
            self.assertNotIn(secret, str(caught.exception))
            self.assertIn("***", str(caught.exception))
        settings = Settings.from_env({f"{PREFIX}DATABASE_URL": f"postgresql://app:{secret}@db/j"})
        self.assertNotIn(secret, repr(settings))
{%- endif %}

    def test_a_bad_flag_is_named_as_a_flag(self) -> None:
        with self.assertRaisesRegex(ConfigError, r"^--log-level='loud' is not valid"):
            Settings.from_env({}, flags={"log_level": "loud"})


class DocumentationTest(unittest.TestCase):
    """``--help`` and the README describe each setting as its definition in `config.py` does."""

    def test_help_gives_every_setting_its_meaning_allowed_values_and_default(self) -> None:
        help_text = build_parser().format_help()
        for setting in setting_docs():
            with self.subTest(setting.name):
                entry = (
                    f"  {setting.variable}{f', {setting.flag}' if setting.flag else ''}\n"
                    f"      {setting.meaning}\n"
                    f"      allowed: {setting.allowed}; default: {setting.default}\n"
                )
                self.assertIn(entry, help_text + "\n")
        self.assertIn("allowed: a number of seconds from 0.001 to 3600; default: 1.0", help_text)

    def test_the_allowed_values_shown_are_those_a_bad_value_is_told(self) -> None:
        for setting in setting_docs():
            with self.subTest(setting.name), self.assertRaises(ConfigError) as caught:
                Settings.from_env({setting.variable: "\n"})
            self.assertTrue(str(caught.exception).endswith(f"expected {setting.allowed}"))

    def test_the_readme_table_says_what_config_defines(self) -> None:
        defined = [
            (s.variable, s.flag or "", s.default, s.allowed, s.meaning) for s in setting_docs()
        ]
        self.assertEqual(readme_settings_table(), defined)
