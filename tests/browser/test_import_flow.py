"""Headless Chromium, on SQLite and on MariaDB: an operator imports the exam system's export in the browser.

Signed in with the authenticator's code, the operator uploads a GBK CSV, watches its progress (also
after a reload) reach the summary, downloads the rejected-rows report and finds an accepted holder
by the certificate search.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.config import replace
from app.services.demo import generate_rows
from app.storage.db import Database
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, serve_app
from tests.browser.staff_signin import fits_the_width, sign_in
from tests.conftest import _truncate_all
from tests.integration.review_fixtures import make_staff

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 768}
WAIT = 60_000  # milliseconds: the machine is shared, and MariaDB commits take their time
ROWS = 8000
BAD = {"姓名": "王五", "性别": "女", "证件号码": "110105194912310021", "证书类型": "特种作业操作证",
       "作业类别": "电工作业", "操作项目": "低压电工作业", "初领日期": "2022-03-01", "有效期开始日期": "2022-03-01",
       "有效期结束日期": "2028-02-29", "签发机关": "重庆市应急管理局"}


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on the session's database (emptied first); imports run on the server's own thread."""
    database = Database(database_url)
    _truncate_all(database)
    database.engine.dispose()
    tmp = tmp_path_factory.mktemp("imports")

    def prepare(app: Flask) -> None:
        app.config["SETTINGS"] = replace(app.config["SETTINGS"], imports={"upload_dir": str(tmp / "uploads")})
        make_staff(app, "cq.operator", role="operator")

    with serve_app(tmp, seed_count=None, database_url=database_url, before_serving=prepare) as served:
        yield served


def gbk_export(path: Path) -> list[dict[str, Any]]:
    rows = [*generate_rows(ROWS, seed=13), BAD]
    headers = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_an_operator_imports_a_gbk_export_and_finds_the_holders(live: LiveServer, browser: Any,
                                                               tmp_path: Path) -> None:
    rows = gbk_export(tmp_path / "考试系统导出.csv")
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    sign_in(page, live.url, live.app, "cq.operator")
    page.click("nav >> text=数据导入")
    assert_accessible(page, "the import page")
    page.set_input_files("input[name=export]", str(tmp_path / "考试系统导出.csv"))
    page.click("#import-form button[type=submit]")
    page.wait_for_url(f"{live.url}/admin/imports/*")
    assert page.text_content("#job-state") in ("排队中", "正在导入")
    assert fits_the_width(page)
    page.reload()  # progress survives a reload: it comes from the server
    page.wait_for_selector("#job-summary", state="visible")
    assert page.text_content("#job-state") == "已完成"
    assert page.text_content("#count-rows") == str(len(rows))
    assert page.text_content("#count-rejected") == "1"
    assert int(page.text_content("#count-accepted") or 0) > 0
    assert_accessible(page, "the import job's summary")
    with page.expect_download() as info:
        page.click("#report-link")
    report = Path(info.value.path()).read_bytes()
    assert report.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert lines[0][:3] == ["行号", "列", "原因"] and "校验位" in lines[1][2] and lines[1][0] == str(len(rows) + 1)
    page.click("text=← 数据导入")
    assert "考试系统导出.csv" in (page.text_content("#import-history") or "")
    holder = rows[0]
    page.goto(f"{live.url}/admin/certificates")
    page.fill("#q", holder["证件号码"])
    page.click("form.search button")
    assert holder["姓名"] in (page.text_content("#results") or "")
    context.close()
