"""Signed QR tokens: round trip, every forgery is 'forged', live codes expire, keys rotate and revoke."""

from __future__ import annotations

import random
from datetime import date

import cbor2
import pytest

from app.domain import qrtoken as q
from app.domain.keyring import PublicKeyEntry, SigningKey, new_signing_key

NOW = 1_795_000_000  # 2026-11-18
ISSUER = "CN-CQ-YJJ"


def _entry(signer: SigningKey, revoked: bool = False) -> PublicKeyEntry:
    return PublicKeyEntry(signer.kid, signer.private_key.public_key(), revoked)


@pytest.fixture(scope="module")
def signer() -> SigningKey:
    return new_signing_key()


@pytest.fixture(scope="module")
def keys(signer: SigningKey) -> dict[str, PublicKeyEntry]:
    return {signer.kid: _entry(signer)}


def _claims(**changes: object) -> q.CertClaims:
    values: dict[str, object] = dict(
        cert_id="k7Qm2xVb9RtP4wZcH3nA",
        version=2,
        kind=q.CertKind.SPECIAL_OPS,
        code="0101",
        holder_name="欧阳晓明",
        id_number="11010519491231002X",
        valid_from=date(2026, 6, 1),
        valid_until=date(2032, 5, 31),
        authority_code="500000",
    )
    values.update(changes)
    return q.build_claims(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def token(signer: SigningKey) -> bytes:
    return q.sign_certificate(_claims(), signer, ISSUER, issued_at=NOW)


def test_a_signed_token_verifies_as_genuine_with_its_claims(
    token: bytes, keys: dict, signer: SigningKey
) -> None:
    result = q.verify(token, keys, NOW + 10**8)
    assert result.outcome == q.Outcome.GENUINE
    assert result.claims == _claims()
    assert (result.kid, result.issuer, result.issued_at, result.is_live_code) == (
        signer.kid,
        ISSUER,
        NOW,
        False,
    )


def test_safety_management_claims_carry_the_personnel_type(signer: SigningKey, keys: dict) -> None:
    claims = _claims(kind=q.CertKind.SAFETY_MGMT, code="01", personnel_type="2")
    assert q.verify(q.sign_certificate(claims, signer, ISSUER, NOW), keys, NOW).claims == claims


def test_the_token_carries_neither_the_full_id_number_nor_the_certificate_number(token: bytes) -> None:
    assert b"11010519491231002X" not in token and b"T11010519491231002X" not in token
    assert b"1101**********002X" in token


def test_the_id_check_accepts_the_holders_number_in_any_case_and_rejects_others() -> None:
    claims = _claims()
    assert q.id_number_matches(claims, "11010519491231002x")
    assert not q.id_number_matches(claims, "440524188001010014")
    assert not q.id_number_matches(claims, "证件号码")


def _resign_payload(token: bytes, signer: SigningKey, change) -> bytes:  # type: ignore[no-untyped-def]
    """A correctly signed token whose payload was altered by `change` (an attacker holding a key)."""
    payload = cbor2.loads(cbor2.loads(token).value[2])
    change(payload)
    return q.seal_sign1(cbor2.dumps(payload, canonical=True), signer)


def _flip(token: bytes, index: int) -> bytes:
    return token[:index] + bytes([token[index] ^ 0x01]) + token[index + 1 :]


def _with_header(token: bytes, header: dict) -> bytes:
    _, _, payload, signature = cbor2.loads(token).value
    return cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps(header), {}, payload, signature]))


