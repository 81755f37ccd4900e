"""Development tools (simulator and loopback fakes); registered only with [server] dev_tools."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Mount the dev-only blueprints."""
