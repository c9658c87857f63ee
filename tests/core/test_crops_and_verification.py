"""Crop recipes, preprocessing and verification maths."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.detection.align import crop_face, grow_box
from faceapp.core.types import Box
from faceapp.core.verification import cosine_distance, judge, validate_threshold
from faceapp.core.vggface.preprocess import preprocess_input


def coordinate_image(width: int = 400, height: int = 300) -> np.ndarray:
    """Red = x // 2, green = y // 2: a crop tells where it came from."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs // 2, ys // 2, np.zeros_like(xs)], axis=2).astype(np.uint8)


def test_vggface2_grows_30_percent_and_centre_crops():
    box = Box(100, 100, 100, 160)  # centre (150, 180)
    assert grow_box(box, 400, 300, 0.3) == (85, 76, 215, 284)
    crop = crop_face(coordinate_image(), box, "vggface2")
    assert crop.shape == (224, 224, 3)
    # The shorter side (130 px wide) fills 224 px: the crop spans x 85..215 fully.
    assert abs(int(crop[112, 0, 0]) - 85 // 2) <= 1 and abs(int(crop[112, 223, 0]) - 214 // 2) <= 1
    # Vertically it is centred on the box centre (y = 180 → green 90).
    assert abs(int(crop[112, 112, 1]) - 90) <= 1


def test_vggface2_clips_at_the_border():
    crop = crop_face(coordinate_image(), Box(0, 0, 50, 50), "vggface2")
    assert crop.shape == (224, 224, 3) and crop[0, 0, 0] == 0


def test_tutorial_uses_exact_box():
    crop = crop_face(coordinate_image(), Box(100, 50, 100, 200), "tutorial")
    assert crop.shape == (224, 224, 3)
    assert abs(int(crop[0, 0, 0]) - 50) <= 1 and abs(int(crop[223, 223, 1]) - 124) <= 1


def test_unknown_recipe():
    with pytest.raises(ValueError, match="'square'"):
        crop_face(coordinate_image(), Box(0, 0, 10, 10), "square")


def test_preprocess_versions():
    pixel = np.array([[[10.0, 20.0, 30.0]]])
    np.testing.assert_allclose(preprocess_input(pixel, 1)[0, 0], [30 - 93.5940, 20 - 104.7624, 10 - 129.1863], rtol=1e-6)
    np.testing.assert_allclose(preprocess_input(pixel, 2)[0, 0], [30 - 91.4953, 20 - 103.8827, 10 - 131.0912], rtol=1e-6)
    with pytest.raises(ValueError):
        preprocess_input(pixel, 3)


def test_cosine_distance_and_verdict():
    assert cosine_distance([1, 0], [1, 0]) == pytest.approx(0.0)
    assert cosine_distance([1, 0], [0, 2]) == pytest.approx(1.0)
    assert cosine_distance([1, 0], [-1, 0]) == pytest.approx(2.0)
    assert judge(0.5, 0.5).match and not judge(0.51, 0.5).match
    assert judge(0.3).similarity == pytest.approx(0.7)
    with pytest.raises(ValueError, match="different models"):
        cosine_distance(np.ones(4), np.ones(5))


@pytest.mark.parametrize("bad", [-0.1, 1.5, "abc", float("nan")])
def test_threshold_validation(bad):
    with pytest.raises(ValueError, match="threshold"):
        validate_threshold(bad)
