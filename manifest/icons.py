"""The Teams app icons, drawn with Pillow: a ticket on the accent colour (192×192, full colour) and the same
ticket as a white outline on transparency (32×32), the two images a Teams app package must hold."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

COLOR_SIZE = 192
OUTLINE_SIZE = 32
WHITE = (255, 255, 255, 255)
TRANSPARENT = (0, 0, 0, 0)

# The ticket on a 32-unit grid: its body, the two notches cut into its sides, and the tear line.
BODY = (3, 8, 28, 23)
NOTCHES = ((0, 12, 6, 19), (25, 12, 31, 19))
TEAR_X = 21
TEAR_DOTS = (10, 13, 16, 19)


def _hex_rgba(color: str) -> tuple[int, int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), 255


def _scaled(box: tuple[int, int, int, int], scale: int) -> tuple[int, int, int, int]:
    return tuple(v * scale for v in box)  # type: ignore[return-value]


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def color_icon(accent: str) -> bytes:
    """192×192 PNG: a white ticket, notched and perforated, on the accent colour (opaque)."""
    scale = COLOR_SIZE // OUTLINE_SIZE
    background = _hex_rgba(accent)
    image = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), background)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(_scaled(BODY, scale), radius=2 * scale, fill=WHITE)
    for notch in NOTCHES:
        draw.ellipse(_scaled(notch, scale), fill=background)
    for y in TEAR_DOTS:
        draw.rectangle(_scaled((TEAR_X, y, TEAR_X + 1, y + 1), scale), fill=background)
    return _png(image)


def outline_icon() -> bytes:
    """32×32 PNG: the ticket's outline in white on a transparent background, nothing else."""
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), TRANSPARENT)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(BODY, radius=2, outline=WHITE, width=2)
    left, right = NOTCHES
    for notch in NOTCHES:
        draw.ellipse(notch, fill=TRANSPARENT)
    # Only the halves of the notches that lie inside the ticket are drawn (angles run clockwise from 3 o'clock).
    draw.arc(left, start=270, end=90, fill=WHITE, width=2)
    draw.arc(right, start=90, end=270, fill=WHITE, width=2)
    for y in TEAR_DOTS:
        draw.point((TEAR_X, y), fill=WHITE)
    return _png(image)
