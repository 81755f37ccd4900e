"""The one shape of error a user must correct: a Chinese message, and the input it concerns."""

from __future__ import annotations


class UserError(Exception):
    """Input the user must correct; `message` is Chinese text to show, `field` the input it names."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
