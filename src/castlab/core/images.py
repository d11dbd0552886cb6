"""Pictures as people hand them over, made plain RGB: upright, any bit depth, no transparency.

Phones store portrait photos sideways with an EXIF note to turn them; 16-bit greyscale PNGs
and TIFFs hold values up to 65535; float TIFFs hold 0-1; transparent PNGs hold colours under
their transparent pixels. Pillow's ``convert("RGB")`` ignores the first, clips the second to
white, rounds the third to black and shows the last. Both image domains (``art`` and
``selfsup``) read pictures through here.

Examples
--------
>>> from PIL import Image
>>> deep = Image.fromarray(np.full((2, 2), 1000, dtype=np.uint16))  # dark, in 16 bits
>>> round(float(rgb_array(deep).max()), 4), rgb_image(deep).getpixel((0, 0))
(0.0153, (4, 4, 4))
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["rgb_array", "rgb_image"]

#: Pillow modes of greyscale pixels wider than 8 bits, and the value that is full white.
_DEEP = {"I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0, "I;16N": 65535.0}


def _grey(picture: Any) -> np.ndarray | None:
    """Greyscale in [0, 1] for modes wider than 8 bits, else None."""
    mode = picture.mode
    if mode in _DEEP:
        grey = np.asarray(picture, dtype=np.float64) / _DEEP[mode]
    elif mode == "I":  # 32-bit integers: Pillow's mode for some 16-bit files, so judge by range
        grey = np.asarray(picture, dtype=np.float64)
        grey = grey / (65535.0 if grey.max() > 255 else 255.0)
    elif mode == "F":  # floats: 0 is black, 1 white
        grey = np.asarray(picture, dtype=np.float64)
    else:
        return None
    return np.clip(np.nan_to_num(grey), 0.0, 1.0)


def _flat(picture: Any) -> Any:
    """8-bit RGB, transparent parts laid over white."""
    from PIL import Image

    mode = picture.mode
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(white, rgba)
    return picture.convert("RGB")


def rgb_array(picture: Any) -> np.ndarray:
    """A Pillow image as float32 ``(H, W, 3)`` in [0, 1], upright (EXIF orientation applied),
    greyscale of any depth scaled by its depth, transparency over white."""
    from PIL import ImageOps

    picture = ImageOps.exif_transpose(picture)
    grey = _grey(picture)
    if grey is not None:
        return np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
    return np.asarray(_flat(picture), dtype=np.float32) / 255.0


def rgb_image(picture: Any) -> Any:
    """The same as :func:`rgb_array`, as an 8-bit RGB Pillow image."""
    from PIL import Image, ImageOps

    picture = ImageOps.exif_transpose(picture)
    grey = _grey(picture)
    if grey is not None:
        return Image.fromarray(np.round(grey * 255).astype(np.uint8)).convert("RGB")
    return _flat(picture)
