"""Uploaded images are re-encoded with nothing of the original but its pixels."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.services.photos import sanitize_image
from tests.integration.review_fixtures import (
    SECRETS_IN_METADATA,
    jpeg_segments,
    jpeg_with_metadata,
    png_with_exif,
)

# What a baseline or progressive JPEG needs to be decoded: the JFIF header, quantisation and
# Huffman tables, frame and scan headers, restart interval.
NEEDED = {0xE0, 0xDB, 0xC4, 0xC0, 0xC1, 0xC2, 0xDD, 0xDA}


@pytest.mark.parametrize("original", [jpeg_with_metadata(), png_with_exif()], ids=["jpeg", "png"])
def test_no_metadata_segment_survives_the_re_encoding(original: bytes) -> None:
    clean, mime = sanitize_image(original)
    assert mime == "image/jpeg"
    segments = jpeg_segments(clean)
    assert {marker for marker, _ in segments} <= NEEDED
    assert [payload[:5] for marker, payload in segments if marker == 0xE0] == [b"JFIF\x00"]
    for secret in SECRETS_IN_METADATA:
        assert secret not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (200, 150) and not image.getexif()


def test_the_crafted_original_does_carry_every_kind_of_segment() -> None:
    """Guard for the test above: the input really has COM, EXIF, XMP, ICC and IPTC with the texts."""
    original = jpeg_with_metadata()
    markers = [marker for marker, _ in jpeg_segments(original)]
    assert {0xFE, 0xE1, 0xE2, 0xED} <= set(markers) and markers.count(0xE1) == 2
    assert all(secret in original for secret in SECRETS_IN_METADATA)
