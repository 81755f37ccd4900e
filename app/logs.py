"""Logging that never lets a full ID number or certificate number through."""

from __future__ import annotations

import logging
import re

# 17 digits + check character, or 15 legacy digits; optionally prefixed by "T" (certificate number).
_ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])(T\d{3}|\d{4})\d{7,11}(\d{3}[\dXx])(?![0-9A-Za-z])")


def redact(text: str) -> str:
    """Mask anything that looks like an ID or certificate number: keep the first 4 and last 4 characters."""
    return _ID_PATTERN.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - len(m.group(1)) - 4)
                           + m.group(2), text)


class RedactingFilter(logging.Filter):
    """Rewrite each record's message with ID numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_log_redaction(*loggers: logging.Logger) -> None:
    """Attach the filter to the given loggers and to every root handler."""
    for logger in (*loggers, logging.getLogger()):
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
