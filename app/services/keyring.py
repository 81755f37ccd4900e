"""Signing keys on disk: one PEM per key (mode 0600) in a 0700 folder, plus keys.json metadata.

keys.json holds, per key, its kid, creation time, status and raw public key ("x", base64url), so
verifying processes never need to read a private key. Key material is never logged or printed.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from app.domain.keyring import (
    KeyMeta,
    KeyStatus,
    PublicKeyEntry,
    SigningKey,
    b64url,
    b64url_decode,
    kid_for,
    new_signing_key,
    raw_public_bytes,
    to_jwks,
)

METADATA_FILE = "keys.json"


class KeyringError(Exception):
    """The key folder is missing, inconsistent or too permissive; the message says what to do."""


def _now_text(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_metadata(key_dir: Path) -> list[dict[str, Any]]:
    path = key_dir / METADATA_FILE
    if not path.exists():
        return []
    try:
        keys = json.loads(path.read_text(encoding="utf-8"))["keys"]
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyringError(f"{path} is not a valid key metadata file") from exc
    if not isinstance(keys, list):
        raise KeyringError(f"{path} is not a valid key metadata file")
    return keys


def _write_private(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o600)  # in case the file existed with other bits
    os.replace(tmp, path)


def _write_metadata(key_dir: Path, keys: list[dict[str, Any]]) -> None:
    text = json.dumps({"keys": keys}, ensure_ascii=False, indent=2) + "\n"
    _write_private(key_dir / METADATA_FILE, text.encode("utf-8"))


def _ensure_dir(key_dir: Path) -> None:
    key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(key_dir, 0o700)


def _meta(raw: dict[str, Any]) -> KeyMeta:
    try:
        return KeyMeta(kid=raw["kid"], created=raw["created"], status=KeyStatus(raw["status"]))
    except (KeyError, ValueError) as exc:
        raise KeyringError(f"bad key entry in {METADATA_FILE}: {raw.get('kid')!r}") from exc


def list_keys(key_dir: Path) -> list[KeyMeta]:
    """All keys, oldest first."""
    return [_meta(raw) for raw in _read_metadata(key_dir)]


def _add_key(key_dir: Path, keys: list[dict[str, Any]], now: datetime | None) -> KeyMeta:
    _ensure_dir(key_dir)
    signer = new_signing_key()
    pem = signer.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    _write_private(key_dir / f"{signer.kid}.pem", pem)
    for raw in keys:
        if raw["status"] == KeyStatus.ACTIVE:
            raw["status"] = KeyStatus.RETIRED.value
    entry = {
        "kid": signer.kid,
        "created": _now_text(now),
        "status": KeyStatus.ACTIVE.value,
        "x": b64url(raw_public_bytes(signer.private_key.public_key())),
    }
    _write_metadata(key_dir, [*keys, entry])
    return _meta(entry)


def generate(key_dir: Path, now: datetime | None = None) -> KeyMeta:
    """Create the first signing key; refuses when keys already exist (use rotate)."""
    keys = _read_metadata(key_dir)
    if keys:
        raise KeyringError(f"{key_dir} already holds keys; use `keys rotate` for a new one")
    return _add_key(key_dir, keys, now)


def rotate(key_dir: Path, now: datetime | None = None) -> KeyMeta:
    """Create a new active key; the previous active key is retired but keeps verifying."""
    keys = _read_metadata(key_dir)
    if not keys:
        raise KeyringError(f"{key_dir} holds no keys; use `keys generate` first")
    return _add_key(key_dir, keys, now)


def retire(key_dir: Path, kid: str, now: datetime | None = None) -> KeyMeta | None:
    """Revoke a compromised key; when it was the active key a new one replaces it (returned)."""
    keys = _read_metadata(key_dir)
    target = next((raw for raw in keys if raw["kid"] == kid), None)
    if target is None:
        raise KeyringError(f"no key with kid {kid!r} in {key_dir}")
    was_active = target["status"] == KeyStatus.ACTIVE
    target["status"] = KeyStatus.REVOKED.value
    target["revoked"] = _now_text(now)
    _write_metadata(key_dir, keys)
    return _add_key(key_dir, keys, now) if was_active else None


def _check_private_mode(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyringError(f"{path} has mode {mode:o}; private keys must be 0600 (chmod 600 {path})")


def load_signer(key_dir: Path) -> SigningKey:
    """The active signing key; checks the file mode and that the kid matches the key."""
    active = [m for m in list_keys(key_dir) if m.status == KeyStatus.ACTIVE]
    if len(active) != 1:
        raise KeyringError(f"{key_dir} has no active signing key; run `flask keys generate`")
    path = key_dir / f"{active[0].kid}.pem"
    _check_private_mode(path)
    private_key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private_key, Ed25519PrivateKey) or kid_for(private_key.public_key()) != active[0].kid:
        raise KeyringError(f"{path} does not hold the Ed25519 key {active[0].kid}")
    return SigningKey(kid=active[0].kid, private_key=private_key)


def _public_entry(raw: dict[str, Any]) -> PublicKeyEntry:
    public_key = Ed25519PublicKey.from_public_bytes(b64url_decode(raw["x"]))
    if kid_for(public_key) != raw["kid"]:
        raise KeyringError(f"{METADATA_FILE}: key {raw['kid']} does not match its public key")
    return PublicKeyEntry(raw["kid"], public_key, revoked=raw["status"] == KeyStatus.REVOKED)


def load_public_keyring(key_dir: Path) -> dict[str, PublicKeyEntry]:
    """Every key that verifies (active and retired) plus revoked ones flagged, by kid."""
    return {raw["kid"]: _public_entry(raw) for raw in _read_metadata(key_dir)}


def export_jwks(key_dir: Path) -> dict[str, Any]:
    """The JWKS document for /.well-known/jwks.json (revoked keys only under "revoked")."""
    return to_jwks(load_public_keyring(key_dir).values())
