"""The offline verdict: signature outcome first, then the stored status list, then the validity dates."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import qrtoken as q
from app.services import offline_verdict as ov
from app.services.offline_verdict import OfflineVerdict as V

TODAY = date(2026, 11, 18)
CLAIMS = q.build_claims(cert_id="k7Qm2xVb9RtP4wZcH3nA", version=2, kind=q.CertKind.SPECIAL_OPS, code="0101",
                        holder_name="欧阳晓明", id_number="11010519491231002X", valid_from=date(2026, 6, 1),
                        valid_until=TODAY, authority_code="500000")
ENTRY = q.status_entry(CLAIMS.cert_id, CLAIMS.version)


def _list(outcome: q.ListOutcome, reason: q.ListedStatus | None = None) -> q.StatusList:
    return q.StatusList(outcome, {ENTRY: reason} if reason else {}, issued_at=1, expires_at=2)


GENUINE = q.Verification(q.Outcome.GENUINE, CLAIMS)
VALID_LIST = _list(q.ListOutcome.VALID)

CASES = [
    # (verification, status list, today, verdict)
    (q.Verification(q.Outcome.FORGED), VALID_LIST, TODAY, V.FORGED),
    (q.Verification(q.Outcome.KEY_REVOKED), VALID_LIST, TODAY, V.KEY_REVOKED),
    (q.Verification(q.Outcome.EXPIRED_LIVE_CODE, CLAIMS), VALID_LIST, TODAY, V.EXPIRED_LIVE_CODE),
    (GENUINE, VALID_LIST, TODAY, V.VALID),  # the last valid day counts (valid_until is inclusive)
    (GENUINE, VALID_LIST, date(2026, 11, 19), V.EXPIRED),
    (GENUINE, _list(q.ListOutcome.STALE), TODAY, V.VALID),  # stale lists still count (the page warns)
    (GENUINE, None, TODAY, V.UNCHECKED),
    (GENUINE, _list(q.ListOutcome.KEY_REVOKED), TODAY, V.UNCHECKED),  # an untrusted list is no list
    (GENUINE, _list(q.ListOutcome.FORGED, q.ListedStatus.REVOKED), TODAY, V.UNCHECKED),
    (GENUINE, None, date(2027, 1, 1), V.EXPIRED),
    *[(GENUINE, _list(q.ListOutcome.VALID, reason), date(2030, 1, 1), verdict)  # listed wins over expiry
      for reason, verdict in ov.LISTED.items()],
]


@pytest.mark.parametrize(("result", "status", "today", "expected"), CASES)
def test_the_offline_verdict_follows_signature_then_list_then_dates(
        result: q.Verification, status: q.StatusList | None, today: date, expected: V) -> None:
    assert ov.decide(result, status, today) == expected


def test_every_verdict_has_a_headline_and_listed_ones_match_the_online_page() -> None:
    verdicts = ov.page_texts()["verdicts"]
    assert set(verdicts) == {v.value for v in V}
    assert all(entry["headline"] and entry["explanation"] for entry in verdicts.values())
    assert verdicts["revoked"]["headline"] == "证书真实，但已撤销"
    assert verdicts["valid"]["headline"] == "证书真实有效" and verdicts["valid"]["tone"] == "ok"
    assert verdicts["forged"]["tone"] == "bad" and verdicts["expired_live_code"]["tone"] == "warn"
