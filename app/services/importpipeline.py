"""Turning raw import rows into prepared records, inline or in worker processes.

Preparing a row — validation, lookup hashes, fingerprint and encryption of the ID and
certificate numbers — is pure CPU work. With `workers` > 0 it runs in forked processes while
the parent writes the previous batch to the database; results come back in file order and a
bounded number of chunks is in flight, so memory stays flat however large the file.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import itertools
import multiprocessing
import operator
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

from app.domain.catalogue import Catalogue
from app.domain.identity import certificate_identity
from app.domain.idnumber import mask_middle
from app.domain.importrows import (
    CertificateRecord,
    RowError,
    record_fingerprint,
    record_from_text,
    record_text,
    validate_row,
)
from app.domain.pii import PiiCipher
from app.services.importsource import EXTRA_CELLS
from app.services.registry import cert_lookup_key, id_lookup_key
from app.storage.bulk import Values, render

CHUNK = 500

Raw = tuple[int, dict[str, Any]]


# The columns an import writes, each spelled once. RECORD_COLUMNS are CertificateRecord fields of the
# same names; a new row's values are computed here, in the validation workers, so that the single
# writer process stays free for SQL. The writer adds WRITER_COLUMNS in front (app.services.importwriter).
PERSON_ROW = ("id_type", "id_hash", "id_number_enc", "id_masked", "name", "gender")
RECORD_COLUMNS = ("kind", "category_code", "item_code", "personnel_type_code", "industry_code", "employer",
                  "first_issue_date", "valid_from", "valid_until", "exam_passed_date", "issuing_authority",
                  "authority_code")
CERT_ROW = ("cert_no_hash", "cert_no_enc", "cert_no_masked", "identity", *RECORD_COLUMNS, "fingerprint")
record_values = operator.attrgetter(*RECORD_COLUMNS)


class Prepared(NamedTuple):
    """A valid record with everything the writer needs, computed once.

    Workers send these to the writer process by the million: a NamedTuple pickles in half the
    time of a dataclass. The record itself travels as its record_text and is rebuilt only where
    the writer needs it (rows that already exist).
    """

    id_key: bytes  # blind index of the ID number, as stored (app.storage.types.BlindIndex)
    identity: str  # app.domain.identity: which of the holder's certificates this row is
    fingerprint: str
    person_values: Values  # PERSON_ROW in driver form, or rendered as SQL (see app.storage.bulk)
    cert_values: Values  # CERT_ROW likewise (dates as ISO text)
    review: tuple[str, str | None] | None  # 应复审日期 and 实际复审日期 as ISO text, if given
    photo: str | None  # file name in the photo folder
    text: str  # record_text(record)

    @property
    def record(self) -> CertificateRecord:
        return _record(self.text)

    @property
    def identity_slot(self) -> int:
        """60 bits naming (holder, identity): the run remembers one small int per certificate it met."""
        digest = hashlib.blake2b(self.identity.encode(), key=self.id_key, digest_size=8).digest()
        return int.from_bytes(digest, "big") >> 4


@functools.lru_cache(maxsize=64)  # a row that exists is asked for its record a few times in a row
def _record(text: str) -> CertificateRecord:
    return record_from_text(text)


Checked = Prepared | list[RowError]


def prepare(number: int, row: dict[str, Any], catalogue: Catalogue, pii: PiiCipher, rendered: bool = False,
            ) -> Checked:
    """Validate one row and derive its keys and ciphertexts; `rendered`: values as SQL text."""
    if EXTRA_CELLS in row:
        return [RowError(number, "", f"该行比表头多出{row[EXTRA_CELLS]}个单元格，请检查是否错位")]
    record = validate_row(number, row, catalogue)
    if isinstance(record, list):
        return record
    r = record
    text = record_text(r)
    id_key, fingerprint = id_lookup_key(pii, r.id_number), record_fingerprint(text)
    identity = certificate_identity(r.kind, r.category_code, r.item_code, r.personnel_type_code, r.industry_code)
    number_values: tuple[Any, ...] = (None, None, None)
    if r.cert_no:
        number_values = (cert_lookup_key(pii, r.cert_no), pii.encrypt(r.cert_no, b"certificates.cert_no"),
                         mask_middle(r.cert_no))
    person = (r.id_type, id_key, pii.encrypt(r.id_number, b"people.id_number"), mask_middle(r.id_number), r.name,
              r.gender)
    cert = (*number_values, identity, *map(_driver_form, record_values(r)), fingerprint)
    review = None
    if r.review_due_date:
        review = (r.review_due_date.isoformat(), r.review_done_date.isoformat() if r.review_done_date else None)
    if rendered:
        return Prepared(id_key, identity, fingerprint, render(person), render(cert), review, r.photo, text)
    return Prepared(id_key, identity, fingerprint, person, cert, review, r.photo, text)


def _driver_form(value: Any) -> Any:
    """Dates as ISO text (what both drivers take in bulk statements); everything else as it is."""
    return value.isoformat() if isinstance(value, date) else value


def checked_rows(rows: Iterator[Raw], catalogue: Catalogue, pii: PiiCipher, workers: int,
                 ahead: int = 4000, rendered: bool = False) -> Iterator[tuple[int, dict[str, Any], Checked]]:
    """Each row with its outcome, in file order (`rendered`: see `prepare`).

    With workers, up to `ahead` rows (rounded up to whole chunks) are prepared ahead of the
    consumer. It should exceed the writer's batch: while the writer commits one batch the
    workers fill the next, instead of stalling once the bound is reached.
    """
    if workers <= 0:
        for number, row in rows:
            yield number, row, prepare(number, row, catalogue, pii, rendered)
        return
    yield from _in_workers(rows, (catalogue, pii, rendered), workers, max(2, -(-ahead // CHUNK)))


# Set in the parent just before forking: the workers inherit it instead of receiving it by pickle.
_WORKER_STATE: tuple[Catalogue, PiiCipher, bool] | None = None


def _prepare_chunk(chunk: list[Raw]) -> list[Checked]:
    assert _WORKER_STATE is not None
    catalogue, pii, rendered = _WORKER_STATE
    return [prepare(number, row, catalogue, pii, rendered) for number, row in chunk]


def _serve(conn: Connection, others: tuple[Connection, ...]) -> None:
    """A worker process: answer each chunk received, in order; at None, answer None and stop."""
    for other in others:  # the parent's ends of earlier workers' pipes, inherited by the fork
        other.close()
    try:
        while (chunk := conn.recv()) is not None:
            try:
                conn.send(_prepare_chunk(chunk))
            except Exception:  # a bug, not bad data (that is a RowError): report it to the parent
                conn.send(_Failed(traceback.format_exc()))
                return
        conn.send(None)
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass  # the parent went away or stopped the run


@dataclass(frozen=True)
class _Failed:
    """A worker's answer when preparing a chunk raised."""

    traceback: str


