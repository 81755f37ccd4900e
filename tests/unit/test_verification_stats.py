"""What a verification counts as on the dashboard, and which referring host is kept."""

from __future__ import annotations

import pytest

from app.services import verification
from app.services.verification_stats import source_of, verdict_class

OURS = frozenset({"cx.example.gov.cn", "localhost"})


@pytest.mark.parametrize(("outcome", "kind"), [
    (verification.GENUINE, "genuine"),
    (verification.EXPIRED_LIVE_CODE, "genuine"),  # our own signature, shown too late
    (verification.FORGED, "forged"),
    (verification.KEY_REVOKED, "forged"),
    (verification.NOT_OURS, "not_ours"),
    (verification.CERT_NUMBER, None),  # a bare number waiting for the name is not a verification yet
])
def test_each_outcome_counts_as_genuine_forged_or_not_ours(outcome: str, kind: str | None) -> None:
    assert verdict_class(outcome) == kind


@pytest.mark.parametrize(("referrer", "source"), [
    (None, ""),
    ("", ""),
    ("https://fake-yjj.example.com/check?id=5001", "fake-yjj.example.com"),  # host only, never the path
    ("https://FAKE.example.com:8443/x", "fake.example.com"),
    ("https://cx.example.gov.cn/inspect/offline", ""),  # our own pages are no source
    ("https://evil.example.com\\@cx.example.gov.cn/", "evil.example.com"),  # read as a browser reads it
    ("android-app://com.tencent.mm/", ""),
    ("not a url", ""),
])
def test_the_referring_host_is_kept_as_a_browser_reads_it(referrer: str | None, source: str) -> None:
    assert source_of(referrer, OURS) == source


def test_a_long_host_is_cut_to_the_column() -> None:
    assert len(source_of("https://" + "a" * 300 + ".com/", OURS)) == 100
