"""Who is using an H5 page: the WeChat openid in Flask's signed session cookie, and their holder.

The cookie is HttpOnly, SameSite=Lax and Secure outside development (configured in create_app).
It holds only the openid and short-lived flow values (OAuth state, the latest face attempt id);
everything else is read from the database on each request.

Used by other blueprints too (the manual-review form at /h5/review/new):
- ``current_openid()``: the signed-in openid or None.
- ``@require_wechat_user``: a view decorator; without a signed-in openid the browser is sent through
  WeChat sign-in (/h5/my?next=<this path>) and comes back here afterwards.
- ``current_wechat_user(db)``: the WechatUser row of the signed-in openid (None if not registered).
- ``registered_person(db)``: the holder this openid registered as, verified or not (manual review
  uses this: the worker whose face check failed is registered but not yet verified).
- ``bound_person(db)``: the holder bound to this openid after verification (face or manual), else None.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import redirect, request, session, url_for
from sqlalchemy.orm import Session

from app.storage.models import Person, WechatUser

OPENID_KEY = "h5_openid"
STATE_KEY = "h5_oauth_state"
NEXT_KEY = "h5_next"
FACE_ATTEMPT_KEY = "h5_face_attempt"

F = TypeVar("F", bound=Callable[..., Any])


def current_openid() -> str | None:
    """The openid signed in on this browser session, if any."""
    value = session.get(OPENID_KEY)
    return value if isinstance(value, str) and value else None


def sign_in(openid: str) -> None:
    """Start a fresh session for `openid` (drops anything a previous user left behind)."""
    next_path = session.get(NEXT_KEY)
    session.clear()
    session[OPENID_KEY] = openid
    if isinstance(next_path, str):
        session[NEXT_KEY] = next_path
    session.permanent = True


def sign_out() -> None:
    """Forget the signed-in user."""
    session.clear()


def safe_next(path: str | None) -> str | None:
    """A local /h5/ path to return to after sign-in; anything else (other hosts, //evil) is dropped."""
    if not path or not path.startswith("/h5/") or path.startswith("//") or "\\" in path:
        return None
    return path if len(path) <= 200 else None


def require_wechat_user(view: F) -> F:
    """Send a visitor without a signed-in openid through WeChat sign-in, then back to this page."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_openid() is None:
            return redirect(url_for("h5.my", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return cast(F, wrapper)


def current_wechat_user(db: Session) -> WechatUser | None:
    """The WechatUser row of the signed-in openid (exists once the user registered)."""
    openid = current_openid()
    return db.get(WechatUser, openid) if openid else None


def registered_person(db: Session) -> Person | None:
    """The holder this openid registered as, whether or not verification is done."""
    user = current_wechat_user(db)
    if user is None:
        return None
    person_id = user.person_id if user.verified_at and user.person_id else user.claimed_person_id
    return db.get(Person, person_id) if person_id else None


def bound_person(db: Session) -> Person | None:
    """The holder bound to this openid after a passed verification; None before that."""
    user = current_wechat_user(db)
    if user is None or user.person_id is None or user.verified_at is None:
        return None
    return db.get(Person, user.person_id)
