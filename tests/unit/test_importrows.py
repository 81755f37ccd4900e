"""Import rows: headers, cells, names, dates and the cross-field checks, each with a Chinese reason."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.catalogue import Catalogue
from app.domain.importrows import (
    CellError,
    CertificateRecord,
    RowError,
    check_headers,
    normalize_name,
    parse_date,
    record_fingerprint,
    record_from_text,
    record_text,
    validate_row,
)
from app.domain.names import PersonNameError

CAT = Catalogue.load_default()
D = dt.date

SPECIAL_ROW: dict[str, object] = {
    "姓名": "张三",
    "性别": "男",
    "证件号码": "510102198506152015",
    "证书类型": "特种作业操作证",
    "作业类别": "电工作业",
    "操作项目": "低压电工作业",
    "初领日期": "2020-05-01",
    "有效期开始日期": "2020/05/01",
    "有效期结束日期": "2026年4月30日",
    "应复审日期": "2023-05-01",
    "实际复审日期": "2023-04-10",
    "考试合格日期": D(2020, 4, 15),
    "签发机关": "重庆市应急管理局",
    "照片": "510102198506152015.jpg",
}
MGMT_ROW: dict[str, object] = {
    "姓名": "李四",
    "性别": "女",
    "证件号码": "11010519491231002X",
    "证书类型": "安管",
    "证书编号": "渝A2023000123",
    "人员类型": "安全生产管理人员",
    "行业类别": "危险化学品（经营单位）",
    "单位名称": "重庆某某化工有限公司",
    "初领日期": "2023-03-01",
    "有效期开始日期": "2023-03-01",
    "有效期结束日期": "2026-02-28",
    "签发机关": "重庆市应急管理局",
}


def errors_of(row: dict[str, object]) -> list[RowError]:
    result = validate_row(7, row, CAT)  # type: ignore[arg-type]
    assert isinstance(result, list), "expected the row to be rejected"
    return result


def test_a_special_operations_row_becomes_a_record() -> None:
    record = validate_row(2, SPECIAL_ROW, CAT)  # type: ignore[arg-type]
    assert isinstance(record, CertificateRecord)
    assert (record.kind, record.cert_no, record.category_code, record.item_code) == (
        "special_ops",
        "T510102198506152015",
        "01",
        "0102",
    )
    assert (record.valid_until, record.review_done_date) == (D(2026, 4, 30), D(2023, 4, 10))
    assert (record.issuing_authority, record.authority_code, record.id_type) == (
        "重庆市应急管理局",
        "500000",
        "居民身份证",
    )


def test_a_safety_management_row_becomes_a_record() -> None:
    record = validate_row(3, MGMT_ROW, CAT)  # type: ignore[arg-type]
    assert isinstance(record, CertificateRecord)
    assert (record.kind, record.cert_no, record.personnel_type_code, record.industry_code) == (
        "safety_mgmt",
        "渝A2023000123",
        "2",
        "02",
    )
    assert record.item_code is None and record.review_due_date is None


def test_a_management_row_without_a_number_is_a_certificate_without_one() -> None:
    """Exports often leave the management certificate's number out; its numbering is not public."""
    record = validate_row(3, {**MGMT_ROW, "证书编号": ""}, CAT)  # type: ignore[arg-type]
    assert isinstance(record, CertificateRecord)
    assert record.cert_no is None and record_from_text(record_text(record)) == record


