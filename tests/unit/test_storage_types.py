"""Column types: a blind index is hex in Python and 16 raw bytes in the database."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import mysql, sqlite

from app.storage.types import BlindIndex

HEX = "00112233445566778899aabbccddeeff"


@pytest.mark.parametrize("dialect", [mysql.dialect(), sqlite.dialect()])
def test_hex_goes_in_as_bytes_and_comes_back_as_hex(dialect: object) -> None:
    column = BlindIndex()
    stored = column.process_bind_param(HEX, dialect)  # type: ignore[arg-type]
    assert stored == bytes.fromhex(HEX) and len(stored) == 16
    assert column.process_result_value(stored, dialect) == HEX  # type: ignore[arg-type]
    assert column.process_bind_param(stored, dialect) == stored  # bulk code passes the bytes themselves
    assert column.process_bind_param(None, dialect) is None  # type: ignore[arg-type]


def test_the_column_is_binary_16_on_mysql_and_a_blob_on_sqlite() -> None:
    assert str(BlindIndex().compile(dialect=mysql.dialect())) == "BINARY(16)"
    assert str(BlindIndex().compile(dialect=sqlite.dialect())) == "BLOB"


@pytest.mark.parametrize("bad", ["abc", "00" * 32, "zz" * 16])
def test_a_value_that_is_not_16_bytes_of_hex_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        BlindIndex().process_bind_param(bad, mysql.dialect())
