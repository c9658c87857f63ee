"""A small quality score for a detected face: how well it can be recognised, 0 (poor) to 1 (good).

The product of three parts, each in [0, 1]:

* the detector's confidence;
* size: 1 from ``GOOD_FACE_SIDE`` pixels (the shorter side of the box) down
  linearly to 0 at P-Net's 12-px window.  A face of 86 px, grown by 30 % for the VGGFace2 crop,
  fills half the 224-px model input; smaller faces are enlarged more than 2×;
* sharpness: the variance of the Laplacian of the face, grey, at 64×64, with its
  contrast normalised (so a dark photo is not taken for a blurred one); 1 from
  ``GOOD_SHARPNESS``.  Measured on generated faces (BENCHMARKS.md, "Face quality"):
  sharp faces 0.34–0.87, blurred with σ = 1.5 px 0.11–0.29, with σ = 3 px 0.02–0.09.

It orders faces (the best face of a person or group is shown first) and is
stored with each face; it decides nothing on its own.
"""

from __future__ import annotations

import numpy as np

from faceapp.core.detection.mtcnn import PNET_CELL
from faceapp.core.types import Face

__all__ = ["face_quality", "sharpness", "GOOD_FACE_SIDE", "GOOD_SHARPNESS"]

GOOD_FACE_SIDE = 86
GOOD_SHARPNESS = 0.35
_PATCH = 64


def sharpness(image: np.ndarray, face: Face) -> float:
    """Contrast-normalised Laplacian variance of the face box (see the module docstring)."""
    from PIL import Image

    box = face.box
    region = image[max(0, box.y):box.y + box.height, max(0, box.x):box.x + box.width]
    if region.size == 0 or min(region.shape[:2]) < 3:
        return 0.0
    gray = np.asarray(Image.fromarray(np.ascontiguousarray(region)).convert("L")
                      .resize((_PATCH, _PATCH), Image.Resampling.BILINEAR), np.float32)
    gray = (gray - gray.mean()) / max(float(gray.std()), 1.0)
    laplacian = (4 * gray[1:-1, 1:-1] - gray[:-2, 1:-1] - gray[2:, 1:-1] - gray[1:-1, :-2] - gray[1:-1, 2:])
    return float(laplacian.var())


def face_quality(image: np.ndarray, face: Face) -> float:
    """The face's quality score in [0, 1] (see the module docstring)."""
    side = min(face.box.width, face.box.height)
    size_part = float(np.clip((side - PNET_CELL) / (GOOD_FACE_SIDE - PNET_CELL), 0.0, 1.0))
    sharp_part = float(np.clip(sharpness(image, face) / GOOD_SHARPNESS, 0.0, 1.0))
    return round(float(face.confidence) * size_part * sharp_part, 3)
