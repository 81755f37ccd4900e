"""Validation of one import row (Chinese headers -> raw cells) into a CertificateRecord or RowErrors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from app.domain.catalogue import SAFETY_MGMT, SPECIAL_OPS, Catalogue, name_key
from app.domain.errors import UserError
from app.domain.idnumber import IdNumberError, id_gender, normalize_id_number
from app.domain.names import PersonNameError, normalize_name

__all__ = [
    "KNOWN_COLUMNS",
    "REQUIRED_COLUMNS",
    "CellError",
    "CertificateRecord",
    "HeaderReport",
    "RowError",
    "canonical_header",
    "check_headers",
    "normalize_name",
    "parse_date",
    "record_fingerprint",
    "record_from_text",
    "record_text",
    "validate_row",
]

Cell = str | int | float | dt.date | dt.datetime | None
T = TypeVar("T")

REQUIRED_COLUMNS = (
    "姓名",
    "性别",
    "证件号码",
    "证书类型",
    "初领日期",
    "有效期开始日期",
    "有效期结束日期",
    "签发机关",
)
KNOWN_COLUMNS = (
    "姓名",
    "性别",
    "证件类型",
    "证件号码",
    "证书类型",
    "证书编号",
    "作业类别",
    "操作项目",
    "人员类型",
    "行业类别",
    "单位名称",
    "初领日期",
    "有效期开始日期",
    "有效期结束日期",
    "应复审日期",
    "实际复审日期",
    "考试合格日期",
    "签发机关",
    "照片",
)
_CANONICAL = frozenset(KNOWN_COLUMNS)
# Other spellings of the same column seen on older cards and exports.
COLUMN_ALIASES = {
    "准操项目": "操作项目",
    "身份证号码": "证件号码",
    "身份证号": "证件号码",
    "证号": "证书编号",
    "发证机关": "签发机关",
}
ID_TYPES = ("居民身份证", "港澳台居民居住证")  # both follow GB 11643
KIND_NAMES = {
    "特种作业操作证": SPECIAL_OPS,
    "特种作业": SPECIAL_OPS,
    "安全生产知识和管理能力考核合格证": SAFETY_MGMT,
    "安全生产知识和管理能力考核": SAFETY_MGMT,
    "安管": SAFETY_MGMT,
}
GENDERS = {"男": "男", "女": "女", "男性": "男", "女性": "女"}
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
EXAM_SLACK = dt.timedelta(days=31)  # an exam a month after the validity start is a data error
EARLIEST_DATE, LATEST_DATE = dt.date(1970, 1, 1), dt.date(2100, 12, 31)
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's 1900 system, past its fictitious 1900-02-29 (serial 60)
_MAX_SERIAL = 2958465  # 9999-12-31
_DASHED = re.compile(
    r"(\d{4}) ?[-/.] ?(\d{1,2}) ?[-/.] ?(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_CHINESE = re.compile(r"(\d{4}) ?年 ?(\d{1,2}) ?月 ?(\d{1,2}) ?日")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


class CellError(UserError, ValueError):
    """A cell that cannot be read; `message` is Chinese text for the user."""


@dataclass(frozen=True)
class RowError:
    """One reason a row was rejected: row number, column (canonical header) and Chinese message."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class HeaderReport:
    """What is wrong with a file's header line."""

    missing: tuple[str, ...]
    unknown: tuple[str, ...]
    duplicates: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Tell whether rows may be read (unknown columns are only ignored)."""
        return not self.missing and not self.duplicates


@dataclass(frozen=True)
class CertificateRecord:
    """One validated row as plain values (codes resolved, ID number normalised)."""

    name: str
    gender: str
    id_type: str
    id_number: str
    kind: str
    cert_no: str | None  # management certificates may come without one
    category_code: str | None
    item_code: str | None
    personnel_type_code: str | None
    industry_code: str | None
    employer: str | None
    first_issue_date: dt.date
    valid_from: dt.date
    valid_until: dt.date
    review_due_date: dt.date | None
    review_done_date: dt.date | None
    exam_passed_date: dt.date | None
    issuing_authority: str
    authority_code: str
    photo: str | None


@functools.lru_cache(maxsize=1024)
def canonical_header(header: object) -> str:
    """Return the canonical column name: NFKC, no spaces or BOM, aliases resolved."""
    key = name_key(str(header or "").replace("\ufeff", ""))
    return COLUMN_ALIASES.get(key, key)


def check_headers(headers: Iterable[object]) -> HeaderReport:
    """Report missing required columns, unknown columns and columns given twice."""
    seen: list[str] = [canonical_header(h) for h in headers if canonical_header(h)]
    duplicates = sorted({h for h in seen if seen.count(h) > 1})
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    unknown = [h for h in dict.fromkeys(seen) if h not in KNOWN_COLUMNS]
    return HeaderReport(tuple(missing), tuple(unknown), tuple(duplicates))


def parse_date(value: Cell) -> dt.date:
    """Read a date from text, an Excel date cell or an Excel serial number; raise CellError."""
    if value.__class__ is str:  # CSV cells: by far the most common
        return _date_from_text(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool) or value is None:
        raise CellError("日期不能为空")
    if isinstance(value, (int, float)):
        return _date_from_number(value)
    return _date_from_text(value)


def _date_from_number(value: int | float) -> dt.date:
    """Excel serials (45000 = 2023-03-15); an integer like 20230315 is read as YYYYMMDD."""
    if not math.isfinite(value) or value < 1:
        raise CellError(f"日期无效：{value}")
    serial = int(value)
    if 19000101 <= serial <= 21001231 and serial == value:
        return _date_from_text(str(serial))
    if serial > _MAX_SERIAL or serial == 60:
        raise CellError(f"日期无效：{value}")
    return _EXCEL_EPOCH + dt.timedelta(days=serial if serial > 60 else serial + 1)


def _date_from_text(value: str) -> dt.date:
    """Accept YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (optionally with a time), YYYY年M月D日, YYYYMMDD."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":  # fast path: the exam system's own format
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass  # fall through for the precise message
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    for pattern in (_DASHED, _CHINESE, _COMPACT):
        match = pattern.fullmatch(text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                raise CellError(f"日期无效：{value.strip()}") from None
    raise CellError(f"日期格式无法识别：{value.strip()}，请使用YYYY-MM-DD")


class _Row:
    """Reads the cells of one row and collects RowErrors instead of stopping at the first."""

    def __init__(self, number: int, row: Mapping[str, Cell]) -> None:
        self.number = number
        self.errors: list[RowError] = []
        self.failed: set[str] = set()
        # One pass: trim text, blank -> None, formulas refused. This runs for every imported row.
        self.cells: dict[str, Cell] = {
            key if key in _CANONICAL else canonical_header(key):  # readers pass canonical names
            (value.strip() or None) if value.__class__ is str else value
            for key, value in row.items()}
        for column, value in self.cells.items():
            # A formula cell read without cached values is its source text: never guess its value.
            if value.__class__ is str and value[0] == "=":
                self.fail(column, "单元格含公式，请粘贴为数值")
                self.cells[column] = None

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))
        self.failed.add(column)

    def _failed(self, column: str) -> bool:
        return column in self.failed

    def cell(self, column: str) -> Cell:
        """Return the raw cell (text trimmed); blank cells and formulas are None."""
        return self.cells.get(column)

    def text(self, column: str, required: bool = True) -> str | None:
        """Return the cell as trimmed text, reporting it when required and empty."""
        value = self.cells.get(column)
        if value.__class__ is str:  # nearly always: checked first
            return value
        if value is None:
            if required and column not in self.failed:
                self.fail(column, f"“{column}”不能为空")
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    def parse(self, column: str, parser: Callable[[str], T], required: bool = True) -> T | None:
        """Parse the text of a cell, turning the parser's Chinese message into a RowError."""
        text = self.text(column, required)
        if text is None:
            return None
        try:
            return parser(text)
        except (CellError, IdNumberError, PersonNameError) as exc:
            self.fail(column, exc.message)
            return None

    def date(self, column: str, required: bool = True) -> dt.date | None:
        """Parse a date cell and check it is plausible (1970–2100)."""
        value = self.cell(column)
        if value is None:
            return self.parse(column, _date_from_text, required)
        try:
            day = parse_date(value)
        except CellError as exc:
            self.fail(column, exc.message)
            return None
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            self.fail(column, f"日期超出合理范围：{day.isoformat()}")
            return None
        return day


