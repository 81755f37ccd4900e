"""Every real record lands: several certificates under one 证号, management certificates with and
without a number, found by 输入查询, `certs show`, 我的证书, and rendered with a QR that verifies."""

# Fixtures are imported explicitly, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from flask import Flask
from openpyxl import Workbook
from PIL import Image

from app.domain.catalogue import Catalogue
from app.services import certificate_files, registry
from app.services.demo import HEADERS, id_number
from app.services.importer import ImportOptions, ImportSummary, import_file
from app.services.seed import DemoPerson
from tests.integration.h5_fixtures import (  # noqa: F401 - fixtures
    Worker,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    h5_app,
    wechat_settings,
    worker,
)
from tests.integration.test_import import write_csv
from tests.integration.verify_fixtures import keyed_app  # noqa: F401 - fixture
from tests.wechat_helper import WeChatServer

ON = date(2026, 11, 28)
ITEMS = [("电工作业", "低压电工作业"), ("焊接与热切割作业", "熔化焊接与热切割作业"), ("高处作业", "登高架设作业"),
         ("电工作业", "高压电工作业"), ("制冷与空调作业", "制冷与空调设备运行操作作业")]
NAMES = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨磊"]
BAD = 4  # rows that are really bad; everything else must land


def _holders() -> list[tuple[str, str]]:
    rng = random.Random(11)
    return [(name, id_number(rng, "男" if n % 2 == 0 else "女", date(1970 + n, 3, 5 + n)))
            for n, name in enumerate(NAMES)]


def _special(name: str, number: str, category: str, item: str, start: str) -> dict[str, Any]:
    end = f"{int(start[:4]) + 6}{start[4:]}"
    return {"姓名": name, "性别": "男" if int(number[16]) % 2 else "女", "证件号码": number,
            "证书类型": "特种作业操作证", "证书编号": "T" + number, "作业类别": category, "操作项目": item,
            "初领日期": start, "有效期开始日期": start, "有效期结束日期": end, "签发机关": "重庆市应急管理局"}


def _management(name: str, number: str, cert_no: str, personnel: str, industry: str) -> dict[str, Any]:
    return {"姓名": name, "性别": "男" if int(number[16]) % 2 else "女", "证件号码": number,
            "证书类型": "安全生产知识和管理能力考核合格证", "证书编号": cert_no, "人员类型": personnel,
            "行业类别": industry, "单位名称": "重庆长江化工有限公司", "初领日期": "2025-04-01",
            "有效期开始日期": "2025-04-01", "有效期结束日期": "2028-03-31", "签发机关": "重庆市应急管理局"}


