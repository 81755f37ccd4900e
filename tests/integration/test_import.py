"""Bulk import against the real databases: every bad input gets a clear error and loses nothing."""

from __future__ import annotations

import csv
import gc
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select, text

from app.domain.catalogue import Catalogue
from app.services import registry
from app.services.demo import HEADERS, generate_rows
from app.services.importer import ImportOptions, ImportSummary, import_file
from app.services.importsource import ImportRefused
from app.storage.models import Certificate, CertificateChange, ImportRun, Person, Photo, RenewalReview

ON = date(2026, 11, 28)
GOOD = {
    "姓名": "张伟", "性别": "女", "证件号码": "11010519491231002X", "证书类型": "特种作业操作证",
    "作业类别": "电工作业", "操作项目": "低压电工作业", "初领日期": "2022-03-01", "有效期开始日期": "2022-03-01",
    "有效期结束日期": "2028-02-29", "应复审日期": "2025-03-01", "实际复审日期": "2025-02-10",
    "考试合格日期": "2022-02-15", "签发机关": "重庆市应急管理局",
}


def write_csv(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8",
              headers: list[str] | None = None) -> Path:
    cols = headers or list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_import(app: Flask, path: Path, **options: Any) -> ImportSummary:
    return import_file(path, app.extensions["db"], app.extensions["pii"], Catalogue.load_default(),
                       ImportOptions(**options))


