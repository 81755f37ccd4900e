"""Bulk import: validate every row, decide what it does, write accepted ones in committed batches.

What a row does is one pure rule, `app.domain.importdecision.decide`, given the certificate
stored before the run and the first row of this run for the same certificate (remembered for the
whole file, so the outcome never depends on batch size or worker count). Each batch is one
transaction: an interrupted run leaves whole batches behind and a re-run of the same file skips
what is already there. A dry run takes the same decisions and writes nothing.

The process-wide switches an import benefits from (garbage collector, validation processes, the
csv module's field size) are the caller's to choose: `flask certs import` sets them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.domain.catalogue import Catalogue
from app.domain.importdecision import PRINT_BITS, Seen, short_print
from app.domain.importrows import RowError, check_headers
from app.domain.pii import PiiCipher
from app.services.importpipeline import Checked, Prepared, checked_rows
from app.services.importreport import ReportWriter
from app.services.importsource import ImportRefused, Opener, Source, open_source
from app.services.importwriter import BatchWriter, Entry, Outcome
from app.services.photos import PhotoStore
from app.storage.bulk import renders_ahead
from app.storage.db import Database
from app.storage.models import ImportRun
from app.storage.models._common import utcnow

# Rows per committed transaction. Larger batches amortise the random-key index pages each commit
# rewrites (blind-index hashes spread inserts over the whole B-tree); 5,000 keeps RSS well under
# 300 MB at 1,000,000 rows.
BATCH_SIZE = 5000


@dataclass
class ImportSummary:
    """What one run did; `warnings` are file-level notes (ignored columns and the like)."""

    rows: int = 0
    accepted: int = 0
    updated: int = 0
    reissued: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None


@dataclass
class ImportOptions:
    photos_dir: Path | None = None
    dry_run: bool = False
    report: TextIO | None = None
    batch_size: int = BATCH_SIZE
    # Validation processes forked beside this one (0: validate inline). Only the owner of the process
    # should ask for them: the CLI does; a web worker or a server thread validates inline.
    workers: int = 0
    on_progress: Callable[[int], None] | None = None
    on_total: Callable[[int | None], None] | None = None
    # The back office imports for one 签发机关: a row of another is rejected (None: every authority).
    authority: str | None = None
    # The summary to fill as the run goes (a caller that also wants the counts of a run that failed,
    # or the rows read so far from another thread).
    summary: ImportSummary | None = None


def import_file(path: Path, database: Database, pii: PiiCipher, catalogue: Catalogue,
                options: ImportOptions | None = None) -> ImportSummary:
    """Import one export file; raises ImportRefused before writing anything if the file is unusable."""
    source = open_source(path)
    return import_source(source, path.name, _sha256(path), database, pii, catalogue, options)


def import_opened(opener: Opener, name: str, digest: str, database: Database, pii: PiiCipher,
                  catalogue: Catalogue, options: ImportOptions | None = None) -> ImportSummary:
    """Import a file read through `opener` (an upload sealed at rest), named `name` with SHA-256 `digest`."""
    return import_source(open_source(Path(name), opener), name, digest, database, pii, catalogue, options)


def import_source(source: Source, name: str, digest: str, database: Database, pii: PiiCipher,
                  catalogue: Catalogue, options: ImportOptions | None = None) -> ImportSummary:
    """Import rows from an opened source (a file, or generated demo data)."""
    opts = options or ImportOptions()
    summary = opts.summary or ImportSummary()
    summary.warnings = _check_columns(source, opts)
    if opts.on_total:
        opts.on_total(source.total)
    run_id = None if opts.dry_run else _start_run(database, name, digest)
    summary.run_id = run_id
    photos = PhotoStore(pii, opts.photos_dir)
    writer = BatchWriter(photos, run_id, dry_run=opts.dry_run)
    report = ReportWriter(opts.report, source.headers)
    checked = checked_rows(source.rows, catalogue, pii, opts.workers, ahead=opts.batch_size + 1000,
                           rendered=renders_ahead(database.engine))

    def write(batch: list[Entry], counted: ImportSummary) -> Outcome:
        """One batch in one transaction, with the run's progress as of its end."""
        try:
            with database.session() as session:
                outcome = writer.write(session, batch)
                _count(counted, outcome)
                _progress_run(session, run_id, counted)
        except BaseException:
            photos.rolled_back()
            raise
        photos.committed()
        return outcome

    pending: tuple[Future[Outcome], int] | None = None

    def written() -> None:
        """Wait for the batch in flight and count it."""
        nonlocal pending
        if pending is not None:
            future, rows = pending
            pending = None
            _count(summary, future.result(), report)
            if opts.on_progress:
                opts.on_progress(rows)

    try:
        # Batch N is written on its own thread while this one gathers batch N+1 (takes validated
        # rows, remembers which certificates the file named, reports rejects): the database's time
        # on one overlaps the Python time of the other. One batch at a time is in flight.
        with ThreadPoolExecutor(1, thread_name_prefix="import-writer") as thread:
            for batch, rows in _batches(checked, summary, report, opts.batch_size, opts.authority):
                written()
                pending = thread.submit(write, batch, dataclasses.replace(summary)), rows
            written()
    except BaseException:
        # Leaving the `with` waited for a batch in flight: count it if it was committed.
        with contextlib.suppress(BaseException):
            written()
        _finish_run(database, run_id, summary, "failed")
        raise
    _finish_run(database, run_id, summary, "finished")
    return summary


