"""Uploaded files: small ones read into memory with a cap; large ones sealed on disk as they arrive.

Werkzeug's form parser writes a file part over 500 KB to a plain temporary file. A view marked
`@sealed_uploads(folder)` gets its file parts written through app.storage.sealedfile instead: the
bytes reach the disk only encrypted (an import export holds ID numbers), in chunks, never whole in
memory. A sealed upload the view does not keep (`SealedWriter.keep`) is deleted when the request
ends, also when it was refused half way (CSRF, size, a broken connection).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from flask import Request, current_app
from werkzeug.datastructures import FileStorage

from app.domain.pii import PiiCipher
from app.storage.sealedfile import SealedWriter

FORM_OVERHEAD = 256 * 1024  # multipart boundaries and the text fields around the photos

F = TypeVar("F", bound=Callable[..., Any])


def read_upload(file: FileStorage | None, limit: int) -> bytes:
    """An uploaded file's bytes (empty when none was chosen), cut one byte past `limit`."""
    return file.stream.read(limit + 1) if file is not None and file.filename else b""


def sealed_uploads(folder: Callable[[], Path]) -> Callable[[F], F]:
    """Mark a view whose file parts are sealed into `folder()` (a function of the configuration)."""
    def mark(view: F) -> F:
        view.sealed_folder = folder  # type: ignore[attr-defined]
        return view
    return mark


def sealed(file: FileStorage | None) -> SealedWriter | None:
    """The sealed upload behind a form's file field, if one was chosen."""
    if file is None or not file.filename or not isinstance(file.stream, SealedWriter):
        return None
    return file.stream


class UploadRequest(Request):
    """The app's request class: seals file parts for views marked with @sealed_uploads."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        view = current_app.view_functions.get(self.endpoint or "")
        folder = getattr(view, "sealed_folder", None)
        if folder is None:
            return super()._get_file_stream(total_content_length, content_type, filename, content_length)
        writer = SealedWriter(cast(PiiCipher, current_app.extensions["pii"]), folder())
        self.__dict__.setdefault("_sealed", []).append(writer)
        return cast(IO[bytes], writer)

    def close(self) -> None:
        """Also delete sealed parts nobody kept, including those the parser never handed over."""
        super().close()
        for writer in self.__dict__.get("_sealed", []):
            writer.close()
