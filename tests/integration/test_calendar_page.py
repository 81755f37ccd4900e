"""The holiday calendar in the back office: years loaded, next year's upload, the banner, what waits for it."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.clock import CHINA, FixedClock
from app.services import calendar as calendar_service
from app.storage.models import AuditEntry, CalendarYear, Certificate
from tests.integration.review_fixtures import SICHUAN, Holder, csrf_from, import_holder, make_staff, staff_login

YEAR_2027 = {"year": 2027, "holidays": ["2027-01-01", "2027-02-06", "2027-02-08", "2027-02-09"],
             "makeup_workdays": ["2027-02-20"], "source": "国办发明电〔2026〕X号"}


@pytest.fixture(autouse=True)
def december(clock: FixedClock) -> None:
    """Today is 2026-12-03: the shipped table ends on 2026-12-31, 28 days away."""
    clock.moment = datetime(2026, 12, 3, 9, 30, tzinfo=CHINA)
    calendar_service._cache.clear()


@pytest.fixture
def operator(app: Flask, client: FlaskClient) -> FlaskClient:
    make_staff(app, "cq.operator", role="operator")
    staff_login(client, "cq.operator")
    return client


def _upload(client: FlaskClient, content: bytes, name: str = "2027.json") -> tuple[int, str]:
    token = csrf_from(client.get("/admin/calendar").get_data(as_text=True))
    response = client.post("/admin/calendar", data={"csrf_token": token, "year_file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data", follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def _exam_on(app: Flask, holder: Holder, day: date) -> None:
    with app.extensions["db"].session() as session:
        session.execute(update(Certificate).where(Certificate.person_id == holder.person_id)
                        .values(exam_passed_date=day))


def test_every_back_office_page_warns_until_next_year_is_loaded(app: Flask, operator: FlaskClient) -> None:
    make_staff(app, "cq.reviewer")
    reviewer = app.test_client()
    staff_login(reviewer, "cq.reviewer")
    for client, path in ((operator, "/admin/"), (operator, "/admin/calendar"), (reviewer, "/admin/queue")):
        page = client.get(path).get_data(as_text=True)
        assert 'id="calendar-banner"' in page and "2026年12月31日（还剩 28 天）" in page and "2027 年" in page, path
    assert "去载入" not in reviewer.get("/admin/queue").get_data(as_text=True)  # only for who can load it
    status, page = _upload(operator, json.dumps(YEAR_2027, ensure_ascii=False).encode())
    assert status == 200 and "2027年节假日安排已载入：节假日 4 天，调休上班 1 天" in page
    assert 'id="calendar-banner"' not in page and "2027年12月31日" in page
    assert 'id="calendar-banner"' not in reviewer.get("/admin/queue").get_data(as_text=True)
    with app.extensions["db"].session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "calendar.load"))
        assert entry is not None and entry.actor == "staff:cq.operator" and entry.subject == "calendar:2027"


@pytest.mark.parametrize(("content", "message"), [
    (b"holidays: 2027-01-01", "文件不是有效的JSON格式"),
    (b'{"year": 2027, "holidays": ["2026-12-31"], "makeup_workdays": []}', "不在2027年"),
    (b'{"year": 2027, "holidays": [], "makeup_workdays": ["2027-02-08"]}', "调休上班日必须是周六或周日"),
    (b'{"year": 2027, "holidays": []}', "makeup_workdays 必须是日期列表"),
    ("节假日".encode("gbk"), "不是 UTF-8 编码"),
    (b"{}" + b" " * 40_000, "文件过大"),
])
def test_a_bad_file_is_refused_in_chinese_and_nothing_is_loaded(app: Flask, operator: FlaskClient,
                                                                content: bytes, message: str) -> None:
    status, page = _upload(operator, content)
    assert status == 400 and message in page
    with app.extensions["db"].session() as session:
        assert session.scalar(select(CalendarYear)) is None


def test_a_missing_file_is_asked_for(operator: FlaskClient) -> None:
    token = csrf_from(operator.get("/admin/calendar").get_data(as_text=True))
    response = operator.post("/admin/calendar", data={"csrf_token": token})
    assert response.status_code == 400 and "请选择要上传的节假日文件" in response.get_data(as_text=True)


def test_certificates_from_late_exams_wait_masked_until_the_year_is_loaded(app: Flask, operator: FlaskClient) -> None:
    late = import_holder(app, seed=11)
    early = import_holder(app, seed=12)
    elsewhere = import_holder(app, authority=SICHUAN, seed=13)
    _exam_on(app, late, date(2026, 12, 20))  # the 10th working day falls in 2027
    _exam_on(app, early, date(2026, 12, 1))  # published 2026-12-15
    _exam_on(app, elsewhere, date(2026, 12, 22))
    page = operator.get("/admin/calendar").get_data(as_text=True)
    waiting = page.split('id="waiting"', 1)[1].split("</table>", 1)[0]
    assert late.name in waiting and late.id_number[:4] + "**********" + late.id_number[-4:] in waiting
    assert late.id_number not in page  # masked, never in full
    assert early.name not in waiting and elsewhere.name not in waiting  # published; another authority's
    assert "2027年节假日" in waiting
    _upload(operator, json.dumps(YEAR_2027).encode())
    assert 'id="waiting"' not in operator.get("/admin/calendar").get_data(as_text=True)


def test_the_calendar_page_is_for_operators_and_admins(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.reviewer")
    staff_login(client, "cq.reviewer")
    assert client.get("/admin/calendar").status_code == 403
    token = csrf_from(client.get("/admin/queue").get_data(as_text=True))
    upload = (io.BytesIO(json.dumps(YEAR_2027).encode()), "a.json")
    response = client.post("/admin/calendar", data={"csrf_token": token, "year_file": upload},
                           content_type="multipart/form-data")
    assert response.status_code == 403
