"""Images in and out: read a user's image safely, scikit-learn's sample images, PNG writing.

Every image here is a float32 array of shape ``(H, W, 3)`` with values in ``[0, 1]``, or a
torch tensor of shape ``(1, 3, H, W)`` for the optimiser (see :func:`to_tensor`).

Input that Pillow reads oddly is handled: 16-bit PNGs are scaled from 0-65535, CMYK JPEGs
and palette/alpha images are converted to RGB (alpha over white), and huge images are
shrunk while decoding and reported through ``report``. A file that is not an image, or one
smaller than :data:`MIN_SIDE` pixels, raises :class:`~castlab.core.errors.CastlabError`.

Examples
--------
>>> image = load_image("sample:china", size=64)
>>> image.shape, image.dtype, bool(0 <= image.min() and image.max() <= 1)
((64, 64, 3), dtype('float32'), True)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from castlab.core.artifacts import atomic_write
from castlab.core.errors import CastlabError
from castlab.core.images import rgb_array

__all__ = [
    "MAX_PIXELS",
    "MIN_SIDE",
    "SAMPLE_IMAGES",
    "load_image",
    "save_png",
    "to_array",
    "to_tensor",
    "to_uint8",
]

#: scikit-learn's bundled photos, named ``sample:<name>`` wherever an image path is taken
SAMPLE_IMAGES = ("china", "flower")
#: the smallest side castlab accepts (SSIM needs an 11-pixel window; 16 leaves room)
MIN_SIDE = 16
#: images with more pixels than this are refused (a decompression bomb, not a photo)
MAX_PIXELS = 200_000_000


def _open(path: Path) -> Any:
    from PIL import Image, UnidentifiedImageError

    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    if path.is_dir():
        raise CastlabError("is a folder, not an image", path=path, fix="pass an image file")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except UnidentifiedImageError:
        raise CastlabError(
            "not an image Pillow can read", path=path, fix="pass a PNG, JPEG, WebP, GIF or BMP"
        ) from None
    except OSError as error:  # e.g. "Truncated File Read": a file cut inside its header
        raise CastlabError(
            f"cannot read image: {error}",
            path=path,
            fix="pass a complete PNG or JPEG (copy it again if it was cut short)",
        ) from None
    except Image.DecompressionBombError:
        raise CastlabError(
            f"image has more than {MAX_PIXELS:,} pixels", path=path, fix="shrink it first"
        ) from None


def _center_square(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image

    if image.shape[0] == size and image.shape[1] == size:
        return image
    channels = [
        np.asarray(
            Image.fromarray(image[..., c]).resize((size, size), Image.Resampling.LANCZOS),
            dtype=np.float32,
        )
        for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=2), 0, 1)


def load_image(
    source: str | Path,
    *,
    size: int | None = None,
    report: Callable[[str], None] | None = None,
) -> np.ndarray:
    """Read an image (a path or ``sample:china`` / ``sample:flower``) as RGB in ``[0, 1]``.

    Parameters
    ----------
    source:
        An image file, or ``sample:<name>`` for one of scikit-learn's sample photos.
    size:
        When given, centre-crop to a square and resize to ``size`` x ``size`` pixels.
    report:
        Called with a one-line note when the image is changed on the way in (resized,
        converted from CMYK or 16 bits).

    Returns
    -------
    numpy.ndarray
        float32, shape ``(H, W, 3)``, values in ``[0, 1]``.

    Examples
    --------
    >>> load_image("sample:flower", size=32).shape
    (32, 32, 3)
    """
    say = report or (lambda text: None)
    text = str(source)
    if text.startswith("sample:"):
        name = text.split(":", 1)[1]
        if name not in SAMPLE_IMAGES:
            raise CastlabError(
                f"no sample image {name!r}",
                fix=f"use one of {', '.join('sample:' + n for n in SAMPLE_IMAGES)}",
            )
        from sklearn.datasets import load_sample_image

        image = np.asarray(load_sample_image(f"{name}.jpg"), dtype=np.float32) / 255.0
    else:
        path = Path(source)
        picture = _open(path)
        width, height = picture.size
        if min(width, height) < MIN_SIDE:
            raise CastlabError(
                f"image is {width}x{height} pixels, smaller than {MIN_SIDE}x{MIN_SIDE}",
                path=path,
                fix="use a larger image",
            )
        if size is not None and picture.format == "JPEG" and min(width, height) > 4 * size:
            picture.draft("RGB", (2 * size, 2 * size))  # decode huge JPEGs at a fraction
        try:
            if picture.mode == "CMYK":
                say(f"{path.name}: CMYK converted to RGB")
            elif picture.mode.startswith("I;16"):
                say(f"{path.name}: 16-bit image scaled to 0-1")
            image = rgb_array(picture)
        except (OSError, ValueError) as error:
            raise CastlabError(
                f"cannot decode image: {error}",
                path=path,
                fix="pass a complete PNG or JPEG (copy it again if it was cut short)",
            ) from None
        if size is not None and (width, height) != (size, size):
            say(f"{path.name}: {width}x{height} centre-cropped and resized to {size}x{size}")
    if size is not None:
        image = _resize(_center_square(image), size)
    return np.ascontiguousarray(image, dtype=np.float32)


def to_tensor(image: np.ndarray) -> Any:
    """``(H, W, 3)`` array -> float32 torch tensor ``(1, 3, H, W)``."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)[None]


def to_array(image: Any) -> np.ndarray:
    """A ``(1, 3, H, W)`` or ``(3, H, W)`` tensor in ``[0, 1]`` -> float32 ``(H, W, 3)``."""
    tensor = image.detach().float().cpu().clamp(0, 1)
    if tensor.dim() == 4:
        tensor = tensor[0]
    return tensor.permute(1, 2, 0).numpy().astype(np.float32)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """``[0, 1]`` floats -> uint8 with rounding.

    Examples
    --------
    >>> to_uint8(np.array([[[0.0, 0.5, 1.0]]])).tolist()
    [[[0, 128, 255]]]
    """
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an ``(H, W, 3)`` image in ``[0, 1]`` (or uint8) as PNG, atomically."""
    from PIL import Image

    pixels = image if image.dtype == np.uint8 else to_uint8(image)
    with atomic_write(path, "wb") as handle:
        Image.fromarray(pixels).save(handle, format="PNG")
    return Path(path)
