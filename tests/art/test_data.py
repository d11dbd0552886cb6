"""Reading images: odd formats are handled, bad files are one clear CastlabError."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from castlab.art import data
from castlab.art.data import load_image, save_png, to_array, to_tensor
from castlab.core.errors import CastlabError


def _png16(array: np.ndarray, path) -> None:
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit RGB)."""
    height, width, channels = array.shape
    colour_type = {1: 0, 3: 2}[channels]
    raw = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_sample_image_is_square_rgb_in_unit_range():
    image = load_image("sample:china", size=48)
    assert image.shape == (48, 48, 3) and image.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1 and image.std() > 0.05


def test_unknown_sample_is_an_error():
    with pytest.raises(CastlabError, match="no sample image 'cat'"):
        load_image("sample:cat")


def test_not_an_image_is_one_line_error(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("hello, I am text")
    with pytest.raises(CastlabError) as error:
        load_image(path, size=32)
    assert "not an image" in str(error.value) and "\n" not in str(error.value)
    assert str(error.value).startswith(str(path))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CastlabError, match="file not found"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(CastlabError, match="folder"):
        load_image(tmp_path)


def test_one_pixel_image_is_refused(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (255, 0, 0)).save(path)
    with pytest.raises(CastlabError, match="1x1 pixels, smaller than 16x16"):
        load_image(path, size=32)


def test_sixteen_bit_grey_png_is_scaled(tmp_path):
    array = np.zeros((20, 24, 1), np.uint16)
    array[:, 12:] = 65535
    array[:, :12] = 32768
    path = tmp_path / "grey16.png"
    _png16(array, path)
    notes: list[str] = []
    image = load_image(path, report=notes.append)
    assert image[0, 0] == pytest.approx([32768 / 65535] * 3, abs=1e-4)
    assert image[0, -1] == pytest.approx([1, 1, 1])
    assert any("16-bit" in note for note in notes)


def test_sixteen_bit_rgb_png_keeps_its_colours(tmp_path):
    array = np.zeros((20, 20, 3), np.uint16)
    array[..., 0] = 65535
    array[..., 1] = 30000
    path = tmp_path / "rgb16.png"
    _png16(array, path)
    image = load_image(path)
    assert image[5, 5] == pytest.approx([1.0, 30000 / 65535, 0.0], abs=1 / 255)


def test_cmyk_jpeg_is_converted(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (40, 40), (0, 255, 255, 0)).save(path)  # pure red in CMYK
    notes: list[str] = []
    image = load_image(path, size=16, report=notes.append)
    assert image[8, 8] == pytest.approx([1, 0, 0], abs=0.02)
    assert any("CMYK" in note for note in notes)


def test_transparent_png_goes_over_white(tmp_path):
    path = tmp_path / "clear.png"
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(path)
    assert load_image(path)[0, 0] == pytest.approx([1, 1, 1])


def test_big_image_is_resized_with_a_message(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (3000, 2000), (10, 200, 30)).save(path, quality=90)
    notes: list[str] = []
    image = load_image(path, size=64, report=notes.append)
    assert image.shape == (64, 64, 3)
    assert notes == ["big.jpg: 3000x2000 centre-cropped and resized to 64x64"]


def test_decompression_bomb_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    Image.new("RGB", (100, 100)).save(path)
    monkeypatch.setattr(data, "MAX_PIXELS", 1000)  # Pillow refuses above twice this
    with pytest.raises(CastlabError, match="more than 1,000 pixels"):
        load_image(path)


def test_truncated_file_is_a_castlab_error(tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 64), (1, 2, 3)).save(good)
    broken = tmp_path / "broken.png"
    broken.write_bytes(good.read_bytes()[:60])
    with pytest.raises(CastlabError, match="cannot decode"):
        load_image(broken)


def test_tensor_round_trip_and_png(tmp_path):
    image = load_image("sample:flower", size=32)
    assert to_tensor(image).shape == (1, 3, 32, 32)
    assert np.allclose(to_array(to_tensor(image)), image)
    path = save_png(image, tmp_path / "x.png")
    again = load_image(path)
    assert np.abs(again - image).max() <= 1 / 255 + 1e-6
