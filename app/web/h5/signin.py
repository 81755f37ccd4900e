"""Sign-in through WeChat web authorisation (/h5/my, the OAuth callback) and registration."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.integrations import rediskeys
from app.integrations.wechat import OAuthCodeRejected, WeChatApiError, WeChatUnavailable
from app.services import accounts, manual_review
from app.services.manual_review import STATE_LABELS
from app.web import deps
from app.web.h5 import bp, in_wechat, notice
from app.web.h5.certs import my_certificates
from app.web.h5.session import (
    NEXT_KEY,
    STATE_KEY,
    bound_person,
    current_openid,
    current_wechat_user,
    require_wechat_user,
    safe_next,
    sign_in,
)

MANUAL = "manual"  # the registration form's second button: manual review instead of the face check
OAUTH_STATE_TTL = 600  # the user has ten minutes to come back from WeChat's authorisation page


@bp.get("/my")
def my() -> BaseResponse | tuple[str, int] | str:
    """The menu's entry: sign in if needed, then register, verify or list certificates."""
    wanted = safe_next(request.args.get("next"))
    if current_openid() is None:
        if wanted:
            session[NEXT_KEY] = wanted
        return _start_sign_in()
    db = deps.db_session()
    if bound_person(db) is not None:
        return my_certificates()
    user = current_wechat_user(db)
    if user is None or user.claimed_person_id is None:
        return redirect(url_for("h5.register_form"))
    pending = manual_review.open_request(db, user.claimed_person_id, user.openid)
    if pending is not None:  # waiting for a reviewer: say so instead of sending him to the face check again
        return render_template("h5/my_pending.html", item=pending, state_label=STATE_LABELS[pending.state])
    return redirect(url_for("h5.face_start_page"))


def _start_sign_in() -> BaseResponse | tuple[str, int]:
    """Send the browser to WeChat web authorisation, or explain why not."""
    if not in_wechat() and request.args.get("dev") != "1":
        dev = deps.settings().server.dev_tools
        return notice("请在微信中打开", "请在微信中关注本公众号，通过菜单“我的证书”打开本页面。",
                      action_url=url_for("h5.my", dev="1") if dev else None,
                      action_label="开发环境：以模拟器测试用户登录" if dev else None)
    if not in_wechat() and not deps.settings().server.dev_tools:
        abort(404)
    state = secrets.token_urlsafe(24)
    session[STATE_KEY] = state
    deps.store().set(rediskeys.oauth_state(state), "1", ttl=OAUTH_STATE_TTL)
    callback = deps.settings().server.base_url.rstrip("/") + url_for("h5.oauth_callback")
    return redirect(deps.wechat_api().oauth_authorize_url(callback, state))


@bp.get("/oauth/callback")
def oauth_callback() -> BaseResponse | tuple[str, int]:
    """Check the state (this session's, used once), then exchange the code once for the openid."""
    state, code = request.args.get("state", ""), request.args.get("code", "")
    expected = session.pop(STATE_KEY, None)
    store = deps.store()
    # Used once: the store forgets the state. While Redis is down and this process runs on its own
    # memory the state may have been stored by another process; the state bound to this browser's
    # signed session (popped above) and WeChat's single-use code still stop a replayed callback.
    fresh = bool(state) and (store.delete_if_equals(rediskeys.oauth_state(state), "1") or store.degraded)
    if not code or not expected or not secrets.compare_digest(str(expected), state) or not fresh:
        return _sign_in_failed()
    try:
        openid = deps.wechat_api().oauth_exchange_code(code)
    except OAuthCodeRejected:
        return _sign_in_failed()
    except (WeChatApiError, WeChatUnavailable):
        return notice("暂时无法登录", "微信登录服务暂时不可用，请稍后再试。", 503,
                      action_url=url_for("h5.my"), action_label="重试")
    sign_in(openid)
    return redirect(safe_next(session.pop(NEXT_KEY, None)) or url_for("h5.my"))


def _sign_in_failed() -> tuple[str, int]:
    return notice("登录链接已失效", "登录链接已失效或已被使用，请重新从公众号菜单“我的证书”进入。", 400,
                  action_url=url_for("h5.my"), action_label="重新登录")


@bp.get("/register")
@require_wechat_user
def register_form() -> BaseResponse | str:
    """The registration form (name, ID number, mobile, face-verification consent)."""
    if bound_person(deps.db_session()) is not None:
        return redirect(url_for("h5.my"))
    return _render_register({}, None)


@bp.post("/register")
@require_wechat_user
def register_submit() -> BaseResponse | tuple[str, int] | str:
    """Claim a holder: validated fields, rate-limited lookup, then face verification."""
    db, form = deps.db_session(), request.form
    if bound_person(db) is not None:
        return redirect(url_for("h5.my"))
    openid, now = current_openid() or "", deps.clock().now()
    manual = form.get("method") == MANUAL  # the worker will not consent to the face check
    try:
        accounts.check_register_rate(deps.store(), openid, now)
        accounts.register(db, deps.pii(), openid, form.get("name", "")[:60],
                          form.get("id_number", "")[:40], form.get("mobile", "")[:30],
                          form.get("consent") == "yes", now, face=not manual)
    except accounts.RegistrationError as exc:
        db.rollback()
        return _render_register(form, exc), 400
    # The same next step whether or not the holder is bound elsewhere.
    return redirect(url_for("review.new") if manual else url_for("h5.face_start_page"))


def _render_register(form: Any, error: accounts.RegistrationError | None) -> str:
    """The form again with what was typed (never the stored values) and the error by its field."""
    values = {key: str(form.get(key, ""))[:60] for key in ("name", "id_number", "mobile")}
    return render_template("h5/register.html", values=values, error=error,
                           consent_text=accounts.CONSENT_TEXT, consent=form.get("consent") == "yes")