def validate_row(
    row_number: int, row: Mapping[str, Cell], catalogue: Catalogue
) -> CertificateRecord | list[RowError]:
    """Validate one row; return the record, or every problem found in it."""
    r = _Row(row_number, row)
    name = r.parse("姓名", normalize_name)
    gender = r.parse("性别", _gender)
    id_type = r.parse("证件类型", _id_type, required=False) or ID_TYPES[0]
    id_number = _id_number(r)
    kind = r.parse("证书类型", _kind)
    dates = _common_dates(r)
    authority = r.parse("签发机关", lambda v: _authority(v, catalogue))
    employer = r.parse("单位名称", _plain_text, required=kind == SAFETY_MGMT)
    photo = r.parse("照片", _photo, required=False)
    if gender and id_number and id_gender(id_number) != gender:
        r.fail("性别", "性别与身份证号码不符")
    on = dates[1] if dates else None
    if kind == SPECIAL_OPS:
        fields = _special_ops_fields(r, catalogue, id_number, on)
    else:
        fields = _safety_mgmt_fields(r, catalogue)
    if r.errors or None in (name, gender, id_number, kind, dates, authority, fields):
        return r.errors or [RowError(row_number, "", "行数据不完整")]
    assert name and gender and id_number and kind and dates and authority and fields
    first_issue, valid_from, valid_until, exam = dates
    cert_no, category, item, personnel, industry, review_due, review_done = fields
    return CertificateRecord(
        name,
        gender,
        id_type,
        id_number,
        kind,
        cert_no,
        category,
        item,
        personnel,
        industry,
        employer,
        first_issue,
        valid_from,
        valid_until,
        review_due,
        review_done,
        exam,
        authority[0],
        authority[1],
        photo,
    )


