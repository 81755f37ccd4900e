"""The signing key and public keyring of one process, re-read only when the key folder changes.

`app.services.keyring.load_public_keyring` parses keys.json on every call; a verification page
must not do that per request, so the parsed keyring is kept until keys.json's mtime/size change
(a `flask keys rotate|retire` in another process is picked up on the next request).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from app.domain.keyring import PublicKeyEntry, SigningKey, to_jwks
from app.services import keyring

Stamp = tuple[int, int, int] | None


class KeyProvider:
    """Cached access to the keys in one key folder (thread-safe, cheap: one stat per call)."""

    def __init__(self, key_dir: Path | str) -> None:
        self.key_dir = Path(key_dir)
        self._lock = threading.Lock()
        self._stamp: Stamp = None
        self._public: dict[str, PublicKeyEntry] = {}
        self._signer: SigningKey | None = None
        self._loaded = False

    def _current_stamp(self) -> Stamp:
        try:
            st = os.stat(self.key_dir / keyring.METADATA_FILE)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _refresh(self) -> None:
        stamp = self._current_stamp()
        if self._loaded and stamp == self._stamp:
            return
        with self._lock:
            self._public = keyring.load_public_keyring(self.key_dir) if stamp else {}
            self._signer = None  # loaded lazily: verifying processes never touch private keys
            self._stamp, self._loaded = stamp, True

    def public_keys(self) -> dict[str, PublicKeyEntry]:
        """Every key that verifies (active, retired) plus revoked ones, by kid."""
        self._refresh()
        return self._public

    def signer(self) -> SigningKey:
        """The active signing key; raises keyring.KeyringError when there is none."""
        self._refresh()
        if self._signer is None:
            self._signer = keyring.load_signer(self.key_dir)
        return self._signer

    def jwks(self) -> dict[str, Any]:
        """The JWKS document (RFC 8037) of the current keyring."""
        return to_jwks(self.public_keys().values())
