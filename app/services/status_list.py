"""The signed status list for offline verifiers: every certificate version that is not usable.

Lists suspended, revoked and cancelled versions, every superseded (older) version and current
versions whose old-rule renewal review (复审, due before 2026-06-01) was never done, by hashed
identifier only (see docs/qr-format.md). Building it reads the whole certificates table, so the
signed bytes are kept in the shared store for CACHE_SECONDS and rebuilt by one process at a time.
Expired certificates are not listed: an offline verifier sees the validity dates in the token.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, not_, or_, select
from sqlalchemy.orm import Session

from app.domain.keyring import SigningKey
from app.domain.qrtoken import ListedStatus, sign_status_list, status_entry
from app.domain.status import REVIEW_ABOLISHED_FROM
from app.integrations import rediskeys
from app.integrations.kvstore import KVStore
from app.storage.models import Certificate, RenewalReview

LIST_TTL = 6 * 3600  # how long an offline verifier may rely on one list
CACHE_SECONDS = 300  # how stale the served list may be (a revocation shows up within 5 minutes)
_ADMIN = {"suspended": ListedStatus.SUSPENDED, "revoked": ListedStatus.REVOKED, "cancelled": ListedStatus.CANCELLED}


def listed_entries(session: Session, today: date) -> dict[bytes, ListedStatus]:
    """Entry hash -> reason for every listed certificate version (superseded wins, as in status rules)."""
    ended = and_(Certificate.admin_state == "suspended", Certificate.suspended_until.is_not(None),
                 Certificate.suspended_until <= today)  # (NULL would make the whole test NULL: dropped)
    rows = session.execute(
        select(Certificate.public_id, Certificate.version, Certificate.admin_state, Certificate.is_current)
        .where(or_(Certificate.is_current.is_(False),
                   and_(Certificate.admin_state.in_(tuple(_ADMIN)), not_(ended))))
        .execution_options(yield_per=10_000)
    )
    entries: dict[bytes, ListedStatus] = {}
    for public_id, version, admin_state, is_current in rows:
        reason = ListedStatus.SUPERSEDED if not is_current else _ADMIN[admin_state]
        entries[status_entry(public_id, version)] = reason
    for public_id, version in session.execute(_overdue(today)):
        entries.setdefault(status_entry(public_id, version), ListedStatus.REVIEW_OVERDUE)
    return entries


def _overdue(today: date) -> Select[tuple[str, int]]:
    """Current, unexpired versions with an old-rule review past due and not done (失效, 30号令)."""
    last_due = min(today - timedelta(days=1), REVIEW_ABOLISHED_FROM - timedelta(days=1))
    return (select(Certificate.public_id, Certificate.version).distinct()
            .join(RenewalReview, RenewalReview.certificate_id == Certificate.id)
            .where(Certificate.is_current.is_(True), Certificate.admin_state.is_(None),
                   Certificate.valid_until >= today, RenewalReview.done_date.is_(None),
                   RenewalReview.due_date <= last_due))


def build(session: Session, signer: SigningKey, issuer: str, now: datetime) -> bytes:
    """A freshly signed status list issued at `now`."""
    return sign_status_list(listed_entries(session, now.date()), int(now.timestamp()), LIST_TTL, signer, issuer)


def cached(session: Session, store: KVStore, signer: SigningKey, issuer: str, now: datetime) -> bytes:
    """The current signed list from the store, rebuilt when missing (one builder at a time)."""
    key = rediskeys.status_list(signer.kid)
    data = store.get(key)
    if data is not None:
        return data
    with store.lock(key, timeout=60, wait=30):
        data = store.get(key)  # another process may have built it while we waited
        if data is None:
            data = build(session, signer, issuer, now)
            store.set(key, data, ttl=CACHE_SECONDS)
    return data


def invalidate(store: KVStore, kid: str) -> None:
    """Drop the cached list signed by `kid`: the next request rebuilds it (after a 暂扣, 撤销 …).

    A builder that read the database before the change may still store its list afterwards; that
    list lives at most CACHE_SECONDS, the promise the cache makes anyway.
    """
    store.delete(rediskeys.status_list(kid))
