"""Bulk statements for the importer: thousands of rows and keys per statement, few round trips.

SQLAlchemy's per-parameter processing dominated import time, so these go to the DB-API driver.
On SQLite the driver binds parameters in C (executemany, multi-row VALUES when keys are to be
returned, IN-lists of placeholders). On MySQL/MariaDB pymysql would escape
every value through a chain of Python calls, so statements are rendered here, and the bulk of each
row can be rendered ahead of time, in the validation workers (`render`, or written out with
`text_literal` where a row is built for every imported line): text with no quote, no
backslash and no control character (nearly all of it: names, codes, dates, hex) is quoted as is,
other text becomes a `_utf8mb4 X'hex'` literal, bytes `X'hex'` — forms that mean the same in every
SQL mode, so no connection is needed to render them. The one assumption, that the connection's
character set is utf8mb4 (app.storage.db sets it), is checked when a BulkSql is made.

Where the database can (MariaDB 10.5+, SQLite 3.35+), INSERT ... RETURNING gives the keys of the
new rows, which saves a lookup per table; MySQL falls back to the lookup.

Values must already be in driver form: ISO strings for dates and times, 1/0 for booleans.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.orm import Session

# Text without these characters cannot end or escape a quoted SQL string in any SQL mode (with or
# without NO_BACKSLASH_ESCAPES and ANSI_QUOTES). Quoted as is, rather than as hex, it also costs the
# server less to parse: about 1.5 µs less per imported row for the Chinese names and authorities.
_QUOTABLE = re.compile(r"[^'\\\x00-\x1f\x7f]*").fullmatch
MAX_STATEMENT = 1 << 20  # bytes per statement (MariaDB's max_allowed_packet is 16 MB by default)
SQLITE_KEYS = 2048  # keys per IN-list on SQLite (well under its 32,766 bound parameters)
SQLITE_PARAMETERS = 8_000  # bound parameters per multi-row INSERT on SQLite (its limit: 32,766)


# Consecutive column values of a row: a tuple to bind, or a str — the values already rendered as
# comma-separated MySQL literals (`render`). Plain str rather than a subclass: rendered rows cross
# process boundaries by the million, and a str subclass pickles several times slower.
Values = tuple[Any, ...] | str


def renders_ahead(engine: Engine) -> bool:
    """Whether rows for this database are best rendered ahead (`render`) rather than bound."""
    return engine.dialect.name != "sqlite"


def literal(value: Any) -> str:
    """One MySQL/MariaDB literal, valid whatever the SQL mode (NO_BACKSLASH_ESCAPES or not)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        if _QUOTABLE(value):
            return f"'{value}'"
        return "_utf8mb4 X'" + value.encode().hex() + "'"
    if isinstance(value, bytes):
        return "X'" + value.hex() + "'"
    if isinstance(value, int):  # bool included: 1/0
        return str(int(value))
    raise TypeError(f"no bulk literal for {type(value).__name__}; pass driver form (ISO text for dates)")


def render(values: tuple[Any, ...]) -> str:
    """Values as the text of a MySQL row, without its parentheses."""
    return ",".join([text_literal(value) if type(value) is str else literal(value) for value in values])


def text_literal(value: str | None) -> str:
    """`literal` of text or None, remembering recent values: import rows repeat most of theirs."""
    if value is None:
        return "NULL"
    return _TEXT.get(value) or _text_literal(value)


# Literals of recent text values. Import rows repeat most of theirs (certificate types, codes,
# authorities, employers, dates), and a dictionary hit is several times cheaper than the check.
_TEXT: dict[str, str] = {}
_TEXT_MAX = 8192


def _text_literal(value: str) -> str:
    rendered = literal(value)
    if len(_TEXT) >= _TEXT_MAX:
        _TEXT.clear()
    _TEXT[value] = rendered
    return rendered


def concat(*parts: Values) -> Values:
    """Consecutive column values of one row: a tuple to bind, or SQL text once any part is rendered."""
    if not any(isinstance(part, str) for part in parts):
        return tuple(chain.from_iterable(parts))
    return ",".join([part if isinstance(part, str) else render(part) for part in parts if part])


def list_width(keys: int) -> int:
    """Placeholders in the IN-list that looks up `keys` keys on SQLite: the next power of two (at least 16).

    The sqlite3 module keeps the last 128 statements of a connection prepared, and a statement with
    thousands of placeholders costs hundreds of kilobytes: one text per list length filled that cache
    with near-copies (70 MB of SQLite's memory in a 1,000,000-row import). Padded, a table has a dozen
    texts.
    """
    return max(16, 1 << (keys - 1).bit_length())


