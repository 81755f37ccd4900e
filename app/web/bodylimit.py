"""Request body limits, enforced on the bytes actually read: 413 past the limit, with or without Content-Length.

Every view accepts DEFAULT_BODY_LIMIT unless marked with @body_limit (three photos: more; the JSON
API: less). Werkzeug refuses a Content-Length over the limit, but a chunked body (no Content-Length)
it only cuts off at the limit: the form or JSON parser then reads a truncated body, silently. So
such a body is read here first, at most one byte past the limit, and refused with 413 if it goes
past; otherwise it is handed on with its now known length.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from werkzeug.exceptions import LengthRequired, RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

# A WeChat push is a few hundred bytes, a form a few kilobytes.
DEFAULT_BODY_LIMIT = 64 * 1024
# A body without Content-Length is buffered in memory to be measured: only up to this. A view that
# takes more (an import's upload, streamed to disk) needs the length up front (411 otherwise);
# browsers always send it for a form.
MAX_BUFFERED_BODY = 16 * 1024 * 1024
_READ = 64 * 1024

F = TypeVar("F", bound=Callable[..., Any])


def body_limit(limit: int | Callable[[], int]) -> Callable[[F], F]:
    """Give a view its own body limit in bytes (a number, or a function of the configuration).

    A marker and not a hook, because it must apply before the CSRF check parses the form.
    """
    def mark(view: F) -> F:
        view.body_limit = limit  # type: ignore[attr-defined]
        return view
    return mark


def limit_for_view() -> int:
    """The body limit of the view this request is routed to."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit: int | Callable[[], int] = getattr(view, "body_limit", DEFAULT_BODY_LIMIT)
    return limit() if callable(limit) else limit


def read_unsized_body(environ: dict[str, Any], limit: int) -> None:
    """Buffer a body that has no Content-Length, refusing it (413) once it passes `limit` bytes."""
    if get_content_length(environ) is not None or not environ.get("wsgi.input_terminated"):
        return  # bounded by its Content-Length (werkzeug: 413 when over the limit), or not read at all
    if limit > MAX_BUFFERED_BODY:
        raise LengthRequired()
    stream, data = environ["wsgi.input"], bytearray()
    while len(data) <= limit:
        piece = stream.read(min(_READ, limit + 1 - len(data)))
        if not piece:
            break
        data += piece
    if len(data) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(bytes(data))
    environ["CONTENT_LENGTH"] = str(len(data))


def enforce() -> None:
    """Apply this request's body limit before anything reads the body (run first, from a before_request hook)."""
    limit = limit_for_view()
    request.max_content_length = limit
    read_unsized_body(request.environ, limit)
