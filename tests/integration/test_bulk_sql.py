"""The importer's bulk statements: literals that cannot break out of SQL, and the same rows on both databases."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select, text

from app.storage.bulk import BulkSql, literal
from app.storage.models import Person


def _escape(value: object) -> str:
    return "ESCAPED(" + repr(value) + ")"


@pytest.mark.parametrize(("value", "rendered"), [
    (None, "NULL"), (True, "1"), (False, "0"), (42, "42"), (b"\x00\xff'", "X'00ff27'"), (b"", "X''"),
    ("ab12cd", "'ab12cd'"), ("2026-11-28", "'2026-11-28'"), ("1101**********1234", "'1101**********1234'"),
    ("2026-11-28 10:00:00.123", "'2026-11-28 10:00:00.123'"),
])
def test_inert_values_are_quoted_as_they_are(value: object, rendered: str) -> None:
    assert literal(value, _escape) == rendered


@pytest.mark.parametrize("value", ["O'Brien", "back\\slash", "张三", "a\nb", "100%", '"', "x;--", "\u2019"])
def test_anything_else_goes_through_the_driver(value: str) -> None:
    assert literal(value, _escape) == _escape(value)


def test_insert_returns_the_new_keys_and_lookups_find_them(app: Flask) -> None:
    table = Person.__table__
    rows = [("居民身份证", f"{n:064x}", b"enc", "1101****1234", name, "男", "2026-11-28 10:00:00",
             "2026-11-28 10:00:00") for n, name in enumerate(["张三", "O'Brien", "李\\四"])]
    columns = ("id_type", "id_hash", "id_number_enc", "id_masked", "name", "gender", "created_at", "updated_at")
    with app.extensions["db"].session() as session:
        bulk = BulkSql(session)
        returned = bulk.insert(table, columns, rows, returning=("id_hash", "id"))  # type: ignore[arg-type]
        found = bulk.select_in(table, ("id_hash", "id", "name"), "id_hash", [r[1] for r in rows])  # type: ignore[arg-type]
    assert returned is not None  # both test databases can return keys (MariaDB 10.5+, SQLite 3.35+)
    assert sorted(returned) == sorted((h, i) for h, i, _ in found)
    assert sorted(name for _, _, name in found) == sorted(["张三", "O'Brien", "李\\四"])
    with app.extensions["db"].session() as session:
        assert session.scalar(select(Person.name).where(Person.id_hash == f"{1:064x}")) == "O'Brien"
        assert session.scalar(text("SELECT COUNT(*) FROM people")) == 3


def test_empty_inserts_and_lookups_do_nothing(app: Flask) -> None:
    with app.extensions["db"].session() as session:
        bulk = BulkSql(session)
        assert bulk.select_in(Person.__table__, ("id",), "id_hash", []) == []  # type: ignore[arg-type]
        assert bulk.insert(Person.__table__, ("id_hash",), []) in (None, [])  # type: ignore[arg-type]
