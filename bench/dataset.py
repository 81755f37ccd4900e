"""The benchmark data set: 1,000,000 generated certificate rows, and databases loaded with them."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from bench.common import MARIADB_ROOT, MILLION, OUT, PYTHON, ROOT


def csv_path(rows: int = MILLION, several_items: bool = True) -> Path:
    """Generate (once) a CSV of `rows` certificates in the exam system's export format
    (`several_items=False`: one numbered certificate per holder, as the schema before 0008 held)."""
    from app.services.demo import HEADERS, generate_rows

    path = OUT / (f"certs-{rows}.csv" if several_items else f"certs-single-{rows}.csv")
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADERS)
        writer.writeheader()
        for row in generate_rows(rows, seed=1, several_items=several_items):
            writer.writerow(row)
    tmp.rename(path)
    print(f"generated {path.name} ({path.stat().st_size / 2**20:.0f} MB) in {time.monotonic() - started:.0f}s",
          file=sys.stderr)
    return path


def sample_queries(path: Path, count: int = 2000, every: int = 487) -> list[tuple[str, str]]:
    """(ID number, name) pairs spread through the file, for lookups."""
    pairs: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            if n % every == 0:
                pairs.append((row["证件号码"], row["姓名"]))
                if len(pairs) >= count:
                    break
    return pairs


def fresh_mariadb(name: str) -> str:
    """Drop and create a MariaDB database; returns its URL."""
    admin = create_engine(f"{MARIADB_ROOT}/test")
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    admin.dispose()
    return f"{MARIADB_ROOT}/{name}?charset=utf8mb4"


def finished_import(url: str, file_name: str) -> bool:
    """Whether an import of `file_name` ran to the end in this database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(text(
                "SELECT COUNT(*) FROM import_runs WHERE file_name = :name AND status = 'finished'"),
                {"name": file_name}))
    except Exception:
        return False
    finally:
        engine.dispose()


def certificate_count(url: str) -> int:
    """How many certificates a database holds (0 if it has no schema)."""
    from app.storage.models import Certificate

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Certificate)) or 0)
    except Exception:
        return 0
    finally:
        engine.dispose()


MILLION_DB = "ecert_bench"


def million_database() -> str:
    """A MariaDB database holding the 1M certificates (imported once, reused by later benchmarks)."""
    url = f"{MARIADB_ROOT}/{MILLION_DB}?charset=utf8mb4"
    if finished_import(url, csv_path().name):
        return url
    url = fresh_mariadb(MILLION_DB)
    subprocess.run([PYTHON, "-m", "bench.import_worker", "ours", url, str(csv_path())], cwd=ROOT, check=True)
    return url
