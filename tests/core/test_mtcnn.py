"""faceapp's MTCNN inference (ONNX Runtime): its weights are checked, and it agrees with the mtcnn package it replaces.

The contract (issue 17): same faces as the package, box IoU ≥ 0.95, confidence within 0.01, landmarks within
2 % of the box — on the real photos and on turned and scaled variations of them.  The package (TensorFlow) is
the reference and is only imported here, in the tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.detection import mtcnn as M
from faceapp.core.errors import WeightsError
from faceapp.core.images import load_image, resize_rgb
from tests.helpers import face_photo
from tests.testdata import KNOWN_FACES
from tests.variations import Case, quarter_turned, scaled, tilted

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


def assert_same_faces(ours, reference, image: np.ndarray) -> None:
    """The contract: same number of faces; each of the package's faces matched with IoU ≥ 0.95, confidence
    within 0.01, every landmark within 2 % of the box's longer side."""
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
        assert iou(boxes[index], target) >= 0.95
        assert abs(float(found.scores[index]) - float(face["confidence"])) <= 0.01
        size = max(w, h)
        keys = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")  # the package's (viewer's) order
        expected = np.array([face["keypoints"][k] for k in keys], np.float64)
        assert np.abs(found.landmarks[index] - expected).max() <= 0.02 * size


@pytest.mark.parametrize("name", list(KNOWN_FACES))
def test_same_faces_as_the_mtcnn_package(ours, reference, name):
    """Same working image, same thresholds and smallest face: same faces, boxes, confidences, landmarks."""
    assert_same_faces(ours, reference, working_image(name))


def _variation(case: Case) -> np.ndarray:
    image = case.image
    height, width = image.shape[:2]
    scale = min(1.0, WORKING_SIDE / max(height, width))
    return resize_rgb(image, round(width * scale), round(height * scale))


@pytest.mark.parametrize("make", [
    lambda: scaled("two_people.jpg", 40), lambda: scaled("obama.jpg", 90), lambda: scaled("biden.jpg", 300),
    lambda: quarter_turned(scaled("obama2.jpg", 120), 1), lambda: quarter_turned(scaled("two_people.jpg", 80), 2),
    lambda: tilted(scaled("obama3.jpg", 150), 12),
], ids=["two@40", "obama@90", "biden@300", "obama2@120+turn90", "two@80+turn180", "obama3@150+tilt12"])
def test_same_faces_on_turned_and_scaled_photos(ours, reference, make):
    """The same contract on variations: smaller and larger faces, faces lying on their side, a tilt."""
    assert_same_faces(ours, reference, _variation(make()))


@pytest.mark.parametrize("network,shape", [("pnet", (1, 37, 53, 3)), ("rnet", (7, 24, 24, 3)),
                                           ("onet", (5, 48, 48, 3))])
def test_each_network_equals_the_packages(ours, network, shape):
    """Every output of each ONNX graph equals the package's Keras network on the same input (random, in the
    networks' [-1, 1] range): the layout, transposes and Caffe flattening are right layer by layer."""
    from mtcnn.stages import StageONet, StagePNet, StageRNet

    model = {"pnet": StagePNet, "rnet": StageRNet, "onet": StageONet}[network]().model
    batch = np.random.default_rng(7).uniform(-1, 1, shape).astype(np.float32)
    expected = [np.asarray(t) for t in model(batch)]
    # P-Net takes one pyramid level as channel planes, R-/O-Net batches of patches as N×C×H×W.
    outputs = (ours._run_pnet(batch[0].transpose(2, 0, 1)) if network == "pnet"
               else ours._run(network, batch.transpose(0, 3, 1, 2)))
    probability = M._probability(outputs[-1])  # ours: face log-odds; the package's: the two-way softmax
    if network == "pnet":  # NCHW here, NHWC there
        assert np.allclose(outputs[0][0].transpose(1, 2, 0), expected[0][0], atol=1e-5)
        assert np.allclose(probability[0], expected[1][0, :, :, 1], atol=1e-5)
    else:
        for ours_output, theirs in zip(outputs[:-1], expected[:-1]):
            assert np.allclose(ours_output, theirs, atol=1e-5)
        assert np.allclose(probability, expected[-1][:, 1], atol=1e-5)


