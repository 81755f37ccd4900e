"""Signing keys on disk: private modes, rotation, revocation and the published JWKS."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from app.domain.keyring import KeyStatus, from_jwks
from app.services import keyring


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generate_writes_private_files_readable_by_the_owner_only(tmp_path: Path) -> None:
    key_dir = tmp_path / "keys"
    meta = keyring.generate(key_dir)
    assert _mode(key_dir) == 0o700
    assert _mode(key_dir / f"{meta.kid}.pem") == 0o600
    assert _mode(key_dir / keyring.METADATA_FILE) == 0o600
    assert len(meta.kid) == 8 and meta.status == KeyStatus.ACTIVE


def test_generate_refuses_when_keys_exist_and_rotate_needs_a_first_key(tmp_path: Path) -> None:
    with pytest.raises(keyring.KeyringError, match="generate"):
        keyring.rotate(tmp_path)
    keyring.generate(tmp_path)
    with pytest.raises(keyring.KeyringError, match="rotate"):
        keyring.generate(tmp_path)


def test_rotate_retires_the_old_key_which_keeps_verifying(tmp_path: Path) -> None:
    old = keyring.generate(tmp_path)
    new = keyring.rotate(tmp_path)
    assert [(m.kid, m.status) for m in keyring.list_keys(tmp_path)] == [
        (old.kid, KeyStatus.RETIRED),
        (new.kid, KeyStatus.ACTIVE),
    ]
    assert keyring.load_signer(tmp_path).kid == new.kid
    assert set(keyring.load_public_keyring(tmp_path)) == {old.kid, new.kid}


def test_retiring_the_active_key_revokes_it_and_activates_a_replacement(tmp_path: Path) -> None:
    old = keyring.generate(tmp_path)
    replacement = keyring.retire(tmp_path, old.kid)
    assert replacement is not None and keyring.load_signer(tmp_path).kid == replacement.kid
    assert keyring.load_public_keyring(tmp_path)[old.kid].revoked
    with pytest.raises(keyring.KeyringError, match="no key"):
        keyring.retire(tmp_path, "nosuchid")


def test_the_jwks_lists_usable_keys_per_rfc_8037_and_revoked_ones_apart(tmp_path: Path) -> None:
    first = keyring.generate(tmp_path)
    second = keyring.rotate(tmp_path)
    keyring.retire(tmp_path, first.kid)
    document = json.loads(json.dumps(keyring.export_jwks(tmp_path)))
    assert document["keys"] == [
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": document["keys"][0]["x"],
            "kid": second.kid,
            "use": "sig",
            "alg": "EdDSA",
        }
    ]
    assert len(document["keys"][0]["x"]) == 43  # 32 bytes, base64url without padding
    assert [k["kid"] for k in document["revoked"]] == [first.kid]
    parsed = from_jwks(document)
    assert not parsed[second.kid].revoked and parsed[first.kid].revoked


def test_a_private_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    meta = keyring.generate(tmp_path)
    (tmp_path / f"{meta.kid}.pem").chmod(0o644)
    with pytest.raises(keyring.KeyringError, match="0600"):
        keyring.load_signer(tmp_path)


def test_key_material_never_appears_in_reprs(tmp_path: Path) -> None:
    keyring.generate(tmp_path)
    signer = keyring.load_signer(tmp_path)
    assert "private_key" not in repr(signer) and "PRIVATE" not in repr(signer)