def _count(summary: ImportSummary, outcome: Outcome, report: ReportWriter | None = None) -> None:
    summary.accepted += outcome.accepted
    summary.updated += outcome.updated + outcome.reissued
    summary.reissued += outcome.reissued
    summary.unchanged += outcome.unchanged
    summary.rejected += len(outcome.refused)
    if report is not None:
        for entry, error in outcome.refused:
            report.write([error], entry.row)


def _check_columns(source: Source, opts: ImportOptions) -> list[str]:
    report = check_headers(source.headers)
    if report.missing:
        raise ImportRefused("缺少必需的列：" + "、".join(report.missing) + "（未导入任何数据）")
    if report.duplicates:
        raise ImportRefused("表头重复：" + "、".join(report.duplicates) + "（未导入任何数据）")
    warnings = []
    if report.unknown:
        warnings.append("已忽略无法识别的列：" + "、".join(report.unknown))
    if "照片" in source.headers and opts.photos_dir is None:
        warnings.append("未指定 --photos 照片目录，照片列被忽略")
    return warnings


def _batches(checked: Iterator[tuple[int, dict[str, Any], Checked]], summary: ImportSummary,
             report: ReportWriter, size: int, authority: str | None = None) -> Iterator[tuple[list[Entry], int]]:
    """Group valid rows into batches, each with the first earlier row for the same certificate.

    Every certificate the file names is remembered for the whole run (`SeenSlots`: about 30 bytes
    per certificate, 30 MB at 1,000,000 rows), so a repeat or a conflict is found wherever it falls.
    """
    seen = SeenSlots()
    batch: list[Entry] = []
    rows = 0
    for number, row, result in checked:
        summary.rows += 1
        rows += 1
        if isinstance(result, Prepared) and authority is not None:
            result = _in_scope(number, result, authority)
        if isinstance(result, Prepared):
            first = seen.first(result.identity_slot, number << PRINT_BITS | short_print(result.fingerprint))
            batch.append(Entry(number, row, result, None if first is None
                               else Seen(first >> PRINT_BITS, first & ((1 << PRINT_BITS) - 1))))
        else:
            summary.rejected += 1
            report.write(result, row)
        if rows >= size:
            yield batch, rows
            batch, rows = [], 0
    if rows:
        yield batch, rows


def _in_scope(number: int, prepared: Prepared, authority: str) -> Checked:
    """A row of the importing staff member's own 签发机关, or its refusal (staff act for one authority)."""
    issued_by = prepared.record.issuing_authority
    if issued_by == authority:
        return prepared
    return [RowError(number, "签发机关", f"签发机关“{issued_by}”不是您所在的“{authority}”，"
                                         "不能导入其他签发机关的证书")]


_TOP_BIT, _BUCKET_MASK = 1 << 63, (1 << 17) - 1


class SeenSlots:
    """What a run met: a 60-bit certificate slot -> a packed (row number, short print), never removed.

    The slots are spread over 131,072 flat arrays of 64-bit ints holding key, value, key, value…; a
    key carries the top bit, which no value has, so `in` and `index` (C loops over a few dozen ints)
    find keys only. A million certificates cost about 30 MB, where a dict of Python ints cost about
    110 MB and took the importer past its 300 MB budget (docs/benchmarks.md, "Import of 1,000,000 rows").
    """

    def __init__(self) -> None:
        self._buckets: list[array[int] | None] = [None] * (_BUCKET_MASK + 1)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def first(self, slot: int, value: int) -> int | None:
        """The value kept for `slot`; when the slot is new, keeps `value` and returns None."""
        key, index = slot | _TOP_BIT, slot & _BUCKET_MASK  # slot: 60 bits, value: 63 (the caller's)
        bucket = self._buckets[index]
        if bucket is None:
            self._buckets[index] = array("Q", (key, value))
        elif key in bucket:
            return bucket[bucket.index(key) + 1]
        else:
            bucket.append(key)
            bucket.append(value)
        self._size += 1
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _start_run(database: Database, name: str, digest: str) -> int:
    with database.session() as session:
        run = ImportRun(file_name=name[:255], file_sha256=digest)
        session.add(run)
        session.flush()
        return run.id


def _progress_run(session: Session, run_id: int | None, s: ImportSummary) -> None:
    if run_id is None:
        return
    session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
        rows_done=s.rows, accepted=s.accepted, updated=s.updated, unchanged=s.unchanged, rejected=s.rejected))


def _finish_run(database: Database, run_id: int | None, s: ImportSummary, status: str) -> None:
    if run_id is None:
        return
    with database.session() as session:
        _progress_run(session, run_id, s)
        session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
            status=status, finished_at=utcnow()))

