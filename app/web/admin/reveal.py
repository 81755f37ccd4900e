"""The one way a back-office page shows a full ID number or a holder's photo: a reason, then a short grant.

A page shows a small form (templates/admin/_reveal.html) asking why; the post is audited
(app.services.reveal) and grants this browser session a look at that one subject for
REVEAL_SECONDS. The page then shows the full value (`revealed(what, subject)` in templates).
The session cookie holds only the grant's name and expiry, never the value.
"""

from __future__ import annotations

from flask import flash, redirect, request, session
from werkzeug.wrappers import Response as BaseResponse

from app.services import reveal as reveal_service
from app.services.reveal import RevealError
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required

GRANTS_KEY = "admin_reveals"
REVEAL_SECONDS = 10 * 60
MAX_GRANTS = 20  # the cookie stays small however many holders one session looks at


def _now() -> float:
    return deps.clock().now().timestamp()


@bp.app_template_global()
def revealed(what: str, subject: str) -> bool:
    """Whether this session was granted a look at `subject` and the grant is still fresh."""
    grants = session.get(GRANTS_KEY)
    expiry = grants.get(f"{what}|{subject}") if isinstance(grants, dict) else None
    return isinstance(expiry, (int, float)) and expiry > _now()


def _grant(what: str, subject: str) -> None:
    now = _now()
    grants = session.get(GRANTS_KEY)
    live = {k: v for k, v in (grants.items() if isinstance(grants, dict) else ())
            if isinstance(v, (int, float)) and v > now}
    live[f"{what}|{subject}"] = now + REVEAL_SECONDS
    session[GRANTS_KEY] = dict(sorted(live.items(), key=lambda item: item[1])[-MAX_GRANTS:])


def safe_back(path: str | None) -> str:
    """A back-office path to return to; anything else (another host, //evil) becomes the dashboard."""
    if not path or not path.startswith("/admin/") or path.startswith("//") or "\\" in path or len(path) > 300:
        return "/admin/"
    return path


@bp.post("/reveal")
@roles_required("reviewer", "operator", "admin")  # the roles whose pages offer it
def reveal() -> BaseResponse:
    """Record why, then let this session see the full value for a few minutes."""
    staff, form = current_staff(), request.form
    assert staff is not None
    back = safe_back(form.get("back"))
    what, subject = form.get("what", ""), form.get("subject", "")[:80]
    try:
        reveal_service.record(deps.db_session(), staff, what, subject, form.get("reason", ""),
                              back.split("?")[0], deps.clock().now())
    except RevealError as exc:
        deps.db_session().rollback()
        flash(exc.message, "warning")
        return redirect(back)
    _grant(what, subject)
    return redirect(back)
