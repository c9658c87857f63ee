"""Face crops for the models: the VGGFace2 authors' recipe and the tutorial's.

``vggface2`` (default): grow the box by 30 % around its centre, clip to the
photo, resize so the shorter side is ``CROP_SIZE``, centre-crop a square.
``tutorial``: the exact box resized to the square (aspect ratio ignored).
Both return RGB uint8 ``(CROP_SIZE, CROP_SIZE, 3)``; preprocessing happens later.
``CROP_SIZE`` is the models' input size (224).
"""

from __future__ import annotations

import numpy as np

from faceapp.core.defaults import CROP_RECIPES
from faceapp.core.images import resize_rgb as _resize
from faceapp.core.detection.turns import box_to_turned, turn
from faceapp.core.types import Box
from faceapp.core.vggface.catalog import INPUT_SIZE

__all__ = ["crop_face", "resize_whole", "CROP_SIZE", "grow_box"]

CROP_SIZE = INPUT_SIZE
#: The VGGFace2 authors extend the detected box by 30 % before cropping.
VGGFACE2_MARGIN = 0.3


def grow_box(box: Box, image_width: int, image_height: int, margin: float) -> tuple[int, int, int, int]:
    """``box`` grown by ``margin`` of its size around its centre, clipped: (x0, y0, x1, y1)."""
    cx, cy = box.center
    half_w = box.width * (1.0 + margin) / 2.0
    half_h = box.height * (1.0 + margin) / 2.0
    x0 = int(max(0, round(cx - half_w)))
    y0 = int(max(0, round(cy - half_h)))
    x1 = int(min(image_width, round(cx + half_w)))
    y1 = int(min(image_height, round(cy + half_h)))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def crop_face(image: np.ndarray, box: Box, recipe: str = "vggface2", rotation: int = 0) -> np.ndarray:
    """The square RGB crop of ``box`` in ``image`` by ``recipe``, upright.

    ``rotation`` (0, 90, 180, 270, the face's ``Face.rotation``): the photo is
    turned that far clockwise first, so a face lying on its side is cut standing.
    """
    if recipe not in CROP_RECIPES:
        raise ValueError(f"crop recipe must be one of {', '.join(CROP_RECIPES)}, got {recipe!r}")
    if rotation % 360:
        quarter = (rotation // 90) % 4
        box = box_to_turned(box, quarter, image.shape[1], image.shape[0])
        image = turn(image, quarter)
    height, width = image.shape[:2]
    margin = VGGFACE2_MARGIN if recipe == "vggface2" else 0.0
    x0, y0, x1, y1 = grow_box(box, width, height, margin)
    region = image[y0:y1, x0:x1]
    if recipe == "tutorial":
        return _resize(region, CROP_SIZE, CROP_SIZE)
    region_h, region_w = region.shape[:2]
    scale = CROP_SIZE / min(region_h, region_w)
    new_w = max(CROP_SIZE, int(round(region_w * scale)))
    new_h = max(CROP_SIZE, int(round(region_h * scale)))
    resized = _resize(region, new_w, new_h)
    top = (new_h - CROP_SIZE) // 2
    left = (new_w - CROP_SIZE) // 2
    return np.ascontiguousarray(resized[top:top + CROP_SIZE, left:left + CROP_SIZE])


def resize_whole(image: np.ndarray) -> np.ndarray:
    """An already-aligned face photo resized to the model's input square (``--aligned``)."""
    return _resize(image, CROP_SIZE, CROP_SIZE)
