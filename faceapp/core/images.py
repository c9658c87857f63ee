"""Loading photos: any common format in, an RGB uint8 array out.

EXIF orientation is applied, so every pixel coordinate faceapp reports refers to
the photo as people see it.  Bad input ends in :class:`ImageLoadError` whose
message names the file, the reason and what to do.

HEIC/HEIF (a phone's default) is read through pillow-heif, imported only when
the data is one (its ``ftyp`` brand says so, whatever the file is called): it
applies the photo's rotation and mirroring (``irot``/``imir``) itself.  AVIF is
Pillow's own.  Sizes are checked from the header before any decoding, for these
as for every format.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Union

import numpy as np

from faceapp.core.defaults import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from faceapp.core.errors import ImageLoadError
from faceapp.core.formats import SUPPORTED_FORMATS, unreadable_format

__all__ = ["check_file", "load_image", "resize_rgb", "ImageSource", "describe_source", "prepare_heif"]

ImageSource = Union[str, os.PathLike, bytes, bytearray]

_CHOOSE_ANOTHER = "choose another photo"

#: ``ftyp`` major brands of HEIF files with HEVC images (ISO/IEC 23008-12); AVIF's are Pillow's own.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"})
_heif_registered = False


def describe_source(source: ImageSource) -> str:
    """A short name for messages: the file name, or 'the pasted image'."""
    if isinstance(source, (bytes, bytearray)):
        return "the pasted image"
    return f"'{Path(source).name}'"


def _fail(source: ImageSource, reason: str, advice: str = _CHOOSE_ANOTHER) -> ImageLoadError:
    return ImageLoadError(f"Cannot open {describe_source(source)}: {reason}; {advice}.")


def check_file(path: str | os.PathLike) -> None:
    """Raise the one-sentence ImageLoadError when ``path`` is missing or a folder (cheap: no decoding)."""
    if not Path(path).exists():
        raise _fail(path, "the file does not exist", "check the path")
    if Path(path).is_dir():
        raise _fail(path, "it is a folder, not a file", "choose a photo file")


def _read_bytes(source: ImageSource, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(source)
        check_file(path)
        kind = unreadable_format(path.name)
        if kind:  # known by its name: no need to read it
            raise _fail(source, f"faceapp cannot read {kind} photos", "save it as JPEG and try again")
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise _fail(source, f"the file is larger than {max_bytes // (1024 * 1024)} MB")
            data = path.read_bytes()
        except PermissionError:
            raise _fail(source, "permission denied", "check the file's permissions") from None
        except OSError as exc:
            raise _fail(source, f"it could not be read ({exc.strerror or exc})") from None
    if not data:
        raise _fail(source, "the file is empty")
    if len(data) > max_bytes:
        raise _fail(source, f"the data is larger than {max_bytes // (1024 * 1024)} MB")
    return data


def _is_heif(data: bytes) -> bool:
    """Whether ``data`` starts like a HEIF file (an ISO base media ``ftyp`` box with a HEIF brand)."""
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _register_heif(source: ImageSource) -> None:
    """Teach Pillow to open HEIF (once per process); ImageLoadError when pillow-heif is not installed."""
    global _heif_registered
    if _heif_registered:
        return
    try:
        import pillow_heif
    except ImportError:
        raise _fail(source, "reading HEIC photos needs the pillow-heif package", "reinstall faceapp") from None
    # Only the primary image: faceapp never reads thumbnails, depth maps or auxiliary images.
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    _heif_registered = True


def prepare_heif(source: ImageSource, head: bytes) -> bool:
    """Whether ``head`` (the file's first 12 bytes or more) starts a HEIF file; if so, Pillow can open it after
    this (pillow-heif registered; ImageLoadError when it is not installed).

    pillow-heif turns the pixels by the file's ``irot``/``imir`` while decoding, so the image Pillow
    gives is upright: its size is the displayed one, its EXIF orientation is reset to 1, and the turn
    it applied is ``info["original_orientation"]`` (the EXIF orientation HEIF writers store alongside).
    """
    if not _is_heif(head):
        return False
    _register_heif(source)
    return True


def _to_rgb_array(image) -> np.ndarray:  # image: PIL.Image.Image
    from PIL import Image

    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # Pillow's convert("RGB") clips 16/32-bit values at 255: scale instead.
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        gray = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if mode == "F":
        values = np.asarray(image, dtype=np.float64)
        top = 1.0 if values.max(initial=0) <= 1.0 else 255.0
        gray = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Transparent pixels become white, as on a light photo viewer background.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def load_image(
    source: ImageSource,
    max_pixels: int = MAX_IMAGE_PIXELS,
    max_bytes: int = MAX_IMAGE_BYTES,
) -> np.ndarray:
    """Read a photo from a path or from encoded bytes.

    Returns an ``(height, width, 3)`` RGB uint8 array, EXIF-rotated.  Grayscale,
    palette, RGBA (composited on white), CMYK and 16-bit images are converted;
    animated images give their first frame.  Raises :class:`ImageLoadError` for
    anything that is not a readable image, is empty or truncated, or has more
    than ``max_pixels`` pixels (checked from the header, before decoding), and for the formats
    faceapp knows it cannot read (camera raw: :data:`~faceapp.core.formats.UNREADABLE_FORMATS`).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    data = _read_bytes(source, max_bytes)
    heif = _is_heif(data)
    if heif:
        _register_heif(source)
    with warnings.catch_warnings():
        # We enforce our own pixel cap below, before any decoding.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            raise _fail(source, f"the image has more than {max_pixels // 1_000_000} megapixels") from None
        except UnidentifiedImageError:
            if heif:  # a HEIF header whose boxes libheif cannot make sense of: cut short or corrupt
                raise _fail(source, "the HEIC file is truncated or damaged") from None
            raise _fail(source, f"it is not an image faceapp can read ({SUPPORTED_FORMATS})") from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise _fail(source, f"the file is damaged ({exc})") from None
        width, height = image.size
        if width <= 0 or height <= 0:
            raise _fail(source, "the image has no pixels")
        if width * height > max_pixels:
            raise _fail(
                source,
                f"the image is {width}×{height} pixels, more than the "
                f"{max_pixels // 1_000_000} megapixels faceapp accepts",
                "scale it down first",
            )
        try:
            image.seek(0)  # animated GIF/WebP/TIFF: the first frame
            image.load()
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            reason = "the file is truncated or damaged"
            # Pillow says "truncated"; libheif says "Unexpected end of file".
            if not any(word in str(exc).lower() for word in ("truncated", "end of file")):
                reason = f"the file is damaged ({exc})"
            raise _fail(source, reason) from None
        try:
            image = ImageOps.exif_transpose(image)
        except Exception:  # noqa: BLE001 - a broken EXIF block must not lose the photo
            pass
        try:
            return _to_rgb_array(image)
        except (OSError, ValueError) as exc:
            raise _fail(source, f"its colour format could not be converted ({exc})") from None


def resize_rgb(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` (RGB uint8) resized to ``width``×``height`` with Pillow's bilinear filter.

    When shrinking, Pillow widens the filter to cover every source pixel (antialiased,
    unlike a plain bilinear sample).  Used for thumbnails, crops and previews; the
    detector chooses its own downscale (``detection/mtcnn.py``, BENCHMARKS.md).
    """
    from PIL import Image

    if (width, height) == (image.shape[1], image.shape[0]):
        return image
    resized = Image.fromarray(np.ascontiguousarray(image)).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.uint8)
