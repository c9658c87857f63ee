"""faceapp's MTCNN inference: its weights are checked, and it agrees with the mtcnn package it replaces."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.detection import mtcnn as M
from faceapp.core.errors import WeightsError
from faceapp.core.images import load_image, resize_rgb
from tests.helpers import face_photo
from tests.testdata import KNOWN_FACES

WORKING_SIDE = 1024  # faceapp's working size (DETECTION_MAX_SIDE): both detectors see the same image


@pytest.fixture(scope="module")
def ours():
    return M.MTCNN()


@pytest.fixture(scope="module")
def reference():
    from mtcnn import MTCNN

    return MTCNN()


def working_image(name: str) -> np.ndarray:
    image = load_image(face_photo(name))
    height, width = image.shape[:2]
    scale = min(1.0, WORKING_SIDE / max(height, width))
    return resize_rgb(image, round(width * scale), round(height * scale))


def iou(a, b) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("name", list(KNOWN_FACES))
def test_same_faces_as_the_mtcnn_package(ours, reference, name):
    """Same working image, same thresholds and smallest face: same faces, boxes, confidences, landmarks."""
    image = working_image(name)
    height, width = image.shape[:2]
    theirs = reference.detect_faces(image, min_face_size=20)
    found = ours.detect(image, min_face=20, antialias=False)
    assert len(found.boxes) == len(theirs)
    # The package clips boxes to the image (its fit_to_image); compare alike.
    boxes = np.clip(found.boxes, 0, [width - 1, height - 1, width - 1, height - 1])
    for face in theirs:
        x, y, w, h = face["box"]
        target = (x, y, x + w, y + h)
        index = max(range(len(boxes)), key=lambda i: iou(boxes[i], target))
        assert iou(boxes[index], target) >= 0.9
        assert abs(float(found.scores[index]) - float(face["confidence"])) <= 0.02
        size = max(w, h)
        keys = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")  # the package's (viewer's) order
        expected = np.array([face["keypoints"][k] for k in keys], np.float64)
        assert np.abs(found.landmarks[index] - expected).max() <= 0.03 * size


@pytest.mark.parametrize("name", list(KNOWN_FACES))
def test_antialiased_patches_find_the_same_faces(ours, reference, name):
    """faceapp's patches (antialiased) find every face the package finds with confidence ≥ 0.9, and no other
    face at 0.95 or more; only the confidences differ."""
    image = working_image(name)
    height, width = image.shape[:2]
    theirs = [f for f in reference.detect_faces(image, min_face_size=20) if float(f["confidence"]) >= 0.9]
    found = ours.detect(image, min_face=20, antialias=True)
    boxes = np.clip(found.boxes, 0, [width - 1, height - 1, width - 1, height - 1])
    matched = set()
    for face in theirs:
        x, y, w, h = face["box"]
        index = max(range(len(boxes)), key=lambda i: iou(boxes[i], (x, y, x + w, y + h)))
        assert iou(boxes[index], (x, y, x + w, y + h)) >= 0.85
        matched.add(index)
    assert all(found.scores[i] < 0.95 for i in range(len(boxes)) if i not in matched)


def test_weights_are_checked_array_by_array(tmp_path):
    import joblib

    arrays = list(M.load_network_weights("rnet").values())
    assert [a.shape for a in arrays] == [shape for _, shape in M.LAYOUTS["rnet"]]
    wrong = [a.copy() for a in arrays]
    wrong[9] = np.zeros((128, 576), np.float32)  # fc4 transposed
    joblib.dump(wrong, tmp_path / "rnet.lz4", compress="lz4")
    with pytest.raises(WeightsError, match=r"'rnet\.lz4' has shape \(128, 576\) for 'fc4/kernel'"):
        M.load_network_weights("rnet", tmp_path / "rnet.lz4")
    joblib.dump(arrays[:-1], tmp_path / "short.lz4", compress="lz4")
    with pytest.raises(WeightsError, match="holds 15 arrays where rnet needs 16"):
        M.load_network_weights("rnet", tmp_path / "short.lz4")
    (tmp_path / "junk.lz4").write_bytes(b"not a joblib file")
    with pytest.raises(WeightsError, match="'junk.lz4' cannot be read"):
        M.load_network_weights("pnet", tmp_path / "junk.lz4")
    nan = [a.copy() for a in M.load_network_weights("pnet").values()]
    nan[0][0, 0, 0, 0] = np.nan
    joblib.dump(nan, tmp_path / "nan.lz4", compress="lz4")
    with pytest.raises(WeightsError, match="NaN"):
        M.load_network_weights("pnet", tmp_path / "nan.lz4")


def test_pyramid_scales():
    scales = M.pyramid_scales(1024, 768, 20)
    assert scales[0] == pytest.approx(12 / 20)
    assert all(b == pytest.approx(a * M.SCALE_FACTOR) for a, b in zip(scales, scales[1:]))
    assert 768 * scales[-1] >= 12 > 768 * scales[-1] * M.SCALE_FACTOR  # down to the last level P-Net can read
    assert M.pyramid_scales(10, 10, 20) == []


def test_matrix_nms():
    boxes = np.array([[0, 0, 10, 10, 0.9], [3, 0, 13, 10, 0.8], [6, 0, 16, 10, 0.7], [50, 50, 60, 60, 0.95]],
                     np.float64)
    # IoU(0, 1) = 0.54 and IoU(1, 2) = 0.54, but IoU(0, 2) = 0.25.  Box 1 goes (box 0 beats it); in
    # matrix form box 2 goes too, because box 1 beats it even though box 1 itself was dropped.  (The
    # sequential greedy form would keep box 2.)
    assert list(M._nms(boxes, 0.5, "union")) == [3, 0]
    assert list(M._nms(boxes, 0.6, "union")) == [3, 0, 1, 2]
    inner = np.array([[0, 0, 100, 100, 0.9], [10, 10, 40, 40, 0.99]], np.float64)
    assert list(M._nms(inner, 0.7, "min")) == [1]  # a box inside another is the same face
    assert list(M._nms(inner, 0.7, "union")) == [1, 0]
    assert M._nms(np.zeros((0, 5)), 0.5, "union").size == 0


@pytest.mark.parametrize("size,antialiased", [((170, 255), False), ((100, 150), False), ((99, 148), True),
                                              ((60, 90), True)])
def test_working_image_plain_down_to_half_then_antialiased(ours, size, antialiased):
    """The downscale inside the graph: plain bilinear while the working size is at least half the photo's,
    antialiased below that (BENCHMARKS.md, "The downscale itself")."""
    from faceapp.core.backend import tensorflow

    tf = tensorflow()
    rows, cols = np.indices((200, 300))
    image = np.stack([(rows + cols) % 2 * 255, (rows * 7 % 13) * 19, (cols % 5) * 60], axis=2).astype(np.uint8)
    working = ours._graphs.prepare(image, size, True)[0].numpy()
    expected = {flag: (tf.image.resize(tf.constant(image, tf.float32), size, method="bilinear",
                                       antialias=flag).numpy() - 127.5) / 128.0 for flag in (False, True)}
    assert working.shape == (*size, 3)
    assert np.allclose(working, expected[antialiased], atol=1e-5)
    assert not np.allclose(working, expected[not antialiased], atol=1e-3)  # the two really differ here
