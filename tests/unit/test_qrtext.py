"""The QR text: base32 in QR alphanumeric mode under /V/, the legacy base64url under /v/, URL tricks."""

from __future__ import annotations

from datetime import date

import pytest
import qrcode

from app.domain import qrtext as t
from app.domain import qrtoken as q
from app.domain.keyring import PublicKeyEntry, SigningKey, b64url, new_signing_key

NOW = 1_795_000_000
BASE_URL = "https://cx.yjj.cq.gov.cn"
OURS = frozenset({"cx.yjj.cq.gov.cn", "cx.example.gov.cn"})
ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


@pytest.fixture(scope="module")
def signer() -> SigningKey:
    return new_signing_key()


@pytest.fixture(scope="module")
def keys(signer: SigningKey) -> dict[str, PublicKeyEntry]:
    return {signer.kid: PublicKeyEntry(signer.kid, signer.private_key.public_key(), False)}


def _claims(**changes: object) -> q.CertClaims:
    values: dict[str, object] = dict(
        cert_id="0KJ8F2Ak7Qm2xVb9RtP4wZc",  # 23 characters, as issued since 2026-11-30
        version=2, kind=q.CertKind.SPECIAL_OPS, code="0101", holder_name="欧阳晓明",
        id_number="11010519491231002X", valid_from=date(2026, 6, 1), valid_until=date(2032, 5, 31),
        authority_code="500000",
    )
    values.update(changes)
    return q.build_claims(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def token(signer: SigningKey) -> bytes:
    return q.sign_certificate(_claims(), signer, "CN-500000-YJJ", issued_at=NOW)


def _version(text: str) -> int:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text, optimize=0)
    code.make(fit=True)
    return int(code.version)


def test_the_qr_text_is_the_upper_case_base_url_then_V_then_base32(token: bytes) -> None:
    text = t.qr_text(BASE_URL + "/", token)
    assert text.startswith("HTTPS://CX.YJJ.CQ.GOV.CN/V/2KC")  # d2 84: COSE_Sign1 tag and array
    assert set(text) <= ALPHANUMERIC  # so the QR uses alphanumeric mode, 5.5 bits a character
    assert t.b32_decode(text.rsplit("/", 1)[1]) == token


@pytest.mark.parametrize(
    "spelling",
    [
        lambda tok: t.qr_text(BASE_URL, tok),
        lambda tok: t.legacy_qr_text(BASE_URL, tok),
        lambda tok: f"  {t.qr_text(BASE_URL, tok)}?from=scan ",
        lambda tok: t.legacy_qr_text(BASE_URL, tok) + "/",
        lambda tok: t.b32(tok),
        lambda tok: b64url(tok),
        lambda tok: "cx.yjj.cq.gov.cn/V/" + t.b32(tok),
    ],
    ids=["new", "legacy", "query", "trailing slash", "bare base32", "bare base64url", "no scheme"],
)
def test_every_spelling_of_a_token_decodes_to_the_same_bytes(spelling, token: bytes, keys: dict) -> None:
    assert t.extract_token(spelling(token)) == token
    assert t.verify_text(spelling(token), keys, NOW).outcome == q.Outcome.GENUINE


def test_the_path_segment_names_the_encoding(token: bytes) -> None:
    assert t.extract_token(f"{BASE_URL}/v/{t.b32(token)}") != token  # base32 text read as base64url
    assert t.extract_token(f"{BASE_URL}/V/{b64url(token)}") is None  # lower case is not base32
    assert t.extract_token(f"{BASE_URL}/x/{t.b32(token)}") is None


@pytest.mark.parametrize(
    "text",
    ["", "https://x/V/", "not base64!", "https://x/V/" + "A" * 1300, "AB==", "2kcea",
     "MZXW6===", "MZXW7", "https://x/V/MZXW6YQ=", "0oAB=="],
)
def test_malformed_qr_text_is_forged(text: str, keys: dict) -> None:
    assert t.extract_token(text) is None
    assert t.verify_text(text, keys, NOW).outcome == q.Outcome.FORGED


def test_text_that_decodes_but_is_no_token_is_forged(keys: dict) -> None:
    assert t.verify_text("AAAAA", keys, NOW).outcome == q.Outcome.FORGED


@pytest.mark.parametrize(
    ("template", "kind"),
    [
        ("https://cx.yjj.cq.gov.cn/V/{b32}", t.UrlKind.TOKEN),
        ("HTTPS://CX.YJJ.CQ.GOV.CN/V/{b32}", t.UrlKind.TOKEN),
        ("https://cx.yjj.cq.gov.cn/v/{b64}", t.UrlKind.TOKEN),
        ("https://cx.example.gov.cn/prefix/v/{b64}?from=scan", t.UrlKind.TOKEN),
        ("https://evil.com\\@cx.yjj.cq.gov.cn/v/{b64}", t.UrlKind.OTHER_SITE),
        ("https://evil.com\\@cx.yjj.cq.gov.cn/V/{b32}", t.UrlKind.OTHER_SITE),
        ("https://x@cx.yjj.cq.gov.cn/v/{b64}", t.UrlKind.DISGUISED),
        ("https://cx.yjj.cq.gov.cn@evil.com/v/{b64}", t.UrlKind.OTHER_SITE),
        ("https://cx.yjj.cq.gov.cn.evil.com/V/{b32}", t.UrlKind.OTHER_SITE),
        ("ftp://cx.yjj.cq.gov.cn/V/{b32}", t.UrlKind.OTHER_SITE),
        ("https://cx.yjj.cq.gov.cn/about", t.UrlKind.NOT_A_CODE),
        ("https://cx.yjj.cq.gov.cn/V/{b32}x", t.UrlKind.MALFORMED),
        ("https://cx.yjj.cq.gov.cn/v/{b64}*", t.UrlKind.MALFORMED),
    ],
)
def test_a_scanned_url_is_ours_only_where_a_browser_would_go(template: str, kind: t.UrlKind, token: bytes) -> None:
    judged = t.judge_url(template.format(b32=t.b32(token), b64=b64url(token)), OURS)
    assert judged.kind == kind
    assert (judged.token == token) == (kind == t.UrlKind.TOKEN)


@pytest.mark.parametrize("kind", [q.CertKind.SPECIAL_OPS, q.CertKind.SAFETY_MGMT])
def test_a_live_code_with_a_four_character_name_fits_version_11_at_level_m(
        kind: q.CertKind, signer: SigningKey) -> None:
    claims = _claims(kind=kind, personnel_type="2" if kind == q.CertKind.SAFETY_MGMT else None)
    live = q.sign_certificate(claims, signer, "CN-500000-YJJ", NOW, expires_at=NOW + 60)
    assert _version(t.qr_text(BASE_URL, live)) <= 11
    assert _version(t.legacy_qr_text(BASE_URL, live)) >= 13  # what the old spelling needed


def test_the_worked_example_qr_text_in_docs_is_the_example_token_in_base32() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "qr-format.md").read_text(encoding="utf-8")
    token = bytes.fromhex(doc.split("token (184 bytes) =\n", 1)[1].split("\nstatus-list", 1)[0].replace("\n", ""))
    printed = doc.split("alphanumeric mode) =\n", 1)[1].split("\n(one line", 1)[0].replace("\n", "")
    assert printed == t.qr_text("https://cx.yjj.cq.gov.cn", token)
    assert t.extract_token(printed) == token
