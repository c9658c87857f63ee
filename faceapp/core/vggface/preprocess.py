"""keras-vggface's ``preprocess_input``: RGB → BGR, minus the training set's mean.

No scaling to [0, 1] and no division by a standard deviation.
"""

from __future__ import annotations

import numpy as np

__all__ = ["preprocess_input", "BGR_MEANS"]

#: Per-channel means in BGR order, by preprocessing version.
BGR_MEANS = {
    1: np.array([93.5940, 104.7624, 129.1863], dtype=np.float32),  # VGGFace1 (vgg16)
    2: np.array([91.4953, 103.8827, 131.0912], dtype=np.float32),  # VGGFace2 (resnet50, senet50)
}


def preprocess_input(rgb: np.ndarray, version: int) -> np.ndarray:
    """Turn RGB pixels (``(..., 3)``, 0–255) into the models' input, float32 BGR."""
    if version not in BGR_MEANS:
        raise ValueError(f"preprocess version must be 1 or 2, got {version!r}")
    bgr = np.asarray(rgb, dtype=np.float32)[..., ::-1]
    return bgr - BGR_MEANS[version]
