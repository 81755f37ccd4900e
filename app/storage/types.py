"""Column types shared by the models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from app.domain.pii import BLIND_INDEX_BYTES


class BlindIndex(TypeDecorator[str]):
    """A blind index (app.domain.pii): 32 hex digits in Python, 16 raw bytes in the database.

    BINARY(16) on MySQL/MariaDB, BLOB on SQLite (a BLOB column keeps bytes as they are). Half the
    size of the hex text: these columns carry unique indexes on random keys, which are an import's
    working set; at 1,000,000 certificates they no longer outgrow MariaDB's default 128 MB buffer
    pool, and the import stopped waiting for the disk halfway (docs/benchmarks.md, run 8).

    Code that bypasses the ORM (app.storage.bulk) passes and receives the bytes themselves.
    """

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.BINARY(BLIND_INDEX_BYTES))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: str | bytes | None, dialect: Dialect) -> bytes | None:
        if value is None or isinstance(value, bytes):
            return value
        key = bytes.fromhex(value)
        if len(key) != BLIND_INDEX_BYTES:
            raise ValueError(f"a blind index is {BLIND_INDEX_BYTES} bytes, not {len(key)}")
        return key

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else bytes(value).hex()
