"""One rule for what an import does to a row: the same file gives the same outcome at any batch size,
with any number of validation workers, and in a dry run, which writes nothing at all."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from app.domain.qrtoken import ListedStatus, status_entry
from app.services import registry, status_list
from app.services.demo import HEADERS, generate_rows
from app.storage.models import Certificate, ImportRun, Person, Photo
from tests.conftest import _truncate_all
from tests.integration.test_import import GOOD, ON, count, lookup, run_import, write_csv

X = {**GOOD}
X_CHANGED = {**GOOD, "有效期结束日期": "2028-03-01"}


def _outcome(app: Flask, path: Path, **options: Any) -> tuple[tuple[int, ...], list[list[str]]]:
    """(rows, accepted, updated, reissued, unchanged, rejected) and the report lines of one run."""
    report = io.StringIO()
    s = run_import(app, path, report=report, **options)
    return (s.rows, s.accepted, s.updated, s.reissued, s.unchanged, s.rejected), list(
        csv.reader(io.StringIO(report.getvalue())))


def _fresh_with(app: Flask, tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    _truncate_all(app.extensions["db"])
    run_import(app, write_csv(tmp_path / "before.csv", rows, headers=HEADERS))


def test_the_same_file_gives_the_same_outcome_at_any_batch_size_worker_count_and_in_a_dry_run(
        app: Flask, tmp_path: Path) -> None:
    """The review's case: the database holds X; the file is [X, 12 other rows, X with a later end]."""
    others = list(generate_rows(12, seed=31))
    path = write_csv(tmp_path / "a.csv", [X, *others, X_CHANGED], headers=HEADERS)
    outcomes = {}
    for size in (1, 2, 5, 1000):
        for workers in (0, 1):
            for dry_run in (True, False):
                _fresh_with(app, tmp_path, [X])
                outcomes[size, workers, dry_run] = _outcome(app, path, batch_size=size, workers=workers,
                                                            dry_run=dry_run)
    assert len(set(map(repr, outcomes.values()))) == 1, outcomes
    counts, report = outcomes[5, 0, False]
    assert counts == (14, 12, 0, 0, 1, 1)  # rows, new, updated, reissued, unchanged, rejected
    assert report[1][0] == "15" and "与第2行是同一张证书" in report[1][2]


def test_a_dry_run_writes_nothing_and_spends_no_ids(app: Flask, tmp_path: Path) -> None:
    run_import(app, write_csv(tmp_path / "first.csv", [X]))
    path = write_csv(tmp_path / "a.csv", list(generate_rows(30, seed=32)), headers=HEADERS)
    dry = run_import(app, path, dry_run=True, batch_size=7)
    assert dry.accepted == 30 and count(app, Certificate) == 1 and count(app, Person) == 1
    assert count(app, ImportRun) == 1
    run_import(app, write_csv(tmp_path / "b.csv", [{**X, "证件号码": "440524188001010014", "性别": "男"}]))
    with app.extensions["db"].session() as session:
        first, second = session.scalars(select(Certificate.id).order_by(Certificate.id)).all()
        assert second == first + 1  # MariaDB spends AUTO_INCREMENT values on rolled-back inserts: none were
        first, second = session.scalars(select(Person.id).order_by(Person.id)).all()
        assert second == first + 1


def test_a_dry_run_of_rows_sharing_one_photo_decides_like_the_real_run(app: Flask, tmp_path: Path) -> None:
    """Six rows, one photo, batch size 2: the photo cache must not outlive a batch that wrote nothing."""
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (300, 400), "white").save(photos / "same.jpg")
    rows = [{**row, "照片": "same.jpg"} for row in generate_rows(6, seed=33)]
    path = write_csv(tmp_path / "a.csv", rows, headers=[*HEADERS, "照片"])
    dry = _outcome(app, path, batch_size=2, photos_dir=photos, dry_run=True)
    assert count(app, Photo) == 0
    real = _outcome(app, path, batch_size=2, photos_dir=photos)
    assert dry == real and real[0][1] == 6
    with app.extensions["db"].session() as session:
        [photo_id] = session.scalars(select(Photo.id)).all()
        assert set(session.scalars(select(Certificate.photo_id))) == {photo_id}


def test_a_reissue_of_one_item_supersedes_only_that_item(app: Flask, tmp_path: Path) -> None:
    welding = {**GOOD, "作业类别": "焊接与热切割作业", "操作项目": "熔化焊接与热切割作业"}
    run_import(app, write_csv(tmp_path / "a.csv", [GOOD, welding]))
    renewed = {**GOOD, "有效期开始日期": "2026-03-01", "有效期结束日期": "2032-02-29", "考试合格日期": "2026-02-10",
               "应复审日期": "", "实际复审日期": ""}
    assert run_import(app, write_csv(tmp_path / "b.csv", [renewed])).reissued == 1
    current = {f.certificate.item_code: f for f in lookup(app, GOOD["证件号码"], "张伟")}
    assert {code: f.certificate.version for code, f in current.items()} == {"0102": 2, "0201": 1}
    assert {f.status.label for f in current.values()} == {"有效"}
    with app.extensions["db"].session() as session:
        old = session.scalars(select(Certificate).where(Certificate.is_current.is_(False))).one()
        assert old.item_code == "0102" and registry.status_of(session, old, ON).label == "已被新版本取代"
        listed = status_list.listed_entries(session, ON)
        assert listed == {status_entry(old.public_id, 1): ListedStatus.SUPERSEDED}


@pytest.mark.parametrize("size", [1, 3])
def test_a_holders_items_in_one_file_are_all_new_certificates(app: Flask, tmp_path: Path, size: int) -> None:
    items = [("电工作业", "低压电工作业"), ("电工作业", "高压电工作业"), ("高处作业", "登高架设作业")]
    rows = [{**GOOD, "作业类别": c, "操作项目": i} for c, i in items]
    summary = run_import(app, write_csv(tmp_path / "a.csv", rows), batch_size=size)
    assert (summary.accepted, summary.rejected) == (3, 0)
    assert sorted(f.certificate.item_code or "" for f in lookup(app, GOOD["证件号码"], "张伟")) == [
        "0101", "0102", "0301"]


def test_a_reissue_keeps_a_suspension_and_leaves_a_revoked_certificate_alone(app: Flask, tmp_path: Path) -> None:
    from sqlalchemy import update

    welding = {**GOOD, "作业类别": "焊接与热切割作业", "操作项目": "熔化焊接与热切割作业"}
    run_import(app, write_csv(tmp_path / "a.csv", [GOOD, welding]))
    with app.extensions["db"].session() as session:
        session.execute(update(Certificate).where(Certificate.item_code == "0102").values(
            admin_state="suspended", admin_reason="违章作业", suspended_until=date(2027, 3, 1)))
        session.execute(update(Certificate).where(Certificate.item_code == "0201").values(admin_state="revoked"))
    later = {"有效期开始日期": "2026-03-01", "有效期结束日期": "2032-02-29", "考试合格日期": "2026-02-10",
             "应复审日期": "", "实际复审日期": ""}
    report = io.StringIO()
    summary = run_import(app, write_csv(tmp_path / "b.csv", [{**GOOD, **later}, {**welding, **later}]),
                         report=report)
    assert (summary.reissued, summary.rejected) == (1, 1) and "已被签发机关撤销" in report.getvalue()
    current = {f.certificate.item_code: f for f in lookup(app, GOOD["证件号码"], "张伟")}
    assert current["0102"].certificate.version == 2 and current["0102"].status.label == "暂扣"
    assert current["0201"].certificate.version == 1 and current["0201"].status.label == "已撤销"