def test_graph_refuses_weights_it_would_not_use():
    from faceapp.core.detection.mtcnn_graphs import build_graph

    weights = M.load_network_weights("rnet")
    weights["extra/kernel"] = np.zeros((1,), np.float32)
    with pytest.raises(AssertionError, match="does not use"):
        build_graph("rnet", weights)
    with pytest.raises(ValueError, match="'qnet'"):
        build_graph("qnet", weights)


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
def test_working_image_plain_down_to_half_then_antialiased(size, antialiased):
    """The downscale before detection: plain bilinear while the working size is at least half the photo's,
    antialiased below that (BENCHMARKS.md, "The downscale itself") — each as TensorFlow defines it (plain: within
    1e-4 on this [-1, 1] scale; antialiased: Pillow's filter on 8-bit pixels, within one level of 255)."""
    from tests.reference import tensorflow

    tf = tensorflow()
    rows, cols = np.indices((200, 300))
    image = np.stack([(rows + cols) % 2 * 255, (rows * 7 % 13) * 19, (cols % 5) * 60], axis=2).astype(np.uint8)
    working = M.working_planes(image, size[1], size[0]).transpose(1, 2, 0)
    expected = {flag: (tf.image.resize(tf.constant(image, tf.float32), size, method="bilinear",
                                       antialias=flag).numpy() - 127.5) / 128.0 for flag in (False, True)}
    assert working.shape == (*size, 3)
    assert np.allclose(working, expected[antialiased], atol=(1.0 if antialiased else 0.013) / 128.0)
    assert not np.allclose(working, expected[not antialiased], atol=8.0 / 128.0)  # the two really differ here


