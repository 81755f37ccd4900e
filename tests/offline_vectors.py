"""Test vectors for the offline verifier page: QR images of genuine, listed, expired and forged codes.

Made with the project's own signing code (app/domain/qrtoken.py) and the forgery classes the server
suites use (FORGERIES and WRONG_TYPES of tests/unit/test_qrtoken.py, BAD_TOKENS of
tests/integration/test_verification.py), plus the strict-CBOR cases an independent verifier is most
likely to get wrong. The verdict each vector expects is what the Python verifier decides for the same
token (`expected`): the browser must agree with it, vector by vector.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import cbor2
import qrcode
from PIL import Image, ImageFilter

from app.clock import CHINA
from app.domain import qrtext
from app.domain import qrtoken as q
from app.domain.keyring import PublicKeyEntry, SigningKey, b64url
from app.services.offline_verdict import OfflineVerdict, decide
from tests.integration.test_verification import BAD_TOKENS
from tests.unit.test_qrtoken import FORGERIES, WRONG_TYPES, _claims, _resign_payload, _sealed_with_header

ISSUER = "CN-CQ-YJJ"


@dataclass(frozen=True)
class Vector:
    """One QR code to feed the page: its text, the token it carries and how to show it."""

    name: str
    text: str
    token: bytes | None = None  # the token the text carries; None when it is not a decodable token
    kind: OfflineVerdict | None = None  # texts that are not tokens: not ours, a certificate number
    photo: bool = False  # render as a rotated, blurred JPEG, like a phone photo


def expected(vector: Vector, keys: Mapping[str, PublicKeyEntry], status: q.StatusList | None,
             now: int) -> OfflineVerdict:
    """The Python verifier's verdict for the vector at unix time `now`."""
    if vector.kind is not None:
        return vector.kind
    if vector.token is None:
        return OfflineVerdict.FORGED
    return decide(q.verify(vector.token, keys, now), status, datetime.fromtimestamp(now, CHINA).date())


def url_text(base_url: str, token: bytes) -> Vector:
    """The form printed before the alphanumeric QR: <base_url>/v/<base64url>."""
    return Vector("", qrtext.legacy_qr_text(base_url, token), token)


def base32_text(base_url: str, token: bytes) -> Vector:
    """The form printed now: <BASE_URL>/V/<base32, no padding> (QR alphanumeric mode)."""
    return Vector("", qrtext.qr_text(base_url, token), token)


def named(name: str, vector: Vector, **changes: object) -> Vector:
    return replace(vector, name=name, **changes)  # type: ignore[arg-type]


def _reencoded(token: bytes, signer: SigningKey, encode: Callable[[dict], bytes]) -> bytes:
    """A correctly signed token whose payload bytes are `encode(payload)` (non-canonical forms)."""
    payload = cbor2.loads(cbor2.loads(token).value[2])
    return q.seal_sign1(encode(payload), signer)


def _long_iat(payload: dict) -> bytes:
    """The payload with iat in the 8-byte integer form instead of the shortest one."""
    canonical = cbor2.dumps(payload, canonical=True)
    short = cbor2.dumps(payload[q.CLAIM_IAT])
    longer = b"\x1b" + payload[q.CLAIM_IAT].to_bytes(8, "big")
    return canonical.replace(b"\x06" + short, b"\x06" + longer, 1)


def _unsorted(payload: dict) -> bytes:
    """The payload with its top-level keys in reverse order."""
    return cbor2.dumps(dict(reversed(list(payload.items()))))


def _indefinite_outer(token: bytes) -> bytes:
    """The same four COSE fields in an indefinite-length array."""
    fields = cbor2.loads(token).value
    return b"\xd2\x9f" + b"".join(cbor2.dumps(f, canonical=True) for f in fields) + b"\xff"


def forgery_vectors(base_url: str, signer: SigningKey, now: int) -> list[Vector]:
    """Every forgery class of the server suites, made from a genuine token signed by `signer`."""
    token = q.sign_certificate(_claims(), signer, ISSUER, issued_at=now)
    text = b64url(token)
    out = [named("genuine (synthetic certificate)", url_text(base_url, token))]
    out += [named(f"unit: {name}", url_text(base_url, make(token, signer))) for name, make in FORGERIES.items()]
    out += [named(f"unit wrong type: {name}", url_text(base_url, _resign_payload(token, signer, change)))
            for name, change in WRONG_TYPES.items()]
    for name, make in BAD_TOKENS.items():
        bad = f"{base_url}/v/{make(text)}"
        if len(bad) <= q.MAX_TEXT_CHARS:  # "over-long" repeats the token 20 times: no QR holds that
            out.append(named(f"server: {name}", Vector("", bad, qrtext.extract_token(bad))))
    kid = signer.kid.encode()
    out += [
        named("float alg in a signed header",
              url_text(base_url, _sealed_with_header(token, signer, {1: -8.0, 4: kid}))),
        named("true as a signed header key",
              url_text(base_url, _sealed_with_header(token, signer, {True: -8, 4: kid}))),
        named("non-shortest integer in a signed payload", url_text(base_url, _reencoded(token, signer, _long_iat))),
        named("unsorted keys in a signed payload", url_text(base_url, _reencoded(token, signer, _unsorted))),
        named("indefinite-length COSE array", url_text(base_url, _indefinite_outer(token))),
        named("name of 41 characters", url_text(base_url, _resign_payload(
            token, signer, lambda p: p[q.CLAIM_CERT].__setitem__(q.K_NAME, "张" * 41)))),
    ]
    return out