def export_rows() -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Holders with 2-4 special-operations items each, management certificates with and without a
    number, and BAD really bad rows; with how many certificates each holder must end up with."""
    rows: list[dict[str, Any]] = []
    expected: dict[str, int] = {}
    for n, (name, number) in enumerate(_holders()[:4]):
        count = 2 + n % 3
        for k, (category, item) in enumerate(ITEMS[:count]):
            rows.append(_special(name, number, category, item, f"202{3 + k % 3}-0{k + 1}-10"))
        expected[number] = count
    manager, officer = _holders()[4:]
    rows.append(_management(manager[0], manager[1], "渝AQ2025000123", "主要负责人", "危险化学品生产单位"))
    rows.append(_management(officer[0], officer[1], "", "安全生产管理人员", "金属冶炼"))
    first = _holders()[0]
    rows.append(_management(first[0], first[1], "", "主要负责人", "金属非金属矿山"))
    expected.update({manager[1]: 1, officer[1]: 1, first[1]: expected[first[1]] + 1})
    bad = _special(NAMES[1], _holders()[1][1], "电工作业", "防爆电气作业", "2025-01-01")
    rows += [
        {**bad, "证件号码": bad["证件号码"][:-1] + ("0" if bad["证件号码"][-1] != "0" else "1")},  # check digit
        {**bad, "操作项目": "开飞机作业"},  # not in the catalogue
        {**bad, "有效期结束日期": "2024-01-01"},  # ends before it starts
        {**_management(manager[0], manager[1], "", "主要负责人", "危险化学品生产单位"), "姓名": ""},  # no name
    ]
    return rows, expected


def write_export(path: Path, fmt: str) -> Path:
    rows, _ = export_rows()
    if fmt == "csv-gbk":
        return write_csv(path.with_suffix(".csv"), rows, "gbk", headers=HEADERS)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(h, "") for h in HEADERS])
    book.save(path.with_suffix(".xlsx"))
    return path.with_suffix(".xlsx")


def run(app: Flask, path: Path, **options: Any) -> tuple[ImportSummary, str]:
    report = io.StringIO()
    summary = import_file(path, app.extensions["db"], app.extensions["pii"], Catalogue.load_default(),
                          ImportOptions(report=report, **options))
    return summary, report.getvalue()


@pytest.mark.parametrize("fmt", ["csv-gbk", "xlsx"])
def test_only_the_really_bad_rows_are_rejected_and_a_reimport_changes_nothing(
        app: Flask, tmp_path: Path, fmt: str) -> None:
    path = write_export(tmp_path / "export", fmt)
    rows, expected = export_rows()
    first, report = run(app, path)
    assert (first.rejected, first.accepted) == (BAD, len(rows) - BAD), report
    again, _ = run(app, path)
    assert (again.accepted, again.updated, again.unchanged, again.rejected) == (0, 0, len(rows) - BAD, BAD)
    with app.extensions["db"].session() as session:
        for number, count in expected.items():
            assert len(registry.find_by_id_and_name(
                session, app.extensions["pii"], number, _name_of(number), ON)) == count


def _name_of(number: str) -> str:
    return next(name for name, n in _holders() if n == number)


def test_every_holders_every_item_is_found_by_the_input_query(
        app: Flask, client: Any, settings: Any, tmp_path: Path) -> None:
    run(app, write_export(tmp_path / "export", "csv-gbk"))
    wechat = WeChatServer(client, settings)
    _, expected = export_rows()
    for n, (number, count) in enumerate(expected.items()):
        text = wechat.send_text(f"o-{n}", f"{number} {_name_of(number)}").text
        assert f"查询到{count}张证书" in text and number not in text
        assert text.count("状态：有效") == count


def test_certs_show_lists_every_item_and_the_number_less_certificate_shows_a_dash(
        app: Flask, tmp_path: Path) -> None:
    run(app, write_export(tmp_path / "export", "csv-gbk"))
    runner = app.test_cli_runner()
    _, expected = export_rows()
    for number, count in expected.items():
        shown = json.loads(runner.invoke(args=["certs", "show", number, _name_of(number), "--json",
                                               "--on", ON.isoformat()]).output)
        assert len(shown["certificates"]) == count
        assert len({c["public_id"] for c in shown["certificates"]}) == count
    officer = _holders()[5]
    [only] = json.loads(runner.invoke(args=["certs", "show", officer[1], officer[0], "--json"]).output)[
        "certificates"]
    assert only["证书编号"] == "—" and only["cert_number_full"] is None


def test_my_certificates_lists_every_item_of_a_verified_holder(
        h5_app: Flask, worker: Callable[[str], Worker], tmp_path: Path) -> None:
    run(h5_app, write_export(tmp_path / "export", "xlsx"))
    _, expected = export_rows()
    name, number = _holders()[0]
    alice = worker("o-alice")
    alice.onboard(DemoPerson(name, number, ""))
    page = alice.get("/h5/my").text
    for _category, item in ITEMS[:expected[number] - 1]:
        assert item in page
    assert "金属非金属矿山" in page and page.count('href="/h5/my/cert/') >= expected[number]


def test_every_certificate_renders_with_a_qr_that_verifies(keyed_app: Flask, tmp_path: Path) -> None:
    run(keyed_app, write_export(tmp_path / "export", "csv-gbk"))
    _, expected = export_rows()
    now = datetime(2026, 11, 28, 10, 0)
    client = keyed_app.test_client()
    with keyed_app.app_context(), keyed_app.extensions["db"].session() as session:
        for number in expected:
            for found in registry.find_by_id_and_name(session, keyed_app.extensions["pii"], number,
                                                      _name_of(number), ON):
                cert = registry.full_certificate(session, found.certificate)
                png = certificate_files.render_certificate(session, keyed_app.extensions["pii"], cert, "png",
                                                           "test", now)
                [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
                verdict = client.post("/api/verify", json={"token": code.text}).get_json()
                assert verdict["outcome"] == "genuine" and verdict["valid_now"], verdict
                assert verdict["public_id"] == found.certificate.public_id