def test_resampling_matches_tensorflow():
    """Area resize (P-Net pyramid, halving levels) and crop_and_resize (patches), on channel planes, against
    TensorFlow's ops on the H×W×C image."""
    from tests.reference import tensorflow
    from faceapp.core.detection import resample

    tf = tensorflow()
    image = np.random.default_rng(3).uniform(-1, 1, (121, 187, 3)).astype(np.float32)
    planes = np.ascontiguousarray(image.transpose(2, 0, 1))
    for size in [(72, 112), (60, 93), (12, 18), (121, 187), (61, 93), (121, 40), (7, 187)]:
        expected = tf.image.resize(image, size, method="area").numpy()
        assert np.allclose(resample.area_resize_planes(planes, *size), expected.transpose(2, 0, 1), atol=2e-5), size
    # Halving: odd sides (the general resize), even sides (the 2×2 means), and a side of 1.
    for shape in [(121, 187), (120, 186), (120, 187), (2, 1), (1, 1)]:
        cut = image[:shape[0], :shape[1]]
        half = (max(shape[0] // 2, 1), max(shape[1] // 2, 1))
        expected = tf.image.resize(cut, half, method="area").numpy().transpose(2, 0, 1)
        halved = resample.halve_planes(np.ascontiguousarray(cut.transpose(2, 0, 1)))
        assert halved.shape == expected.shape and np.allclose(halved, expected, atol=2e-5), shape
    boxes = np.array([[0.1, 0.2, 0.5, 0.6], [-0.1, -0.05, 0.3, 0.2], [0.8, 0.7, 1.2, 1.1]], np.float32)
    for size in (24, 48):
        expected = tf.image.crop_and_resize(image[None], boxes, np.zeros(3, np.int32), [size, size]).numpy()
        assert np.allclose(resample.crop_and_resize(planes, boxes, size), expected.transpose(0, 3, 1, 2), atol=1e-5)
    assert resample.crop_and_resize(planes, np.zeros((0, 4), np.float32), 24).shape == (0, 3, 24, 24)


@pytest.mark.parametrize("quarter", [1, 2, 3])
def test_a_turned_pass_sees_the_upright_pyramid_turned_as_its_own(quarter, ours):
    """The passes over a photo's quarter turns share the upright pass's levels, turned: each equals the level made
    from the turned working image (up to the order of float32 sums), and so do the patches and the faces."""
    from faceapp.core.detection.turns import turn

    base = M.working_planes(working_image("two_people.jpg"), 180, 120)
    pyramid, turned = M.Pyramid(base), np.ascontiguousarray(turn(base, quarter, axes=(1, 2)))
    own = M.Pyramid(turned).turned(0)
    shared = pyramid.turned(quarter)
    assert shared.size == own.size == (turned.shape[2], turned.shape[1])
    for height, width in [(int(turned.shape[1] * s), int(turned.shape[2] * s)) for s in (0.6, 0.43, 0.3, 0.11)]:
        np.testing.assert_allclose(shared.pnet_level(height, width), own.pnet_level(height, width), atol=2e-6)
    boxes = np.array([[10, 12, 40, 42, 0.9], [30, 5, 130, 105, 0.9]], np.float32)  # patches from levels 0 and 1
    np.testing.assert_allclose(shared.patches(boxes, 48), own.patches(boxes, 48), atol=2e-6)
    image = turn(working_image("two_people.jpg"), quarter)
    size = (turned.shape[2], turned.shape[1])
    alone = ours.detect(image, min_face=20, size=size)
    together = ours.detect(image, min_face=20, size=size, pyramid=pyramid, quarter=quarter)
    np.testing.assert_allclose(together.boxes, alone.boxes, atol=1e-3)
    np.testing.assert_allclose(together.scores, alone.scores, atol=1e-5)
    assert len(pyramid._pnet) > 0  # the shared levels were made once, upright


def test_orientation_judged_until_one_face_is_surely_upright(ours):
    """``stop_at``: the best-scoring face above ``floor`` is judged first, the others only when it is not surely
    upright; the margins judged are the full check's, faces below the floor are never judged."""
    image = working_image("two_people.jpg")
    full = ours.detect(image, min_face=20, check_upright=True)
    assert len(full.scores) >= 2 and np.isfinite(full.upright).all()
    best = int(np.argmax(full.scores))
    assert full.upright[best] > 0
    lazy = ours.detect(image, min_face=20, check_upright=True, floor=lambda side: 0.0, stop_at=0.0)
    assert np.isfinite(lazy.upright).sum() == 1
    assert lazy.upright[best] == pytest.approx(full.upright[best], abs=1e-3)
    doubting = ours.detect(image, min_face=20, check_upright=True, floor=lambda side: 0.0, stop_at=1e9)
    np.testing.assert_allclose(doubting.upright, full.upright, atol=1e-3)
    nothing = ours.detect(image, min_face=20, check_upright=True, floor=lambda side: 1.1)
    assert np.isnan(nothing.upright).all()


def test_certain_faces_are_not_judged(ours):
    """``certain``: a face O-Net gives at least these log-odds counts as upright unjudged (+inf); with
    ``stop_at`` no O-Net batch is run at all, without it the other faces are still judged."""
    image = working_image("two_people.jpg")
    full = ours.detect(image, min_face=20, check_upright=True)
    odds = np.log(full.scores.astype(np.float64)) - np.log1p(-full.scores.astype(np.float64))
    best, other = np.argsort(-odds)[:2]
    between = (odds[best] + odds[other]) / 2
    assert odds[best] > odds[other]
    batches = []
    real = ours._orientation
    ours._orientation = lambda *args, **options: batches.append(len(args[1])) or real(*args, **options)
    try:
        lazy = ours.detect(image, min_face=20, check_upright=True, floor=lambda side: 0.0, stop_at=0.0, certain=between)
        assert batches == [] and lazy.upright[best] == np.inf and np.isnan(lazy.upright[other])
        every = ours.detect(image, min_face=20, check_upright=True, certain=between)
        assert every.upright[best] == np.inf
        finite = np.isfinite(every.upright)
        assert finite.sum() == len(full.scores) - 1 and batches == [len(full.scores) - 1]
        np.testing.assert_allclose(every.upright[finite], full.upright[finite], atol=1e-3)
    finally:
        ours._orientation = real


def test_a_lone_small_face_is_measured_for_steadiness(ours):
    """``steady_below``: with exactly one face above the floor and smaller than that fraction, its steadiness
    (the least log-odds with its box moved each way) comes in the orientation batch, and agrees with
    :meth:`MTCNN.steadiness`; with two faces above the floor, or a face too large, nothing is measured."""
    image = working_image("two_people.jpg")
    full = ours.detect(image, min_face=20, check_upright=True)
    best = int(np.argmax(full.scores))
    only_best = lambda side: float(full.scores[best]) - 1e-6  # noqa: E731 - one face passes this floor
    lone = ours.detect(image, min_face=20, check_upright=True, floor=only_best, stop_at=0.0, steady_below=1.0)
    assert np.isfinite(lone.steady).sum() == 1 and np.isfinite(lone.steady[best])
    pyramid = ours.pyramid(image, image.shape[1], image.shape[0])
    alone = ours.steadiness(pyramid, 0, full.boxes[best:best + 1])
    assert lone.steady[best] == pytest.approx(float(alone[0]), abs=1e-3)
    too_large = ours.detect(image, min_face=20, check_upright=True, floor=only_best, steady_below=0.01)
    assert np.isnan(too_large.steady).all()
    two = ours.detect(image, min_face=20, check_upright=True, steady_below=1.0)
    assert len(two.scores) >= 2 and np.isnan(two.steady).all()
