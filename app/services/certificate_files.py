"""The holder's certificate files (PNG for phones, A4 PDF) and live codes (亮证), signed and cached.

Callers (the 我的证书 pages, `flask certs render`) use `render_certificate` and `live_qr`; the
signing context (key folder, base URL, issuer) comes from the current Flask app.

Caching: the printed token is deterministic per (public id, version, key), so the expensive part of
a render (drawing the certificate, ~100 ms for the PNG, ~1 s for the PDF and its fonts) is kept
in-process as an un-watermarked base, keyed by everything drawn on it (version, corrections, key,
status): a PNG download only stamps its watermark and encodes (~40 ms), a PDF download lays the
minute's marks and the QR code over the cached page (~20 ms). Finished files are kept per watermark text,
which changes once a minute, so repeated downloads within a minute return identical bytes. The cache
is in process memory on purpose: the files show the full ID number, which must not sit in Redis.
"""

from __future__ import annotations

import calendar
import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image
from sqlalchemy.orm import Session

from app.clock import CHINA
from app.domain.pii import PiiCipher
from app.domain.qrtext import qr_text
from app.domain.qrtoken import CertClaims, CertKind, build_claims, sign_certificate
from app.domain.status import StatusResult
from app.render.card import qr_box, render_image
from app.render.certificate import CertificateView
from app.render.marks import Annotation, draw_watermark
from app.render.pdf import marks_pdf, render_pdf_base, stamp_pdf
from app.render.qr import qr_image
from app.services.photos import load_photo
from app.services.presenters import NO_NUMBER, scope_labels
from app.services.registry import status_of
from app.services.signing import KeyProvider
from app.storage.models import Certificate, Person

FORMATS = ("png", "pdf")
TITLES = {"special_ops": "中华人民共和国特种作业操作证", "safety_mgmt": "安全生产知识和管理能力考核合格证"}
PURPOSE_LABELS = {"view": "持证人查看", "download": "持证人", "cli": "签发机关"}
PNG_COMPRESS_LEVEL = 1  # level 1 is ~3x faster than 6 and only ~15% larger on this artwork
LIVE_QR_PX = 480


@dataclass(frozen=True)
class SigningContext:
    """What signing a token needs: the keys, our base URL, the issuer and the live-code lifetime."""

    keys: KeyProvider
    base_url: str
    issuer: str
    live_code_ttl: int


def signing_context(app: Any) -> SigningContext:
    """The app's signing context (one KeyProvider per app, kept in app.extensions)."""
    settings = app.config["SETTINGS"]
    keys = app.extensions.get("signing_keys")
    if keys is None:
        keys = app.extensions.setdefault("signing_keys", KeyProvider(settings.signing.key_dir))
    signing = settings.signing
    return SigningContext(keys, settings.server.base_url, signing.issuer, signing.live_code_ttl)


def _current_context() -> SigningContext:
    from flask import current_app  # the contract functions below are called inside a request

    return signing_context(current_app)


# --- tokens ----------------------------------------------------------------------------------


def _holder(session: Session, cert: Certificate) -> Person:
    person = session.get(Person, cert.person_id)
    assert person is not None  # foreign key
    return person


def claims_for(session: Session, pii: PiiCipher, cert: Certificate) -> CertClaims:
    """The signed claims of one certificate version (full ID number reduced to mask + check tag)."""
    person = _holder(session, cert)
    special = cert.kind == "special_ops"
    return build_claims(
        cert_id=cert.public_id,
        version=cert.version,
        kind=CertKind.SPECIAL_OPS if special else CertKind.SAFETY_MGMT,
        code=(cert.item_code if special else cert.industry_code) or "-",
        holder_name=person.name,
        id_number=pii.decrypt_text(person.id_number_enc, b"people.id_number"),
        valid_from=cert.valid_from,
        valid_until=cert.valid_until,
        authority_code=cert.authority_code,
        personnel_type=None if special else (cert.personnel_type_code or None),
    )


def _unix(moment: datetime) -> int:
    """Unix seconds; naive datetimes are China time (the clock's zone)."""
    return int((moment if moment.tzinfo else moment.replace(tzinfo=CHINA)).timestamp())


