"""Import of 1,000,000 rows on SQLite and MariaDB beside a bare-executemany baseline; lookups at 1M."""

from __future__ import annotations

import json
import random
import subprocess
import time
from datetime import date

from app.storage.db import Database
from bench.common import MILLION, OUT, PYTHON, ROOT, Report, median_p99
from bench.dataset import MILLION_DB, csv_path, fresh_mariadb, million_database, sample_queries


def _worker(mode: str, url: str, path: str) -> dict[str, float]:
    out = subprocess.run([PYTHON, "-m", "bench.import_worker", mode, url, path], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_import(report: Report) -> None:
    """rows/s and peak RSS, ours vs. baseline, per database."""
    path = str(csv_path())
    rows = []
    for backend in ("sqlite", "mariadb"):
        results = {}
        for mode in ("baseline", "ours"):
            if backend == "sqlite":
                db = OUT / f"import-{mode}.sqlite3"
                for suffix in ("", "-wal", "-shm"):
                    db.with_name(db.name + suffix).unlink(missing_ok=True)
                url = f"sqlite:///{db}"
            else:
                url = fresh_mariadb(MILLION_DB if mode == "ours" else "ecert_bench_baseline")
            results[mode] = _worker(mode, url, path)
        base, ours = results["baseline"], results["ours"]
        base_rps, our_rps = base["rows"] / base["seconds"], ours["rows"] / ours["seconds"]
        rows.append([backend, f"{our_rps:,.0f}", f"{ours['peak_rss_mb']:.0f} + {ours['workers_peak_rss_mb']:.0f}",
                     f"{ours['cpu_s']:.0f} + {ours['workers_cpu_s']:.0f}", f"{base_rps:,.0f}",
                     f"{base['peak_rss_mb']:.0f}", f"{our_rps / base_rps:.2f}"])
    report.add(f"Import of {MILLION:,} rows", rows,
               ["database", "import rows/s", "import peak RSS MB (writer + validation worker)",
                "import CPU s (writer + worker)", "baseline rows/s", "baseline peak RSS MB", "ratio"],
               "Baseline: the same CSV rows inserted as raw text with a bare executemany in batches of 2,000 "
               "(no validation, no encryption, one table). Ours: validation, AES-GCM encryption of ID and "
               "certificate numbers, HMAC lookup hashes, people + certificates + reviews, upsert checks.")


def run_lookup(report: Report, samples: int = 2000) -> None:
    """Status lookup by ID number + name with 1M certificates loaded (MariaDB)."""
    from app import create_app
    from app.config import Settings, replace
    from app.services import registry

    url = million_database()
    pairs = sample_queries(csv_path(), samples)
    random.Random(1).shuffle(pairs)
    app = create_app(replace(Settings(), database={"url": url}, server={"dev_tools": False}))
    db, pii, today = app.extensions["db"], app.extensions["pii"], app.extensions["clock"].today()
    ours, base = [], []
    raw = db.engine.raw_connection()
    cursor = raw.cursor()
    for number, name in pairs:
        started = time.perf_counter()
        with db.session() as session:
            found = registry.find_by_id_and_name(session, pii, number, name, today)
        ours.append(time.perf_counter() - started)
        assert found, (number, name)
        started = time.perf_counter()
        cursor.execute("SELECT id, name FROM people WHERE id_hash = %s", (registry.id_lookup_key(pii, number),))
        cursor.fetchall()
        base.append(time.perf_counter() - started)
    raw.close()
    (m1, p1), (m2, p2) = median_p99(ours), median_p99(base)
    report.add(f"Status lookup by ID number + name, {MILLION:,} certificates (MariaDB)",
               [["find_by_id_and_name + status", f"{m1:.2f}", f"{p1:.2f}"],
                ["baseline: one indexed SELECT on people", f"{m2:.2f}", f"{p2:.2f}"]],
               ["lookup", "median ms", "p99 ms"], f"{len(pairs)} lookups of holders spread through the data set.")


def run_migration(report: Report, samples: int = 200) -> None:
    """Migration 0008 (certificate identity) down and up at 1M certificates, per database.

    The data set holds one numbered certificate per holder, which the schema before 0008 can hold;
    the later migrations are stepped down first, untimed.
    """
    from app.cli.db import downgrade, upgrade

    path = csv_path(several_items=False)
    pairs = sample_queries(path, samples)
    rows = []
    for backend in ("sqlite", "mariadb"):
        if backend == "sqlite":
            db_file = OUT / "migration.sqlite3"
            db_file.unlink(missing_ok=True)
            url = f"sqlite:///{db_file}"
        else:
            url = fresh_mariadb("ecert_bench_migration")
        _worker("ours", url, str(path))
        database = Database(url)
        downgrade(database, "0008_certificate_identity")
        started = time.monotonic()
        downgrade(database, "0007_binary_blind_indexes")
        down = time.monotonic() - started
        started = time.monotonic()
        upgrade(database, "0008_certificate_identity")
        up = time.monotonic() - started
        upgrade(database)
        found = _found_after(database, pairs)
        database.engine.dispose()
        rows.append([backend, f"{up:.1f}", f"{down:.1f}", f"{found} of {len(pairs)}"])
    report.add(f"Migration 0008 (certificate identity) with {MILLION:,} certificates", rows,
               ["database", "upgrade s", "downgrade s", "sampled holders found after the round trip"],
               "Upgrade: add and fill `identity`, swap the unique index, recompute is_current per identity. "
               "The tables are locked meanwhile: run it in a quiet hour.")


def _found_after(database: Database, pairs: list[tuple[str, str]]) -> int:
    """How many sampled holders 输入查询 still finds."""
    from app.config import Settings
    from app.domain.pii import PiiCipher
    from app.services import registry

    pii = PiiCipher(Settings().security.data_key_bytes)  # the key bench.import_worker imported with
    with database.session() as session:
        return sum(bool(registry.find_by_id_and_name(session, pii, number, name, date(2026, 12, 3)))
                   for number, name in pairs)
