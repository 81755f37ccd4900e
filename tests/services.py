"""Reaching the real MariaDB and Redis: skip with a visible reason locally, fail under CI=true."""

from __future__ import annotations

import os
import socket

import pytest

MARIADB_ROOT_URL = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root:@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(service: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) when a service the test needs is not listening."""
    if _reachable(host, port):
        return
    message = f"{service} is not reachable at {host}:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: integration tests must run)")
    pytest.skip(message)


def require_mariadb() -> None:
    require("MariaDB", "127.0.0.1", 3306)


def require_redis() -> None:
    require("Redis", "127.0.0.1", 6379)
