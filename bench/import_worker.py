"""One import in its own process, so its peak RSS is its own: `python -m bench.import_worker MODE URL CSV`.

MODE `ours` runs the real importer; `baseline` inserts the same rows with a bare executemany
and no validation. Prints one JSON line: rows, seconds, peak RSS in MB and CPU seconds, of this
process and of its validation workers.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table

BATCH = 2000


def baseline(url: str, path: Path) -> int:
    """Bare executemany of the raw rows into a table of text columns."""
    from app.services.demo import HEADERS
    from app.storage.db import make_engine

    engine = make_engine(url)
    meta = MetaData()
    table = Table("bench_raw", meta, *(Column(f"c{i}", String(200)) for i in range(len(HEADERS))))
    meta.drop_all(engine)
    meta.create_all(engine)
    rows = 0
    with path.open(encoding="utf-8", newline="") as fh, engine.connect() as conn:
        reader = csv.reader(fh)
        next(reader)
        batch: list[dict[str, str]] = []
        for cells in reader:
            batch.append({f"c{i}": v for i, v in enumerate(cells)})
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                conn.commit()
                rows += len(batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
            conn.commit()
            rows += len(batch)
    return rows


def ours(url: str, path: Path) -> int:
    """The real import pipeline: validation, encryption, upsert in committed batches."""
    from app import create_app
    from app.cli.certs import collector_paused, every_nth_batch
    from app.cli.db import upgrade
    from app.config import Settings, replace
    from app.domain.catalogue import Catalogue
    from app.services.importer import ImportOptions, import_file
    from app.services.importsource import MAX_CSV_FIELD

    app = create_app(replace(Settings(), database={"url": url}, server={"dev_tools": False}))
    database = app.extensions["db"].for_jobs()  # no per-statement limits: batches are large
    upgrade(database)
    workers = int(os.environ.get("IMPORT_WORKERS", "1"))  # validation processes beside the writer
    # This process owns the run, as `flask certs import` does: the same process-wide switches.
    csv.field_size_limit(MAX_CSV_FIELD)
    with collector_paused():
        summary = import_file(path, database, app.extensions["pii"], Catalogue.load_default(),
                              ImportOptions(workers=workers, on_progress=every_nth_batch(lambda _rows: None)))
    return summary.accepted + summary.updated + summary.unchanged


def main() -> None:
    mode, url, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    started = time.monotonic()
    rows = (ours if mode == "ours" else baseline)(url, path)
    seconds = time.monotonic() - started
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"mode": mode, "rows": rows, "seconds": seconds, "peak_rss_mb": own.ru_maxrss / 1024,
                      "workers_peak_rss_mb": workers.ru_maxrss / 1024,
                      "cpu_s": own.ru_utime + own.ru_stime, "workers_cpu_s": workers.ru_utime + workers.ru_stime}))


if __name__ == "__main__":
    main()
