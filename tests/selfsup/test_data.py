"""Image inputs: layouts, odd image modes, corrupt files, manifests."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from castlab.core.errors import CastlabError
from castlab.selfsup.data import UNLABELLED, decode_image, find_images, load_images


def test_imagewang_layout_splits_labels_and_unlabelled(image_tree):
    images = load_images(image_tree, size=12)
    assert images.counts() == {"train": 12, "val": 12, "unsup": 12}
    assert images.pixels.dtype == torch.uint8 and images.pixels.shape[1:] == (3, 12, 12)
    unsup = images.split("unsup")
    assert (unsup.labels == UNLABELLED).all()
    assert sorted(set(images.split("train").labels.tolist())) == [0, 1, 2]


def test_load_is_cached_per_source_and_size(image_tree):
    assert load_images(image_tree, size=12) is load_images(image_tree, size=12)


def test_image_folder_tree_is_all_train(tmp_path):
    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        Image.new("RGB", (20, 30), (200, 10, 10)).save(tmp_path / name / "a.png")
    images = load_images(tmp_path, size=8)
    assert images.classes == ("cat", "dog") and images.counts() == {"train": 2}


def test_linked_class_folders_are_read(tmp_path):
    for name in ("cat", "dog"):
        (tmp_path / "shared" / name).mkdir(parents=True)
        Image.new("RGB", (20, 30), (200, 10, 10)).save(tmp_path / "shared" / name / "a.png")
        (tmp_path / "mine" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "mine" / name).symlink_to(tmp_path / "shared" / name)
    images = load_images(tmp_path / "mine", size=8)
    assert images.classes == ("cat", "dog") and images.counts() == {"train": 2}


@pytest.mark.parametrize("mode", ["L", "CMYK", "RGBA", "P", "I;16"])
def test_odd_modes_and_tiny_images_decode_to_rgb(tmp_path, mode):
    path = tmp_path / ("x.tif" if mode in ("CMYK", "I;16") else "x.png")
    Image.new(mode, (3, 2)).save(path)
    assert decode_image(path, 16).shape == (16, 16, 3)


def test_corrupt_file_is_skipped_counted_and_named(tmp_path, image_tree):
    import shutil

    root = tmp_path / "tree"
    shutil.copytree(image_tree, root)
    (root / "unsup" / "broken.jpg").write_bytes(b"\xff\xd8not a jpeg")
    images = load_images(root, size=8)
    assert images.counts()["unsup"] == 12
    [(path, reason)] = images.skipped
    assert path.endswith("broken.jpg") and "cannot decode" in reason


def test_nothing_decodable_is_one_clear_error(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "bad.png").write_bytes(b"nope")
    with pytest.raises(CastlabError, match="no image could be decoded"):
        load_images(tmp_path, size=8)


def test_manifest_never_reads_unsup_labels(tmp_path, image_tree):
    rows = ["path,split,wnid"]
    for path, split, label in find_images(image_tree):
        rows.append(f"{path.relative_to(image_tree)},{split},{label or 'secret'}")
    manifest = image_tree / "manifest_test.csv"
    manifest.write_text("\n".join(rows) + "\n")
    images = load_images(manifest, size=8)
    assert "secret" not in images.classes
    assert images.counts() == {"train": 12, "val": 12, "unsup": 12}


def test_manifest_problems_name_the_line(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("path,split,label\na.png,train,\n")
    with pytest.raises(CastlabError, match=r"m.csv:2: train row without a label"):
        find_images(bad)
    with pytest.raises(CastlabError, match="no such file"):
        find_images(tmp_path / "missing")
    with pytest.raises(CastlabError, match="no images found"):
        find_images(tmp_path)
    bad.write_text("path,split,label\na.png,training,circle\n")
    with pytest.raises(CastlabError, match=r"m.csv:2: split 'training' is not one of train"):
        find_images(bad)


def test_manifest_without_split_column_trains_on_labelled_rows(tmp_path, image_tree):
    rows = ["path,label"]
    for path, _split, label in find_images(image_tree):
        rows.append(f"{path.relative_to(image_tree)},{label or ''}")
    manifest = image_tree / "no_split.csv"
    manifest.write_text("\n".join(rows) + "\n")
    assert load_images(manifest, size=8).counts() == {"train": 24, "unsup": 12}


def test_manifest_whose_paths_are_relative_to_elsewhere_says_so(tmp_path, image_tree):
    rows = ["path,split,label"]
    for path, split, label in find_images(image_tree):
        rows.append(f"{path.relative_to(image_tree)},{split},{label or ''}")
    elsewhere = tmp_path / "lists" / "m.csv"
    elsewhere.parent.mkdir()
    elsewhere.write_text("\n".join(rows) + "\n")
    with pytest.raises(
        CastlabError,
        match=r"m.csv:2: none of the manifest's images is there.*"
        r"relative to the manifest's folder",
    ):
        find_images(elsewhere)


def test_truncated_jpeg_names_the_file(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(path, quality=95)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CastlabError, match=r"cut.jpg: cannot decode image"):
        decode_image(path, 16)
