"""Signing keys as values: key ids, key status, the public keyring and its JWKS form (RFC 8037).

Pure: no file system. `app.services.keyring` stores these on disk; `app.domain.qrtoken` uses them.
Key material is never put into a repr or a log line.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KID_LENGTH = 8


class KeyStatus(enum.StrEnum):
    """Lifecycle of a signing key."""

    ACTIVE = "active"  # signs new tokens; exactly one at a time
    RETIRED = "retired"  # rotated out: no longer signs, still verifies what it signed
    REVOKED = "revoked"  # compromised: everything it signed verifies as key_revoked


@dataclass(frozen=True)
class KeyMeta:
    """Metadata of one key as kept beside the PEM file (no key material)."""

    kid: str
    created: str  # ISO 8601 UTC timestamp
    status: KeyStatus


@dataclass(frozen=True)
class SigningKey:
    """The private key that signs new tokens, with its key id."""

    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)


@dataclass(frozen=True)
class PublicKeyEntry:
    """A verification key and whether it has been revoked."""

    kid: str
    public_key: Ed25519PublicKey = field(repr=False)
    revoked: bool = False


class JwksError(ValueError):
    """A JWKS document is malformed."""


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding; raises ValueError on anything else."""
    if not text or len(text) % 4 == 1 or not _is_b64url_alphabet(text):
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
    if b64url(data) != text:  # reject non-canonical trailing bits
        raise ValueError("not canonical base64url")
    return data


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _is_b64url_alphabet(text: str) -> bool:
    return all(ch in _B64URL for ch in text)


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    """The 32-byte raw Ed25519 public key."""
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def kid_for(public_key: Ed25519PublicKey) -> str:
    """Key id: the first 8 characters of base64url(SHA-256(raw public key))."""
    return b64url(hashlib.sha256(raw_public_bytes(public_key)).digest())[:KID_LENGTH]


def new_signing_key() -> SigningKey:
    """A fresh Ed25519 key with its derived key id."""
    private_key = Ed25519PrivateKey.generate()
    return SigningKey(kid=kid_for(private_key.public_key()), private_key=private_key)


def _jwk(entry: PublicKeyEntry) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(raw_public_bytes(entry.public_key)),
        "kid": entry.kid,
        "use": "sig",
        "alg": "EdDSA",
    }


def to_jwks(entries: Iterable[PublicKeyEntry]) -> dict[str, Any]:
    """JWKS: usable keys under "keys"; revoked keys only under the non-standard "revoked" member.

    Generic JOSE verifiers read only "keys", so they treat a revoked key as unknown (forged);
    our verifiers also read "revoked" to say "signing key revoked" instead.
    """
    ordered = sorted(entries, key=lambda e: e.kid)
    return {
        "keys": [_jwk(e) for e in ordered if not e.revoked],
        "revoked": [_jwk(e) for e in ordered if e.revoked],
    }


def _parse_jwk(jwk: Any, revoked: bool) -> PublicKeyEntry:
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise JwksError("only OKP/Ed25519 keys are supported")
    kid, x = jwk.get("kid"), jwk.get("x")
    if not isinstance(kid, str) or not isinstance(x, str):
        raise JwksError("a key lacks kid or x")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(b64url_decode(x))
    except ValueError as exc:
        raise JwksError(f"key {kid}: x is not a 32-byte base64url value") from exc
    if kid_for(public_key) != kid:
        raise JwksError(f"key {kid}: kid does not match the key")
    return PublicKeyEntry(kid=kid, public_key=public_key, revoked=revoked)


def from_jwks(document: Any) -> dict[str, PublicKeyEntry]:
    """Parse a JWKS produced by to_jwks into a keyring (kids must be derived as kid_for does)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise JwksError('a JWKS must be an object with a "keys" list')
    revoked = document.get("revoked", [])
    if not isinstance(revoked, list):
        raise JwksError('"revoked" must be a list')
    keyring = {e.kid: e for e in (_parse_jwk(j, False) for j in document["keys"])}
    keyring.update({e.kid: e for e in (_parse_jwk(j, True) for j in revoked)})
    return keyring
