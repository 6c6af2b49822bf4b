"""The job request schema: exactly one shape is a job, and a refusal names the field at fault."""

from __future__ import annotations

import re
import unittest

from {{ cookiecutter.package_name }}.jobs import (
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    Job,
    JobRequestError,
    JobStatus,
    StoredJob,
    parse_job_request,
)

MAX_DURATION = 60.0
# Every control character, separator and space Unicode has lies below U+3100.
LOW_PLANE = [chr(code) for code in range(0x3100)]


class ParseJobRequestTest(unittest.TestCase):
    def test_a_name_and_an_optional_duration_make_a_job(self) -> None:
        self.assertEqual(parse_job_request({"name": "report"}, MAX_DURATION), Job("report", 0.0))
        self.assertEqual(
            parse_job_request({"name": "Ünïcode ✓", "duration": 2}, MAX_DURATION),
            Job("Ünïcode ✓", 2.0),
        )
        self.assertEqual(
            parse_job_request({"name": "x" * MAX_NAME_LENGTH, "duration": 60.0}, MAX_DURATION),
            Job("x" * MAX_NAME_LENGTH, 60.0),
        )

    def test_everything_else_is_refused_naming_the_field(self) -> None:
        cases: list[tuple[object, str]] = [
            (["name", "x"], "body"),
            (None, "body"),
            ({}, "name"),
            ({"name": 7}, "name"),
            ({"name": ""}, "name"),
            ({"name": " \t "}, "name"),
            ({"name": "x" * (MAX_NAME_LENGTH + 1)}, "name"),
            ({"name": "two\nlines"}, "name"),
            ({"name": "separator\u2028"}, "name"),
            ({"name": "x", "duration": "5"}, "duration"),
            ({"name": "x", "duration": None}, "duration"),
            ({"name": "x", "duration": False}, "duration"),
            ({"name": "x", "duration": -0.5}, "duration"),
            ({"name": "x", "duration": float("nan")}, "duration"),
            ({"name": "x", "duration": float("inf")}, "duration"),
            ({"name": "x", "duration": 10**400}, "duration"),
            ({"name": "x", "duration": MAX_DURATION + 0.001}, "duration"),
            ({"name": "x", "owner": "root"}, "owner"),
        ]
        for body, field in cases:
            with self.subTest(body=body), self.assertRaises(JobRequestError) as refused:
                parse_job_request(body, MAX_DURATION)
            self.assertEqual(refused.exception.field, field)
            self.assertTrue(str(refused.exception).startswith(f"{field}: "))


class NamePatternTest(unittest.TestCase):
    def test_the_published_pattern_accepts_exactly_the_names_the_service_accepts(self) -> None:
        names = ["a b", " a ", "\ufeff", *LOW_PLANE]
        names += [f"a{character}" for character in LOW_PLANE]
        names += [f"{character}a" for character in LOW_PLANE]
        for name in names:
            published = re.fullmatch(NAME_PATTERN, name) is not None
            self.assertEqual(published, _accepted(name), f"name {name!r}")


def _accepted(name: str) -> bool:
    try:
        parse_job_request({"name": name}, MAX_DURATION)
    except JobRequestError:
        return False
    return True


class StoredJobTest(unittest.TestCase):
    def test_a_stored_job_describes_itself_as_clients_see_it(self) -> None:
        stored = StoredJob("id-1", Job("report", 1.5), JobStatus.FAILED, 2, "ValueError('x')")
        self.assertEqual(
            stored.describe(),
            {
                "id": "id-1",
                "name": "report",
                "duration": 1.5,
                "status": "failed",
                "attempts": 2,
                "error": "ValueError('x')",
            },
        )
