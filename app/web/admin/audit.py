"""The audit-log page: filters, pages and a streamed CSV export (admins only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Response, render_template, request, stream_with_context, url_for
from sqlalchemy import select

from app.services import audit
from app.services.audit import AuditQuery
from app.storage.models import Staff
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required

MAX_FILTER = 64


def _date(text: str, label: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        problems.append(f"{label}格式不对，应为 2026-12-03 的形式，已忽略")
        return None


def parse_query(args: Mapping[str, str]) -> tuple[AuditQuery, list[str]]:
    """The filters from the page's query string; a bad date is dropped with a note, never an error."""
    problems: list[str] = []
    since = _date(args.get("since", "").strip(), "开始日期", problems)
    until = _date(args.get("until", "").strip(), "结束日期", problems)
    if since and until and since > until:
        since, until = until, since
    return AuditQuery(actor=args.get("actor", "").strip()[:MAX_FILTER], action=args.get("action", "").strip()[:50],
                      public_id=args.get("certificate", "").strip()[:MAX_FILTER], since=since, until=until), problems


def _staff_choices(scope: list[str] | None) -> list[str]:
    names = deps.db_session().scalars(select(Staff.username).order_by(Staff.username))
    return [name for name in names if scope is None or audit.staff_actor(name) in scope]


@bp.get("/audit")
@roles_required("admin")
def audit_log() -> str:
    """Entries newest first, fifty a page."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    query, problems = parse_query(request.args)
    scope = audit.scope_of(db, staff)
    page = audit.page_of(db, query, scope, request.args.get("page", 1, type=int) or 1)
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/audit.html", query=query, page=page, problems=problems,
                           staff_names=_staff_choices(scope), actions=audit.actions_in_use(db),
                           action_label=audit.action_label, args=args,
                           export_url=url_for("admin.audit_export", **args))


@bp.get("/audit.csv")
@roles_required("admin")
def audit_export() -> Response:
    """The matching entries as CSV, streamed a thousand rows at a time."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    query, _ = parse_query(request.args)
    chunks = deps.streamed(db, audit.csv_chunks(db, query, audit.scope_of(db, staff)))
    name = f"audit-{deps.clock().today().isoformat()}.csv"
    return Response(stream_with_context(chunks), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
