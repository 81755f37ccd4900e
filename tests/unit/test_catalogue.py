"""The catalogue data: 10 categories / 54 items, industries, personnel types, authorities."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.catalogue import Catalogue

CAT = Catalogue.load_default()
ON = dt.date(2024, 1, 1)


def test_the_catalogue_has_ten_categories_and_fifty_four_items() -> None:
    assert len(CAT.categories) == 10
    assert sum(len(c.items) for c in CAT.categories) == 54


def test_codes_are_stable_and_follow_the_table_order() -> None:
    assert [c.code for c in CAT.categories] == [f"{i:02d}" for i in range(1, 11)]
    electric = CAT.category_by_code("01")
    assert electric is not None and electric.name == "电工作业"
    assert [i.code for i in electric.items] == [f"01{i:02d}" for i in range(1, 7)]


@pytest.mark.parametrize(
    ("category", "item", "code"),
    [
        ("电工作业", "低压电工作业", "0102"),
        ("电工作业", "低压电工", "0102"),  # exports often drop the trailing 作业
        ("煤矿安全作业", "煤矿采煤机(掘进机)操作作业", "0507"),  # half-width brackets
        (" 焊接与热切割作业 ", "熔化焊接与热切割作业", "0201"),
        ("烟花爆竹安全作业", "烟花爆竹储存作业", "1005"),
    ],
)
def test_items_are_found_by_their_names(category: str, item: str, code: str) -> None:
    found = CAT.find_item(category, item, ON)
    assert found is not None and found.code == code


@pytest.mark.parametrize(
    ("category", "item", "on"),
    [
        ("电工作业", "司钻作业", ON),
        ("电工", "低压电工作业", ON),
        ("电工作业", "低压电工作业", dt.date(2010, 6, 30)),  # before the catalogue took effect
    ],
)
def test_items_outside_the_catalogue_are_not_found(category: str, item: str, on: dt.date) -> None:
    assert CAT.find_item(category, item, on) is None


def test_an_item_is_found_by_its_code() -> None:
    item = CAT.item_by_code("0701")
    assert item is not None and item.name == "司钻作业" and item.category_code == "07"


@pytest.mark.parametrize(
    ("name", "code"),
    [("危险化学品生产单位", "01"), ("危险化学品（经营单位）", "02"), ("金属冶炼", "06"), ("非高危", "99")],
)
def test_industries_are_found_by_name_or_alias(name: str, code: str) -> None:
    found = CAT.find_industry(name)
    assert found is not None and found.code == code
    assert CAT.industry_by_code(code) == found


def test_personnel_types_and_authorities_have_codes() -> None:
    principal = CAT.personnel_type("主要负责人")
    chongqing = CAT.authority("重庆市应急管理局")
    assert principal is not None and principal.code == "1"
    assert chongqing is not None and chongqing.code == "500000"
    assert CAT.authority_by_code("510000") is not None
    assert CAT.authority("火星应急管理局") is None


def test_all_labels_holds_every_chinese_string_for_the_font_check() -> None:
    labels = CAT.all_labels()
    assert {"电工作业", "煤矿采煤机（掘进机）操作作业", "安全生产管理人员", "四川省应急管理厅"} <= labels
    assert "特种作业操作证" in labels


def test_an_authority_carries_the_phone_holders_and_inspectors_are_told_to_call() -> None:
    catalogue = Catalogue.load_default()
    chongqing = catalogue.authority("重庆市应急管理局")
    assert chongqing is not None and chongqing.phone == "023-67611082"  # 渝应急发〔2022〕74号
    assert all(a.phone is None or a.phone.replace("-", "").isdigit() for a in catalogue.authorities)