def printed_qr_text(ctx: SigningContext, session: Session, pii: PiiCipher, cert: Certificate) -> str:
    """QR text for printed files: no expiry, iat = when the version was created, so it is stable."""
    issued_at = calendar.timegm(cert.created_at.timetuple())  # created_at is naive UTC
    token = sign_certificate(claims_for(session, pii, cert), ctx.keys.signer(), ctx.issuer, issued_at)
    return qr_text(ctx.base_url, token)


def live_qr(session: Session, cert: Certificate, now: datetime) -> tuple[str, bytes, datetime]:
    """A 亮证 code valid for [signing] live_code_ttl seconds: (QR text, QR PNG bytes, expiry)."""
    from flask import current_app

    ctx = _current_context()
    return live_qr_with(ctx, session, current_app.extensions["pii"], cert, now)


def live_qr_with(ctx: SigningContext, session: Session, pii: PiiCipher, cert: Certificate, now: datetime,
                 ) -> tuple[str, bytes, datetime]:
    """live_qr with explicit dependencies."""
    issued_at = _unix(now)
    expires_at = issued_at + ctx.live_code_ttl
    claims = claims_for(session, pii, cert)
    token = sign_certificate(claims, ctx.keys.signer(), ctx.issuer, issued_at, expires_at)
    text = qr_text(ctx.base_url, token)
    out = io.BytesIO()
    qr_image(text, LIVE_QR_PX).save(out, format="PNG", optimize=False)
    zone = now.tzinfo or CHINA
    return text, out.getvalue(), datetime.fromtimestamp(expires_at, zone)


# --- the certificate view --------------------------------------------------------------------


def _reviews(cert: Certificate, due: Any) -> tuple[str, str]:
    done = [r.done_date for r in cert.reviews if r.done_date]
    last_due = due or (cert.reviews[-1].due_date if cert.reviews else None)
    return (last_due.isoformat() if last_due else "", max(done).isoformat() if done else "")


def certificate_view(session: Session, pii: PiiCipher, cert: Certificate, status: StatusResult,
                     ) -> CertificateView:
    """Every field of the certificate, unmasked: only ever rendered for the holder's own copy."""
    person = _holder(session, cert)
    first, second = scope_labels(cert)
    special = cert.kind == "special_ops"
    review_due, review_done = _reviews(cert, status.review_due) if special else ("", "")
    return CertificateView(
        kind=cert.kind,
        title=TITLES[cert.kind],
        holder_name=person.name,
        gender=person.gender,
        id_number=pii.decrypt_text(person.id_number_enc, b"people.id_number"),
        cert_number=pii.decrypt_text(cert.cert_no_enc, b"certificates.cert_no") if cert.cert_no_enc else NO_NUMBER,
        first_issued=cert.first_issue_date.isoformat(),
        valid_from=cert.valid_from.isoformat(),
        valid_until=cert.valid_until.isoformat(),
        issuing_authority=cert.issuing_authority,
        status_label=status.label,
        version=cert.version,
        category=first if special else "",
        item=second if special else "",
        review_due=review_due,
        review_done=review_done,
        personnel_type="" if special else first,
        industry="" if special else second,
        employer="" if special else (cert.employer or ""),
        photo=load_photo(session, pii, cert.photo_id),
        issue_date=cert.valid_from.isoformat(),  # a version is issued with its validity (no separate date kept)
        stamp="" if status.is_valid else status.label,
    )


def watermark_text(purpose: str, now: datetime) -> str:
    """"仅供…使用 YYYY-MM-DD HH:MM 下载": who the copy is for and when it was made (minute precision)."""
    label = PURPOSE_LABELS.get(purpose, "".join(ch for ch in purpose if ch.isprintable())[:20] or "持证人")
    return f"仅供{label}使用 {now:%Y-%m-%d %H:%M} 下载"


# --- rendering with a cache -----------------------------------------------------------------

