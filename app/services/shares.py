"""Shared copies (加注件): a holder makes a link for one purpose and recipient, and can revoke it.

The link carries 176 random bits (`secrets.token_urlsafe`), so links can be neither guessed nor
listed; the database keeps a keyed hash of it to find the copy and the token encrypted so the
holder can see the link again. Whoever opens it sees the certificate and its live status until
its last day or until the holder revokes it; each opening is logged with its time and the kind of
browser only (app.domain.sharecopy.coarse_agent). Nothing here imports Flask.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.pii import PiiCipher
from app.domain.sharecopy import OPEN, CopyTerms, CopyTermsError, coarse_agent, copy_state
from app.render.marks import Annotation
from app.services.timeutil import china, utc_naive
from app.storage.locks import lock_holder
from app.storage.models import SharedCopy, SharedCopyView

TOKEN_BYTES = 22  # 176 bits (at least 128 are needed to be unguessable)
TOKEN_MAX_CHARS = 40  # token_urlsafe(22) is 30 characters: anything longer is not ours
DAILY_COPIES = 20  # copies a holder may make a day: plenty for job hunting, not for flooding
SHOWN_VIEWS = 50  # openings listed to the holder (the total is counted)
_TOKEN_CONTEXT = b"shared_copies.token"


@dataclass(frozen=True)
class Opened:
    """A link as its viewer finds it: the copy (None when unknown) and its state today."""

    copy: SharedCopy | None
    state: str | None


def token_hash(pii: PiiCipher, token: str) -> str:
    """The keyed hash the copy is found by (the token itself is never stored in the clear)."""
    return pii.blind_index("shared_copy", token)


def create(db: Session, pii: PiiCipher, cert_id: int, person_id: int, openid: str, terms: CopyTerms,
           now: datetime) -> tuple[SharedCopy, str]:
    """Make a copy of the holder's certificate: (the row, its link token); at most DAILY_COPIES a day."""
    lock_holder(db, person_id)  # count, then insert, as one step (app/storage/locks.py)
    since = utc_naive(now) - timedelta(days=1)
    made = db.scalar(select(func.count()).select_from(SharedCopy).where(
        SharedCopy.person_id == person_id, SharedCopy.created_at > since)) or 0
    if made >= DAILY_COPIES:
        db.rollback()
        raise CopyTermsError(f"24小时内最多可生成{DAILY_COPIES}份加注件，请明天再试。")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    copy = SharedCopy(certificate_id=cert_id, person_id=person_id, openid=openid,
                      token_hash=token_hash(pii, token), token_enc=pii.encrypt(token, _TOKEN_CONTEXT),
                      purpose=terms.purpose, recipient=terms.recipient, expires_on=terms.expires_on,
                      created_at=utc_naive(now))
    db.add(copy)
    db.commit()
    return copy, token


def token_of(pii: PiiCipher, copy: SharedCopy) -> str:
    """The link token, for the holder's own page."""
    return pii.decrypt_text(copy.token_enc, _TOKEN_CONTEXT)


def copies_of(db: Session, person_id: int, cert_id: int) -> list[SharedCopy]:
    """The holder's copies of one certificate, newest first."""
    return list(db.scalars(select(SharedCopy).where(SharedCopy.person_id == person_id,
                                                    SharedCopy.certificate_id == cert_id)
                           .order_by(SharedCopy.id.desc())))


def own_copy(db: Session, person_id: int, copy_id: int) -> SharedCopy | None:
    """A copy by id, only if the holder made it."""
    copy = db.get(SharedCopy, copy_id)
    return copy if copy is not None and copy.person_id == person_id else None


def state_of(copy: SharedCopy, today: date) -> str:
    """open, expired or revoked."""
    return copy_state(copy.expires_on, copy.revoked_at is not None, today)


def revoke(db: Session, copy: SharedCopy, now: datetime) -> None:
    """Withdraw the link at once (a second revoke keeps the first time)."""
    if copy.revoked_at is None:
        copy.revoked_at = utc_naive(now)
        db.commit()


def open_link(db: Session, pii: PiiCipher, token: str, today: date) -> Opened:
    """The copy a link names and its state; an unknown or malformed token finds nothing."""
    if not token or len(token) > TOKEN_MAX_CHARS:
        return Opened(None, None)
    copy = db.scalar(select(SharedCopy).where(SharedCopy.token_hash == token_hash(pii, token)))
    return Opened(copy, state_of(copy, today) if copy else None)


def log_view(db: Session, copy: SharedCopy, what: str, user_agent: str, now: datetime) -> None:
    """Record one opening: time and kind of browser, nothing else about the viewer."""
    db.add(SharedCopyView(copy_id=copy.id, what=what, agent=coarse_agent(user_agent), at=utc_naive(now)))
    db.commit()


def views_of(db: Session, copy_id: int) -> tuple[int, list[tuple[str, str, str]]]:
    """(how many openings, the latest SHOWN_VIEWS as (China time, what, kind of browser))."""
    total = db.scalar(select(func.count()).select_from(SharedCopyView).where(SharedCopyView.copy_id == copy_id))
    rows = db.scalars(select(SharedCopyView).where(SharedCopyView.copy_id == copy_id)
                      .order_by(SharedCopyView.id.desc()).limit(SHOWN_VIEWS))
    return int(total or 0), [(f"{china(row.at):%Y-%m-%d %H:%M}", row.what, row.agent) for row in rows]


def annotation(copy: SharedCopy) -> Annotation:
    """What is stamped on the copy's files: purpose, recipient and last day."""
    return Annotation(copy.purpose, copy.recipient, copy.expires_on.isoformat())


def is_open(copy: SharedCopy, today: date) -> bool:
    """Whether the link still shows the certificate."""
    return state_of(copy, today) == OPEN
