"""Uploaded files on worker forms: read at most one byte past the limit (enough to refuse it)."""

from __future__ import annotations

from werkzeug.datastructures import FileStorage

FORM_OVERHEAD = 256 * 1024  # multipart boundaries and the text fields around the photos


def read_upload(file: FileStorage | None, limit: int) -> bytes:
    """An uploaded file's bytes (empty when none was chosen), cut one byte past `limit`."""
    return file.stream.read(limit + 1) if file is not None and file.filename else b""
