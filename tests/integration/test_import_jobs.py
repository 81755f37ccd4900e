"""Imports in the back office: upload, a run outside the request, progress, summary, report, history."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app.config import Settings, replace
from app.services.timeutil import utc_naive
from app.storage.models import AuditEntry, Certificate, ImportJob, ImportRun
from app.tasks import wait_for_threads
from tests.integration.review_fixtures import SICHUAN, csrf_from, make_staff, staff_login
from tests.integration.test_import import GOOD, lookup

SECOND = {**GOOD, "姓名": "李四", "性别": "男", "证件号码": "510102198506152015"}
BAD = {**GOOD, "姓名": "王五", "证件号码": "110105194912310021"}  # wrong check digit
OTHER_AUTHORITY = {**GOOD, "姓名": "赵六", "性别": "男", "证件号码": "110101199003074514", "签发机关": SICHUAN}


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """Uploads wait in this test's own folder."""
    return replace(settings, imports={"upload_dir": str(tmp_path / "imports")})


@pytest.fixture
def operator(app: Flask, client: FlaskClient) -> FlaskClient:
    make_staff(app, "cq.operator", role="operator")
    staff_login(client, "cq.operator")
    return client


def export(rows: list[dict[str, Any]], encoding: str = "gbk") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload(client: FlaskClient, content: bytes, name: str = "export.csv", dry_run: bool = False,
           token: str | None = None) -> Any:
    token = token if token is not None else csrf_from(client.get("/admin/imports").get_data(as_text=True))
    data: dict[str, Any] = {"csrf_token": token, "export": (io.BytesIO(content), name)}
    if dry_run:
        data["dry_run"] = "1"
    return client.post("/admin/imports", data=data, content_type="multipart/form-data")


def finished_job(app: Flask, client: FlaskClient, response: Any) -> dict[str, Any]:
    """Follow the upload to its job page, wait for the run and read its progress JSON."""
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    wait_for_threads(app)
    progress = client.get(location + "/progress")
    assert progress.status_code == 200
    return dict(progress.get_json(), url=location)


def uploads_left(settings: Settings) -> list[Path]:
    folder = Path(settings.imports.upload_dir)
    return list(folder.iterdir()) if folder.exists() else []


def test_an_operator_uploads_a_gbk_export_and_gets_counts_and_a_report(app: Flask, operator: FlaskClient,
                                                                       settings: Settings) -> None:
    job = finished_job(app, operator, upload(operator, export([GOOD, SECOND, BAD, OTHER_AUTHORITY])))
    assert (job["state"], job["label"], job["finished"]) == ("done", "已完成", True)
    assert job["counts"] == {"rows": 4, "accepted": 2, "updated": 0, "reissued": 0, "unchanged": 0, "rejected": 2}
    assert lookup(app, "510102198506152015", "李四") and not lookup(app, "110101199003074514", "赵六")
    page = operator.get(job["url"]).get_data(as_text=True)
    assert "导入结果" in page and "下载被拒绝的行（CSV）" in page
    report = operator.get(job["report_url"])
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert report.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads it as Unicode
    lines = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))
    assert lines[0][:3] == ["行号", "列", "原因"]
    reasons = " ".join(line[2] for line in lines[1:])
    assert "校验位" in reasons and "不能导入其他签发机关的证书" in reasons
    assert uploads_left(settings) == []  # the export is deleted when the run ends
    assert "去导入数据" in operator.get("/admin/").get_data(as_text=True)  # the dashboard's imports card
    history = operator.get("/admin/imports").get_data(as_text=True)
    assert "export.csv" in history and "cq.operator" in history and 'id="import-history"' in history
    with app.extensions["db"].session() as session:
        stored = session.scalar(select(ImportJob))
        assert stored is not None and stored.file_sha256[:12] in history and stored.import_run_id is not None
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert "import.upload" in actions and "import.run" in actions


def test_a_dry_run_writes_nothing_and_deletes_the_file(app: Flask, operator: FlaskClient,
                                                       settings: Settings) -> None:
    job = finished_job(app, operator, upload(operator, export([GOOD, SECOND]), dry_run=True))
    assert job["state"] == "done" and job["counts"]["accepted"] == 2
    assert "试运行结果（未写入任何数据）" in operator.get(job["url"]).get_data(as_text=True)
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(Certificate)) == 0
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 0
    assert uploads_left(settings) == []


