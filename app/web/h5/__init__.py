"""Worker pages (H5 inside WeChat) under /h5: sign-in, registration, face check, my certificates.

The blueprint is created here; its routes live in the modules imported at the bottom. CSRF tokens on
every form are checked app-wide before any view runs (app/web/security.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

bp = Blueprint("h5", __name__, url_prefix="/h5")


def notice(title: str, message: str, status: int = 200, **extra: Any) -> tuple[str, int]:
    """A simple page with one message and optional actions (see templates/h5/notice.html)."""
    return render_template("h5/notice.html", title=title, message=message, **extra), status


def in_wechat() -> bool:
    """WeChat's built-in browser announces itself with MicroMessenger in the user agent."""
    return "MicroMessenger" in request.headers.get("User-Agent", "")


@bp.errorhandler(404)
def _not_found(_exc: Exception) -> tuple[str, int]:
    return notice("页面不存在", "没有找到这个页面，或您无权查看。", 404,
                  action_url=url_for("h5.my"), action_label="返回我的证书")


@bp.after_request
def _no_store(response: Response) -> Response:
    """Pages with personal data must not be cached by WeChat's browser or any proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


from app.web.h5 import (  # noqa: E402,F401 - they add routes to `bp`
    certs,
    corrections,
    face,
    prefs,
    reminders,
    shares,
    signin,
)
