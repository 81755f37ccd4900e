"""Inspectors in the back office: binding their WeChat account, and the inspection log.

On an inspector's account page an admin shows a one-time binding code and its QR code (ten minutes)
and unbinds with one click; both are audited (app/services/inspector_binding.py). The inspection log
(/admin/inspections) lists checks with filters and a CSV export, scoped to the reader's authority
(app/services/inspection_log.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.services import audit, inspection_log, inspector_binding
from app.services.inspection_log import InspectionQuery
from app.services.staff import StaffError
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required
from app.web.admin.staff import _admin, _edit_page, _target

READERS = ("admin", "operator")


@bp.post("/staff/<int:staff_id>/bind-code")
@roles_required("admin")
def staff_bind_code(staff_id: int) -> tuple[str, int]:
    """A fresh binding code for an inspector's WeChat account, shown on this answer only."""
    account, db, now = _target(staff_id), deps.db_session(), deps.clock().now()
    try:
        issued = inspector_binding.issue_code(deps.store(), deps.pii(), _admin(), account, now)
    except StaffError as exc:
        return _edit_page(account, exc.message, 400)
    audit.record(db, audit.staff_actor(_admin().username), "inspector.bind_code", audit.staff_actor(account.username),
                 {}, now)
    db.commit()
    return _edit_page(account, bind_code=issued)


@bp.post("/staff/<int:staff_id>/unbind")
@roles_required("admin")
def staff_unbind(staff_id: int) -> BaseResponse:
    """Forget the inspector's WeChat account: their scans show the public view again."""
    account, db = _target(staff_id), deps.db_session()
    if inspector_binding.unbind(db, _admin(), account, deps.clock().now()):
        db.commit()
        flash(f"已解除 {account.username} 的微信绑定", "success")
    return redirect(url_for("admin.staff_edit", staff_id=staff_id))


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


def parse_query(args: Mapping[str, str]) -> InspectionQuery:
    """The filters from the query string; a bad date filters nothing (never an error)."""
    since, until = _day(args.get("since", "")), _day(args.get("until", ""))
    if since and until and since > until:
        since, until = until, since
    return InspectionQuery(inspector=args.get("inspector", "").strip()[:64], since=since, until=until)


@bp.get("/inspections")
@roles_required(*READERS)
def inspections() -> str:
    """The inspection log, newest first, fifty a page."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    query = parse_query(request.args)
    rows, number, total = inspection_log.page_of(db, query, staff, request.args.get("page", 1, type=int) or 1)
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/inspections.html", query=query, rows=rows, number=number, total=total,
                           pages=max(1, -(-total // inspection_log.PER_PAGE)), args=args,
                           inspectors=inspection_log.inspectors_in_scope(db, staff), line=inspection_log.csv_line,
                           export_url=url_for("admin.inspections_export", **args))


@bp.get("/inspections.csv")
@roles_required(*READERS)
def inspections_export() -> Response:
    """The matching inspections as CSV, streamed."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    chunks = deps.streamed(db, inspection_log.csv_chunks(db, parse_query(request.args), staff))
    name = f"inspections-{deps.clock().today().isoformat()}.csv"
    return Response(stream_with_context(chunks), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
