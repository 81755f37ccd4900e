"""The importer's bulk statements: literals that cannot break out of SQL, and the same rows on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.storage.bulk import SQLITE_KEYS, BulkSql, concat, list_width, literal, render, statement_sizes
from app.storage.models import Person


@pytest.mark.parametrize(("value", "rendered"), [
    (None, "NULL"), (True, "1"), (False, "0"), (42, "42"), (b"\x00\xff'", "X'00ff27'"), (b"", "X''"),
    ("ab12cd", "'ab12cd'"), ("2026-11-28", "'2026-11-28'"), ("1101**********1234", "'1101**********1234'"),
    ("2026-11-28 10:00:00.123", "'2026-11-28 10:00:00.123'"), ("", "''"),
    ("张三", "'张三'"), ("阿依古丽·买买提", "'阿依古丽·买买提'"), ("100%", "'100%'"), ('"', "'\"'"), ("x;--", "'x;--'"),
    ("\u2019", "'\u2019'"),
])
def test_text_without_quotes_backslashes_or_control_characters_is_quoted_as_it_is(value: object, rendered: str,
                                                                                 ) -> None:
    assert literal(value) == rendered


@pytest.mark.parametrize("value", ["O'Brien", "back\\slash", "a\nb", "tab\there", "nul\x00", "del\x7f",
                                   "\\'; DROP TABLE people; --", "张'三"])
def test_text_that_could_end_or_escape_a_quoted_string_becomes_a_hex_literal(value: str) -> None:
    assert literal(value) == "_utf8mb4 X'" + value.encode().hex() + "'"


def test_bulk_statements_refuse_a_connection_that_is_not_utf8mb4(app: Flask) -> None:
    # The quoted literals are UTF-8: another connection character set would read them differently.
    db = app.extensions["db"]
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite binds its parameters; no literals are rendered")
    from app.storage.db import make_engine

    engine = make_engine(db.engine.url.set(query={"charset": "latin1"}).render_as_string(hide_password=False))
    try:
        with Session(engine) as session, pytest.raises(ValueError, match="utf8mb4"):
            BulkSql(session)
    finally:
        engine.dispose()


def test_values_that_have_no_driver_form_are_refused() -> None:
    with pytest.raises(TypeError, match="driver form"):
        literal(date(2026, 11, 28))


def test_concat_binds_tuples_and_renders_once_any_part_is_rendered() -> None:
    assert concat((1, "a"), ("b",)) == (1, "a", "b")
    joined = concat((1, None), render(("张", "O'", b"\x01")), ("2026-11-28",))
    assert joined == "1,NULL,'张',_utf8mb4 X'4f27',X'01','2026-11-28'"


def test_insert_returns_the_new_keys_and_lookups_find_them(app: Flask) -> None:
    table = Person.__table__
    rows = [("居民身份证", n.to_bytes(16, "big"), b"enc", "1101****1234", name, "男", "2026-11-28 10:00:00",
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
        # The ORM column speaks hex; the bulk statements the stored bytes.
        assert session.scalar(select(Person.name).where(Person.id_hash == f"{1:032x}")) == "O'Brien"
        assert session.scalar(text("SELECT COUNT(*) FROM people")) == 3


@pytest.mark.parametrize(("keys", "width"), [(1, 16), (15, 16), (16, 16), (17, 32), (1000, 1024), (1024, 1024),
                                              (1025, 2048), (SQLITE_KEYS, SQLITE_KEYS)])
def test_in_lists_are_padded_to_a_few_widths(keys: int, width: int) -> None:
    assert list_width(keys) == width


@pytest.mark.parametrize(("rows", "per", "sizes"), [
    (0, 400, []), (1, 400, [1]), (400, 400, [400]), (401, 400, [400, 1]), (1234, 400, [400, 400, 400, 32, 2]),
    (399, 400, [256, 128, 8, 4, 2, 1]), (7, 1, [1] * 7),
])
def test_multi_row_inserts_come_in_full_statements_then_powers_of_two(rows: int, per: int, sizes: list[int]) -> None:
    assert statement_sizes(rows, per) == sizes
    assert sum(sizes) == rows


def test_uneven_batches_return_every_new_key_once_and_find_every_row_once(app: Flask) -> None:
    # 1,237 rows: on SQLite three full INSERT statements and the rest in powers of two; a lookup of
    # 2,500 keys (1,263 of them absent) as a full IN-list and a padded one.
    table = Person.__table__
    columns = ("id_type", "id_hash", "id_number_enc", "id_masked", "name", "gender", "created_at", "updated_at")
    rows = [("居民身份证", n.to_bytes(16, "big"), b"enc", "1101****1234", f"人{n}", "男", "2026-11-28 10:00:00",
             "2026-11-28 10:00:00") for n in range(1237)]
    hashes = [row[1] for row in rows]
    with app.extensions["db"].session() as session:
        bulk = BulkSql(session)
        returned = bulk.insert(table, columns, rows, returning=("id_hash", "id"))  # type: ignore[arg-type]
        absent = [n.to_bytes(16, "big") for n in range(10_000, 11_263)]
        found = bulk.select_in(table, ("id_hash", "name"), "id_hash", hashes + absent)  # type: ignore[arg-type]
    assert returned is not None and sorted(bytes(h) for h, _ in returned) == sorted(hashes)
    assert len({i for _, i in returned}) == 1237
    assert sorted(name for _, name in found) == sorted(f"人{n}" for n in range(1237))  # each row once


def test_empty_inserts_and_lookups_do_nothing(app: Flask) -> None:
    with app.extensions["db"].session() as session:
        bulk = BulkSql(session)
        assert bulk.select_in(Person.__table__, ("id",), "id_hash", []) == []  # type: ignore[arg-type]
        assert bulk.insert(Person.__table__, ("id_hash",), []) in (None, [])  # type: ignore[arg-type]


HOSTILE_NAMES = ["O'Brien", "李\\四", "\\'; DROP TABLE people; --", "阿依古丽·买买提", "a\nb"]


def _person_rows() -> list[tuple[object, ...]]:
    return [("居民身份证", n.to_bytes(16, "big"), b"\x00'\\", "1101****1234", name, "女", "2026-11-28 10:00:00",
             "2026-11-28 10:00:00") for n, name in enumerate(HOSTILE_NAMES)]


@pytest.mark.parametrize("sql_mode", ["", "NO_BACKSLASH_ESCAPES,ANSI_QUOTES"])
def test_rendered_rows_store_exactly_what_was_given_in_any_sql_mode(app: Flask, sql_mode: str) -> None:
    columns = ("id_type", "id_hash", "id_number_enc", "id_masked", "name", "gender", "created_at", "updated_at")
    db = app.extensions["db"]
    if db.engine.dialect.name == "sqlite":
        with db.session() as session, pytest.raises(TypeError, match="binds"):
            BulkSql(session).insert(Person.__table__, columns, [render(r) for r in _person_rows()])  # type: ignore[arg-type]
        return
    with db.session() as session:
        session.execute(text("SET SESSION sql_mode = :mode"), {"mode": sql_mode})
        try:
            BulkSql(session).insert(Person.__table__, columns, [render(r) for r in _person_rows()])  # type: ignore[arg-type]
        finally:
            session.execute(text("SET SESSION sql_mode = DEFAULT"))
    with db.session() as session:
        stored = session.execute(select(Person.name, Person.id_number_enc).order_by(Person.id_hash)).all()
    assert [tuple(row) for row in stored] == [(name, b"\x00'\\") for name in HOSTILE_NAMES]
