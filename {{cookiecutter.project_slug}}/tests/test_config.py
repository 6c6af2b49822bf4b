"""Settings: read from the environment, overridden by flags, rejected with a clear message."""

from __future__ import annotations

import unittest

from {{ cookiecutter.package_name }}.config import ConfigError, Settings, describe_variables

PREFIX = "{{ cookiecutter.package_name | upper }}_"


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
{%- if cookiecutter.web_framework == "aiohttp" %}
                f"{PREFIX}HOST": "0.0.0.0",
                f"{PREFIX}PORT": "0",
{%- endif %}
            }
        )
        self.assertEqual(settings.log_level, "DEBUG")
        self.assertEqual(settings.log_format, "json")
        self.assertEqual(settings.tick_interval, 0.25)
        self.assertEqual(settings.shutdown_grace_period, 30.0)
{%- if cookiecutter.web_framework == "aiohttp" %}
        self.assertEqual(settings.host, "0.0.0.0")
        self.assertEqual(settings.port, 0)
{%- endif %}

    def test_a_flag_overrides_its_variable(self) -> None:
        environ = {f"{PREFIX}LOG_LEVEL": "ERROR"}
        settings = Settings.from_env(environ, flags={"log_level": "warning", "log_format": None})
        self.assertEqual(settings.log_level, "WARNING")
        self.assertEqual(settings.log_format, "text")

    def test_a_bad_value_names_the_variable_the_value_and_what_is_allowed(self) -> None:
        cases = {
            "LOG_LEVEL": ("LOUD", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
            "LOG_FORMAT": ("xml", "one of text, json"),
            "TICK_INTERVAL": ("-1", "a number of seconds greater than 0"),
            "SHUTDOWN_GRACE_PERIOD": ("soon", "a number of seconds greater than 0"),
{%- if cookiecutter.web_framework == "aiohttp" %}
            "PORT": ("70000", "a TCP port from 0 to 65535 (0 picks a free one)"),
            "HOST": (" ", "a host name or IP address"),
{%- endif %}
        }
        for name, (value, allowed) in cases.items():
            with self.subTest(name), self.assertRaises(ConfigError) as caught:
                Settings.from_env({PREFIX + name: value})
            expected = f"{PREFIX}{name}={value!r} is not valid: expected {allowed}"
            self.assertEqual(str(caught.exception), expected)

    def test_a_bad_flag_is_named_as_a_flag(self) -> None:
        with self.assertRaisesRegex(ConfigError, r"^--log-level='loud' is not valid"):
            Settings.from_env({}, flags={"log_level": "loud"})

    def test_help_lists_every_variable_with_its_default(self) -> None:
        table = describe_variables()
        self.assertIn(f"{PREFIX}TICK_INTERVAL", table)
        self.assertIn("(default: 10.0)", table)
        self.assertEqual(table.count(PREFIX), len(Settings.__dataclass_fields__))
