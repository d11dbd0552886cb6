"""Generated images with synthetic classes, so demos and tests need no downloaded data.

Each class is a shape (circle, square, triangle, stripes, ring, cross, ...) drawn in a random
colour, position and size on a random smooth background with noise. The class is visible
only in the shape, not in the colours, so a network has to look at structure, and pretext
tasks that need structure (in-painting, colourisation) help the downstream classifier.

Examples
--------
>>> pixels, labels = generate_images(6, size=16, n_classes=3, seed=0)
>>> pixels.shape, pixels.dtype, labels.tolist()
(torch.Size([6, 3, 16, 16]), torch.uint8, [0, 1, 2, 0, 1, 2])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from castlab.core.errors import require_at_least

__all__ = ["CLASS_NAMES", "generate_images", "write_image_folders"]

#: the synthetic classes, in label order
CLASS_NAMES = ("circle", "square", "triangle", "stripes", "ring", "cross", "diamond", "checker")


def _shape_mask(kind: str, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A boolean mask of one shape; ``x`` and ``y`` are centred, scaled coordinates."""
    angle = rng.uniform(0, np.pi)
    u = x * np.cos(angle) + y * np.sin(angle)
    v = -x * np.sin(angle) + y * np.cos(angle)
    r = np.sqrt(x**2 + y**2)
    if kind == "circle":
        return r < 1.0
    if kind == "square":
        return (np.abs(x) < 0.85) & (np.abs(y) < 0.85)
    if kind == "triangle":
        return (y < 0.8) & (y > 2 * np.abs(x) - 1.0)
    if kind == "stripes":
        return (r < 1.2) & (np.sin(u * 7.0) > 0)
    if kind == "ring":
        return (r < 1.0) & (r > 0.55)
    if kind == "cross":
        return ((np.abs(u) < 0.3) | (np.abs(v) < 0.3)) & (np.abs(u) < 1) & (np.abs(v) < 1)
    if kind == "diamond":
        return np.abs(x) + np.abs(y) < 1.0
    return (np.abs(x) < 1) & (np.abs(y) < 1) & ((np.floor(u * 2.5) + np.floor(v * 2.5)) % 2 == 0)


def generate_images(
    n: int, *, size: int = 32, n_classes: int = 4, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images (uint8 ``(n, 3, size, size)``) and labels cycling through the classes."""
    if not 1 <= n_classes <= len(CLASS_NAMES):
        raise ValueError(f"n_classes must be 1..{len(CLASS_NAMES)}")
    rng = np.random.default_rng(seed)
    grid = np.linspace(-1, 1, size)
    gx, gy = np.meshgrid(grid, grid)
    pixels = np.empty((n, size, size, 3), dtype=np.float32)
    labels = np.arange(n) % n_classes
    for i, label in enumerate(labels):
        top, bottom = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
        mix = (gy[..., None] + 1) / 2 * np.cos(rng.uniform(0, np.pi))
        image = top + (bottom - top) * np.clip(mix, 0, 1)
        image += rng.normal(0, 0.06, (size, size, 3))
        scale = rng.uniform(0.35, 0.6)
        cx, cy = rng.uniform(-0.35, 0.35, 2)
        mask = _shape_mask(CLASS_NAMES[label], (gx - cx) / scale, (gy - cy) / scale, rng)
        colour = rng.uniform(0, 1, 3)
        image[mask] = colour + rng.normal(0, 0.04, (int(mask.sum()), 3))
        pixels[i] = image
    array = (np.clip(pixels, 0, 1) * 255).round().astype(np.uint8).transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(array)), torch.from_numpy(labels).long()


def write_image_folders(
    root: str | Path,
    *,
    per_class: int = 10,
    unlabelled: int = 40,
    size: int = 32,
    n_classes: int = 3,
    seed: int = 0,
) -> Path:
    """Write an Image网-style tree of PNGs: ``train/<class>/``, ``val/<class>/``, ``unsup/``.

    ``per_class`` images per class go to each of train and val; ``unlabelled`` to unsup.
    One train image per tree is saved greyscale (mode ``L``), as real data has some. Counts
    below 1 (0 for ``unlabelled``) and sizes below 8 are refused in one line.
    """
    from PIL import Image

    root = Path(root)
    require_at_least("--per-class", per_class, 1)
    require_at_least("--unlabelled", unlabelled, 0)
    require_at_least("--size", size, 8)
    require_at_least("--classes", n_classes, 1)
    parts = {"train": per_class * n_classes, "val": per_class * n_classes, "unsup": unlabelled}
    for offset, (split, count) in enumerate(parts.items()):
        pixels, labels = generate_images(count, size=size, n_classes=n_classes, seed=seed + offset)
        for i, (image, label) in enumerate(zip(pixels, labels)):
            folder = root / split if split == "unsup" else root / split / CLASS_NAMES[label]
            folder.mkdir(parents=True, exist_ok=True)
            picture = Image.fromarray(image.permute(1, 2, 0).numpy())
            if split == "train" and i == 0:
                picture = picture.convert("L")
            picture.save(folder / f"{split}_{i:05d}.png")
    return root
