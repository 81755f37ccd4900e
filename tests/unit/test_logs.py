"""Logs never carry a full ID number or certificate number."""

from __future__ import annotations

import logging

import pytest

from app.logs import RedactingFilter, redact


@pytest.mark.parametrize(("message", "expected"), [
    ("lookup 11010519491231002X failed", "lookup 1101**********002X failed"),
    ("cert T440524188001010014 ok", "cert T440***********0014 ok"),
    ("legacy 110105491231002 seen", "legacy 1101*******1002 seen"),
    ("order 12345 is fine", "order 12345 is fine"),
])
def test_id_numbers_in_log_messages_are_masked(message: str, expected: str) -> None:
    assert redact(message) == expected


def test_the_filter_rewrites_formatted_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("user %s asked", "11010519491231002X")
    assert "11010519491231002X" not in caplog.text and "1101**********002X" in caplog.text