def _in_workers(rows: Iterator[Raw], state: tuple[Catalogue, PiiCipher, bool], workers: int, chunks: int,
                ) -> Iterator[tuple[int, dict[str, Any], Checked]]:
    """Chunk k goes to worker k mod n, and its answer is read from there: file order, no reordering.

    Plain processes on pipes rather than multiprocessing.Pool: the pool's worker-handler thread
    wakes up for every result waiting in its queue, and cost the writer process about a tenth of
    its CPU (py-spy).
    """
    global _WORKER_STATE
    _WORKER_STATE = state
    context = multiprocessing.get_context("fork")
    pipes: list[Connection] = []
    processes = []
    for _ in range(workers):
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child, tuple(pipes)), daemon=True, name="import-validation")
        process.start()
        child.close()
        pipes.append(parent)
        processes.append(process)
    kept: collections.deque[list[Raw]] = collections.deque()
    in_flight = threading.BoundedSemaphore(chunks)  # back-pressure: memory stays flat
    stopped = threading.Event()
    failure: list[BaseException] = []

    def feed() -> None:
        try:
            for k, chunk in enumerate(_chunked(rows)):
                in_flight.acquire()
                if stopped.is_set():
                    return
                kept.append(chunk)
                pipes[k % workers].send(chunk)
        except BaseException as exc:  # reading the file failed (ImportRefused): the consumer re-raises
            failure.append(exc)
        finally:
            with contextlib.suppress(OSError):
                for pipe in pipes:
                    pipe.send(None)  # each worker answers None in its turn: the end of the stream

    feeder = threading.Thread(target=feed, name="import-reader", daemon=True)
    feeder.start()
    finished = False
    try:
        for k in itertools.count():
            try:
                results = pipes[k % workers].recv()
            except EOFError:
                raise RuntimeError("an import validation worker died") from None
            if results is None:
                break
            if isinstance(results, _Failed):
                raise RuntimeError(f"an import validation worker failed:\n{results.traceback}")
            chunk = kept.popleft()  # the reader keeps a chunk before it sends it
            in_flight.release()
            for (number, row), result in zip(chunk, results, strict=True):
                yield number, row, result
        if failure:
            raise failure[0]
        finished = True
    finally:
        stopped.set()  # the reader stops at its next chunk
        with contextlib.suppress(ValueError):
            for _ in range(chunks):
                in_flight.release()
        for process in processes:
            if not finished:  # a worker may be blocked sending answers nobody reads
                process.terminate()
            process.join()
        feeder.join()
        for pipe in pipes:
            pipe.close()


def _chunked(rows: Iterator[Raw]) -> Iterator[list[Raw]]:
    chunk: list[Raw] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
