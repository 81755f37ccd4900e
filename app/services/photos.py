"""Holder photos and uploaded images: decoded to prove they are images, re-encoded, encrypted."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import UserError
from app.domain.pii import PiiCipher
from app.storage.models import Photo

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own warning
PHOTO_BOX = (600, 800)  # a 2-inch ID photo is 413x579 at 300 dpi: keep some margin, drop the rest


class PhotoError(UserError):
    """An image that cannot be accepted; `message` is Chinese text for the user."""


def sanitize_image(data: bytes, max_bytes: int = MAX_IMAGE_BYTES, box: tuple[int, int] | None = None,
                   ) -> tuple[bytes, str]:
    """Decode a JPEG or PNG and re-encode it without any metadata; returns (bytes, mime)."""
    if len(data) > max_bytes:
        raise PhotoError(f"图片超过{max_bytes // (1024 * 1024)}MB，请压缩后重新上传")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in ("JPEG", "PNG"):
                raise PhotoError("只接受 JPEG 或 PNG 图片")
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoError("图片尺寸过大")
            probe.load()
            image = probe.convert("RGB")
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PhotoError("文件不是有效的 JPEG 或 PNG 图片") from exc
    if box:
        image.thumbnail(box)
    # Nothing of the original but its pixels: Pillow carries what it read (a JPEG comment, an ICC
    # profile, PNG text) in `info`, and writes the comment back when saving a JPEG. Without it the
    # new file has only its JFIF header, tables and image data: no EXIF/GPS, XMP, ICC or comment.
    image.info.clear()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue(), "image/jpeg"


class PhotoStore:
    """Holder photos named in an import, de-duplicated by keyed digest.

    Ids of photos written in a batch are remembered for later batches only once that batch is
    committed (`committed`): a rolled-back batch must not leave ids of rows that do not exist.
    """

    def __init__(self, pii: PiiCipher, directory: Path | None) -> None:
        self.pii = pii
        self.directory = directory.resolve() if directory else None
        self._known: dict[str, int | None] = {}  # committed ids (None: checked by a dry run, not stored)
        self._pending: dict[str, int] = {}

    def resolve(self, session: Session, file_name: str, store: bool = True) -> int | None:
        """The photo id for a file in the photo directory, storing a new image unless `store` is off
        (a dry run: the file is still read and decoded, so a bad photo is reported the same way).
        None when no directory was given, or when a dry run met a photo that is not stored yet."""
        if self.directory is None:
            return None
        raw = self._read(file_name)
        digest = self.pii.blind_index("photo", hashlib.sha256(raw).hexdigest())
        if digest in self._known:
            return self._known[digest]
        if digest in self._pending:
            return self._pending[digest]
        photo_id = session.scalar(select(Photo.id).where(Photo.digest == digest))
        if photo_id is None:
            clean, mime = sanitize_image(raw, box=PHOTO_BOX)
            if not store:
                self._known[digest] = None
                return None
            photo = Photo(digest=digest, content_type=mime, data_enc=self.pii.encrypt(clean, b"photos.data"))
            session.add(photo)
            session.flush()
            photo_id = photo.id
        self._pending[digest] = photo_id
        return photo_id

    def committed(self) -> None:
        """The batch that resolved the pending photos is committed: remember their ids."""
        self._known.update(self._pending)
        self._pending.clear()

    def rolled_back(self) -> None:
        """The batch was rolled back: its new photos do not exist."""
        self._pending.clear()

    def _read(self, file_name: str) -> bytes:
        assert self.directory is not None
        path = (self.directory / file_name).resolve()
        if path.parent != self.directory and self.directory not in path.parents:
            raise PhotoError("照片文件名不合法")
        if not path.is_file():
            raise PhotoError(f"照片文件不存在：{file_name}")
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise PhotoError("照片超过5MB")
        return path.read_bytes()


def load_photo(session: Session, pii: PiiCipher, photo_id: int | None) -> bytes | None:
    """Decrypted JPEG bytes of a stored photo."""
    if photo_id is None:
        return None
    photo = session.get(Photo, photo_id)
    return pii.decrypt(photo.data_enc, b"photos.data") if photo else None
