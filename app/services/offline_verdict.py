"""What an offline verifier concludes from a verified token and the status list it has stored.

One decision for both offline verifiers: `flask verify` (app/cli/verify.py) calls `decide`, and the
/inspect/offline page runs the same steps in JavaScript (js/src/verdict.js), proven equal by the
browser test that feeds the page the Python test vectors. The page's Chinese wording comes from
`page_texts`, so headlines match the online /v/ page for the same status.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from app.domain.qrtoken import ListedStatus, ListOutcome, Outcome, StatusList, Verification
from app.domain.status import StatusCode
from app.services import verdict_texts as texts
from app.services.presenters import KIND_LABELS, catalogue


class OfflineVerdict(enum.StrEnum):
    """The verdicts an offline verifier can reach (the page adds the two text-level ones)."""

    VALID = "valid"
    UNCHECKED = "unchecked"  # genuine and unexpired, but no trusted status list to look in
    EXPIRED = "expired"  # past the validity end date carried in the token
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    REVIEW_OVERDUE = "review_overdue"
    FORGED = "forged"
    EXPIRED_LIVE_CODE = "expired_live_code"
    KEY_REVOKED = "key_revoked"
    NOT_OURS = "not_ours"  # scanned text that is neither our URL nor a token
    CERT_NUMBER = "cert_number"  # a bare certificate number: only the online lookup can answer


LISTED = {
    ListedStatus.SUSPENDED: OfflineVerdict.SUSPENDED,
    ListedStatus.REVOKED: OfflineVerdict.REVOKED,
    ListedStatus.CANCELLED: OfflineVerdict.CANCELLED,
    ListedStatus.SUPERSEDED: OfflineVerdict.SUPERSEDED,
    ListedStatus.REVIEW_OVERDUE: OfflineVerdict.REVIEW_OVERDUE,
}
TRUSTED_LISTS = (ListOutcome.VALID, ListOutcome.STALE)  # a stale list still counts, with a warning


def decide(result: Verification, status: StatusList | None, today: date) -> OfflineVerdict:
    """The verdict for a verified token, its entry in a trusted status list and today's date (China)."""
    if result.outcome != Outcome.GENUINE or result.claims is None:
        return OfflineVerdict(result.outcome.value)
    usable = status if status is not None and status.outcome in TRUSTED_LISTS else None
    listed = usable.lookup(result.claims.cert_id, result.claims.version) if usable else None
    if listed is not None:
        return LISTED[listed]
    if result.claims.valid_until < today:
        return OfflineVerdict.EXPIRED
    return OfflineVerdict.VALID if usable is not None else OfflineVerdict.UNCHECKED


def _headline(verdict: OfflineVerdict) -> tuple[str, str]:
    """(headline, explanation) of one verdict, the online page's headline wherever one exists."""
    fixed = {
        OfflineVerdict.FORGED: (texts.FORGED_HEADLINE, texts.FORGED_EXPLANATION),
        OfflineVerdict.KEY_REVOKED: (texts.KEY_REVOKED_HEADLINE, texts.KEY_REVOKED_EXPLANATION),
        OfflineVerdict.EXPIRED_LIVE_CODE: (texts.EXPIRED_LIVE_HEADLINE, texts.EXPIRED_LIVE_EXPLANATION),
        OfflineVerdict.NOT_OURS: (texts.NOT_OURS_HEADLINE, texts.NOT_OURS_EXPLANATION),
        OfflineVerdict.CERT_NUMBER: (texts.OFFLINE_CERT_NUMBER_HEADLINE, texts.OFFLINE_CERT_NUMBER_EXPLANATION),
        OfflineVerdict.UNCHECKED: (texts.OFFLINE_UNCHECKED_HEADLINE, texts.OFFLINE_UNCHECKED_EXPLANATION),
        OfflineVerdict.SUPERSEDED: (texts.OFFLINE_SUPERSEDED_HEADLINE, texts.OFFLINE_LISTED_EXPLANATION),
        OfflineVerdict.VALID: (texts.GENUINE_HEADLINES[StatusCode.VALID], texts.OFFLINE_VALID_EXPLANATION),
        OfflineVerdict.EXPIRED: (texts.GENUINE_HEADLINES[StatusCode.EXPIRED], texts.OFFLINE_EXPIRED_EXPLANATION),
    }
    if verdict in fixed:
        return fixed[verdict]
    return texts.GENUINE_HEADLINES[StatusCode(verdict.value)], texts.OFFLINE_LISTED_EXPLANATION


def headline(verdict: OfflineVerdict) -> str:
    """The big Chinese verdict line."""
    return _headline(verdict)[0]


def tone(verdict: OfflineVerdict) -> str:
    """ok (green) / warn (orange) / bad (red), as on the /v/ page."""
    if verdict == OfflineVerdict.VALID:
        return "ok"
    bad = (OfflineVerdict.FORGED, OfflineVerdict.KEY_REVOKED, OfflineVerdict.NOT_OURS)
    return "bad" if verdict in bad else "warn"


def page_texts() -> dict[str, Any]:
    """Everything the offline page shows in Chinese, as JSON: verdicts, run-time wording, code labels."""
    cat = catalogue()
    return {
        "verdicts": {v.value: {"headline": h, "explanation": e, "tone": tone(v)}
                     for v in OfflineVerdict for h, e in [_headline(v)]},
        "ui": texts.OFFLINE_UI,
        "kinds": {"1": KIND_LABELS["special_ops"], "2": KIND_LABELS["safety_mgmt"]},
        "items": {i.code: i.name for c in cat.categories for i in c.items},
        "industries": {i.code: i.name for i in cat.industries},
        "personnel_types": {p.code: p.name for p in cat.personnel_types},
        "authorities": {a.code: a.name for a in cat.authorities},
    }
