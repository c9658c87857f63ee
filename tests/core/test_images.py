"""load_image: formats, orientation, conversions and every bad input."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from faceapp.core.errors import ImageLoadError
from faceapp.core.images import load_image
from tests.helpers import face_photo


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def test_jpeg_from_path_is_rgb_uint8():
    image = load_image(face_photo("obama.jpg"))
    assert image.dtype == np.uint8 and image.shape == (1137, 910, 3)


def test_rgba_png_matches_jpeg_original():
    png = load_image(face_photo("32bit.png"))
    jpg = load_image(face_photo("obama2.jpg"))
    assert png.shape == jpg.shape == (1200, 626, 3)
    assert np.abs(png.astype(int) - jpg.astype(int)).mean() < 3


def test_exif_rotation_is_applied():
    base = Image.new("RGB", (60, 30), (255, 0, 0))
    base.paste((0, 0, 255), (0, 0, 10, 30))  # blue band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    data = encode(base, "JPEG", exif=exif.tobytes(), quality=95)
    image = load_image(data)
    assert image.shape == (60, 30, 3)
    assert image[2, 15, 2] > 200 and image[2, 15, 0] < 60  # band now on top
    assert image[55, 15, 0] > 200


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "1"])
def test_modes_convert_to_rgb(mode):
    image = Image.new("RGB", (40, 20), (200, 100, 50)).convert(mode)
    fmt = "JPEG" if mode in ("CMYK", "L") else "PNG"
    array = load_image(encode(image, fmt))
    assert array.shape == (20, 40, 3) and array.dtype == np.uint8


def test_16_bit_grayscale_is_scaled_not_clipped():
    values = np.full((10, 10), 32768, dtype=np.uint16)
    image = Image.fromarray(values)  # uint16 → mode "I;16"
    array = load_image(encode(image, "PNG"))
    assert 120 <= array[0, 0, 0] <= 135  # half of the 16-bit range, not 255


def test_transparency_becomes_white():
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    array = load_image(encode(image, "PNG"))
    assert (array == 255).all()


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (8, 8), color) for color in ((255, 0, 0), (0, 255, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    array = load_image(buffer.getvalue())
    assert array[0, 0, 0] > 200 and array[0, 0, 1] < 50


@pytest.mark.parametrize("fmt", ["WEBP", "TIFF", "BMP", "PNG"])
def test_other_formats(fmt):
    array = load_image(encode(Image.new("RGB", (16, 12), (10, 20, 30)), fmt, **({"lossless": True} if fmt == "WEBP" else {})))
    assert array.shape == (12, 16, 3)
    assert tuple(array[0, 0]) == (10, 20, 30)


def test_extension_that_lies(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode(Image.new("RGB", (5, 5)), "PNG"))
    assert load_image(path).shape == (5, 5, 3)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageLoadError, match=r"'empty.jpg'.*empty"):
        load_image(path)


def test_truncated_jpeg(tmp_path):
    data = face_photo("obama.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match=r"'cut.jpg'.*truncated"):
        load_image(path)


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("hello, this is text")
    with pytest.raises(ImageLoadError, match=r"'notes.png'.*not an image"):
        load_image(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageLoadError, match="does not exist"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(ImageLoadError, match="folder"):
        load_image(tmp_path)


@pytest.mark.parametrize("name, kind", [("IMG_0042.HEIC", "HEIC"), ("DSC_0001.nef", "camera raw")])
def test_formats_faceapp_cannot_read_are_named(tmp_path, name, kind):
    path = tmp_path / name
    path.write_bytes(b"\0\0\0\x18ftypheic" + bytes(64))
    with pytest.raises(ImageLoadError, match=rf"'{name}': faceapp cannot read {kind} photos; save it as JPEG"):
        load_image(path)
    with pytest.raises(ImageLoadError, match="does not exist"):
        load_image(tmp_path / "missing.heic")


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [11_000, 40_000])
def test_decompression_bomb_refused_before_decoding(side):
    with pytest.raises(ImageLoadError, match="megapixels"):
        load_image(_png_header_only(side, side))


def test_pixel_cap_is_a_parameter():
    data = encode(Image.new("RGB", (100, 100)), "PNG")
    with pytest.raises(ImageLoadError, match="100×100"):
        load_image(data, max_pixels=5000)
