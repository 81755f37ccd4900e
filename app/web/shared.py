"""/s/<token>: a shared copy (加注件) as its recipient sees it, until its last day or until revoked.

The page shows the certificate, its live status and the copy's purpose; the image and the PDF carry
the annotation in their watermark, and their QR code verifies as any printed code does. A revoked or
expired link shows only that (410), an unknown one that it is not valid (404): no certificate data.
Requests are limited per client address, and an address that keeps trying unknown links is stopped.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from app.domain.sharecopy import EXPIRED, OPEN, REVOKED
from app.services import certificate_files, ratelimit, registry, shares
from app.services.presenters import KIND_LABELS, describe
from app.services.ratelimit import Hit, Rule
from app.storage.models import Certificate, Person, SharedCopy
from app.web import deps

bp = Blueprint("shared", __name__)

OPENS = Rule("shared_copy:ip", limit=30, window=60)  # requests per client address a minute (page + image = 2)
MISSES = Rule("shared_copy_miss:ip", limit=10, window=3600)  # unknown links an address may try an hour
UNKNOWN, BUSY = "unknown", "busy"
CLOSED = {REVOKED: ("此链接已被撤销", "持证人已撤销这份加注件，链接不再显示证书。如需核验，请联系持证人重新提供。"),
          EXPIRED: ("此链接已过期",
                    "这份加注件已超过持证人设定的有效期，链接不再显示证书。如需核验，请联系持证人重新提供。"),
          UNKNOWN: ("链接无效", "没有找到这份加注件。请核对链接是否完整，或联系提供链接的人。"),
          BUSY: ("访问过于频繁", "请稍后再打开此链接。")}
HIDDEN_FIELDS = ("查询日期", "版本", "状态", "状态说明")


def _client() -> str:
    return request.remote_addr or "unknown"


def _refused() -> ratelimit.Refusal | None:
    """An address that tried too many unknown links this hour, or asks too often this minute."""
    store, now, client = deps.store(), deps.clock().now(), _client()
    return ratelimit.spent(store, now, Hit(MISSES, client)) or ratelimit.check(store, now, Hit(OPENS, client))


def _private(response: Response) -> Response:
    """Never cached, never indexed, and the link never leaks through a Referer header."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _closed(state: str, status: int) -> Response:
    """A page that says why the link shows nothing, and nothing else."""
    title, message = CLOSED[state]
    html = render_template("shared/closed.html", title=title, message=message,
                           official_domain=deps.settings().server.official_domain)
    return _private(Response(html, status=status, mimetype="text/html"))


def _open(token: str) -> tuple[SharedCopy, Certificate] | Response:
    """The open copy a token names and its certificate, or the closed page to answer with."""
    refused = _refused()
    if refused is not None:
        busy = _closed(BUSY, 429)
        busy.headers["Retry-After"] = str(refused.seconds)
        return busy
    opened = shares.open_link(deps.db_session(), deps.pii(), token, deps.clock().today())
    if opened.copy is None:
        ratelimit.check(deps.store(), deps.clock().now(), Hit(MISSES, _client()))  # counted, answered below
        return _closed(UNKNOWN, 404)
    cert = deps.db_session().get(Certificate, opened.copy.certificate_id)
    if cert is None:
        return _closed(UNKNOWN, 404)
    if opened.state != OPEN:
        return _closed(opened.state or UNKNOWN, 410)
    return opened.copy, cert


@bp.get("/s/<token>")
def page(token: str) -> Response:
    """The certificate, its status now, and what the copy is for."""
    opened = _open(token)
    if isinstance(opened, Response):
        return opened
    copy, cert = opened
    db, today = deps.db_session(), deps.clock().today()
    person = db.get(Person, cert.person_id)
    assert person is not None  # foreign key
    found = registry.Found(cert, person, registry.status_of(db, cert, today))
    fields = {k: str(v) for k, v in describe(found, today).items() if v and not k.isascii() and k not in HIDDEN_FIELDS}
    shares.log_view(db, copy, "page", request.headers.get("User-Agent", ""), deps.clock().now())
    html = render_template("shared/page.html", copy=copy, found=found, fields=fields, token=token,
                           kind=KIND_LABELS[cert.kind], official_domain=deps.settings().server.official_domain)
    return _private(Response(html, mimetype="text/html"))


@bp.get("/s/<token>/image.png")
def image(token: str) -> Response:
    """The copy as an image: the certificate with the copy's annotation."""
    return _file(token, "png")


@bp.get("/s/<token>/copy.pdf")
def pdf(token: str) -> Response:
    """The copy as a PDF (its downloads are logged for the holder)."""
    return _file(token, "pdf")


def _file(token: str, fmt: str) -> Response:
    opened = _open(token)
    if isinstance(opened, Response):
        return opened
    copy, cert = opened
    db, now = deps.db_session(), deps.clock().now()
    data = certificate_files.render_certificate(db, deps.pii(), cert, fmt, "share", now, shares.annotation(copy))
    response = Response(data, mimetype="application/pdf" if fmt == "pdf" else "image/png")
    if fmt == "pdf":
        shares.log_view(db, copy, "pdf", request.headers.get("User-Agent", ""), now)
        response.headers["Content-Disposition"] = f'attachment; filename="copy-{cert.public_id}.pdf"'
    return _private(response)