_Fields = tuple[str | None, str | None, str | None, str | None, str | None, dt.date | None, dt.date | None]


def _common_dates(r: _Row) -> tuple[dt.date, dt.date, dt.date, dt.date | None] | None:
    """Read 初领日期, 有效期 and 考试合格日期 and check their order."""
    first = r.date("初领日期")
    start = r.date("有效期开始日期")
    end = r.date("有效期结束日期")
    exam = r.date("考试合格日期", required=False)
    if not (first and start and end):
        return None
    # The statutory span (6 years special ops, 3 years safety mgmt) is not enforced: real data has
    # exceptions (extended reviews, transitional certificates). Only impossible orders are rejected.
    if end < start:
        r.fail("有效期结束日期", "有效期结束日期早于开始日期")
    elif end == start:
        r.fail("有效期结束日期", "有效期结束日期与开始日期相同")
    if first > start:
        r.fail("初领日期", "初领日期晚于有效期开始日期")
    if exam and exam > start + EXAM_SLACK:
        r.fail("考试合格日期", "考试合格日期晚于有效期开始日期")
    return first, start, end, exam


def _special_ops_fields(
    r: _Row, catalogue: Catalogue, id_number: str | None, on: dt.date | None
) -> _Fields | None:
    """Category/item from the catalogue in force on the validity start, reviews, "T" + ID number."""
    category_name = r.text("作业类别")
    item_name = r.text("操作项目")
    given_no = r.parse("证书编号", _plain_text, required=False)
    review_due = r.date("应复审日期", required=False)
    review_done = r.date("实际复审日期", required=False)
    if review_done and not review_due:
        r.fail("应复审日期", "填写了实际复审日期，但缺少应复审日期")
    if id_number and given_no and not _is_t_number(given_no, id_number):
        r.fail("证书编号", "特种作业操作证编号应为“T”加证件号码")
    if not (category_name and item_name and on and id_number):
        return None
    category = catalogue.find_category(category_name, on)
    item = catalogue.find_item(category_name, item_name, on)
    if category is None:
        r.fail("作业类别", f"作业类别“{category_name}”不在目录中")
    elif item is None:
        owners = catalogue.categories_with_item(item_name, on)
        where = f"，它属于“{owners[0].name}”" if owners else ""
        message = (
            f"操作项目“{item_name}”不属于作业类别“{category_name}”{where}"
            if owners
            else f"操作项目“{item_name}”不在目录中"
        )
        r.fail("操作项目", message)
    if category is None or item is None:
        return None
    return "T" + id_number, category.code, item.code, None, None, review_due, review_done


def _safety_mgmt_fields(r: _Row, catalogue: Catalogue) -> _Fields | None:
    """Personnel type, industry and the certificate number, kept as given when there is one.

    The numbering of management certificates is not publicly documented and exports often leave it
    out (docs/rules.md, "The certificates"): a row without one is a certificate without a number.
    """
    cert_no = r.parse("证书编号", _plain_text, required=False)
    personnel = r.parse(
        "人员类型",
        lambda v: _lookup(v, catalogue.personnel_type, "人员类型", "应为主要负责人或安全生产管理人员"),
    )
    industry = r.parse(
        "行业类别", lambda v: _lookup(v, catalogue.find_industry, "行业类别", "不在行业类别列表中")
    )
    if not (personnel and industry):
        return None
    return cert_no, None, None, personnel, industry, None, None


