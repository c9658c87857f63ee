"""Photos from phones: HEIC (pillow-heif) and AVIF (Pillow) read like any other photo; bad ones refused in one
sentence.  The files are made here with pillow-heif's and Pillow's encoders."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from faceapp.core.errors import ImageLoadError
from faceapp.core.formats import PHOTO_SUFFIXES, SUPPORTED_FORMATS, is_photo_name, unreadable_format
from faceapp.core.images import load_image
from tests.conftest import face_photo


def heic_bytes(image: Image.Image, **options) -> bytes:
    from pillow_heif import from_pillow

    buffer = io.BytesIO()
    from_pillow(image).save(buffer, quality=92, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(face_photo("obama-480p.jpg")).convert("RGB")


def test_heic_reads_like_the_jpeg_it_was_made_from(tmp_path, photo):
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(heic_bytes(photo))
    image = load_image(path)
    original = np.asarray(photo, dtype=np.float64)
    assert image.dtype == np.uint8 and image.shape == original.shape
    assert np.abs(image - original).mean() < 6  # lossy both ways: close, not equal
    assert load_image(path.read_bytes()).shape == image.shape  # pasted bytes too


def test_heic_rotation_is_honoured(tmp_path, photo):
    """A phone photo taken in portrait: stored sideways with orientation 6 (turn 90° clockwise to view)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "portrait.heic"
    path.write_bytes(heic_bytes(photo, exif=exif.tobytes()))
    image = load_image(path)
    assert image.shape == (photo.width, photo.height, 3)  # shown upright: width and height swapped
    upright = np.asarray(photo.transpose(Image.Transpose.ROTATE_270), dtype=np.float64)
    assert np.abs(image - upright).mean() < 6


def test_avif_reads(tmp_path, photo):
    path = tmp_path / "photo.avif"
    photo.save(path, "AVIF", quality=90)
    image = load_image(path)
    assert image.shape == (photo.height, photo.width, 3)
    assert np.abs(image - np.asarray(photo, dtype=np.float64)).mean() < 6


def test_a_jpeg_named_heic_just_works(tmp_path, photo):
    path = tmp_path / "IMG_0002.HEIC"
    photo.save(path, "JPEG", quality=90)
    assert load_image(path).shape == (photo.height, photo.width, 3)


@pytest.mark.parametrize("fraction", [0.9, 0.5, 0.05])
def test_truncated_heic_is_refused_in_one_sentence(tmp_path, photo, fraction):
    data = heic_bytes(photo)
    path = tmp_path / "cut.heic"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ImageLoadError) as caught:
        load_image(path)
    message = str(caught.value)
    assert message.startswith("Cannot open 'cut.heic': the ") and "truncated or damaged" in message
    assert message.endswith("; choose another photo.") and "\n" not in message


def test_heic_bomb_is_refused_before_decoding(tmp_path, photo, monkeypatch):
    """The pixel cap is checked from the header: the HEVC decoder never runs for a photo above it."""
    from pillow_heif.as_plugin import HeifImageFile

    path = tmp_path / "huge.heic"
    path.write_bytes(heic_bytes(photo))

    def no_decoding(self):
        raise AssertionError("decoded a photo above the pixel cap")

    monkeypatch.setattr(HeifImageFile, "load", no_decoding)
    with pytest.raises(ImageLoadError, match=r"'huge\.heic': the image is 853×480 pixels, more than"):
        load_image(path, max_pixels=853 * 480 - 1)


def test_formats_list_heic_and_avif():
    assert {".heic", ".heif", ".avif"} <= PHOTO_SUFFIXES
    assert is_photo_name("IMG_0001.HEIC") and unreadable_format("IMG_0001.HEIC") is None
    assert SUPPORTED_FORMATS.endswith("HEIC or AVIF")
    assert unreadable_format("DSC_0001.NEF") == "camera raw"