def statement_sizes(rows: int, per: int) -> list[int]:
    """Rows per multi-row INSERT: full statements of `per`, then the rest as powers of two, largest first.

    For the same reason as `list_width`: the texts of one table are a few sizes, not every length.
    """
    full, rest = divmod(rows, per)
    return [per] * full + [1 << bit for bit in reversed(range(rest.bit_length())) if rest >> bit & 1]


class BulkSql:
    """Bulk INSERTs and key lookups on the session's connection (inside its transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        if dialect.name not in ("sqlite", "mysql", "mariadb"):
            raise ValueError(f"bulk statements support SQLite and MySQL/MariaDB, not {dialect.name}")
        self.mysql = dialect.name != "sqlite"
        if self.mysql:
            charset = getattr(self._driver(), "charset", None)
            if charset != "utf8mb4":  # the literals' only assumption (see the module's docstring)
                raise ValueError(f"bulk statements need a utf8mb4 connection, and this one's is "
                                 f"{charset or 'unknown'}")
            self.returning = bool(getattr(dialect, "is_mariadb", False)
                                  and (dialect.server_version_info or (0,)) >= (10, 5))
        else:
            self.returning = sqlite3.sqlite_version_info >= (3, 35)

    def insert(self, table: Table, columns: Sequence[str], rows: Sequence[Values],
               returning: Sequence[str] = ()) -> list[tuple[Any, ...]] | None:
        """INSERT the rows. With `returning`, those columns of the new rows when the database
        can say (MariaDB 10.5+, SQLite 3.35+), else None: the caller looks them up."""
        head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "  # noqa: S608 (names are ours)
        tail = f" RETURNING {', '.join(returning)}" if returning and self.returning else ""
        if not self.mysql:
            return self._sqlite_insert(head, len(columns), rows, tail)
        out: list[tuple[Any, ...]] = []
        chunk: list[str] = []
        size = len(head)
        for row in rows:
            values = "(" + (row if isinstance(row, str) else render(row)) + ")"
            if chunk and size + len(values) > MAX_STATEMENT:
                out += self._run(head + ",".join(chunk) + tail)
                chunk, size = [], len(head)
            chunk.append(values)
            size += len(values) + 1
        if chunk:
            out += self._run(head + ",".join(chunk) + tail)
        return out if tail else None

    def _sqlite_insert(self, head: str, width: int, rows: Sequence[Values], tail: str,
                       ) -> list[tuple[Any, ...]] | None:
        if rows and isinstance(rows[0], str):
            raise TypeError("SQLite binds its parameters: pass tuples, not rendered rows")
        connection = self.session.connection()
        one = f"({', '.join(['?'] * width)})"
        if not tail:
            if rows:
                connection.exec_driver_sql(head + one, rows)
            return None
        out: list[tuple[Any, ...]] = []
        start = 0
        for size in statement_sizes(len(rows), max(1, SQLITE_PARAMETERS // width)):
            chunk = rows[start:start + size]
            start += size
            params = tuple(chain.from_iterable(chunk))
            out += [tuple(r) for r in connection.exec_driver_sql(head + ",".join([one] * size) + tail, params)]
        return out

    def select_in(self, table: Table, columns: Sequence[str], key: str,
                  keys: Sequence[str] | Sequence[bytes] | Sequence[int],
                  current_only: bool = False) -> list[tuple[Any, ...]]:
        """Rows (tuples of `columns`, as the driver returns them) whose `key` is listed (`keys` distinct:
        on SQLite a long list is looked up in parts, so a repeated key could find its row twice).

        Dates come back as the driver gives them: `date` from pymysql, ISO text from SQLite.
        """
        if not keys:
            return []
        head = f"SELECT {', '.join(columns)} FROM {table.name} WHERE {key} IN "  # noqa: S608 (names are ours)
        current = " AND is_current = 1" if current_only else ""
        if self.mysql:
            return self._run(head + "(" + ",".join([literal(k) for k in keys]) + ")" + current)
        connection = self.session.connection()
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(keys), SQLITE_KEYS):
            chunk = tuple(keys[start:start + SQLITE_KEYS])
            width = list_width(len(chunk))
            chunk += chunk[-1:] * (width - len(chunk))  # a key twice in an IN-list finds its row once
            sql = head + "(" + ",".join(["?"] * width) + ")" + current
            rows += [tuple(row) for row in connection.exec_driver_sql(sql, chunk)]
        return rows

    def _driver(self) -> Any:
        return self.session.connection().connection.dbapi_connection

    def _run(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self._driver().cursor()
        try:
            cursor.execute(sql)  # no args: the driver does no %-formatting of the text
            return list(cursor.fetchall() or ())
        finally:
            cursor.close()
