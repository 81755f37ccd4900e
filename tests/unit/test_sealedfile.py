"""Sealed files: an upload kept encrypted at rest reads back byte for byte, and tampering is caught."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from app.domain.pii import PiiCipher
from app.storage.sealedfile import CHUNK, SealedFileError, SealedWriter, open_sealed

PII = PiiCipher(b"k" * 32)


def seal(folder: Path, data: bytes, piece: int = 64 * 1024) -> SealedWriter:
    writer = SealedWriter(PII, folder)
    for start in range(0, len(data), piece):
        writer.write(data[start:start + piece])
    writer.seek(0)
    writer.keep()
    return writer


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 12345])
def test_what_was_written_reads_back_the_same(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    writer = seal(tmp_path, data)
    assert writer.size == size
    with open_sealed(PII, writer.path) as reader:
        assert reader.read() == data


def test_the_file_on_disk_holds_no_plain_text(tmp_path: Path) -> None:
    data = "姓名,证件号码\n张三,11010519491231002X\n".encode("gbk") * 50_000
    writer = seal(tmp_path, data)
    stored = writer.path.read_bytes()
    assert b"11010519491231002X" not in stored and "张三".encode("gbk") not in stored


def test_the_reader_seeks_like_a_file_so_a_zip_can_be_read_from_its_end(tmp_path: Path) -> None:
    data = bytes(range(256)) * (3 * CHUNK // 256 + 7)
    writer = seal(tmp_path, data)
    with open_sealed(PII, writer.path) as reader:
        reader.seek(-10, io.SEEK_END)
        assert reader.read() == data[-10:]
        reader.seek(CHUNK - 5)
        assert reader.read(10) == data[CHUNK - 5:CHUNK + 5]


def test_a_file_cut_at_a_chunk_boundary_does_not_read_as_a_shorter_file(tmp_path: Path) -> None:
    writer = seal(tmp_path, os.urandom(2 * CHUNK + 10))
    stored = writer.path.read_bytes()
    writer.path.write_bytes(stored[:len(stored) - (10 + 33)])  # drop the last chunk
    with pytest.raises(SealedFileError), open_sealed(PII, writer.path) as reader:
        reader.read()


def test_a_changed_byte_or_another_key_is_refused(tmp_path: Path) -> None:
    writer = seal(tmp_path, b"x" * 1000)
    with pytest.raises(SealedFileError), open_sealed(PiiCipher(b"o" * 32), writer.path) as reader:
        reader.read()
    stored = bytearray(writer.path.read_bytes())
    stored[-1] ^= 1
    writer.path.write_bytes(bytes(stored))
    with pytest.raises(SealedFileError), open_sealed(PII, writer.path) as reader:
        reader.read()


def test_an_upload_nobody_kept_is_deleted_when_closed(tmp_path: Path) -> None:
    writer = SealedWriter(PII, tmp_path)
    writer.write(b"half an upload")
    writer.close()
    assert list(tmp_path.iterdir()) == []
