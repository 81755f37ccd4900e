"""Large files kept encrypted at rest (an uploaded export waiting for its import), read back with seek.

The personal-data cipher (app.domain.pii: AES-256-GCM under the data key) seals whole values; a
300 MB export is sealed as a sequence of 1 MiB chunks, each its own AES-GCM message. Each chunk's
authenticated context names the file, the chunk's position and whether it is the last one, so chunks
cannot be reordered, swapped between files, dropped or cut off at the end without the read failing.
Plain chunks have one size (the last excepted), so a chunk's place in the file is computed, and the
reader can seek: the XLSX reader needs that (a zip archive is read from its end).

Layout: MAGIC, then per chunk a 4-byte big-endian length and PiiCipher.encrypt's output.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from app.domain.pii import DecryptionError, PiiCipher

MAGIC = b"ECERT-SEALED-1\n"
CHUNK = 1 << 20
_OVERHEAD = 4 + 1 + 12 + 16  # length prefix, cipher version byte, nonce, GCM tag (app.domain.pii)
SUFFIX = ".sealed"


class SealedFileError(Exception):
    """A sealed file is damaged, cut short or was sealed for another name or key."""


def _context(name: str, index: int, last: bool) -> bytes:
    return f"sealed-file:{name}:{index}:{'last' if last else 'more'}".encode()


def new_name() -> str:
    """A random file name (128 bits): nothing about the upload can be read from it."""
    return secrets.token_hex(16) + SUFFIX


class SealedWriter(io.RawIOBase):
    """Writes plain bytes as sealed chunks to `folder/name`; counts them and hashes them (SHA-256).

    It also serves werkzeug's form parser as a file stream (write, then seek(0) when the part ends):
    the upload reaches the disk only sealed, and is never held whole in memory.
    """

    def __init__(self, pii: PiiCipher, folder: Path, name: str | None = None) -> None:
        super().__init__()
        folder.mkdir(parents=True, exist_ok=True)
        self.pii, self.name = pii, name or new_name()
        self.path = folder / self.name
        self._out: BinaryIO | None = open(self.path, "xb")  # noqa: SIM115 - closed by finish()/discard()
        os.chmod(self.path, 0o600)
        self._out.write(MAGIC)
        self._pending = bytearray()
        self._index = 0
        self.size = 0
        self.kept = False
        self._sha = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self._out is None:
            raise ValueError("sealed file already finished")
        self._pending += data
        self._sha.update(data)
        self.size += len(data)
        while len(self._pending) > CHUNK:  # keep at least one byte back: the last chunk is marked as such
            self._seal(bytes(self._pending[:CHUNK]), last=False)
            del self._pending[:CHUNK]
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """werkzeug seeks to 0 when the part is complete: that is where the last chunk is sealed."""
        self.finish()
        return 0

    def finish(self) -> None:
        """Seal the last chunk and close the file (again: nothing)."""
        if self._out is None:
            return
        self._seal(bytes(self._pending), last=True)
        self._pending.clear()
        self._out.close()
        self._out = None

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def keep(self) -> None:
        """The upload was accepted: closing no longer deletes it."""
        self.finish()
        self.kept = True

    def close(self) -> None:
        """End of the request: an upload nobody kept (refused, or the request failed) is deleted."""
        if not self.kept:
            self.discard()
        super().close()

    def discard(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self.path.unlink(missing_ok=True)

    def _seal(self, plain: bytes, last: bool) -> None:
        assert self._out is not None
        sealed = self.pii.encrypt(plain, _context(self.name, self._index, last))
        self._out.write(len(sealed).to_bytes(4, "big") + sealed)
        self._index += 1


class SealedReader(io.RawIOBase):
    """The plain bytes of a sealed file, readable and seekable; one chunk is decrypted at a time."""

    def __init__(self, pii: PiiCipher, path: Path) -> None:
        super().__init__()
        self.pii, self.name = pii, path.name
        self._in = open(path, "rb")  # noqa: SIM115 - closed by close()
        if self._in.read(len(MAGIC)) != MAGIC:
            self._in.close()
            raise SealedFileError("not a sealed file")
        stored = os.fstat(self._in.fileno()).st_size - len(MAGIC)
        full, rest = divmod(stored, CHUNK + _OVERHEAD)
        if rest == 0 and full:  # the last chunk is full size
            full, rest = full - 1, CHUNK + _OVERHEAD
        if rest < _OVERHEAD:
            self._in.close()
            raise SealedFileError("sealed file cut short")
        self._chunks = full + 1
        self.size = full * CHUNK + rest - _OVERHEAD
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._pos >= self.size:
            return 0
        index, start = divmod(self._pos, CHUNK)
        plain = self._chunk(index)
        piece = plain[start:start + len(buffer)]
        memoryview(buffer)[:len(piece)] = piece
        self._pos += len(piece)
        return len(piece)

    def _chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        self._in.seek(len(MAGIC) + index * (CHUNK + _OVERHEAD))
        length = int.from_bytes(self._in.read(4), "big")
        if length > CHUNK + _OVERHEAD - 4:
            raise SealedFileError("damaged chunk length")
        try:
            plain = self.pii.decrypt(self._in.read(length), _context(self.name, index, index == self._chunks - 1))
        except DecryptionError as exc:
            raise SealedFileError(f"chunk {index} does not authenticate") from exc
        self._cached = (index, plain)
        return plain

    def close(self) -> None:
        self._in.close()
        super().close()


def open_sealed(pii: PiiCipher, path: Path) -> io.BufferedReader:
    """A buffered reader of a sealed file's plain bytes."""
    return io.BufferedReader(SealedReader(pii, path), buffer_size=256 * 1024)
