"""Image inputs for self-supervised learning: folders or a manifest, decoded once into memory.

Three layouts are read, all into one :class:`ImageSet` (a uint8 tensor of shape
``(N, 3, size, size)`` with labels and split names):

- the Image网 layout as fastai ships it: ``train/<class>/``, ``val/<class>/`` and ``unsup/``
  (flat, or with class folders whose names are ignored: unlabelled means unlabelled);
- any ImageFolder-style tree ``<class>/*.jpg`` (every image in split ``train``);
- a manifest CSV with columns ``path``, ``split`` and ``label`` (``wnid`` is accepted as the
  label column); ``path`` is relative to the CSV. Labels of ``unsup`` rows are never read.

Every image is converted to RGB (greyscale, CMYK, palette and alpha images included),
centre-cropped to a square and resized once to ``size`` pixels. A file that cannot be decoded
is skipped and counted (``ImageSet.skipped`` names each file and the reason), so one broken
JPEG never stops a run; a set where nothing decodes is a :class:`CastlabError`.

Examples
--------
>>> import tempfile
>>> from castlab.selfsup.synthetic import write_image_folders
>>> root = write_image_folders(tempfile.mkdtemp(), per_class=2, unlabelled=4, size=24)
>>> images = load_images(root, size=16)
>>> images.pixels.shape, images.classes[:2], images.counts()
(torch.Size([16, 3, 16, 16]), ('circle', 'square'), {'train': 6, 'val': 6, 'unsup': 4})
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from castlab.core.errors import CastlabError
from castlab.core.images import rgb_image
from castlab.core.readers import files_under

__all__ = [
    "IMAGE_SUFFIXES",
    "ImageSet",
    "decode_image",
    "find_images",
    "load_images",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
SPLITS = ("train", "val", "unsup")
UNLABELLED = -1  # label of an image without a class


@dataclass(frozen=True)
class ImageSet:
    """Decoded images in memory, with labels (``-1``: unlabelled) and split names.

    ``pixels`` is uint8 ``(N, 3, size, size)``; ``labels`` int64 ``(N,)``; ``splits`` and
    ``paths`` have one entry per image; ``skipped`` lists ``(path, reason)`` of files that
    did not decode.
    """

    pixels: torch.Tensor
    labels: torch.Tensor
    splits: tuple[str, ...]
    paths: tuple[str, ...]
    classes: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = field(default=())

    def __len__(self) -> int:
        return len(self.paths)

    def split(self, name: str) -> ImageSet:
        """The images of one split (``train``, ``val`` or ``unsup``)."""
        keep = [i for i, s in enumerate(self.splits) if s == name]
        index = torch.tensor(keep, dtype=torch.long)
        return ImageSet(
            self.pixels[index],
            self.labels[index],
            tuple(self.splits[i] for i in keep),
            tuple(self.paths[i] for i in keep),
            self.classes,
            self.skipped,
        )

    def check_labelled(self, what: str) -> tuple[ImageSet, ImageSet]:
        """The ``train`` and ``val`` images, or a one-line error saying why ``what`` (a
        classifier, a linear probe) cannot learn from them: a split is empty, the training
        images hold one class (every guess would be it, and validation of one class says
        1.000), or an image is in both splits (validation would score what was learnt).

        Without a ``val`` split (``<class>/`` folders), every fifth image of each class
        is held out of ``train`` for validation (:meth:`with_held_out_val`).
        """
        source = self if "val" in self.splits else self.with_held_out_val()
        train, val = source.split("train"), source.split("val")
        fix = "use train/<class>/ and val/<class>/ folders or a manifest with both splits"
        if len(train) == 0 or len(val) == 0:
            raise CastlabError(
                f"{what} needs labelled train and val images, found {self.counts()}", fix=fix
            )
        seen = sorted({self.classes[k] for k in train.labels.tolist() if k >= 0})
        if len(seen) < 2:
            raise CastlabError(
                f"{what} needs two classes or more among the training images, found "
                f"{', '.join(seen) or 'none'}",
                fix="add images of another class to train/<class>/",
            )
        both = sorted(set(train.paths) & set(val.paths))
        if both:
            raise CastlabError(
                f"{len(both)} image(s) in both train and val (first: {both[0]}): validation "
                "would score images it learnt from",
                fix="list each image in one split only",
            )
        return train, val

    def with_held_out_val(self, every: int = 5) -> ImageSet:
        """These images with every ``every``-th labelled training image of each class (in
        file order, from the first) moved to ``val``; classes of one image keep it to train.

        Examples
        --------
        >>> import torch
        >>> images = ImageSet(torch.zeros(6, 3, 2, 2, dtype=torch.uint8),
        ...     torch.tensor([0, 0, 0, 1, 1, 1]), ("train",) * 6, tuple("abcdef"), ("x", "y"))
        >>> images.with_held_out_val().splits
        ('val', 'train', 'train', 'val', 'train', 'train')
        """
        by_class: dict[int, list[int]] = {}  # each class's training images, in file order
        for i, (split, label) in enumerate(zip(self.splits, self.labels.tolist())):
            if split == "train" and label != UNLABELLED:
                by_class.setdefault(label, []).append(i)
        splits = list(self.splits)
        for members in by_class.values():
            if len(members) >= 2:
                for i in members[::every]:
                    splits[i] = "val"
        return replace(self, splits=tuple(splits))

    def counts(self) -> dict[str, int]:
        """Images per split, in the order train, val, unsup, then any others."""
        names = [s for s in SPLITS if s in self.splits]
        names += sorted(set(self.splits) - set(SPLITS))
        return {name: self.splits.count(name) for name in names}

    @property
    def size(self) -> int:
        """Side length of every image in pixels."""
        return int(self.pixels.shape[-1])


def decode_image(path: str | Path, size: int) -> np.ndarray:
    """Decode any Pillow-readable image to RGB, centre-crop square, resize to ``size``.

    Returns uint8 ``(size, size, 3)``. Raises :class:`CastlabError` naming the file when
    it cannot be decoded.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> path = Path(tempfile.mkdtemp()) / "cmyk.jpg"
    >>> Image.new("CMYK", (40, 20), (0, 255, 0, 0)).save(path)
    >>> decode_image(path, 8).shape
    (8, 8, 3)
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.format == "JPEG":  # decode at reduced scale: much faster for big JPEGs
                image.draft("RGB", (size * 2, size * 2))
            image = rgb_image(image)  # upright, any bit depth, transparency over white
            width, height = image.size
            side = min(width, height)
            left, top = (width - side) // 2, (height - side) // 2
            image = image.crop((left, top, left + side, top + side))
            image = image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
            return np.asarray(image, dtype=np.uint8).copy()
    except FileNotFoundError:
        raise CastlabError("image file not found", path=path, fix="check the path") from None
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        ValueError,
        SyntaxError,
    ) as error:
        raise CastlabError(
            f"cannot decode image ({type(error).__name__}: {error})",
            path=path,
            fix="remove or replace this file",
        ) from None


