"""The operators' commands: import, show, calendar load and demo seed, on both databases."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from app.domain.status import statuses
from app.services import registry
from app.storage.models import AuditEntry, Certificate
from tests.integration.test_import import GOOD, write_csv


def test_import_prints_a_summary_and_show_finds_the_certificate(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [GOOD])
    result = runner.invoke(args=["certs", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增 1" in result.output and "拒绝 0" in result.output
    shown = runner.invoke(args=["certs", "show", "11010519491231002X", "张伟", "--on", "2026-11-28", "--json"])
    data = json.loads(shown.output)
    assert data["certificates"][0]["状态"] == "有效"
    assert data["certificates"][0]["证件号码"] == "1101**********002X"
    plain = runner.invoke(args=["certs", "show", "11010519491231002X", "张伟"])
    assert "11010519491231002X" not in plain.output and "1101**********002X" in plain.output


def test_show_json_gives_operators_the_public_id_and_the_full_number_and_audits_it(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    welding = {**GOOD, "作业类别": "焊接与热切割作业", "操作项目": "熔化焊接与热切割作业"}
    manager = {**GOOD, "证书类型": "安全生产知识和管理能力考核合格证", "证书编号": "", "人员类型": "主要负责人",
               "行业类别": "金属冶炼", "单位名称": "重庆钢联冶金有限公司", "有效期结束日期": "2025-02-28",
               "应复审日期": "", "实际复审日期": ""}
    runner.invoke(args=["certs", "import", str(write_csv(tmp_path / "a.csv", [GOOD, welding, manager]))])
    data = json.loads(runner.invoke(args=["certs", "show", "11010519491231002X", "张伟", "--json"]).output)
    items = {c.get("操作项目") or c.get("行业类别"): c for c in data["certificates"]}
    assert set(items) == {"低压电工作业", "熔化焊接与热切割作业", "金属冶炼"}
    assert items["低压电工作业"]["cert_number_full"] == "T11010519491231002X"
    assert items["金属冶炼"]["cert_number_full"] is None and items["金属冶炼"]["证书编号"] == "—"
    with app.extensions["db"].session() as session:
        ids = {c.public_id for c in session.scalars(select(Certificate))}
        assert {c["public_id"] for c in data["certificates"]} == ids
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "cli_show_full_numbers")).one()
        assert set(json.loads(entry.detail)["public_ids"]) == ids and "1101" not in entry.detail


def test_show_by_number_alone_lists_every_item_of_the_holder(runner: FlaskCliRunner, tmp_path: Path) -> None:
    welding = {**GOOD, "作业类别": "焊接与热切割作业", "操作项目": "熔化焊接与热切割作业"}
    runner.invoke(args=["certs", "import", str(write_csv(tmp_path / "a.csv", [GOOD, welding]))])
    result = runner.invoke(args=["certs", "show", "T11010519491231002X"])
    assert result.exit_code == 0
    assert result.output.count("证书类型: 特种作业操作证") == 2
    assert "低压电工作业" in result.output and "熔化焊接与热切割作业" in result.output


def test_show_needs_both_the_number_and_the_name(runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["certs", "import", str(write_csv(tmp_path / "a.csv", [GOOD]))])
    result = runner.invoke(args=["certs", "show", "11010519491231002X", "李四"])
    assert result.exit_code == 1 and "未找到" in result.output


def test_show_by_certificate_number_and_status_on_an_earlier_date(runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["certs", "import", str(write_csv(tmp_path / "a.csv", [GOOD]))])
    result = runner.invoke(args=["certs", "show", "T11010519491231002X", "张伟", "--on", "2022-02-20", "--json"])
    assert json.loads(result.output)["certificates"][0]["状态"] == "未发布"


def test_a_bad_id_number_on_show_gets_a_clear_message(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["certs", "show", "110105194912310021", "张伟"])
    assert result.exit_code != 0 and "校验位" in result.output


def test_import_with_rejections_exits_non_zero_and_writes_the_report(runner: FlaskCliRunner,
                                                                    tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [GOOD, {**GOOD, "证件号码": "110105194912310021"}])
    report = tmp_path / "report.csv"
    result = runner.invoke(args=["certs", "import", str(path), "--report", str(report)])
    assert result.exit_code == 1 and "拒绝 1" in result.output
    assert "校验位" in report.read_text(encoding="utf-8-sig")


def test_a_file_missing_columns_is_refused_with_the_column_names(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [{"姓名": "张伟"}])
    result = runner.invoke(args=["certs", "import", str(path)])
    assert result.exit_code != 0 and "缺少必需的列" in result.output and "证件号码" in result.output


def test_loading_a_new_year_lets_availability_be_computed(runner: FlaskCliRunner, tmp_path: Path) -> None:
    late = {**GOOD, "考试合格日期": "2026-12-28", "有效期开始日期": "2027-01-10", "初领日期": "2027-01-10",
            "有效期结束日期": "2033-01-09", "应复审日期": "", "实际复审日期": ""}
    runner.invoke(args=["certs", "import", str(write_csv(tmp_path / "a.csv", [late]))])
    before = runner.invoke(args=["certs", "show", "11010519491231002X", "张伟", "--json"])
    assert "暂无法确定" in json.loads(before.output)["certificates"][0]["状态说明"]
    year = tmp_path / "2027.json"
    year.write_text(json.dumps({"year": 2027, "holidays": ["2027-01-01"], "makeup_workdays": []}))
    loaded = runner.invoke(args=["calendar", "load", str(year)])
    assert loaded.exit_code == 0, loaded.output
    after = runner.invoke(args=["certs", "show", "11010519491231002X", "张伟", "--json"])
    assert "将于2027年1月12日发布" in json.loads(after.output)["certificates"][0]["状态说明"]


def test_a_malformed_year_file_is_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    year = tmp_path / "2027.json"
    year.write_text(json.dumps({"year": 2027, "holidays": ["2027-02-30"]}))
    result = runner.invoke(args=["calendar", "load", str(year)])
    assert result.exit_code != 0


def test_demo_seed_covers_every_status_and_is_skipped_when_data_exists(app: Flask, runner: FlaskCliRunner,
                                                                      ) -> None:
    result = runner.invoke(args=["demo", "seed", "--count", "20"])
    assert result.exit_code == 0, result.output
    with app.extensions["db"].session() as session:
        certs = session.scalars(select(Certificate)).all()
        today = {registry.status_of(session, c, date(2026, 11, 28)).code.value for c in certs}
        in_may = {registry.status_of(session, c, date(2026, 5, 1)).code.value for c in certs}
    # 待复审 can only occur before 2026-06-01, when 19号令 abolished the 3-yearly review.
    assert today | {"review_due"} == {code for code, _ in statuses()}
    assert "review_due" in in_may
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "跳过" in again.output