@pytest.mark.parametrize(
    ("base", "changes", "column", "message"),
    [
        (SPECIAL_ROW, {"有效期开始日期": "2023-02-30"}, "有效期开始日期", "日期无效：2023-02-30"),
        (SPECIAL_ROW, {"操作项目": "开飞机作业"}, "操作项目", "操作项目“开飞机作业”不在目录中"),
        (SPECIAL_ROW, {"操作项目": "司钻作业"}, "操作项目", "不属于作业类别“电工作业”"),
        (SPECIAL_ROW, {"作业类别": "潜水作业"}, "作业类别", "作业类别“潜水作业”不在目录中"),
        (SPECIAL_ROW, {"有效期结束日期": "2019-01-01"}, "有效期结束日期", "有效期结束日期早于开始日期"),
        (SPECIAL_ROW, {"证件号码": "510102198506152016"}, "证件号码", "证件号码校验位错误，请核对最后一位"),
        (SPECIAL_ROW, {"证件号码": 5.10102198506152e17}, "证件号码", "存成了数字"),
        (SPECIAL_ROW, {"性别": "女"}, "性别", "性别与身份证号码不符"),
        (SPECIAL_ROW, {"性别": "未知"}, "性别", "应为男或女"),
        (SPECIAL_ROW, {"有效期结束日期": "=EDATE(H2,72)"}, "有效期结束日期", "单元格含公式，请粘贴为数值"),
        (SPECIAL_ROW, {"姓名": "张3"}, "姓名", "姓名不能包含数字"),
        (SPECIAL_ROW, {"姓名": "  "}, "姓名", "“姓名”不能为空"),
        (SPECIAL_ROW, {"证书类型": "驾驶证"}, "证书类型", "证书类型“驾驶证”无效"),
        (SPECIAL_ROW, {"证书编号": "T110105194912310029"}, "证书编号", "“T”加证件号码"),
        (SPECIAL_ROW, {"签发机关": "火星应急管理局"}, "签发机关", "authorities.json"),
        (SPECIAL_ROW, {"照片": "../etc/passwd.jpg"}, "照片", "不含路径"),
        (SPECIAL_ROW, {"照片": "photo.pdf"}, "照片", ".jpg"),
        (SPECIAL_ROW, {"初领日期": "2021-01-01"}, "初领日期", "初领日期晚于有效期开始日期"),
        (SPECIAL_ROW, {"考试合格日期": "2021-01-01"}, "考试合格日期", "晚于有效期开始日期"),
        (SPECIAL_ROW, {"应复审日期": None}, "应复审日期", "缺少应复审日期"),
        (SPECIAL_ROW, {"证件类型": "护照"}, "证件类型", "不支持"),
        (SPECIAL_ROW, {"初领日期": "1900-01-01"}, "初领日期", "合理范围"),
        (MGMT_ROW, {"人员类型": "董事长"}, "人员类型", "应为主要负责人或安全生产管理人员"),
        (MGMT_ROW, {"行业类别": "建筑施工"}, "行业类别", "行业类别“建筑施工”不在行业类别列表中"),
        (MGMT_ROW, {"单位名称": None}, "单位名称", "“单位名称”不能为空"),
    ],
)
def test_a_bad_cell_is_reported_with_its_column_and_a_chinese_reason(
    base: dict[str, object], changes: dict[str, object], column: str, message: str
) -> None:
    errors = errors_of({**base, **changes})
    assert any(e.column == column and message in e.message and e.row == 7 for e in errors), errors


def test_every_problem_of_a_row_is_reported_at_once() -> None:
    errors = errors_of({**SPECIAL_ROW, "姓名": "", "证件号码": "123", "操作项目": "开飞机"})
    assert {e.column for e in errors} >= {"姓名", "证件号码"}


@pytest.mark.parametrize(
    ("headers", "missing", "unknown", "duplicates"),
    [
        (list(SPECIAL_ROW), (), (), ()),
        (
            [
                "\ufeff姓名",
                " 性 别 ",
                "身份证号码",
                "证书类型",
                "初领日期",
                "有效期开始日期",
                "有效期结束日期",
                "发证机关",
                "准操项目",
            ],
            (),
            (),
            (),
        ),
        (
            ["姓名", "证件号码", "备注"],
            ("性别", "证书类型", "初领日期", "有效期开始日期", "有效期结束日期", "签发机关"),
            ("备注",),
            (),
        ),
        ([*SPECIAL_ROW, "准操项目"], (), (), ("操作项目",)),
    ],
)
def test_headers_are_checked_before_any_row(
    headers: list[str], missing: tuple[str, ...], unknown: tuple[str, ...], duplicates: tuple[str, ...]
) -> None:
    report = check_headers(headers)
    assert (report.missing, report.unknown, report.duplicates) == (missing, unknown, duplicates)
    assert report.ok is (not missing and not duplicates)


