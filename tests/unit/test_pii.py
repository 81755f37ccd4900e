"""Encryption at rest and blind indexes (app.domain.pii)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from app.domain.pii import BLIND_INDEX_DIGITS, DecryptionError, PiiCipher

KEY = bytes(range(32))


def test_ciphertext_round_trips_only_with_its_context() -> None:
    pii = PiiCipher(KEY)
    blob = pii.encrypt("11010519491231002X", b"people.id_number")
    assert b"11010519491231002X" not in blob
    assert pii.decrypt_text(blob, b"people.id_number") == "11010519491231002X"
    with pytest.raises(DecryptionError):
        pii.decrypt(blob, b"certificates.cert_no")


@pytest.mark.parametrize("damage", [lambda b: b[:-1] + bytes([b[-1] ^ 1]), lambda b: b[:10], lambda b: b"\x02" + b[1:]])
def test_damaged_or_foreign_ciphertext_is_refused(damage: object) -> None:
    pii = PiiCipher(KEY)
    blob = pii.encrypt("张三")
    with pytest.raises(DecryptionError):
        pii.decrypt(damage(blob))  # type: ignore[operator]
    with pytest.raises(DecryptionError):
        PiiCipher(bytes(32)).decrypt(blob)


def test_a_blind_index_is_32_hex_digits_keyed_and_deterministic() -> None:
    pii = PiiCipher(KEY)
    value = pii.blind_index("id", "11010519491231002X")
    assert len(value) == BLIND_INDEX_DIGITS == 32 and int(value, 16) >= 0
    assert value == PiiCipher(KEY).blind_index("id", "11010519491231002X")
    assert value != PiiCipher(bytes(32)).blind_index("id", "11010519491231002X")
    assert value != pii.blind_index("cert", "11010519491231002X")
    assert pii.blind_index("a", "bc") != pii.blind_index("ab", "c")


def test_a_blind_index_is_the_start_of_the_full_hmac() -> None:
    # Migration 0006 cut the stored 64-digit keys to their first 32 digits: that only works while
    # the short index is a prefix of the full one.
    pii = PiiCipher(KEY)
    full = hmac.new(pii._hash_key, b"id\x1f11010519491231002X", hashlib.sha256).hexdigest()
    assert pii.blind_index("id", "11010519491231002X") == full[:32]


def test_a_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        PiiCipher(b"short")


def test_the_stored_key_is_16_bytes_and_the_blind_index_its_hex() -> None:
    pii = PiiCipher(KEY)
    key = pii.blind_key("id", "11010519491231002X")
    assert isinstance(key, bytes) and len(key) == 16
    assert pii.blind_index("id", "11010519491231002X") == key.hex()
    full = hmac.new(pii._hash_key, b"id\x1f11010519491231002X", hashlib.sha256).digest()
    assert key == full[:16]