FORGERIES = {
    "empty": lambda t, s: b"",
    "truncated": lambda t, s: t[:-1],
    "half": lambda t, s: t[: len(t) // 2],
    "trailing bytes": lambda t, s: t + b"\x00",
    "changed name byte": lambda t, s: t.replace("晓".encode(), "小".encode()),
    "flipped signature bit": lambda t, s: _flip(t, len(t) - 3),
    "flipped payload bit": lambda t, s: _flip(t, 40),
    "alg none": lambda t, s: _with_header(t, {1: 0, 4: s.kid.encode()}),
    "alg ES256": lambda t, s: _with_header(t, {1: -7, 4: s.kid.encode()}),
    "no kid": lambda t, s: _with_header(t, {1: -8}),
    "unknown kid": lambda t, s: _with_header(t, {1: -8, 4: b"AAAAAAAA"}),
    "no tag": lambda t, s: cbor2.dumps(list(cbor2.loads(t).value)),
    "COSE_Sign tag 98": lambda t, s: cbor2.dumps(cbor2.CBORTag(98, list(cbor2.loads(t).value))),
    "not CBOR": lambda t, s: b"\xff" * 40,
    "a CBOR string": lambda t, s: cbor2.dumps("hello"),
    "over-long": lambda t, s: t + b"\x00" * 600,
    "signed by a stranger": lambda t, s: q.sign_certificate(_claims(), new_signing_key(), ISSUER, NOW),
}


@pytest.mark.parametrize("name", FORGERIES)
def test_every_tampered_or_invented_token_is_forged(
    name: str, token: bytes, keys: dict, signer: SigningKey
) -> None:
    assert q.verify(FORGERIES[name](token, signer), keys, NOW).outcome == q.Outcome.FORGED


WRONG_TYPES = {
    "version as text": lambda p: p[q.CLAIM_CERT].__setitem__(q.K_VERSION, "2"),
    "kind 3": lambda p: p[q.CLAIM_CERT].__setitem__(q.K_KIND, 3),
    "name as bytes": lambda p: p[q.CLAIM_CERT].__setitem__(q.K_NAME, b"x"),
    "missing id check": lambda p: p[q.CLAIM_CERT].pop(q.K_ID_CHECK),
    "extra claim key": lambda p: p[q.CLAIM_CERT].__setitem__(99, 1),
    "negative date": lambda p: p[q.CLAIM_CERT].__setitem__(q.K_FROM, -1),
    "iat as float": lambda p: p.__setitem__(q.CLAIM_IAT, 1.5),
    "no certificate claim": lambda p: p.pop(q.CLAIM_CERT),
    "certificate as a list": lambda p: p.__setitem__(q.CLAIM_CERT, [1, 2]),
    "true as the id key": lambda p: p[q.CLAIM_CERT].__setitem__(True, p[q.CLAIM_CERT].pop(q.K_ID)),
    "kind as a float": lambda p: p[q.CLAIM_CERT].__setitem__(q.K_KIND, 1.0),
    "null personnel type": lambda p: p[q.CLAIM_CERT].__setitem__(q.K_PERSONNEL, None),
}


def _sealed_with_header(token: bytes, signer: SigningKey, header: dict) -> bytes:
    """A token whose protected header was replaced and then correctly signed (a key holder's mistake)."""
    payload = cbor2.loads(token).value[2]
    protected = cbor2.dumps(header, canonical=True)
    signature = signer.private_key.sign(cbor2.dumps(["Signature1", protected, b"", payload]))
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]), canonical=True)


@pytest.mark.parametrize("header", [
    {q.HDR_ALG: -8.0, q.HDR_KID: "KID"},
    {True: q.ALG_EDDSA, q.HDR_KID: "KID"},
    {q.HDR_ALG: q.ALG_EDDSA, q.HDR_KID: "KID", "x": b""},
])
def test_a_signed_header_outside_the_cbor_subset_is_forged(
    header: dict, token: bytes, signer: SigningKey, keys: dict
) -> None:
    header = {k: (signer.kid.encode() if v == "KID" else v) for k, v in header.items()}
    assert q.verify(_sealed_with_header(token, signer, header), keys, NOW).outcome == q.Outcome.FORGED


@pytest.mark.parametrize("name", WRONG_TYPES)
def test_a_validly_signed_payload_of_the_wrong_shape_is_forged(
    name: str, token: bytes, signer: SigningKey, keys: dict
) -> None:
    assert q.verify(_resign_payload(token, signer, WRONG_TYPES[name]), keys, NOW).outcome == q.Outcome.FORGED