def parity_vectors(base_url: str, signer: SigningKey, now: int) -> list[Vector]:
    """Genuine codes with text an independent decoder may mangle, and the two QR text forms."""
    bom = q.sign_certificate(_claims(holder_name="\ufeff张三"), signer, ISSUER, issued_at=now)
    astral = q.sign_certificate(_claims(holder_name="𠀀" * 40), signer, ISSUER, issued_at=now)
    token = q.sign_certificate(_claims(), signer, ISSUER, issued_at=now)
    b32 = base32_text(base_url, token)
    flipped = b32.text[:-8] + ("A" if b32.text[-8] != "A" else "B") + b32.text[-7:]
    return [
        named("genuine, name starting with U+FEFF", url_text(base_url, bom)),
        named("genuine, 40 characters outside the BMP", url_text(base_url, astral)),
        named("genuine, base32 form", b32),
        named("base32 form, one character changed", Vector("", flipped, _b32_token(flipped))),
        named("base32 form, unused bits set", Vector("", b32.text[:-1] + _bump_b32(b32.text[-1]), None)),
        named("genuine at another host (offline checks only the signature)",
              Vector("", f"https://evil.example.com/v/{b64url(token)}", token)),
        named("genuine, photographed", url_text(base_url, token), photo=True),
    ]


def _b32_token(text: str) -> bytes:
    return qrtext.b32_decode(text.rsplit("/V/", 1)[1])


def _bump_b32(char: str) -> str:
    """The base32 digit one above `char` (sets the lowest, unused bit of the last digit)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return alphabet[(alphabet.index(char) + 1) % 32]


def key_vectors(base_url: str, revoked: SigningKey, now: int) -> list[Vector]:
    """A code signed by a key the server has since revoked, with a good and a bad signature."""
    token = q.sign_certificate(_claims(), revoked, ISSUER, issued_at=now)
    return [named("signed by a revoked key", url_text(base_url, token)),
            named("revoked key, bad signature", url_text(base_url, FORGERIES["flipped signature bit"](token, revoked)))]


def live_vectors(base_url: str, signer: SigningKey, claims: q.CertClaims, now: int) -> list[Vector]:
    """亮证 codes of a valid certificate: one still live (for an hour), one expired."""
    live = q.sign_certificate(claims, signer, ISSUER, issued_at=now, expires_at=now + 3600)
    old = q.sign_certificate(claims, signer, ISSUER, issued_at=now - 600, expires_at=now - 300)
    return [named("live code, still valid", url_text(base_url, live)),
            named("live code, expired", url_text(base_url, old))]


TEXT_VECTORS = [
    Vector("another site's QR code", "https://example.com/hello", kind=OfflineVerdict.NOT_OURS),
    Vector("plain words", "你好，世界", kind=OfflineVerdict.NOT_OURS),
    Vector("a bare certificate number", "T110105194912310021", kind=OfflineVerdict.CERT_NUMBER),
]


def write_image(vector: Vector, path: Path) -> Path:
    """Render the vector's QR (error correction M, as printed) as PNG, or as a JPEG 'photo'."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(vector.text)
    code.make(fit=True)
    code.box_size = max(4, 720 // (code.modules_count + 8))
    image = code.make_image().get_image().convert("RGB")
    if not vector.photo:
        image.save(path.with_suffix(".png"), format="PNG")
        return path.with_suffix(".png")
    photo = image.rotate(9, expand=True, fillcolor=(170, 168, 160)).filter(ImageFilter.GaussianBlur(1.2))
    canvas = Image.new("RGB", (photo.width + 300, photo.height + 200), (150, 148, 140))
    canvas.paste(photo, (170, 90))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=70)
    path.with_suffix(".jpg").write_bytes(buffer.getvalue())
    return path.with_suffix(".jpg")
