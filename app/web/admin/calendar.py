"""The holiday calendar page: years loaded, next year's upload, certificates waiting for it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain.workdays import YearFileError, parse_year_file
from app.services import audit
from app.services.calendar_coverage import MAX_LISTED, awaiting_publication, coverage, load_year
from app.services.presenters import KIND_LABELS
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required

MAX_YEAR_FILE = 32 * 1024  # a year's file is under 2 KB (and a form body stays under the 64 KB default)


def _page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    staff, db, today = current_staff(), deps.db_session(), deps.clock().today()
    assert staff is not None
    covered = coverage(db, today)
    return render_template("admin/calendar.html", covered=covered, error=error, kind_labels=KIND_LABELS,
                           max_listed=MAX_LISTED,
                           waiting=awaiting_publication(db, staff, covered)), status


@bp.get("/calendar")
@roles_required("admin", "operator")
def calendar() -> tuple[str, int]:
    return _page()


@bp.post("/calendar")
@roles_required("admin", "operator")
def upload_calendar() -> BaseResponse | tuple[str, int]:
    """A year's file in the format `flask calendar load` reads (docs/rules.md); errors in Chinese."""
    upload = request.files.get("year_file")
    if upload is None or not upload.filename:
        return _page("请选择要上传的节假日文件", 400)
    raw = upload.read(MAX_YEAR_FILE + 1)
    if len(raw) > MAX_YEAR_FILE:
        return _page("文件过大：节假日文件通常只有几 KB，请确认选择了正确的文件", 400)
    try:
        year = parse_year_file(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return _page("文件不是 UTF-8 编码的文本文件，请确认选择了正确的文件", 400)
    except YearFileError as exc:
        return _page(f"文件有误，未载入：{exc.message}", 400)
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    load_year(db, year, audit.staff_actor(staff.username), upload.filename, deps.clock().now())
    db.commit()
    flash(f"{year.year}年节假日安排已载入：节假日 {len(year.holidays)} 天，调休上班 {len(year.makeup_workdays)} 天",
          "success")
    return redirect(url_for("admin.calendar"))
