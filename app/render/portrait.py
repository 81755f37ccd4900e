"""Placeholder portraits for demo holders: a drawn head and shoulders, never a real face.

Demo certificates should look as real ones will (a photo in the photo box), without anyone's
likeness: flat shapes in varied skin, hair, clothing and ID-photo background colours.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

BACKGROUNDS = ((67, 142, 219), (255, 255, 255), (214, 40, 40), (232, 236, 241))  # ID-photo blue, white, red, grey
SKIN = ((241, 204, 170), (226, 185, 143), (198, 150, 110), (173, 125, 90))
HAIR = ((30, 28, 28), (55, 40, 30), (90, 88, 86), (20, 20, 24))
CLOTHES = ((38, 52, 82), (60, 60, 64), (235, 235, 230), (32, 90, 70), (120, 30, 40))


def placeholder_portrait(seed: int, size: tuple[int, int] = (300, 400)) -> bytes:
    """A JPEG portrait drawn from `seed`: the same seed always gives the same picture."""
    rng = random.Random(seed)
    w, h = size
    image = Image.new("RGB", size, rng.choice(BACKGROUNDS))
    draw = ImageDraw.Draw(image)
    skin, hair, clothes = rng.choice(SKIN), rng.choice(HAIR), rng.choice(CLOTHES)
    head_w, head_h = w * rng.uniform(0.46, 0.52), h * rng.uniform(0.42, 0.46)
    cx, top = w / 2, h * 0.13
    draw.ellipse((w * 0.02, h * 0.72, w * 0.98, h * 1.4), fill=clothes)  # shoulders
    draw.rectangle((cx - w * 0.09, top + head_h * 0.8, cx + w * 0.09, h * 0.76), fill=skin)  # neck
    draw.polygon([(cx - w * 0.12, h * 0.74), (cx, h * 0.86), (cx + w * 0.12, h * 0.74)], fill=skin)  # collar opening
    draw.ellipse((cx - head_w / 2, top, cx + head_w / 2, top + head_h), fill=skin)
    hairline = top + head_h * rng.uniform(0.2, 0.3)
    draw.chord((cx - head_w / 2 - 4, top - 8, cx + head_w / 2 + 4, hairline * 2 - top + 8), 180, 360, fill=hair)
    if rng.random() < 0.35:  # longer hair at the sides
        draw.rectangle((cx - head_w / 2 - 3, hairline - 4, cx - head_w / 2 + 10, top + head_h * 0.9), fill=hair)
        draw.rectangle((cx + head_w / 2 - 10, hairline - 4, cx + head_w / 2 + 3, top + head_h * 0.9), fill=hair)
    eye_y, eye_dx = top + head_h * 0.5, head_w * 0.2
    for x in (cx - eye_dx, cx + eye_dx):
        draw.ellipse((x - 6, eye_y - 5, x + 6, eye_y + 5), fill=(40, 34, 30))
    draw.arc((cx - 22, top + head_h * 0.66, cx + 22, top + head_h * 0.8), 20, 160, fill=(150, 80, 70), width=3)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()
