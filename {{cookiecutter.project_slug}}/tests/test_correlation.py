"""Request ids: a sane id sent is kept, anything else replaced; records carry the current one."""

from __future__ import annotations

import asyncio
import logging
import unittest

from {{ cookiecutter.package_name }}.correlation import (
    REQUEST_ID,
    RequestIdFilter,
    bound_request_id,
    request_id_from,
)
from tests.support import AsyncTestCase

FRESH_ID = r"\A[0-9a-f]{32}\Z"


def stamped() -> object:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "message", None, None)
    RequestIdFilter().filter(record)
    return record.__dict__["request_id"]


class RequestIdFromTest(unittest.TestCase):
    def test_a_sane_token_is_kept_as_sent(self) -> None:
        for sent in ("a", "0f8fad5b-d9cb-469f-a165-70867728950e", "x" * 128, "Zm9v+/ba=:_.~-"):
            with self.subTest(sent=sent):
                self.assertEqual(request_id_from(sent), sent)

    def test_anything_else_is_replaced_by_a_fresh_id(self) -> None:
        unsafe = (
            None,
            "",
            "x" * 129,
            "id with spaces",
            "id\r\nX-Injected: 1",
            "id\x00",
            "caf\u00e9",
            "\uff41",
            "a,b",
            "a;b",
            '"quoted"',
            "id\n",
        )
        for sent in unsafe:
            with self.subTest(sent=sent):
                self.assertRegex(request_id_from(sent), FRESH_ID)

    def test_fresh_ids_differ(self) -> None:
        self.assertNotEqual(request_id_from(None), request_id_from(None))


class BoundRequestIdTest(AsyncTestCase):
    async def test_the_id_is_current_inside_the_block_only(self) -> None:
        with bound_request_id("outer"):
            with bound_request_id("inner"):
                self.assertEqual(stamped(), "inner")
            self.assertEqual(stamped(), "outer")
        self.assertIsNone(stamped())

    async def test_each_task_sees_its_own_id(self) -> None:
        async def handle(request_id: str) -> object:
            with bound_request_id(request_id):
                await asyncio.sleep(0)
                return stamped()

        self.assertEqual(await asyncio.gather(handle("a"), handle("b")), ["a", "b"])
        self.assertIsNone(REQUEST_ID.get())
