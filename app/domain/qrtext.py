"""The text inside a certificate QR code: one signed token, two spellings (docs/qr-format.md §1).

- Current: `<BASE_URL upper-cased>/V/<base32 of the token>` (RFC 4648 §6, A-Z 2-7, no padding).
  Every character is in the QR alphanumeric set, which stores 5.5 bits per character instead of
  8: the same token needs a smaller, coarser code that any phone reads.
- Legacy: `<base_url>/v/<base64url of the token>` (RFC 4648 §5, no padding), byte mode. Every code
  printed before 2026-12 is spelled so and keeps verifying.

The path segment before the token names the spelling: `V` base32, `v` base64url. A bare token (no
URL) starting with "0o" is base64url (COSE_Sign1's first two bytes, d2 84, always spell "0o");
anything else is read as base32, whose alphabet has no "0", so the two never collide.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from app.domain import scanurl
from app.domain.keyring import PublicKeyEntry, b64url, b64url_decode
from app.domain.qrtoken import MAX_TEXT_CHARS, MAX_TOKEN_BYTES, Outcome, Verification, verify

BASE32_SEGMENT, BASE64URL_SEGMENT = "V", "v"
BASE64URL_BARE_PREFIX = "0o"  # b64url(d2 84 ...): tag 18 + array(4), the start of every COSE_Sign1
_BASE32 = re.compile(r"[A-Z2-7]+")
_BASE32_TAIL_LENGTHS = {0, 2, 4, 5, 7}  # characters left after whole 8-character groups


def b32(data: bytes) -> str:
    """RFC 4648 base32 without padding."""
    return base64.b32encode(data).rstrip(b"=").decode("ascii")


def b32_decode(text: str) -> bytes:
    """Strict, canonical base32 without padding; raises ValueError on anything else."""
    if not _BASE32.fullmatch(text) or len(text) % 8 not in _BASE32_TAIL_LENGTHS:
        raise ValueError("not base32")
    try:
        data = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error as exc:
        raise ValueError("not base32") from exc
    if b32(data) != text:  # unused trailing bits must be zero
        raise ValueError("not canonical base32")
    return data


def qr_text(base_url: str, token: bytes) -> str:
    """The text encoded in the QR code: upper-case base URL, /V/, base32 token (alphanumeric mode)."""
    return f"{base_url.rstrip('/').upper()}/{BASE32_SEGMENT}/{b32(token)}"


def legacy_qr_text(base_url: str, token: bytes) -> str:
    """The spelling of codes printed before 2026-12: <base_url>/v/<base64url token>."""
    return f"{base_url.rstrip('/')}/{BASE64URL_SEGMENT}/{b64url(token)}"


def decode_segment(marker: str, segment: str) -> bytes | None:
    """Token bytes from the path segment after /V/ (base32) or /v/ (base64url); None if malformed."""
    try:
        if marker == BASE32_SEGMENT:
            token = b32_decode(segment)
        elif marker == BASE64URL_SEGMENT:
            token = b64url_decode(segment)
        else:
            return None
    except ValueError:
        return None
    return token if len(token) <= MAX_TOKEN_BYTES else None


def decode_bare(text: str) -> bytes | None:
    """Token bytes from a bare token: base64url when it starts with "0o", else base32."""
    marker = BASE64URL_SEGMENT if text.startswith(BASE64URL_BARE_PREFIX) else BASE32_SEGMENT
    return decode_segment(marker, text)


def _code_segments(url: scanurl.ScannedUrl) -> tuple[str, str] | None:
    """(marker, token text) when the path ends in /V/<x> or /v/<x> (one trailing slash allowed)."""
    segments = url.segments[:-1] if url.segments[-1:] == ("",) else url.segments
    if len(segments) < 2 or segments[-2] not in (BASE32_SEGMENT, BASE64URL_SEGMENT):
        return None
    return segments[-2], segments[-1]


def token_in_url(url: scanurl.ScannedUrl) -> bytes | None:
    """The token of a parsed URL whose path ends in /V/<token> or /v/<token> (any host)."""
    found = _code_segments(url)
    return None if found is None else decode_segment(*found)


class UrlKind(enum.StrEnum):
    """What a scanned URL is, judged as the phone's browser would open it."""

    OTHER_SITE = "other_site"  # another host or scheme, or not a URL a browser opens
    DISGUISED = "disguised"  # userinfo ("x@host"): we never print it, look-alike codes use it
    NOT_A_CODE = "not_a_code"  # our host, but no /V/<token> or /v/<token> at the end of the path
    MALFORMED = "malformed"  # our host and a code path, but the token does not decode
    TOKEN = "token"  # noqa: S105 - not a password. Our host and a decodable token: now the signature decides


@dataclass(frozen=True)
class ScannedCode:
    """A scanned URL judged against our hosts; `host` is what a browser would open."""

    kind: UrlKind
    host: str = ""
    token: bytes | None = None


def judge_url(text: str, our_hosts: Collection[str]) -> ScannedCode:
    """Judge a scanned URL by where a browser would really go (docs/qr-format.md §6a)."""
    url = scanurl.parse_lenient(text)
    if url is None or not url.is_web or url.host not in our_hosts:
        return ScannedCode(UrlKind.OTHER_SITE, url.host if url is not None else "")
    if url.has_userinfo:
        return ScannedCode(UrlKind.DISGUISED, url.host)
    found = _code_segments(url)
    if found is None:
        return ScannedCode(UrlKind.NOT_A_CODE, url.host)
    token = decode_segment(*found)
    return ScannedCode(UrlKind.MALFORMED if token is None else UrlKind.TOKEN, url.host, token)


def extract_token(text: str) -> bytes | None:
    """Token bytes from a scanned URL (any host: only the signature counts here) or a bare token."""
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        return None
    candidate = text.strip()
    if "/" not in candidate and "\\" not in candidate:
        return decode_bare(candidate)
    url = scanurl.parse_lenient(candidate)
    return token_in_url(url) if url is not None and url.is_web else None


def verify_text(text: str, keys: Mapping[str, PublicKeyEntry], now: int) -> Verification:
    """extract_token + verify: the one call for a scanned QR text or a pasted token."""
    token = extract_token(text)
    return Verification(Outcome.FORGED) if token is None else verify(token, keys, now)
