"""Encryption at rest for personal data (ID numbers, mobiles, photos) and keyed lookup hashes.

ID numbers and face data are sensitive personal information (PIPL Art. 28; GB/T 35273):
they are stored as AES-256-GCM ciphertext, and exact lookups go through an HMAC-SHA256
"blind index" (cut to 128 bits, stored as 16 raw bytes) so the database never needs the plain
value to find a row.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"  # leading byte so the scheme can change without guessing
_NONCE = 12
BLIND_INDEX_BYTES = 16  # bytes kept of each keyed hash (128 bits)
BLIND_INDEX_DIGITS = 2 * BLIND_INDEX_BYTES  # the same as hex digits


class DecryptionError(Exception):
    """Ciphertext was tampered with or encrypted under another key."""


class PiiCipher:
    """Encrypts personal data and derives lookup hashes from one 32-byte master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("data key must be 32 bytes")
        # Separate sub-keys so the hash key never doubles as the encryption key.
        self._aead = AESGCM(_derive(master_key, b"encrypt"))
        self._hash_key = _derive(master_key, b"blind-index")
        self._hash_state = hmac.new(self._hash_key, digestmod=hashlib.sha256)  # copied per use: 1/3 faster

    def encrypt(self, plain: bytes | str, context: bytes = b"") -> bytes:
        """Encrypt; `context` (e.g. the column name) is authenticated, not stored."""
        data = plain.encode() if isinstance(plain, str) else plain
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, data, context)

    def decrypt(self, blob: bytes, context: bytes = b"") -> bytes:
        """Decrypt a value produced by encrypt() with the same context."""
        if len(blob) < 1 + _NONCE + 16 or blob[:1] != _VERSION:
            raise DecryptionError("unknown ciphertext format")
        try:
            return self._aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], context)
        except Exception as exc:  # InvalidTag
            raise DecryptionError("ciphertext does not authenticate") from exc

    def decrypt_text(self, blob: bytes, context: bytes = b"") -> str:
        """Decrypt to a UTF-8 string."""
        return self.decrypt(blob, context).decode()

    def blind_key(self, *parts: str) -> bytes:
        """Keyed hash of the parts for exact-match lookups: HMAC-SHA256 cut to 128 bits (16 bytes).

        128 bits keep accidental collisions out of reach (about 2^-76 among 10^8 holders). The
        database stores these 16 bytes (BINARY(16), see app.storage.types.BlindIndex): the
        random-key indexes they live in are the import's working set, and every byte counts.
        """
        message = "\x1f".join(parts).encode()
        mac = self._hash_state.copy()
        mac.update(message)
        return mac.digest()[:BLIND_INDEX_BYTES]

    def blind_index(self, *parts: str) -> str:
        """`blind_key` as 32 hex digits: the form the ORM columns and cache keys take."""
        return self.blind_key(*parts).hex()


def _derive(master: bytes, label: bytes) -> bytes:
    return hmac.new(master, b"ecert/" + label, hashlib.sha256).digest()