def test_random_mutations_never_raise(token: bytes, keys: dict) -> None:
    rng = random.Random(5)
    for _ in range(3000):
        data = bytearray(token)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if bytes(data) == token:
            continue
        assert q.verify(bytes(data), keys, NOW).outcome == q.Outcome.FORGED


def test_a_live_code_is_genuine_until_it_expires(signer: SigningKey, keys: dict) -> None:
    live = q.sign_certificate(_claims(), signer, ISSUER, issued_at=NOW, expires_at=NOW + 300)
    assert q.verify(live, keys, NOW + 299).outcome == q.Outcome.GENUINE
    expired = q.verify(live, keys, NOW + 300)
    assert expired.outcome == q.Outcome.EXPIRED_LIVE_CODE and expired.is_live_code


def test_a_token_from_a_revoked_key_reports_the_revocation_without_claims(
    token: bytes, signer: SigningKey
) -> None:
    result = q.verify(token, {signer.kid: _entry(signer, revoked=True)}, NOW)
    assert result.outcome == q.Outcome.KEY_REVOKED and result.claims is None


def test_after_rotation_old_and_new_tokens_both_verify(token: bytes, signer: SigningKey) -> None:
    newer = new_signing_key()
    keyring = {signer.kid: _entry(signer), newer.kid: _entry(newer)}
    fresh = q.sign_certificate(_claims(version=3), newer, ISSUER, NOW)
    assert [q.verify(t, keyring, NOW).outcome for t in (token, fresh)] == [q.Outcome.GENUINE] * 2


def test_a_status_list_names_non_valid_versions_by_hash_only(signer: SigningKey, keys: dict) -> None:
    entries = {
        q.status_entry("k7Qm2xVb9RtP4wZcH3nA", 1): q.ListedStatus.SUPERSEDED,
        q.status_entry("other", 4): q.ListedStatus.REVOKED,
    }
    data = q.sign_status_list(entries, issued_at=NOW, ttl=86400, signer=signer, issuer=ISSUER)
    assert b"k7Qm2xVb9RtP4wZcH3nA" not in data
    listed = q.verify_status_list(data, keys, NOW + 60)
    assert listed.outcome == q.ListOutcome.VALID
    assert listed.lookup("k7Qm2xVb9RtP4wZcH3nA", 1) == q.ListedStatus.SUPERSEDED
    assert listed.lookup("k7Qm2xVb9RtP4wZcH3nA", 2) is None
    assert q.verify_status_list(data, keys, NOW + 86400).outcome == q.ListOutcome.STALE
    assert q.verify_status_list(_flip(data, 30), keys, NOW).outcome == q.ListOutcome.FORGED


def test_a_certificate_token_is_not_accepted_as_a_status_list_or_vice_versa(
    token: bytes, signer: SigningKey, keys: dict
) -> None:
    data = q.sign_status_list({}, issued_at=NOW, ttl=60, signer=signer, issuer=ISSUER)
    assert q.verify_status_list(token, keys, NOW).outcome == q.ListOutcome.FORGED
    assert q.verify(data, keys, NOW).outcome == q.Outcome.FORGED


def test_the_worked_example_in_docs_qr_format_verifies() -> None:
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    doc = (Path(__file__).resolve().parents[2] / "docs" / "qr-format.md").read_text(encoding="utf-8")
    hex_lines = doc.split("token (184 bytes) =\n", 1)[1].split("\nstatus-list", 1)[0]
    token = bytes.fromhex(hex_lines.replace("\n", ""))
    example = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    signer = SigningKey("Vkdap1Rj", example)
    result = q.verify(token, {"Vkdap1Rj": _entry(signer)}, NOW)
    assert result.outcome == q.Outcome.GENUINE and result.claims is not None
    assert result.claims.holder_name == "张三" and q.id_number_matches(result.claims, "11010519491231002X")
    assert q.status_entry("Q7mK2xVb9RtP4wZc", 1).hex() in doc