class _Lru:
    """A small thread-safe LRU bounded by entry count and total weight."""

    def __init__(self, max_items: int, max_weight: int, weigh: Callable[[Any], int]) -> None:
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.max_items, self.max_weight, self._weigh, self._weight = max_items, max_weight, weigh, 0

    def get(self, key: Any) -> Any | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            if key in self._items:
                self._weight -= self._weigh(self._items.pop(key))
            self._items[key] = value
            self._weight += self._weigh(value)
            while len(self._items) > 1 and self._over():
                self._weight -= self._weigh(self._items.popitem(last=False)[1])

    def _over(self) -> bool:
        return len(self._items) > self.max_items or self._weight > self.max_weight

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0


# Base images are 1080x1600 RGB (~5 MB each); finished files are 0.08-1.5 MB.
BASE_IMAGES = _Lru(16, 96 * 1024 * 1024, lambda image: image.width * image.height * 3)
BASE_PDFS = _Lru(64, 32 * 1024 * 1024, len)  # 80-300 KB each (fonts subset, the photo)
FILES = _Lru(256, 64 * 1024 * 1024, len)


def _base_key(cert: Certificate, person: Person, kid: str, status_label: str) -> tuple[Any, ...]:
    """Everything drawn on the base image: any in-place correction or status change is a new key."""
    changed = (cert.fingerprint, cert.updated_at, person.updated_at)
    return (cert.public_id, cert.version, *changed, kid, status_label)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def render_certificate(session: Session, pii: PiiCipher, cert: Certificate, fmt: str, purpose: str,
                       now: datetime, annotation: Annotation | None = None) -> bytes:
    """The holder's certificate as PNG or PDF bytes, watermarked for `purpose` at `now`, or for a
    shared copy (加注件) with its annotation instead."""
    return render_with(_current_context(), session, pii, cert, fmt, purpose, now, annotation)


def render_with(ctx: SigningContext, session: Session, pii: PiiCipher, cert: Certificate, fmt: str,
                purpose: str, now: datetime, annotation: Annotation | None = None) -> bytes:
    """render_certificate with an explicit signing context."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    status = status_of(session, cert, now.date())
    base_key = _base_key(cert, _holder(session, cert), ctx.keys.signer().kid, status.label)
    watermark = None if annotation else watermark_text(purpose, now)
    file_key = (*base_key, fmt, watermark, annotation)
    cached = FILES.get(file_key)
    if cached is not None:
        return bytes(cached)
    text = printed_qr_text(ctx, session, pii, cert)
    if fmt == "pdf":  # vector: the cached page with this download's marks laid over it
        data = stamp_pdf(_pdf_base(base_key, session, pii, cert, status, text), watermark, annotation)
    elif annotation:  # a shared copy: its note and stronger tiles drawn whole, then kept in FILES
        data = _png(render_image(certificate_view(session, pii, cert, status), text, None, annotation))
    else:
        data = _png(_watermarked(base_key, session, pii, cert, status, text, watermark or ""))
    FILES.put(file_key, data)
    return data


def _watermarked(base_key: tuple[Any, ...], session: Session, pii: PiiCipher, cert: Certificate,
                 status: StatusResult, text: str, watermark: str) -> Image.Image:
    """The cached un-watermarked image with this download's watermark stamped on a copy."""
    base = BASE_IMAGES.get(base_key)
    if base is None:
        base = render_image(certificate_view(session, pii, cert, status), text, None)
        BASE_IMAGES.put(base_key, base)
    image = base.copy()
    draw_watermark(image, [watermark], tuple(round(v) for v in qr_box(text)))  # type: ignore[arg-type]
    return image


def _pdf_base(base_key: tuple[Any, ...], session: Session, pii: PiiCipher, cert: Certificate,
              status: StatusResult, text: str) -> bytes:
    """The cached PDF page (and QR code) without marks, drawn on the first download of its key."""
    base = BASE_PDFS.get(base_key)
    if base is None:
        base = render_pdf_base(certificate_view(session, pii, cert, status), text)
        BASE_PDFS.put(base_key, base)
    return bytes(base)


def clear_caches() -> None:
    """Forget every cached image and file (tests, benchmarks, after a key rotation)."""
    BASE_IMAGES.clear()
    BASE_PDFS.clear()
    FILES.clear()
    marks_pdf.cache_clear()
