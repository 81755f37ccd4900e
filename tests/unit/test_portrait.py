"""Demo holders' placeholder portraits: drawn, repeatable, varied."""

from __future__ import annotations

import io

from PIL import Image

from app.render.portrait import placeholder_portrait


def test_a_portrait_is_a_3_by_4_jpeg_and_the_same_seed_draws_the_same_picture() -> None:
    data = placeholder_portrait(7)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (300, 400)
    assert placeholder_portrait(7) == data


def test_holders_do_not_all_look_alike() -> None:
    assert len({placeholder_portrait(seed) for seed in range(12)}) == 12