def _lookup(value: str, find: Callable[[str], object], column: str, hint: str) -> str:
    found = find(value)
    code = getattr(found, "code", None)
    if not isinstance(code, str):
        raise CellError(f"{column}“{value}”{hint}")
    return code


def _id_number(r: _Row) -> str | None:
    """Normalise the ID number; a float cell means Excel already rounded it away."""
    if isinstance(r.cell("证件号码"), float):
        r.fail("证件号码", "证件号码被Excel存成了数字，已丢失末位，请将该列设为文本后重新导出")
        return None
    return r.parse("证件号码", normalize_id_number)


def _is_t_number(cert_no: str, id_number: str) -> bool:
    text = cert_no.upper()
    try:
        return text.startswith("T") and normalize_id_number(text[1:]) == id_number
    except IdNumberError:
        return False


def _gender(value: str) -> str:
    gender = GENDERS.get(name_key(value))
    if gender is None:
        raise CellError(f"性别“{value}”无效，应为男或女")
    return gender


def _id_type(value: str) -> str:
    if name_key(value) not in ID_TYPES:
        raise CellError(f"证件类型“{value}”不支持，应为{'或'.join(ID_TYPES)}")
    return name_key(value)


def _kind(value: str) -> str:
    kind = KIND_NAMES.get(name_key(value))
    if kind is None:
        raise CellError(f"证书类型“{value}”无效，应为特种作业操作证或安全生产知识和管理能力考核合格证")
    return kind


def _authority(value: str, catalogue: Catalogue) -> tuple[str, str]:
    found = catalogue.authority(value)
    if found is None:
        raise CellError(
            f"签发机关“{value}”未登记，请在 app/domain/data/authorities.json 中添加其名称和行政区划代码"
        )
    return found.name, found.code


def _plain_text(value: str) -> str:
    """Normalise free text (employer, certificate number): NFKC, single spaces, no control chars."""
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    if not text.isprintable() and any(unicodedata.category(c)[0] == "C" for c in text):
        raise CellError("含有不可见的控制字符")
    if len(text) > 100:
        raise CellError("内容过长（最多100个字符）")
    return text


def _photo(value: str) -> str:
    """A bare file name (no folders) of a JPEG or PNG in the photo folder."""
    if ("/" in value or "\\" in value or value.startswith(".") or not value.isprintable()
            or not value.lower().endswith(PHOTO_SUFFIXES)):
        raise CellError("照片应为不含路径的 .jpg/.jpeg/.png 文件名")
    return value


_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(CertificateRecord))
_record_values = operator.attrgetter(*_RECORD_FIELDS)
_DATE_FIELDS = tuple("dt.date" in str(f.type) for f in dataclasses.fields(CertificateRecord))
_NONE, _SEPARATOR = "\x00", "\x1f"  # validation lets no control character into a record


def record_text(record: CertificateRecord) -> str:
    """The record's canonical values as one line: dates ISO, None as NUL, fields joined by US.

    It is what the fingerprint hashes, and the compact form in which validation workers send
    records to the writer (see record_from_text).
    """
    # Hand-rolled rather than dataclasses.asdict (which deep-copies): this runs for every imported
    # row. Every field is text, a date or None.
    return _SEPARATOR.join([value if value.__class__ is str else _NONE if value is None else value.isoformat()
                            for value in _record_values(record)])


def record_from_text(text: str) -> CertificateRecord:
    """The record that record_text wrote."""
    parts = text.split(_SEPARATOR)
    if len(parts) != len(_RECORD_FIELDS):
        raise ValueError(f"a record has {len(_RECORD_FIELDS)} fields, not {len(parts)}")
    values: list[Any] = [None if part == _NONE else dt.date.fromisoformat(part) if is_date else part
                         for part, is_date in zip(parts, _DATE_FIELDS, strict=True)]
    return CertificateRecord(*values)


def record_fingerprint(record: CertificateRecord | str) -> str:
    """Return a sha256 over the record's canonical values (unchanged row = same fingerprint).

    Accepts the record or its record_text, when that has been computed already.
    """
    text = record if isinstance(record, str) else record_text(record)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