def interrupted_import(app: Flask, path: Path, batch_size: int) -> None:
    """An import stopped (Ctrl-C) after its first batch."""

    def interrupt(_rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(app, path, batch_size=batch_size, on_progress=interrupt)


def count(app: Flask, model: type) -> int:
    with app.extensions["db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def lookup(app: Flask, number: str, name: str) -> list[registry.Found]:
    with app.extensions["db"].session() as session:
        return registry.find_by_number_and_name(session, app.extensions["pii"], number, name, ON)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_common_encoding_imports_the_same_certificate(app: Flask, tmp_path: Path,
                                                                  encoding: str) -> None:
    summary = run_import(app, write_csv(tmp_path / "a.csv", [GOOD], encoding))
    assert (summary.accepted, summary.rejected) == (1, 0)
    found = lookup(app, "11010519491231002X", "张伟")
    assert [f.status.label for f in found] == ["有效"]


def test_xlsx_with_date_cells_imports_and_formula_cells_are_refused(app: Flask, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(list(GOOD))
    row = [date.fromisoformat(v) if k.endswith("日期") else v for k, v in GOOD.items()]
    sheet.append(row)
    formula = list(row)
    formula[0] = '=CONCAT("张","三")'
    sheet.append(formula)
    path = tmp_path / "a.xlsx"
    book.save(path)
    report = io.StringIO()
    summary = run_import(app, path, report=report)
    assert (summary.accepted, summary.rejected) == (1, 1)
    assert "公式" in report.getvalue()


def test_a_file_missing_required_columns_is_refused_before_anything_is_written(app: Flask,
                                                                             tmp_path: Path) -> None:
    rows = [{k: v for k, v in GOOD.items() if k not in ("证件号码", "签发机关")}]
    with pytest.raises(ImportRefused) as refused:
        run_import(app, write_csv(tmp_path / "a.csv", rows))
    assert "证件号码" in refused.value.message and "签发机关" in refused.value.message
    assert count(app, Certificate) == 0 and count(app, ImportRun) == 0


def test_extra_columns_are_ignored_with_a_warning_and_empty_rows_are_skipped(app: Flask,
                                                                            tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    write_csv(path, [{**GOOD, "备注": "x"}, dict.fromkeys([*GOOD, "备注"], "")])
    summary = run_import(app, path)
    assert summary.accepted == 1 and summary.rows == 1
    assert any("备注" in w for w in summary.warnings)


def test_a_file_in_an_unknown_binary_format_is_refused_clearly(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(ImportRefused, match="二进制"):
        run_import(app, path)


BAD_ROWS = [
    ({"有效期开始日期": "2023-02-30"}, "有效期开始日期", "日期"),
    ({"证件号码": "110105194912310021"}, "证件号码", "校验位"),
    ({"操作项目": "潜水作业"}, "操作项目", "潜水作业"),
    ({"有效期结束日期": "2021-03-01"}, "有效期结束日期", "早于"),
    ({"性别": "男"}, "性别", "不符"),
    ({"签发机关": "火星应急管理局"}, "签发机关", "火星"),
]


@pytest.mark.parametrize(("change", "column", "reason"), BAD_ROWS)
def test_each_bad_row_is_reported_with_row_column_and_reason(app: Flask, tmp_path: Path,
                                                             change: dict[str, str], column: str,
                                                             reason: str) -> None:
    other = {**GOOD, "姓名": "李四", "性别": "男", "证件号码": "440524188001010014"}
    report = io.StringIO()
    summary = run_import(app, write_csv(tmp_path / "a.csv", [other, {**GOOD, **change}]), report=report)
    assert (summary.accepted, summary.rejected) == (1, 1)
    lines = list(csv.reader(io.StringIO(report.getvalue())))
    assert lines[1][0] == "3" and lines[1][1] == column and reason in lines[1][2]
    assert lines[0][:3] == ["行号", "列", "原因"] and len(lines[1]) > 3  # original cells kept for fixing


def test_duplicate_rows_in_one_file_import_once_and_conflicts_are_reported(app: Flask, tmp_path: Path) -> None:
    conflicting = {**GOOD, "有效期结束日期": "2028-03-01"}  # the same certificate (holder + item), other values
    other_item = {**GOOD, "操作项目": "高压电工作业"}  # the same 证号, another certificate
    report = io.StringIO()
    summary = run_import(app, write_csv(tmp_path / "a.csv", [GOOD, GOOD, conflicting, other_item]), report=report)
    assert (summary.accepted, summary.rejected) == (2, 2)
    assert "与第2行完全重复" in report.getvalue() and "与第2行是同一张证书" in report.getvalue()
    assert len(lookup(app, GOOD["证件号码"], "张伟")) == 2


@pytest.mark.parametrize(("written", "stored"), [
    ("张 伟", "张伟"), ("　张伟　", "张伟"), ("ＺＨＡＮＧ", "ZHANG"), ("买买提•艾力", "买买提·艾力"),
])
def test_names_are_normalised_and_the_minority_middle_dot_is_kept(app: Flask, tmp_path: Path, written: str,
                                                                  stored: str) -> None:
    run_import(app, write_csv(tmp_path / "a.csv", [{**GOOD, "姓名": written}]))
    assert len(lookup(app, "11010519491231002X", stored)) == 1


def test_importing_the_same_file_twice_changes_nothing(app: Flask, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", list(generate_rows(120, seed=3)), headers=HEADERS)
    first = run_import(app, path, batch_size=50)
    second = run_import(app, path, batch_size=50)
    assert first.accepted == 120
    assert (second.accepted, second.updated, second.unchanged) == (0, 0, 120)
    assert count(app, Certificate) == 120


@pytest.mark.parametrize("workers", [0, 1], ids=["inline", "in_a_worker"])
def test_a_changed_row_updates_the_certificate_and_keeps_the_previous_values(app: Flask, tmp_path: Path,
                                                                             workers: int) -> None:
    run_import(app, write_csv(tmp_path / "a.csv", [GOOD]), workers=workers)
    changed = {**GOOD, "姓名": "张 伟", "有效期结束日期": "2028-02-28", "实际复审日期": "2025-02-20"}
    summary = run_import(app, write_csv(tmp_path / "b.csv", [changed]), workers=workers)
    assert summary.updated == 1
    [found] = lookup(app, GOOD["证件号码"], "张伟")
    assert found.certificate.valid_until == date(2028, 2, 28)
    assert [r.done_date for r in found.certificate.reviews] == [date(2025, 2, 20)]
    with app.extensions["db"].session() as session:
        change = session.scalars(select(CertificateChange)).one()
        assert json.loads(change.previous)["valid_until"] == "2028-02-29"


@pytest.mark.parametrize("workers", [0, 1], ids=["inline", "in_a_worker"])
def test_a_later_validity_period_is_a_reissue_and_supersedes_the_old_version(app: Flask, tmp_path: Path,
                                                                            workers: int) -> None:
    run_import(app, write_csv(tmp_path / "a.csv", [GOOD]), workers=workers)
    renewed = {**GOOD, "有效期开始日期": "2026-03-01", "有效期结束日期": "2032-02-29", "考试合格日期": "2026-02-10"}
    summary = run_import(app, write_csv(tmp_path / "b.csv", [renewed]), workers=workers)
    assert summary.reissued == 1
    with app.extensions["db"].session() as session:
        old = session.scalars(select(Certificate).where(Certificate.version == 1)).one()
        assert registry.status_of(session, old, ON).label == "已被新版本取代"
    assert [f.certificate.version for f in lookup(app, "11010519491231002X", "张伟")] == [2]


@pytest.mark.parametrize("workers", [0, 1], ids=["inline", "in_a_worker"])
def test_a_row_older_than_the_stored_version_is_refused_and_changes_nothing(app: Flask, tmp_path: Path,
                                                                           workers: int) -> None:
    renewed = {**GOOD, "有效期开始日期": "2026-03-01", "有效期结束日期": "2032-02-29", "考试合格日期": "2026-02-10"}
    run_import(app, write_csv(tmp_path / "a.csv", [renewed]), workers=workers)
    report = io.StringIO()
    older = {**GOOD, "单位名称": "旧单位"}
    summary = run_import(app, write_csv(tmp_path / "b.csv", [older]), workers=workers, report=report)
    assert (summary.rejected, summary.updated, summary.accepted) == (1, 0, 0)
    assert "早于系统中的当前版本（第1版）" in report.getvalue()
    [found] = lookup(app, GOOD["证件号码"], GOOD["姓名"])
    assert found.certificate.valid_from == date(2026, 3, 1) and found.certificate.employer is None


def test_an_interrupted_import_keeps_whole_batches_and_a_rerun_completes_it(app: Flask, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", list(generate_rows(100, seed=5)), headers=HEADERS)
    interrupted_import(app, path, batch_size=40)
    assert count(app, Certificate) == 40
    with app.extensions["db"].session() as session:
        assert session.scalars(select(ImportRun.status)).one() == "failed"
    rerun = run_import(app, path, batch_size=40)
    assert (rerun.unchanged, rerun.accepted) == (40, 60)


def test_the_import_gives_the_garbage_collector_back_as_it_found_it(app: Flask, tmp_path: Path) -> None:
    # The import pauses automatic collection (and freezes what exists) for speed: not beyond its end.
    path = write_csv(tmp_path / "a.csv", list(generate_rows(30, seed=5)), headers=HEADERS)
    interrupted_import(app, path, batch_size=10)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert run_import(app, path, batch_size=10).accepted == 20
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_objects_the_process_froze_itself_stay_frozen(app: Flask, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", list(generate_rows(5, seed=5)), headers=HEADERS)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert run_import(app, path).accepted == 5
        # Frozen objects that died meanwhile leave the count; none was unfrozen.
        assert frozen / 2 < gc.get_freeze_count() <= frozen and gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_hostile_file_with_a_huge_cell_is_refused_with_its_line_number(app: Flask, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [GOOD])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("李四," + "长" * (1 << 20) + "\n")
    with pytest.raises(ImportRefused, match="第3行"):
        run_import(app, path, batch_size=1)
    assert count(app, Certificate) == 1  # the batch before the bad line is whole, nothing half-written


def test_photos_are_stored_encrypted_and_a_non_image_rejects_only_its_row(app: Flask, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (300, 400), "white").save(photos / "ok.jpg")
    (photos / "fake.jpg").write_text("not an image")
    other = {**GOOD, "姓名": "李四", "性别": "男", "证件号码": "440524188001010014", "照片": "fake.jpg"}
    report = io.StringIO()
    summary = run_import(app, write_csv(tmp_path / "a.csv", [{**GOOD, "照片": "ok.jpg"}, other]),
                         photos_dir=photos, report=report)
    assert (summary.accepted, summary.rejected) == (1, 1)
    assert "不是有效的" in report.getvalue()
    with app.extensions["db"].session() as session:
        stored = session.scalars(select(Photo)).one()
        assert not stored.data_enc.startswith(b"\xff\xd8")  # not a readable JPEG at rest


def test_id_numbers_are_never_stored_in_the_clear(app: Flask, tmp_path: Path) -> None:
    run_import(app, write_csv(tmp_path / "a.csv", [GOOD]))
    with app.extensions["db"].engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM people")).all())
        dump += repr(conn.execute(text("SELECT * FROM certificates")).all())
    assert "11010519491231002X" not in dump and "1101051949" not in dump
    with app.extensions["db"].session() as session:
        assert session.scalars(select(Person.id_masked)).one() == "1101**********002X"


def test_a_dry_run_validates_and_counts_but_writes_nothing(app: Flask, tmp_path: Path) -> None:
    summary = run_import(app, write_csv(tmp_path / "a.csv", [GOOD]), dry_run=True)
    assert summary.accepted == 1
    assert count(app, Certificate) == 0 and count(app, ImportRun) == 0


def test_validation_in_a_worker_process_gives_the_same_result_in_file_order(app: Flask, tmp_path: Path) -> None:
    rows = [*generate_rows(1200, seed=9), {**GOOD, "证件号码": "110105194912310021"}]
    path = write_csv(tmp_path / "a.csv", rows, headers=HEADERS)
    report = io.StringIO()
    summary = run_import(app, path, workers=1, batch_size=300, report=report)
    assert (summary.rows, summary.accepted, summary.rejected) == (1201, 1200, 1)
    assert list(csv.reader(io.StringIO(report.getvalue())))[1][0] == "1202"


def test_duplicates_in_different_batches_are_caught_wherever_they_fall(app: Flask, tmp_path: Path) -> None:
    rows = [*generate_rows(30, seed=11)]
    path = write_csv(tmp_path / "a.csv", [*rows, rows[0], {**rows[1], "有效期结束日期": "2040-01-01"}], headers=HEADERS)
    report = io.StringIO()
    summary = run_import(app, path, batch_size=10, report=report)
    assert (summary.accepted, summary.rejected) == (30, 2)
    text_ = report.getvalue()
    assert "与第2行完全重复" in text_ and "与第3行是同一张证书" in text_
    with app.extensions["db"].session() as session:
        assert session.scalars(select(Certificate.import_row).order_by(Certificate.import_row)).first() == 2


@pytest.mark.parametrize("hostile", [
    "O'Brien \\' 建设公司", "100% 安全 %s %(x)s", "x'); DROP TABLE people; --", "反斜杠\\结尾\\",
])
def test_text_that_looks_like_sql_is_stored_exactly_as_written(app: Flask, tmp_path: Path, hostile: str) -> None:
    # The MySQL writer renders its own INSERT literals; quotes, backslashes and % must survive intact.
    row = next(r for r in generate_rows(50, seed=11) if r["证书类型"] == "安全生产知识和管理能力考核合格证")
    row = {**row, "单位名称": hostile, "证书编号": f"AQ-{hostile}"}
    summary = run_import(app, write_csv(tmp_path / "a.csv", [row], headers=HEADERS))
    assert (summary.accepted, summary.rejected) == (1, 0)
    [found] = lookup(app, f"AQ-{hostile}", row["姓名"])
    assert found.certificate.employer == hostile
    assert count(app, Person) == 1


def test_without_insert_returning_the_new_ids_are_looked_up_instead(app: Flask, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # MySQL (unlike MariaDB 10.5+) has no INSERT ... RETURNING: holders and reviews must still link up.
    from app.storage import bulk

    init = bulk.BulkSql.__init__

    def without_returning(self: bulk.BulkSql, session: Any) -> None:
        init(self, session)
        self.returning = False

    monkeypatch.setattr(bulk.BulkSql, "__init__", without_returning)
    rows = list(generate_rows(120, seed=5))
    summary = run_import(app, write_csv(tmp_path / "a.csv", rows, headers=HEADERS), batch_size=50)
    assert summary.accepted == 120
    reviewed = [r for r in rows if r.get("应复审日期")]
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(RenewalReview)) == len(reviewed)
    sample = reviewed[0]
    [found] = [f for f in lookup(app, sample["证件号码"], sample["姓名"]) if f.certificate.kind == "special_ops"][:1]
    assert [r.due_date.isoformat() for r in found.certificate.reviews] == [sample["应复审日期"]]


def test_two_validation_workers_keep_file_order(app: Flask, tmp_path: Path) -> None:
    rows = list(generate_rows(2100, seed=13))
    rows[1777] = {**rows[1777], "证件号码": "110105194912310021"}  # bad check digit, in the 4th chunk
    path = write_csv(tmp_path / "a.csv", rows, headers=HEADERS)
    report = io.StringIO()
    summary = run_import(app, path, workers=2, batch_size=700, report=report)
    assert (summary.rows, summary.accepted, summary.rejected) == (2100, 2099, 1)
    assert list(csv.reader(io.StringIO(report.getvalue())))[1][0] == "1779"  # header line + 1-based
    with app.extensions["db"].session() as session:
        rows_written = session.scalars(select(Certificate.import_row).order_by(Certificate.id)).all()
    assert rows_written == sorted(rows_written)


def test_a_failing_validation_worker_stops_the_run_with_its_traceback(app: Flask, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from app.services import importpipeline

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug in validation")

    monkeypatch.setattr(importpipeline, "prepare", broken)  # the forked worker inherits it
    path = write_csv(tmp_path / "a.csv", list(generate_rows(20, seed=5)), headers=HEADERS)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug in validation"):
        run_import(app, path, workers=1)
    assert count(app, Certificate) == 0
    with app.extensions["db"].session() as session:
        assert session.scalars(select(ImportRun.status)).one() == "failed"


def test_a_batch_that_fails_to_write_stops_the_run_and_keeps_the_batches_before_it(
        app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Batches are written on their own thread while the next one is gathered: a failure there
    # must still reach the caller, after the batches before it were committed.
    from app.services.importwriter import BatchWriter

    write = BatchWriter.write
    calls = []

    def fail_third(self: BatchWriter, session: Any, entries: Any) -> Any:
        calls.append(len(entries))
        if len(calls) == 3:
            raise OSError("disk full")
        return write(self, session, entries)

    monkeypatch.setattr(BatchWriter, "write", fail_third)
    path = write_csv(tmp_path / "a.csv", list(generate_rows(100, seed=5)), headers=HEADERS)
    with pytest.raises(OSError, match="disk full"):
        run_import(app, path, batch_size=20, workers=1)
    assert count(app, Certificate) == 40
    with app.extensions["db"].session() as session:
        run = session.scalars(select(ImportRun)).one()
        assert (run.status, run.accepted) == ("failed", 40)
    monkeypatch.undo()
    assert run_import(app, path, batch_size=20).accepted == 60


@pytest.mark.parametrize("workers", [0, 1])
def test_a_file_broken_half_way_stops_with_its_line_and_keeps_what_came_before(app: Flask, tmp_path: Path,
                                                                               workers: int) -> None:
    rows = list(generate_rows(1201, seed=17))
    rows[1200] = {**rows[1200], "单位名称": "x" * 200_000}  # over the csv module's default 128 KiB field limit
    path = write_csv(tmp_path / "a.csv", rows, headers=HEADERS)
    with pytest.raises(ImportRefused, match="第1202行有超过32767个字符的单元格"):
        run_import(app, path, workers=workers, batch_size=100)
    with app.extensions["db"].session() as session:
        run = session.scalars(select(ImportRun)).one()
        assert run.status == "failed"
        kept = session.scalar(select(func.count()).select_from(Certificate))
    assert kept == run.accepted and kept >= 1000  # whole batches only, and the rows read before
    assert run_import(app, write_csv(tmp_path / "b.csv", rows[:1200], headers=HEADERS)).accepted == 1200 - kept
