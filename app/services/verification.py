"""Verifying what a scanner read: a signed token of this system, a bare certificate number, or a fake.

CONTRACT shared by the webhook's 扫码查询, the /v/<token> page and POST /api/verify: all three
call `Verifier.verify_text` and render the same `Verdict`, so a scan in the official account
gives the same answer as the page. (Implementation: issue 5.)

Order matters: a token's signature is checked before anything is read from the database, so a
forged or malformed code costs no query and learns nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from app.clock import Clock
from app.config import Settings
from app.domain import qrtext
from app.domain.keyring import PublicKeyEntry
from app.domain.pii import PiiCipher
from app.domain.qrtoken import MAX_TEXT_CHARS, CertClaims, Outcome, Verification, verify
from app.domain.status import StatusResult
from app.services import next_steps, registry
from app.services import verdict_texts as texts
from app.services.next_steps import NextStep
from app.services.presenters import describe

# outcome values
GENUINE = "genuine"                    # signature good; see `status` for the live status
FORGED = "forged"                      # bad/unknown signature, tampered, malformed: treat as a forgery
EXPIRED_LIVE_CODE = "expired_live_code"  # a 亮证 dynamic code past its expiry
KEY_REVOKED = "key_revoked"            # signed by a retired (compromised) key
CERT_NUMBER = "cert_number"            # a bare certificate number (old cards): proves nothing, needs the name
NOT_OURS = "not_ours"                  # a URL of another site or any other text: may be a forgery

# A bare certificate number: "T" + ID number for special operations, an opaque code otherwise.
_CERT_NUMBER = re.compile(r"[A-Za-z0-9]{6,32}")
_MIN_TOKEN_CHARS = 100  # our tokens are ~270 characters; shorter alphanumerics are numbers
_HIDDEN_FIELDS = ("查询日期", "版本", "状态", "状态说明")


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
    notice: str = ""                   # names the official domain; shown on every verdict
    expires_at: datetime | None = None  # live (亮证) codes only
    claims: CertClaims | None = field(default=None, repr=False)  # signed data, for the ID-number check
    number: str | None = field(default=None, repr=False)  # a bare number that was scanned (never looked up)
    next_step: NextStep | None = None  # what to do about a certificate that is not simply valid
    token: bytes | None = field(default=None, repr=False)  # the signed token read (links back to the page)

    @property
    def is_genuine(self) -> bool:
        return self.outcome in (GENUINE, CERT_NUMBER) and self.status is not None

    @property
    def is_valid_now(self) -> bool:
        return self.is_genuine and self.status is not None and self.status.is_valid


class Verifier:
    """Judges scanned text; one per request (it holds the request's database session)."""

    def __init__(self, session: Session, pii: PiiCipher, keys: Callable[[], Mapping[str, PublicKeyEntry]],
                 settings: Settings, clock: Clock) -> None:
        self.session, self.pii, self.keys, self.clock = session, pii, keys, clock
        self.official_domain = settings.server.official_domain.lower()
        base_host = (urlsplit(settings.server.base_url).hostname or "").lower()
        self.our_hosts = frozenset(host for host in (base_host, self.official_domain) if host)

    def verify_text(self, text: str) -> Verdict:
        """Any scanned or pasted text: our URL or token, a certificate number, or something else."""
        if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
            return self._not_ours(texts.TOO_LONG_EXPLANATION)
        candidate = text.strip()
        if "/" in candidate or "." in candidate or ":" in candidate:
            return self._verify_url(candidate)
        if len(candidate) >= _MIN_TOKEN_CHARS:
            return self._verify_bytes(qrtext.decode_bare(candidate))
        if _CERT_NUMBER.fullmatch(candidate):
            return self._cert_number(candidate)
        return self._not_ours(texts.NOT_OURS_EXPLANATION)

    def verify_token(self, token_text: str, marker: str = qrtext.BASE64URL_SEGMENT) -> Verdict:
        """The token part of /v/<token> (base64url) or /V/<token> (base32); anything malformed is forged."""
        token = qrtext.decode_segment(marker, token_text) if len(token_text) <= MAX_TEXT_CHARS else None
        return self._verify_bytes(token)

    def _verify_bytes(self, token: bytes | None) -> Verdict:
        """Undecodable text is a forgery; decoded bytes are checked against our keys."""
        if token is None:
            return self._simple(FORGED, texts.FORGED_HEADLINE, texts.FORGED_EXPLANATION)
        verdict = self._from_verification(verify(token, self.keys(), int(self.clock.now().timestamp())))
        return verdict if verdict.outcome == FORGED else replace(verdict, token=token)

    # --- helpers ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock.now()

    def _notice(self) -> str:
        return texts.OFFICIAL_NOTICE.format(domain=self.official_domain)

    def _simple(self, outcome: str, headline: str, explanation: str, **extra: Any) -> Verdict:
        return Verdict(outcome, headline, explanation, self._now(), notice=self._notice(), **extra)

    def _not_ours(self, explanation: str) -> Verdict:
        return self._simple(NOT_OURS, texts.NOT_OURS_HEADLINE, explanation)

    def _verify_url(self, text: str) -> Verdict:
        """Our URL → verify the token in it; any other host → not ours (a look-alike site, maybe)."""
        scanned = qrtext.judge_url(text, self.our_hosts)
        if scanned.kind == qrtext.UrlKind.OTHER_SITE:
            shown = scanned.host[:64] or "其他网址"
            return self._not_ours(texts.OTHER_SITE_EXPLANATION.format(host=shown, official=self.official_domain))
        if scanned.kind == qrtext.UrlKind.DISGUISED:
            return self._not_ours(texts.DISGUISED_EXPLANATION)
        if scanned.kind == qrtext.UrlKind.NOT_A_CODE:
            return self._not_ours(texts.NOT_OURS_EXPLANATION)
        return self._verify_bytes(scanned.token)

    def _from_verification(self, result: Verification) -> Verdict:
        if result.outcome == Outcome.FORGED:
            return self._simple(FORGED, texts.FORGED_HEADLINE, texts.FORGED_EXPLANATION)
        if result.outcome == Outcome.KEY_REVOKED:
            return self._simple(KEY_REVOKED, texts.KEY_REVOKED_HEADLINE, texts.KEY_REVOKED_EXPLANATION,
                                kid=result.kid)
        if result.outcome == Outcome.EXPIRED_LIVE_CODE:
            return self._simple(EXPIRED_LIVE_CODE, texts.EXPIRED_LIVE_HEADLINE, texts.EXPIRED_LIVE_EXPLANATION,
                                kid=result.kid, expires_at=self._moment(result.expires_at))
        assert result.claims is not None  # GENUINE always carries claims
        return self._genuine(result, result.claims)

    def _moment(self, unix: int | None) -> datetime | None:
        return None if unix is None else datetime.fromtimestamp(unix, self._now().tzinfo)

    def _genuine(self, result: Verification, claims: CertClaims) -> Verdict:
        """Signature is ours: now the live status from the database decides the headline."""
        pair = registry.find_with_holder(self.session, claims.cert_id)
        if pair is None or pair[0].version != claims.version:
            return self._simple(GENUINE, texts.MISSING_RECORD_HEADLINE, texts.MISSING_RECORD_EXPLANATION,
                                kid=result.kid, claims=claims)
        cert, person = pair
        found = registry.Found(cert, person, registry.status_of(self.session, cert, self._now().date()))
        current = registry.newest_version(self.session, cert)
        headline, explanation = texts.genuine_texts(found.status.code, current)
        expires = self._moment(result.expires_at)
        if expires is not None:
            explanation += " " + texts.LIVE_CODE_NOTE.format(until=f"{expires:%H:%M}")
        return Verdict(GENUINE, headline, explanation, self._now(), status=found.status,
                       fields=self._fields(found), public_id=cert.public_id, version=cert.version,
                       current_version=current, kid=result.kid, notice=self._notice(), expires_at=expires,
                       claims=claims, next_step=next_steps.for_found(found, current))

    def _fields(self, found: registry.Found) -> dict[str, str]:
        """Masked display fields; the name is partly masked because the viewer is anonymous."""
        shown = describe(found, self._now().date())
        fields = {k: str(v) for k, v in shown.items() if v and not k.isascii() and k not in _HIDDEN_FIELDS}
        fields["姓名"] = texts.mask_name(found.person.name)
        fields["版本"] = f"第{found.certificate.version}版"
        return fields

    def _cert_number(self, number: str) -> Verdict:
        """A bare number proves nothing and is not looked up: the same answer whether or not it exists
        (else anyone could learn who holds a certificate). The holder's name is asked for, as in 输入查询."""
        return self._simple(CERT_NUMBER, texts.CERT_NUMBER_HEADLINE, texts.CERT_NUMBER_EXPLANATION,
                            number=number)

    def look_up_number(self, number: str, name: str) -> list[Verdict]:
        """A certificate number (or ID number) with the holder's name: one verdict per current
        certificate, as 输入查询 answers; [] when they do not match (whether or not the number exists).
        Raises IdNumberError / PersonNameError for malformed input. Callers rate-limit first."""
        today = self._now().date()
        return [self._simple(CERT_NUMBER, texts.CERT_NUMBER_FOUND_HEADLINE, texts.CERT_NUMBER_FOUND_EXPLANATION,
                             status=found.status, fields=self._fields(found), public_id=found.certificate.public_id,
                             version=found.certificate.version, current_version=found.certificate.version,
                             next_step=next_steps.for_found(found))
                for found in registry.find_by_number_and_name(self.session, self.pii, number, name, today)]
