"""Pictures made plain RGB: upright, any bit depth, transparency over white."""

import numpy as np
from PIL import Image

from castlab.core.images import rgb_array, rgb_image


def test_sixteen_bit_grey_is_scaled_by_its_depth_not_clipped_or_guessed(tmp_path):
    ramp = np.linspace(0, 65535, 64).astype(np.uint16).reshape(8, 8)
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    dark = np.full((8, 8), 200, dtype=np.uint16)  # a dark 16-bit picture, not a bright 8-bit one
    Image.fromarray(dark).save(tmp_path / "dark.png")
    with Image.open(tmp_path / "ramp.png") as picture:
        values = rgb_array(picture)[..., 0]
        assert values.min() == 0.0 and values.max() == 1.0
        assert abs(values.mean() - 0.5) < 0.01  # a real ramp, not near-white (it was 0.998)
    with Image.open(tmp_path / "dark.png") as picture:
        assert picture.mode.startswith("I;16")
        assert abs(float(rgb_array(picture).max()) - 200 / 65535) < 1e-6  # it read as 0.784


def test_float_pictures_run_from_black_to_white():
    picture = Image.fromarray(np.array([[0.0, 0.5], [1.0, 2.0]], dtype=np.float32))
    assert rgb_array(picture)[..., 1].tolist() == [[0.0, 0.5], [1.0, 1.0]]
    assert rgb_image(picture).getpixel((1, 0)) == (128, 128, 128)  # convert("RGB") gave 0


def test_a_sideways_phone_photo_comes_out_upright(tmp_path):
    pixels = np.zeros((32, 64, 3), dtype=np.uint8)
    pixels[:, :32] = (255, 0, 0)  # left half red, right half blue, as stored
    pixels[:, 32:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90 degrees clockwise to view
    Image.fromarray(pixels).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    with Image.open(tmp_path / "phone.jpg") as picture:
        upright = rgb_array(picture)
        assert upright.shape == (64, 32, 3)  # tall, as a viewer shows it
        assert upright[2, 16, 0] > 0.8 and upright[-3, 16, 2] > 0.8  # red on top, blue below
        assert rgb_image(picture).size == (32, 64)


def test_transparent_parts_are_white():
    picture = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    picture.putpixel((1, 0), (10, 20, 30, 255))
    assert rgb_image(picture).getpixel((0, 0)) == (255, 255, 255)
    assert rgb_image(picture).getpixel((1, 0)) == (10, 20, 30)
