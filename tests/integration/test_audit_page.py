"""The audit-log page: filters, pages, a streamed CSV with formulas neutralised, and scope."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.clock import CHINA
from app.services import audit
from tests.integration.review_fixtures import SICHUAN, make_staff, staff_login

DAY = datetime(2026, 11, 20, 9, 0, tzinfo=CHINA)


def _record(app: Flask, actor: str, action: str, subject: str, detail: dict[str, object], at: datetime) -> None:
    with app.extensions["db"].session() as session:
        audit.record(session, actor, action, subject, detail, at)


@pytest.fixture
def log(app: Flask) -> None:
    """A small history: two staff members, three kinds of action, two certificates, three days."""
    make_staff(app, "cq.operator", role="operator")
    make_staff(app, "sc.operator", role="operator", authority=SICHUAN)
    _record(app, "staff:cq.operator", "certificate.suspend", audit.certificate_subject("PUBa_1"),
            {"reason": "违章作业"}, DAY)
    _record(app, "staff:cq.operator", "certificate.correct", audit.certificate_subject("PUBb_2"), {},
            DAY + timedelta(days=1))
    _record(app, "cli:root", "cli_show_full_numbers", "certificates", {"public_ids": ["PUBa_1", "PUBc_3"]},
            DAY + timedelta(days=1))
    _record(app, "staff:sc.operator", "certificate.suspend", audit.certificate_subject("PUBd_4"),
            {"reason": "违章作业"}, DAY + timedelta(days=2))


@pytest.fixture
def admin(app: Flask, client: FlaskClient, log: None) -> FlaskClient:
    make_staff(app, "city.admin", role="admin", authority="*")
    staff_login(client, "city.admin")
    return client


def _rows(client: FlaskClient, query: str) -> list[str]:
    """The subjects of the entries listed on the page (sign-ins of the test's admin left out)."""
    page = client.get("/admin/audit?" + query).get_data(as_text=True)
    table = page.split('id="audit-entries"', 1)[1].split("</table>", 1)[0] if 'id="audit-entries"' in page else ""
    return [cell.split("<", 1)[0] for cell in table.split('<td class="mono">')[1:] if not cell.startswith("staff:")]


@pytest.mark.parametrize(("query", "subjects"), [
    ("actor=staff:cq.operator", ["certificate:PUBb_2", "certificate:PUBa_1"]),
    ("action=certificate.suspend", ["certificate:PUBd_4", "certificate:PUBa_1"]),
    ("certificate=PUBa_1", ["certificates", "certificate:PUBa_1"]),  # by subject and inside a detail list
    ("certificate=PUB_", []),  # a LIKE wildcard is taken literally
    ("since=2026-11-21&until=2026-11-21", ["certificates", "certificate:PUBb_2"]),  # China dates, both ends in
    ("since=2026-11-22&action=certificate.suspend", ["certificate:PUBd_4"]),
    ("until=not-a-date&actor=staff:sc.operator", ["certificate:PUBd_4"]),
])
def test_the_audit_log_filters_by_person_action_certificate_and_date(admin: FlaskClient, query: str,
                                                                     subjects: list[str]) -> None:
    assert _rows(admin, query) == subjects


def test_a_bad_date_is_dropped_with_a_note(admin: FlaskClient) -> None:
    page = admin.get("/admin/audit?since=2026-99-01").get_data(as_text=True)
    assert "开始日期格式不对" in page


def test_the_audit_log_pages_fifty_entries_at_a_time(app: Flask, admin: FlaskClient) -> None:
    for n in range(120):
        _record(app, "staff:cq.operator", "certificate.correct", audit.certificate_subject(f"BULK{n:03d}"), {}, DAY)
    first = admin.get("/admin/audit?action=certificate.correct").get_data(as_text=True)
    assert "第 1 / 3 页" in first and "BULK119" in first and "BULK069" not in first
    third = admin.get("/admin/audit?action=certificate.correct&page=3").get_data(as_text=True)
    assert "BULK000" in third and "下一页" not in third and "action=certificate.correct" in third.split("上一页")[0]
    assert admin.get("/admin/audit?page=999").status_code == 200  # past the end: the last page


def test_the_csv_export_is_streamed_filtered_and_safe_in_excel(admin: FlaskClient) -> None:
    response = admin.get("/admin/audit.csv?action=certificate.suspend")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["时间", "操作人", "操作", "对象", "详情"] and len(rows) == 3
    assert rows[1][0] == "2026-11-22 09:00" and rows[1][3] == "certificate:PUBd_4"


def test_a_formula_at_the_start_of_a_cell_is_neutralised(app: Flask, admin: FlaskClient) -> None:
    _record(app, "staff:cq.operator", "=cmd|' /C calc'!A0", "@SUM(1)", {}, DAY)
    rows = list(csv.reader(io.StringIO(admin.get("/admin/audit.csv").get_data(as_text=True).lstrip("\ufeff"))))
    row = next(r for r in rows if "SUM" in r[3])
    assert row[2].startswith("'=") and row[3] == "'@SUM(1)"


def test_an_authority_admin_reads_what_its_own_staff_did(app: Flask, log: None) -> None:
    make_staff(app, "sc.admin", role="admin", authority=SICHUAN)
    client = app.test_client()
    staff_login(client, "sc.admin")
    assert _rows(client, "") == ["certificate:PUBd_4"]
    assert "PUBa_1" not in client.get("/admin/audit.csv").get_data(as_text=True)
    assert "cq.operator" not in client.get("/admin/audit").get_data(as_text=True)  # not even as a choice


def test_the_audit_log_is_for_admins(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.reviewer")
    staff_login(client, "cq.reviewer")
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403
