"""我的证书 → 证书提醒: the bound holder turns reminders (published, expiring, review due) off and on."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.services import accounts
from app.web import deps
from app.web.h5 import bp
from app.web.h5.session import bound_person, current_openid, current_wechat_user, require_wechat_user


@bp.context_processor
def _reminder_helpers() -> dict[str, Any]:
    """For the include on 我的证书 (templates/h5/_reminders.html)."""
    return {"reminders_on": _reminders_on}


def _reminders_on() -> bool:
    user = current_wechat_user(deps.db_session())
    return bool(user is not None and user.reminders)


@bp.post("/my/reminders")
@require_wechat_user
def set_reminders() -> BaseResponse:
    """Turn reminders on or off, then back to 我的证书."""
    db = deps.db_session()
    if bound_person(db) is None:
        abort(404)
    accounts.set_reminders(db, current_openid() or "", request.form.get("reminders") == "on")
    return redirect(url_for("h5.my") + "#reminders")
