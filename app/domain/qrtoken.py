"""Signed QR payloads: COSE_Sign1 (RFC 9052) over a CWT (RFC 8392), Ed25519, short integer keys.

The byte layout is specified in docs/qr-format.md so that others can write independent verifiers.
Anything that is not exactly what `sign_certificate` produces verifies as FORGED; the verifier
never raises on attacker-controlled input.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature

from app.domain.keyring import PublicKeyEntry, SigningKey

MAX_TOKEN_BYTES = 600  # a QR of version 15-M holds 412 bytes of URL; anything longer is not ours
MAX_TEXT_CHARS = 1200

# CWT claim keys (RFC 8392 §4) and our private claims (< -65536 is "Private Use" in the IANA
# CWT Claims registry, so these can never collide with a registered claim).
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT = 1, 4, 6
CLAIM_CERT = -70001
CLAIM_STATUS_LIST = -70002

# Keys inside the certificate claim (a CBOR map).
K_ID, K_VERSION, K_KIND, K_CODE, K_PERSONNEL, K_NAME = 1, 2, 3, 4, 5, 6
K_MASKED_ID, K_ID_CHECK, K_FROM, K_UNTIL, K_AUTHORITY = 7, 8, 9, 10, 11

ID_CHECK_DOMAIN = b"ecert-id-check-v1"
ID_CHECK_LEN = 1  # deliberately tiny: see docs/qr-format.md §4 (privacy of the ID number)
STATUS_ENTRY_LEN = 16
EPOCH = date(1970, 1, 1)

# Every way attacker-controlled bytes can fail to decode or verify; each one means "forged".
FORGERY_ERRORS = (ValueError, TypeError, KeyError, InvalidSignature, cbor2.CBORError, RecursionError)


# --- COSE_Sign1 (RFC 9052 §4.2), tag 18, Ed25519 --------------------------------------------

COSE_TAG_SIGN1 = 18
HDR_ALG, HDR_KID = 1, 4
ALG_EDDSA = -8


def _strict_loads(data: bytes, tagged: bool = False) -> Any:
    """Decode CBOR and require it to be exactly the deterministic encoding we produce."""
    value = cbor2.loads(data, allow_indefinite=False, allow_duplicate_keys=False, max_depth=8)
    if cbor2.dumps(value, canonical=True) != data:  # catches trailing bytes and re-encodings
        raise ValueError("not deterministic CBOR")
    _check_subset(value.value if tagged and isinstance(value, cbor2.CBORTag) else value)
    return value


def _check_subset(value: Any) -> None:
    """Raise ValueError on any CBOR item but integers, byte/text strings, arrays and maps.

    Floats, true/false/null and tags (other than the outer COSE tag) never occur in what we sign;
    rejecting them keeps Python's loose equality (True == 1 == 1.0) out of every key and type check,
    so independent verifiers (the offline page) reach the same verdict.
    """
    if type(value) in (int, str, bytes):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_subset(item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if type(key) not in (int, str, bytes):
                raise ValueError("map key outside the CBOR subset")
            _check_subset(item)
    else:
        raise ValueError("CBOR item outside the subset")


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def seal_sign1(payload: bytes, signer: SigningKey) -> bytes:
    """COSE_Sign1 over payload with protected header {alg: EdDSA, kid}."""
    protected = cbor2.dumps({HDR_ALG: ALG_EDDSA, HDR_KID: signer.kid.encode("ascii")}, canonical=True)
    signature = signer.private_key.sign(_sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(COSE_TAG_SIGN1, [protected, {}, payload, signature]), canonical=True)


def _kid_from_protected(protected: Any) -> str:
    header = _strict_loads(protected) if type(protected) is bytes else None
    if not isinstance(header, dict) or header.keys() != {HDR_ALG, HDR_KID}:
        raise ValueError("protected header")
    kid = header[HDR_KID]
    if header[HDR_ALG] != ALG_EDDSA or type(kid) is not bytes or not 0 < len(kid) <= 16:
        raise ValueError("alg/kid")
    return kid.decode("ascii")


def open_sign1(
    data: bytes, keys: Mapping[str, PublicKeyEntry], max_len: int
) -> tuple[str, PublicKeyEntry, dict[Any, Any]]:
    """Check structure, kid and signature; return kid, key entry and the decoded payload map."""
    if type(data) is not bytes or len(data) > max_len:
        raise ValueError("size")
    outer = _strict_loads(data, tagged=True)
    if not isinstance(outer, cbor2.CBORTag) or outer.tag != COSE_TAG_SIGN1:
        raise ValueError("not COSE_Sign1")
    # cbor2 decodes a tag's content as immutable (tuple / frozendict)
    if not isinstance(outer.value, (list, tuple)) or len(outer.value) != 4:
        raise ValueError("not COSE_Sign1")
    protected, unprotected, payload, signature = outer.value
    kid = _kid_from_protected(protected)
    if not isinstance(unprotected, Mapping) or len(unprotected):
        raise ValueError("unprotected header must be empty")
    if type(payload) is not bytes or type(signature) is not bytes:
        raise ValueError("COSE_Sign1 fields")
    entry = keys[kid]  # KeyError: unknown kid
    entry.public_key.verify(signature, _sig_structure(protected, payload))  # InvalidSignature
    body = _strict_loads(payload)
    if not isinstance(body, dict):
        raise ValueError("payload")
    return kid, entry, body


class CertKind(enum.IntEnum):
    """Certificate kind code."""

    SPECIAL_OPS = 1  # 特种作业操作证
    SAFETY_MGMT = 2  # 安全生产知识和管理能力考核合格证


class Outcome(enum.StrEnum):
    """What a scanned token proves."""

    GENUINE = "genuine"
    FORGED = "forged"
    EXPIRED_LIVE_CODE = "expired_live_code"
    KEY_REVOKED = "key_revoked"


@dataclass(frozen=True)
class CertClaims:
    """The certificate data carried in a token (no full ID number, no certificate number)."""

    cert_id: str  # opaque random public id from the database
    version: int
    kind: CertKind
    code: str  # special_ops: operation item code ("0101"); safety_mgmt: industry code
    holder_name: str
    masked_id_number: str  # first 4 + last 4, e.g. 5001**********1234
    id_check: bytes  # ID_CHECK_LEN bytes, see id_check_tag
    valid_from: date
    valid_until: date
    authority_code: str
    personnel_type: str | None = None  # safety_mgmt only: personnel type code


@dataclass(frozen=True)
class Verification:
    """Result of verify(); claims are present only when the signature is ours and the key trusted."""

    outcome: Outcome
    claims: CertClaims | None = None
    kid: str | None = None
    issuer: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None  # set only for live codes

    @property
    def is_live_code(self) -> bool:
        return self.expires_at is not None


def normalise_id_number(id_number: str) -> str:
    """Strip spaces and upper-case the check character (x -> X)."""
    return id_number.strip().upper()


def mask_id_number(id_number: str) -> str:
    """Keep the first 4 and last 4 characters (docs/rules.md, "Resident ID numbers")."""
    value = normalise_id_number(id_number)
    return value[:4] + "*" * max(len(value) - 8, 0) + value[-4:]


def id_check_tag(id_number: str) -> bytes:
    """Truncated SHA-256 of the normalised ID number: a check, not a secret-preserving hash."""
    digest = hashlib.sha256(ID_CHECK_DOMAIN + normalise_id_number(id_number).encode("ascii"))
    return digest.digest()[:ID_CHECK_LEN]


def id_number_matches(claims: CertClaims, id_number: str) -> bool:
    """True when a typed ID number agrees with the masked number and the check tag."""
    try:
        tag = id_check_tag(id_number)
    except UnicodeEncodeError:
        return False
    return mask_id_number(id_number) == claims.masked_id_number and tag == claims.id_check


def build_claims(
    *,
    cert_id: str,
    version: int,
    kind: CertKind,
    code: str,
    holder_name: str,
    id_number: str,
    valid_from: date,
    valid_until: date,
    authority_code: str,
    personnel_type: str | None = None,
) -> CertClaims:
    """CertClaims from the full ID number, which is masked and reduced to its check tag here."""
    return CertClaims(
        cert_id=cert_id,
        version=version,
        kind=kind,
        code=code,
        holder_name=holder_name,
        masked_id_number=mask_id_number(id_number),
        id_check=id_check_tag(id_number),
        valid_from=valid_from,
        valid_until=valid_until,
        authority_code=authority_code,
        personnel_type=personnel_type,
    )


def _days(day: date) -> int:
    return (day - EPOCH).days


def _claims_to_map(claims: CertClaims) -> dict[int, Any]:
    out: dict[int, Any] = {
        K_ID: claims.cert_id,
        K_VERSION: claims.version,
        K_KIND: int(claims.kind),
        K_CODE: claims.code,
        K_NAME: claims.holder_name,
        K_MASKED_ID: claims.masked_id_number,
        K_ID_CHECK: claims.id_check,
        K_FROM: _days(claims.valid_from),
        K_UNTIL: _days(claims.valid_until),
        K_AUTHORITY: claims.authority_code,
    }
    if claims.personnel_type is not None:
        out[K_PERSONNEL] = claims.personnel_type
    _check_claims_map(out)
    return out


_TEXT_LIMITS = {K_ID: 40, K_CODE: 12, K_PERSONNEL: 12, K_NAME: 40, K_MASKED_ID: 18, K_AUTHORITY: 16}
_REQUIRED = frozenset(
    {K_ID, K_VERSION, K_KIND, K_CODE, K_NAME, K_MASKED_ID, K_ID_CHECK, K_FROM, K_UNTIL, K_AUTHORITY}
)


def _is_uint(value: Any, upper: int) -> bool:
    return type(value) is int and 0 <= value <= upper


def _check_claims_map(m: Mapping[Any, Any]) -> None:
    """Raise ValueError unless m has exactly the keys and types of the certificate claim."""
    if not isinstance(m, Mapping):
        raise ValueError("certificate claim must be a map")
    if not _REQUIRED <= m.keys() <= _REQUIRED | {K_PERSONNEL}:
        raise ValueError("certificate claim keys")
    for key, limit in _TEXT_LIMITS.items():
        if key in m and not (type(m[key]) is str and 0 < len(m[key]) <= limit):
            raise ValueError(f"certificate claim {key}")
    if not (_is_uint(m[K_VERSION], 0xFFFF) and m[K_VERSION] >= 1):
        raise ValueError("version")
    if m[K_KIND] not in (1, 2) or type(m[K_KIND]) is not int:
        raise ValueError("kind")
    if type(m[K_ID_CHECK]) is not bytes or len(m[K_ID_CHECK]) != ID_CHECK_LEN:
        raise ValueError("id check")
    if not (_is_uint(m[K_FROM], 200_000) and _is_uint(m[K_UNTIL], 200_000)):
        raise ValueError("dates")


def _claims_from_map(m: Mapping[Any, Any]) -> CertClaims:
    _check_claims_map(m)
    return CertClaims(
        cert_id=m[K_ID],
        version=m[K_VERSION],
        kind=CertKind(m[K_KIND]),
        code=m[K_CODE],
        holder_name=m[K_NAME],
        masked_id_number=m[K_MASKED_ID],
        id_check=m[K_ID_CHECK],
        valid_from=date.fromordinal(EPOCH.toordinal() + m[K_FROM]),
        valid_until=date.fromordinal(EPOCH.toordinal() + m[K_UNTIL]),
        authority_code=m[K_AUTHORITY],
        personnel_type=m.get(K_PERSONNEL),
    )


def sign_certificate(
    claims: CertClaims,
    signer: SigningKey,
    issuer: str,
    issued_at: int,
    expires_at: int | None = None,
) -> bytes:
    """Sign a certificate token; pass expires_at only for live (亮证) codes."""
    payload: dict[int, Any] = {CLAIM_ISS: issuer, CLAIM_IAT: issued_at}
    if expires_at is not None:
        payload[CLAIM_EXP] = expires_at
    payload[CLAIM_CERT] = _claims_to_map(claims)
    token = seal_sign1(cbor2.dumps(payload, canonical=True), signer)
    if len(token) > MAX_TOKEN_BYTES:
        raise ValueError(f"token of {len(token)} bytes exceeds {MAX_TOKEN_BYTES}")
    return token


def _check_cwt(payload: Mapping[Any, Any], private_claim: int, need_exp: bool = False) -> None:
    allowed = {CLAIM_ISS, CLAIM_IAT, CLAIM_EXP, private_claim}
    if not {CLAIM_ISS, CLAIM_IAT, private_claim} <= payload.keys() <= allowed:
        raise ValueError("claims")
    if type(payload[CLAIM_ISS]) is not str or not _is_uint(payload[CLAIM_IAT], 2**40):
        raise ValueError("iss/iat")
    if CLAIM_EXP in payload and not _is_uint(payload[CLAIM_EXP], 2**40):
        raise ValueError("exp")
    if need_exp and CLAIM_EXP not in payload:
        raise ValueError("exp required")


def verify(token: bytes, keys: Mapping[str, PublicKeyEntry], now: int) -> Verification:
    """Verify a token against the keyring at unix time `now`; never raises."""
    try:
        kid, entry, payload = open_sign1(token, keys, MAX_TOKEN_BYTES)
        _check_cwt(payload, CLAIM_CERT)
        claims = _claims_from_map(payload[CLAIM_CERT])
    except FORGERY_ERRORS:
        return Verification(Outcome.FORGED)
    common = {"kid": kid, "issuer": payload[CLAIM_ISS], "issued_at": payload[CLAIM_IAT]}
    if entry.revoked:
        return Verification(Outcome.KEY_REVOKED, **common)
    expires_at = payload.get(CLAIM_EXP)
    if expires_at is not None and now >= expires_at:
        return Verification(Outcome.EXPIRED_LIVE_CODE, claims, expires_at=expires_at, **common)
    return Verification(Outcome.GENUINE, claims, expires_at=expires_at, **common)


# --- Signed status list ----------------------------------------------------------------------


class ListedStatus(enum.IntEnum):
    """Why a certificate version is on the status list (absent = not listed)."""

    SUSPENDED = 1  # 暂扣
    REVOKED = 2  # 已撤销
    CANCELLED = 3  # 已注销
    SUPERSEDED = 4  # 已被新版本取代
    REVIEW_OVERDUE = 5  # 失效（逾期未复审）: old-rule review due before 2026-06-01, not done


class ListOutcome(enum.StrEnum):
    """What a status-list file proves."""

    VALID = "valid"
    STALE = "stale"  # genuine but past its time-to-live: fetch a fresh one
    FORGED = "forged"
    KEY_REVOKED = "key_revoked"


@dataclass(frozen=True)
class StatusList:
    """A verified status list: entry hash -> reason."""

    outcome: ListOutcome
    entries: Mapping[bytes, ListedStatus]
    issued_at: int | None = None
    expires_at: int | None = None

    def lookup(self, cert_id: str, version: int) -> ListedStatus | None:
        """The listed status of one certificate version, or None when not listed."""
        return self.entries.get(status_entry(cert_id, version))


MAX_STATUS_LIST_BYTES = 64 * 1024 * 1024


def status_entry(cert_id: str, version: int) -> bytes:
    """Entry key: SHA-256(CBOR [cert_id, version]) truncated to 16 bytes (ids never in clear)."""
    return hashlib.sha256(cbor2.dumps([cert_id, version])).digest()[:STATUS_ENTRY_LEN]


def sign_status_list(
    entries: Mapping[bytes, ListedStatus], issued_at: int, ttl: int, signer: SigningKey, issuer: str
) -> bytes:
    """Sign the list of non-valid certificate versions; valid for ttl seconds from issued_at."""
    body = {bytes(k): int(v) for k, v in entries.items()}
    payload = {CLAIM_ISS: issuer, CLAIM_IAT: issued_at, CLAIM_EXP: issued_at + ttl, CLAIM_STATUS_LIST: body}
    return seal_sign1(cbor2.dumps(payload, canonical=True), signer)


def _entries_from_map(m: Any) -> dict[bytes, ListedStatus]:
    if not isinstance(m, dict):
        raise ValueError("status list body")
    for key, value in m.items():
        if type(key) is not bytes or len(key) != STATUS_ENTRY_LEN or type(value) is not int:
            raise ValueError("status list entry")
    return {k: ListedStatus(v) for k, v in m.items()}


def verify_status_list(data: bytes, keys: Mapping[str, PublicKeyEntry], now: int) -> StatusList:
    """Verify a signed status list at unix time `now`; never raises."""
    try:
        _, entry, payload = open_sign1(data, keys, MAX_STATUS_LIST_BYTES)
        _check_cwt(payload, CLAIM_STATUS_LIST, need_exp=True)
        entries = _entries_from_map(payload[CLAIM_STATUS_LIST])
    except FORGERY_ERRORS:
        return StatusList(ListOutcome.FORGED, {})
    if entry.revoked:
        return StatusList(ListOutcome.KEY_REVOKED, {})
    iat, exp = payload[CLAIM_IAT], payload[CLAIM_EXP]
    outcome = ListOutcome.STALE if now >= exp else ListOutcome.VALID
    return StatusList(outcome, entries, issued_at=iat, expires_at=exp)
