"""Liveness and readiness for the load balancer."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.web import deps

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Ready when the database answers."""
    deps.db_session().execute(text("SELECT 1"))
    return jsonify(status="ok")
