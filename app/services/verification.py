"""Verifying what a scanner read: a signed token of this system, a bare certificate number, or a fake.

CONTRACT shared by the webhook's 扫码查询, the /v/<token> page and POST /api/verify: all three
call `Verifier.verify_text` and render the same `Verdict`, so a scan in the official account
gives the same answer as the page. (Implementation: issue 5.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.domain.status import StatusResult

# outcome values
GENUINE = "genuine"                    # signature good; see `status` for the live status
FORGED = "forged"                      # bad/unknown signature, tampered, malformed: treat as a forgery
EXPIRED_LIVE_CODE = "expired_live_code"  # a 亮证 dynamic code past its expiry
KEY_REVOKED = "key_revoked"            # signed by a retired (compromised) key
CERT_NUMBER = "cert_number"            # a bare certificate number (old cards): looked up, not signed
NOT_OURS = "not_ours"                  # a URL of another site or any other text: may be a forgery


@dataclass(frozen=True)
class Verdict:
    """What every verification channel shows."""

    outcome: str
    headline: str                      # the big Chinese verdict, e.g. "证书真实有效"
    explanation: str                   # one or two Chinese sentences for the scanner
    checked_at: datetime
    status: StatusResult | None = None
    fields: dict[str, str] = field(default_factory=dict)  # masked display fields (Chinese labels)
    public_id: str | None = None
    version: int | None = None
    current_version: int | None = None
    kid: str | None = None

    @property
    def is_genuine(self) -> bool:
        return self.outcome in (GENUINE, CERT_NUMBER) and self.status is not None

    @property
    def is_valid_now(self) -> bool:
        return self.is_genuine and self.status is not None and self.status.is_valid