def test_the_waiting_file_is_encrypted_at_rest(app: Flask, operator: FlaskClient, settings: Settings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.web.admin.imports.start_import", lambda app, job_id: None)  # no worker yet
    content = export([GOOD, SECOND])
    response = upload(operator, content)
    assert response.status_code == 302
    (stored,) = uploads_left(settings)
    sealed = stored.read_bytes()
    assert b"11010519491231002X" not in sealed and "张伟".encode("gbk") not in sealed
    assert "姓名".encode("gbk") not in sealed and len(sealed) > len(content)
    page = operator.get(response.headers["Location"]).get_data(as_text=True)
    assert "排队中" in page and "flask worker" not in page
    app.extensions["clock"].moment += timedelta(minutes=5)  # nobody took it: the worker is not running
    later = operator.get(response.headers["Location"]).get_data(as_text=True)
    assert "请确认后台导入进程（flask worker）正在运行" in later


def test_an_upload_over_the_cap_is_refused_in_chinese(app: Flask, client: FlaskClient, settings: Settings,
                                                      ) -> None:
    capped = app.config["SETTINGS"] = replace(settings, imports={"max_upload_mb": 1})
    assert capped.imports.max_upload_mb == 1
    make_staff(app, "cq.operator", role="operator")
    staff_login(client, "cq.operator")
    response = upload(client, b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert "文件过大：最大 1 MB" in response.get_data(as_text=True)
    assert uploads_left(settings) == []
    with app.extensions["db"].session() as session:
        assert session.scalar(select(ImportJob)) is None


def test_an_upload_without_a_csrf_token_is_refused_and_leaves_no_file(app: Flask, operator: FlaskClient,
                                                                      settings: Settings) -> None:
    response = upload(operator, export([GOOD]), token="")
    assert response.status_code == 400
    assert uploads_left(settings) == []
    with app.extensions["db"].session() as session:
        assert session.scalar(select(ImportJob)) is None


@pytest.mark.parametrize(("name", "content", "message"), [
    ("photo.jpg", b"\xff\xd8\xff", "只能导入 CSV 或 XLSX 文件"),
    ("empty.csv", b"", "文件是空的"),
])
def test_a_wrong_file_is_refused_before_it_is_queued(operator: FlaskClient, name: str, content: bytes,
                                                     message: str) -> None:
    response = upload(operator, content, name=name)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_a_file_that_cannot_be_imported_fails_with_the_reason(app: Flask, operator: FlaskClient,
                                                              settings: Settings) -> None:
    job = finished_job(app, operator, upload(operator, "姓名,性别\n张三,男\n".encode("gbk")))
    assert job["state"] == "failed" and "缺少必需的列" in job["error"]
    assert uploads_left(settings) == []


def test_another_authority_sees_no_job_and_a_reviewer_is_refused(app: Flask, operator: FlaskClient) -> None:
    job = finished_job(app, operator, upload(operator, export([GOOD])))
    make_staff(app, "sc.operator", role="operator", authority=SICHUAN)
    other = app.test_client()
    staff_login(other, "sc.operator")
    for path in (job["url"], job["url"] + "/progress", job["url"] + "/report.csv"):
        assert other.get(path).status_code == 404, path
    assert "export.csv" not in other.get("/admin/imports").get_data(as_text=True)
    make_staff(app, "cq.reviewer", role="reviewer")
    reviewer = app.test_client()
    staff_login(reviewer, "cq.reviewer")
    assert reviewer.get("/admin/imports").status_code == 403
    assert reviewer.get(job["url"]).status_code == 403


def test_a_worker_that_died_leaves_the_run_failed_with_its_batches_kept(app: Flask, operator: FlaskClient,
                                                                        settings: Settings,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.web.admin.imports.start_import", lambda app, job_id: None)
    response = upload(operator, export([GOOD]))
    assert response.status_code == 302
    url = response.headers["Location"]
    long_ago = utc_naive(app.extensions["clock"].now()) - timedelta(minutes=10)
    with app.extensions["db"].session() as session:  # a worker took it, then stopped beating
        session.execute(update(ImportJob).values(state="running", started_at=long_ago, heartbeat_at=long_ago,
                                                 rows_done=5000))
    progress = operator.get(url + "/progress").get_json()
    assert progress["state"] == "failed" and progress["finished"] and "已导入的批次已保存" in progress["error"]
    with app.extensions["db"].session() as session:
        job = session.scalar(select(ImportJob))
        assert job is not None and job.state == "failed" and job.stored_name is None
    assert uploads_left(settings) == []
    assert "已导入的批次已保存" in operator.get(url).get_data(as_text=True)


def test_an_xlsx_export_is_read_back_from_its_sealed_copy(app: Flask, operator: FlaskClient) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    headers = list(GOOD)
    sheet.append(headers)
    for row in (GOOD, SECOND):
        sheet.append([row[h] for h in headers])
    content = io.BytesIO()
    book.save(content)
    job = finished_job(app, operator, upload(operator, content.getvalue(), name="导出.xlsx"))
    assert job["state"] == "done" and job["counts"]["accepted"] == 2 and job["report_url"] is None
    assert lookup(app, "510102198506152015", "李四")
