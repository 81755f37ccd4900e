"""Invented but realistic certificate rows (Chinese headers), for demo data and benchmarks.

Every ID number carries a valid GB 11643 check character; names are invented. The rows go
through the same validation and import path as a real export.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from app.domain.catalogue import Catalogue
from app.domain.idnumber import check_character

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕红梅小红春梅文杰国庆德明永红晓东成龙"
MINORITY = ["买买提·艾力", "阿依古丽·吐尔逊", "热依拉·阿不都", "扎西·顿珠", "阿卜杜拉·买买提"]
AREAS = ["500101", "500103", "500106", "500112", "510104", "510723", "110105", "440305", "420106", "430102"]
EMPLOYERS = ["重庆长江化工有限公司", "渝北区顺达建材有限公司", "重庆市江北燃气有限公司", "永川区安泰矿业有限公司",
             "重庆两江烟花爆竹经营部", "重庆钢联冶金有限公司"]
HEADERS = ["姓名", "性别", "证件号码", "证书类型", "证书编号", "作业类别", "操作项目", "人员类型", "行业类别",
           "单位名称", "初领日期", "有效期开始日期", "有效期结束日期", "应复审日期", "实际复审日期", "考试合格日期",
           "签发机关"]


def id_number(rng: random.Random, gender: str, born: date, area: str | None = None) -> str:
    """An ID number with a valid check character and a sequence digit matching the gender."""
    seq = rng.randrange(0, 50) * 2 + (1 if gender == "男" else 0)
    first17 = f"{area or rng.choice(AREAS)}{born:%Y%m%d}{rng.randrange(0, 10)}{seq:02d}"
    return first17 + check_character(first17)


def person_name(rng: random.Random) -> str:
    """A plausible Chinese name, now and then a minority name with the middle dot."""
    if rng.random() < 0.02:
        return rng.choice(MINORITY)
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given[:2]


def _years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28) - timedelta(days=1)


def certificate_row(rng: random.Random, catalogue: Catalogue, serial: int, valid_from: date,
                    kind: str | None = None) -> dict[str, Any]:
    """One import row of either kind, with dates derived from `valid_from`."""
    gender = "男" if rng.random() < 0.8 else "女"
    born = date(rng.randrange(1962, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
    number = id_number(rng, gender, born)
    kind = kind or ("special_ops" if rng.random() < 0.75 else "safety_mgmt")
    exam_days = rng.randrange(3, 20)  # drawn before the name: demo holders stay who they were
    row: dict[str, Any] = {"姓名": person_name(rng), "性别": gender, "证件号码": number}
    row.update(item_row(rng, catalogue, serial, valid_from, number, kind, exam_days=exam_days))
    return row


def item_row(rng: random.Random, catalogue: Catalogue, serial: int, valid_from: date, number: str, kind: str,
             avoid: frozenset[str] = frozenset(), exam_days: int | None = None) -> dict[str, Any]:
    """The certificate columns of one row for the holder with ID `number` (items in `avoid` are not chosen).

    Management certificates come without a 证书编号 now and then, as real exports do.
    """
    exam = valid_from - timedelta(days=rng.randrange(3, 20) if exam_days is None else exam_days)
    row: dict[str, Any] = {"初领日期": valid_from.isoformat(), "有效期开始日期": valid_from.isoformat(),
                           "考试合格日期": exam.isoformat(), "签发机关": "重庆市应急管理局"}
    if kind == "special_ops":
        category = rng.choice(catalogue.categories)
        item = rng.choice(category.items)
        while item.name in avoid:
            category = rng.choice(catalogue.categories)
            item = rng.choice(category.items)
        row.update({"证书类型": "特种作业操作证", "证书编号": "T" + number, "作业类别": category.name,
                    "操作项目": item.name, "有效期结束日期": _years(valid_from, 6).isoformat()})
        due = _years(valid_from, 3) + timedelta(days=1)
        row["应复审日期"] = due.isoformat()
        # Drawn whatever the date, so the rows that follow (and the demo holders) never depend on today.
        done, early = rng.random() < 0.9, rng.randrange(5, 50)
        if due < date(2026, 6, 1) and done:
            row["实际复审日期"] = (due - timedelta(days=early)).isoformat()
    else:
        row.update({"证书类型": "安全生产知识和管理能力考核合格证",
                    "证书编号": f"AQ{valid_from:%Y}{serial:08d}" if rng.random() < 0.7 else "",
                    "人员类型": rng.choice(["主要负责人", "安全生产管理人员"]),
                    "行业类别": rng.choice(catalogue.industries).name, "单位名称": rng.choice(EMPLOYERS),
                    "有效期结束日期": _years(valid_from, 3).isoformat()})
    return row


def generate_rows(count: int, seed: int = 20261128, today: date | None = None,
                  several_items: bool = True) -> Iterator[dict[str, Any]]:
    """`count` rows with validity starts spread over the last seven years.

    About one special-operations holder in five holds two to four items (an electrician who also
    welds): one row per item, all with the same 证书编号 "T" + ID number, as the exam system exports them.
    `several_items=False` gives one certificate per holder, each with a number: data the schema before
    migration 0008 could hold (the migration benchmark steps it down and up).
    """
    rng = random.Random(seed)
    catalogue = Catalogue.load_default()
    end = today or date(2026, 11, 28)
    numbers: set[str] = set()  # invented ID numbers can collide; real exports hold each person once per item
    serial = 0
    while serial < count:
        start = end - timedelta(days=rng.randrange(0, 7 * 365))
        row = certificate_row(rng, catalogue, serial, start)
        while row["证件号码"] in numbers:
            row = certificate_row(rng, catalogue, serial, start)
        numbers.add(row["证件号码"])
        if not several_items:
            row["证书编号"] = row["证书编号"] or f"AQ{start:%Y}{serial:08d}"
        yield row
        serial += 1
        if several_items and row["证书类型"] == "特种作业操作证" and rng.random() < 0.2:
            held = {row["操作项目"]}
            for _ in range(min(rng.randrange(1, 4), count - serial)):
                start = end - timedelta(days=rng.randrange(0, 7 * 365))
                extra = item_row(rng, catalogue, serial, start, row["证件号码"], "special_ops", frozenset(held))
                held.add(extra["操作项目"])
                yield {**{k: row[k] for k in ("姓名", "性别", "证件号码")}, **extra}
                serial += 1