def _images_in(folder: Path) -> list[Path]:
    return [p for p in files_under(folder) if p.suffix.lower() in IMAGE_SUFFIXES]


def _class_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and _images_in(p))


def _read_manifest(path: Path) -> list[tuple[Path, str, str | None]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        label_column = "label" if "label" in columns else "wnid" if "wnid" in columns else None
        if "path" not in columns:
            raise CastlabError(
                "manifest has no 'path' column", path=path, line=1, fix="columns: path,split,label"
            )
        rows, lines = [], []
        for line, row in enumerate(reader, start=2):
            label = None if label_column is None else (row[label_column] or "").strip() or None
            if "split" not in columns:  # no split column: labelled rows train, the rest unsup
                split = "train" if label else "unsup"
            else:
                split = (row.get("split") or "").strip() or "train"
            if split not in SPLITS:
                raise CastlabError(
                    f"split {split!r} is not one of {', '.join(SPLITS)}",
                    path=path,
                    line=line,
                    fix="write train, val or unsup in the split column",
                )
            if split == "unsup":
                label = None  # an unlabelled image's class is never read
            elif label is None:
                raise CastlabError(
                    f"{split} row without a label",
                    path=path,
                    line=line,
                    fix="fill the label, or make it an unsup row",
                )
            rows.append((path.parent / (row["path"] or "").strip(), split, label))
            lines.append(line)
    if rows and not any(image.exists() for image, _, _ in rows):
        raise CastlabError(
            f"none of the manifest's images is there (first: {rows[0][0]}); paths are read "
            f"relative to the manifest's folder",
            path=path,
            line=lines[0],
            fix="write each path relative to the manifest's folder, or absolute",
        )
    return rows


def find_images(source: str | Path) -> list[tuple[Path, str, str | None]]:
    """List ``(file, split, class or None)`` for a manifest CSV or a folder tree.

    Examples
    --------
    >>> import tempfile
    >>> from castlab.selfsup.synthetic import write_image_folders
    >>> root = write_image_folders(tempfile.mkdtemp(), per_class=1, unlabelled=1, size=16)
    >>> [(p.parent.name, split, label) for p, split, label in find_images(root)][:2]
    [('circle', 'train', 'circle'), ('square', 'train', 'square')]
    """
    source = Path(source)
    if not source.exists():
        raise CastlabError("no such file or folder", path=source, fix="check the path")
    if source.is_file():
        if source.suffix.lower() != ".csv":
            raise CastlabError(
                "expected a folder of images or a manifest .csv",
                path=source,
                fix="pass the dataset folder or its manifest.csv",
            )
        return _read_manifest(source)
    if (source / "manifest.csv").exists() and not (source / "train").is_dir():
        return _read_manifest(source / "manifest.csv")
    found: list[tuple[Path, str, str | None]] = []
    if any((source / split).is_dir() for split in SPLITS):  # Image网 layout
        for split in ("train", "val"):
            if (source / split).is_dir():
                for folder in _class_folders(source / split):
                    found += [(p, split, folder.name) for p in _images_in(folder)]
        if (source / "unsup").is_dir():
            found += [(p, "unsup", None) for p in _images_in(source / "unsup")]
    else:  # ImageFolder: class folders directly below
        for folder in _class_folders(source):
            found += [(p, "train", folder.name) for p in _images_in(folder)]
    if not found:
        raise CastlabError(
            "no images found",
            path=source,
            fix="use train/<class>/, val/<class>/, unsup/ folders, <class>/ folders or a manifest",
        )
    return found


@lru_cache(maxsize=4)
def _load_cached(source: str, size: int, splits: tuple[str, ...] | None, mtime: float) -> ImageSet:
    from tqdm.auto import tqdm

    entries = [e for e in find_images(source) if splits is None or e[1] in splits]
    if not entries:
        raise CastlabError(
            f"no images in splits {', '.join(splits or ())}",
            path=source,
            fix="add them as train/ val/ unsup/ folders or in a manifest's split column "
            "(pretrain reads the splits --splits names)",
        )
    classes = tuple(sorted({label for _, _, label in entries if label is not None}))
    index = {name: i for i, name in enumerate(classes)}
    pixels, labels, kept_splits, paths, skipped = [], [], [], [], []
    for path, split, label in tqdm(entries, desc="decoding images", leave=False, disable=None):
        try:
            pixels.append(decode_image(path, size))
        except CastlabError as error:
            skipped.append((str(path), error.message))
            continue
        labels.append(UNLABELLED if label is None else index[label])
        kept_splits.append(split)
        paths.append(str(path))
    if not pixels:
        path, reason = skipped[0]
        raise CastlabError(f"no image could be decoded; first: {reason}", path=path)
    array = np.stack(pixels).transpose(0, 3, 1, 2)  # (N, H, W, 3) -> (N, 3, H, W)
    return ImageSet(
        torch.from_numpy(np.ascontiguousarray(array)),
        torch.tensor(labels, dtype=torch.long),
        tuple(kept_splits),
        tuple(paths),
        classes,
        tuple(skipped),
    )


def load_images(
    source: str | Path, *, size: int = 64, splits: tuple[str, ...] | None = None
) -> ImageSet:
    """Decode every image under ``source`` once, at ``size`` px, into memory.

    ``splits`` keeps only those splits (default: all). The result is cached per process
    (source, size, splits), so a second call with the same arguments costs nothing.
    """
    if size < 8:
        raise CastlabError(f"--size {size} is too small", fix="use 8 pixels or more")
    source = Path(source)
    mtime = source.stat().st_mtime if source.exists() else 0.0
    return _load_cached(str(source), size, splits, mtime)
