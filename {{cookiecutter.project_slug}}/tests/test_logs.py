"""Log lines: one record, one line that starts with its time, whatever a client sent."""

from __future__ import annotations

import json
import logging
import re
import sys
import unittest

from {{ cookiecutter.package_name }}.correlation import RequestIdFilter, bound_request_id
from {{ cookiecutter.package_name }}.logs import JsonFormatter, TextFormatter

FORGED = "report\n2026-01-01 00:00:00,000 CRITICAL forged: the service was breached\r\u2028x"
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


def record(message: str, *args: object, exc_info: bool = False) -> logging.LogRecord:
    """A record as a handler with the `RequestIdFilter` passes it on."""
    entry = logging.LogRecord(
        "svc", logging.INFO, __file__, 1, message, args, sys.exc_info() if exc_info else None
    )
    RequestIdFilter().filter(entry)
    return entry


class TextFormatTest(unittest.TestCase):
    def test_client_text_cannot_start_a_line_of_its_own(self) -> None:
        line = TextFormatter().format(record("job %s started", FORGED))
        self.assertEqual(len(line.splitlines()), 1)
        self.assertIn("report\\n2026-01-01", line)
        self.assertIn("\\r\\u2028x", line)

    def test_the_request_id_follows_the_logger_when_there_is_one(self) -> None:
        with bound_request_id("4bf92f35"):
            inside = TextFormatter().format(record("job started"))
        outside = TextFormatter().format(record("job started"))
        self.assertTrue(inside.endswith(" svc [4bf92f35]: job started"), inside)
        self.assertTrue(outside.endswith(" svc: job started"), outside)

    def test_a_traceback_is_indented_under_its_record(self) -> None:
        try:
            raise ValueError(FORGED)
        except ValueError:
            text = TextFormatter().format(record("job failed", exc_info=True))
        first, *rest = text.splitlines()
        self.assertRegex(first, RECORD_START)
        self.assertTrue(rest)
        self.assertTrue(all(line.startswith("    ") for line in rest), rest)


class JsonFormatTest(unittest.TestCase):
    def test_client_text_stays_inside_its_string_and_fields_are_keys(self) -> None:
        entry = record("job %s started", FORGED)
        entry.__dict__["fields"] = {"job_id": "job-1"}
        line = JsonFormatter().format(entry)
        self.assertEqual(len(line.split("\n")), 1)
        self.assertEqual(json.loads(line)["message"], f"job {FORGED} started")
        self.assertEqual(json.loads(line)["job_id"], "job-1")

    def test_the_request_id_is_a_key_when_there_is_one(self) -> None:
        with bound_request_id("4bf92f35"):
            inside = json.loads(JsonFormatter().format(record("job started")))
        outside = json.loads(JsonFormatter().format(record("job started")))
        self.assertEqual(inside["request_id"], "4bf92f35")
        self.assertNotIn("request_id", outside)
