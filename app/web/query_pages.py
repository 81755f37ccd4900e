"""The H5 page a 输入查询 reply links to: masked certificates with their live status.

The link carries an itsdangerous token (signed with the app secret, valid 30 minutes) listing the
public ids it may show, so the page cannot be used to enumerate certificates and a forwarded link
stops working soon.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.config import Settings
from app.services import next_steps, registry
from app.services.presenters import describe
from app.web import deps

SALT = "query-detail-link"
LINK_TTL = 1800  # seconds: the reply says 30 minutes
MAX_IDS = 20

bp = Blueprint("query_pages", __name__)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_link(settings: Settings, public_ids: list[str]) -> str:
    """A signed, short-lived URL showing these certificates (one: /h5/cert/<id>, several: /h5/certs)."""
    token = _serializer(settings.server.secret_key).dumps(public_ids[:MAX_IDS])
    base = settings.server.base_url.rstrip("/")
    if len(public_ids) == 1:
        return f"{base}/h5/cert/{public_ids[0]}?t={token}"
    return f"{base}/h5/certs?t={token}"


def read_link(secret_key: str, token: str) -> list[str] | None:
    """The public ids of a valid token; None when forged, altered or older than 30 minutes."""
    try:
        ids = _serializer(secret_key).loads(token, max_age=LINK_TTL)
    except (BadSignature, SignatureExpired):
        return None
    return [str(i) for i in ids] if isinstance(ids, list) else None


def _page(items: list[dict[str, Any]], status: int = 200, error: str = "") -> Response:
    """Render with headers that keep the token out of caches and referrers."""
    res = make_response(render_template("query/detail.html", items=items, error=error), status)
    res.headers["Cache-Control"] = "no-store"
    res.headers["Referrer-Policy"] = "no-referrer"
    return res


def _describe(public_id: str) -> dict[str, Any] | None:
    """Masked fields and live status of one certificate version."""
    session = deps.db_session()
    pair = registry.find_with_holder(session, public_id)
    if pair is None:
        return None
    cert, person = pair
    today = deps.clock().today()
    found = registry.Found(cert, person, registry.status_of(session, cert, today))
    return {**describe(found, today), "next_step": next_steps.for_found(found)}


def _show(ids: list[str] | None, wanted: str | None = None) -> Response:
    if ids is None or (wanted is not None and wanted not in ids):
        return _page([], 403, "链接无效或已过期（30分钟内有效），请在公众号重新查询。")
    items = [item for pid in ([wanted] if wanted else ids) if (item := _describe(pid))]
    if not items:
        return _page([], 404, "未找到该证书，请在公众号重新查询。")
    return _page(items)


@bp.get("/h5/cert/<public_id>")
def detail(public_id: str) -> Response:
    """One certificate from a query reply."""
    return _show(read_link(deps.settings().server.secret_key, request.args.get("t", "")), public_id)


@bp.get("/h5/certs")
def listing() -> Response:
    """Every certificate of a query reply (the link after a reply cut at 2048 bytes)."""
    return _show(read_link(deps.settings().server.secret_key, request.args.get("t", "")))
