"""Rows become SQL text in one place, `app.storage.bulk`: its literals, tested without a database."""

from __future__ import annotations

import os
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from app.domain.catalogue import Catalogue
from app.domain.pii import PiiCipher
from app.services.demo import generate_rows
from app.services.importpipeline import CERT_ROW, PERSON_ROW, Prepared, prepare
from app.storage.bulk import BulkSql, concat, literal, render

HOSTILE = ["O'Brien 建设", "反斜杠\\结尾", "x'); DROP TABLE people; --", "100% %s", 'say "hi"']


@pytest.mark.parametrize(("value", "sql"), [
    (None, "NULL"),
    (0, "0"),
    (True, "1"),
    (-12, "-12"),
    ("张伟", "'张伟'"),
    ("2026-12-03", "'2026-12-03'"),
    ("100% %s", "'100% %s'"),  # the driver never %-formats our text
    ('say "hi"', "'say \"hi\"'"),
    ("O'Brien", "_utf8mb4 X'4f27427269656e'"),  # a quote, a backslash or a control character: hex
    ("a\\b", "_utf8mb4 X'615c62'"),
    ("tab\there", "_utf8mb4 X'7461620968657265'"),
    ("x'); DROP TABLE people; --", "_utf8mb4 X'" + b"x'); DROP TABLE people; --".hex() + "'"),
    (b"\x00\xff", "X'00ff'"),
])
def test_each_value_becomes_a_literal_that_means_the_same_in_every_sql_mode(value: Any, sql: str) -> None:
    assert literal(value) == sql
    assert render((value,)) == sql


def test_values_not_in_driver_form_are_refused() -> None:
    with pytest.raises(TypeError, match="ISO text"):
        literal(date(2026, 12, 3))


def test_a_row_joins_bound_and_rendered_parts_in_order() -> None:
    assert concat((1, "a"), "'b',NULL") == "1,'a','b',NULL"
    assert concat((1, "a"), (None,)) == (1, "a", None)


@pytest.mark.parametrize("charset", [None, "latin1", "utf8"])
def test_bulk_statements_refuse_a_connection_not_confirmed_as_utf8mb4(charset: str | None) -> None:
    driver = SimpleNamespace(charset=charset) if charset else SimpleNamespace()
    bind = SimpleNamespace(dialect=SimpleNamespace(name="mysql", is_mariadb=True, server_version_info=(10, 11)))
    session = SimpleNamespace(get_bind=lambda: bind, connection=lambda: SimpleNamespace(
        connection=SimpleNamespace(dbapi_connection=driver)))
    with pytest.raises(ValueError, match="utf8mb4"):
        BulkSql(session)  # type: ignore[arg-type]


def _rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = list(generate_rows(400, seed=21))
    for n, text in enumerate(HOSTILE):  # free text that must take the hex form
        safety = next(r for r in rows[n * 20:] if r["证书类型"] == "安全生产知识和管理能力考核合格证")
        safety.update({"单位名称": text, "证书编号": f"AQ-{text}"})
    return rows


def test_prepared_rows_are_render_of_the_bound_values_column_for_column() -> None:
    catalogue, key = Catalogue.load_default(), os.urandom(32)
    checked = hexed = 0
    for number, row in enumerate(_rows(), 2):
        bound = prepare(number, row, catalogue, PiiCipher(key))
        text = prepare(number, row, catalogue, PiiCipher(key), rendered=True)
        if isinstance(bound, list):
            assert bound == text
            continue
        assert isinstance(bound, Prepared) and isinstance(text, Prepared)
        assert len(bound.person_values) == len(PERSON_ROW) and len(bound.cert_values) == len(CERT_ROW)
        # Encryption is randomised: put the rendered side's ciphertexts into the bound values.
        person = list(bound.person_values)
        person[2] = bytes.fromhex(str(text.person_values).split(",")[2][2:-1])
        cert = list(bound.cert_values)
        if cert[1] is not None:
            cert[1] = bytes.fromhex(str(text.cert_values).split(",")[1][2:-1])
        assert text.person_values == render(tuple(person))
        assert text.cert_values == render(tuple(cert))
        assert (text.id_key, text.identity, text.fingerprint, text.review, text.text) == (
            bound.id_key, bound.identity, bound.fingerprint, bound.review, bound.text)
        checked += 1
        hexed += "_utf8mb4 X'" in str(text.cert_values)
    assert checked >= 390 and hexed >= len(HOSTILE) - 2  # '100% %s' and 'say "hi"' are quoted as they are