def test_the_older_label_for_the_item_column_is_accepted() -> None:
    row = {k: v for k, v in SPECIAL_ROW.items() if k != "操作项目"} | {"准操项目": "低压电工"}
    record = validate_row(2, row, CAT)  # type: ignore[arg-type]
    assert isinstance(record, CertificateRecord) and record.item_code == "0102"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-03-15", D(2023, 3, 15)),
        ("2023/3/5", D(2023, 3, 5)),
        ("2023.03.15", D(2023, 3, 15)),
        ("2023年3月15日", D(2023, 3, 15)),
        (" ２０２３－０３－１５ ", D(2023, 3, 15)),
        ("2023-03-15 00:00:00", D(2023, 3, 15)),
        ("20230315", D(2023, 3, 15)),
        (D(2023, 3, 15), D(2023, 3, 15)),
        (dt.datetime(2023, 3, 15, 8, 30), D(2023, 3, 15)),
        (45000, D(2023, 3, 15)),  # Excel serial number
        (45000.5, D(2023, 3, 15)),
        (61, D(1900, 3, 1)),
        (20230315, D(2023, 3, 15)),
    ],
)
def test_dates_are_read_in_every_accepted_form(value: object, expected: dt.date) -> None:
    assert parse_date(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2023-02-30", "日期无效：2023-02-30"),
        ("2023年13月1日", "日期无效"),
        ("15/03/2023", "日期格式无法识别"),
        ("yesterday", "日期格式无法识别"),
        (60, "日期无效"),
        (-1, "日期无效"),
        (None, "不能为空"),
        (True, "不能为空"),
    ],
)
def test_impossible_dates_are_rejected(value: object, message: str) -> None:
    with pytest.raises(CellError, match=message):
        parse_date(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  张三 ", "张三"),
        ("张 三", "张三"),
        ("欧阳　娜娜", "欧阳娜娜"),  # ideographic space
        ("买买提•艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("买买提．艾力", "买买提·艾力"),
        ("买买提 . 艾力", "买买提·艾力"),
        ("阿依古丽‧买买提", "阿依古丽·买买提"),
        ("ＪＯＨＮ  SMITH", "JOHN SMITH"),
    ],
)
def test_names_are_normalised_and_keep_the_middle_dot(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "不能为空"),
        ("张三3", "数字"),
        ("张\x07三", "控制字符"),
        ("·张三", "间隔号"),
        ("张三!", "无效字符"),
        ("张" * 51, "过长"),
    ],
)
def test_impossible_names_are_rejected(raw: str, message: str) -> None:
    with pytest.raises(PersonNameError, match=message):
        normalize_name(raw)


def test_the_fingerprint_changes_only_when_a_value_changes() -> None:
    first = validate_row(2, SPECIAL_ROW, CAT)  # type: ignore[arg-type]
    again = validate_row(9, {**SPECIAL_ROW, "有效期开始日期": "2020-05-01"}, CAT)  # type: ignore[arg-type]
    changed = validate_row(2, {**SPECIAL_ROW, "单位名称": "新单位"}, CAT)  # type: ignore[arg-type]
    assert isinstance(first, CertificateRecord) and isinstance(again, CertificateRecord)
    assert isinstance(changed, CertificateRecord)
    assert record_fingerprint(first) == record_fingerprint(again) != record_fingerprint(changed)


@pytest.mark.parametrize("row", [SPECIAL_ROW, MGMT_ROW], ids=["special_ops", "safety_mgmt"])
def test_a_record_survives_its_text_form(row: dict[str, object]) -> None:
    """Validation workers send records to the writer as record_text."""
    record = validate_row(2, row, CAT)  # type: ignore[arg-type]
    assert isinstance(record, CertificateRecord)
    assert record_from_text(record_text(record)) == record
    assert record_fingerprint(record_text(record)) == record_fingerprint(record)


@pytest.mark.parametrize("column", ["姓名", "单位名称", "证书编号", "照片", "签发机关"])
@pytest.mark.parametrize("control", ["\x1f", "\x00", "\x1e"])
def test_control_characters_never_reach_a_record(column: str, control: str) -> None:
    row = {**MGMT_ROW, "照片": "a.jpg"}
    row[column] = str(row[column])[:2] + control + str(row[column])[2:]
    record = validate_row(2, row, CAT)  # type: ignore[arg-type]
    if isinstance(record, CertificateRecord):
        assert record_from_text(record_text(record)) == record
        assert control not in record_text(record).replace("\x1f", "").replace("\x00", "")
    else:
        assert any(error.column == column for error in record)


def test_a_damaged_record_text_is_refused() -> None:
    with pytest.raises(ValueError, match="fields"):
        record_from_text("张三\x1f男")


def test_plain_han_names_take_the_short_way_to_the_same_result() -> None:
    # normalize_name returns names made only of CJK Unified Ideographs untouched, without the
    # general path: the general path must agree, and everything else must still go through it.
    import random

    from app.domain import names

    rng = random.Random(7)
    samples = ["".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(rng.randint(1, 50))) for _ in range(500)]
    for name in samples:
        assert names.normalize_name(name) == name
        assert names._HAN_ONLY(name) and name == _general_path(name)
    for other in ["张 三", "张\u3000三", "阿依古丽•买买提", "\uf900", "张三1", "Ａ张"]:
        assert not names._HAN_ONLY(other)
    with pytest.raises(PersonNameError, match="过长"):
        normalize_name("张" * 51)


def _general_path(raw: str) -> str:
    """normalize_name without its shortcut."""
    from app.domain import names

    shortcut = names._HAN_ONLY
    names._HAN_ONLY = lambda _text: None  # type: ignore[assignment]
    try:
        return names.normalize_name(raw)
    finally:
        names._HAN_ONLY = shortcut
