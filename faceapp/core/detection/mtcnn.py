"""MTCNN face detection (Zhang et al., 2016): faceapp's own inference on the weights the ``mtcnn`` package ships.

Three cascaded networks.  P-Net scans an image pyramid for 12×12 face windows;
R-Net (24×24) and O-Net (48×48) re-judge the surviving candidates, refine their
boxes and, for O-Net, place five landmarks.  What faceapp does differently from
``mtcnn.MTCNN.detect_faces`` (its reference in the tests):

* the whole P-Net pass — every pyramid level resized from one image tensor, the
  network, the candidate windows, per-level and cross-level non-maximum
  suppression — is ONE traced graph call with open image size (no retracing per
  photo size, no NumPy↔tensor round trip per level);
* R-Net and O-Net each run once per photo on the batch of all candidates;
* optionally (``antialias=True``) each candidate's patch is cut from a halving
  pyramid level where the box is 1–2× the patch size, instead of bilinear
  sampling from the full image.  Sampling a 400-pixel face down to 48 pixels
  without a low-pass filter aliases fine detail (skin, hair, sensor grain), and
  O-Net's confidence for large faces then swings between 0.8 and 1.0
  (BENCHMARKS.md, "Detection policy").

The weight files are ``mtcnn/assets/weights/{pnet,rnet,onet}.lz4`` (lists of
arrays in Keras layer order, written with joblib).  Each is checked array by
array against the layout below before use; a file that does not match is
refused by name.  TensorFlow is imported when a detector is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.errors import WeightsError

__all__ = ["MTCNN", "RawFaces", "LAYOUTS", "weights_path", "load_network_weights", "pyramid_scales",
           "PNET_CELL", "SCALE_FACTOR", "THRESHOLDS"]

#: P-Net looks at 12×12 windows with a stride of 2.
PNET_CELL = 12
PNET_STRIDE = 2
#: Each pyramid level is this much smaller than the previous one (the paper's 0.709 ≈ 1/√2).
SCALE_FACTOR = 0.709
#: Candidate score thresholds of P-Net, R-Net and O-Net (the paper's and mtcnn's defaults).
THRESHOLDS = (0.6, 0.7, 0.8)
#: IoU thresholds: P-Net within a level, P-Net across levels, R-Net; O-Net uses intersection over the smaller box.
NMS_PNET_LEVEL, NMS_PNET_ALL, NMS_RNET, NMS_ONET_MIN = 0.5, 0.7, 0.7, 0.7
#: Halving levels available for antialiased patches (1/1 … 1/32 of the working image).
_PATCH_LEVELS = 6
#: P-Net windows kept per level before suppression: a guard for pathological photos (the overlap
#: matrix is this squared); real photos give a few hundred per level (BENCHMARKS.md).
_MAX_CANDIDATES = 4096

# (name, shape) of every array in each weight file, in file order.  conv: HWIO kernel then bias;
# prelu: one slope per channel; dense: (in, out) kernel then bias.
LAYOUTS: dict[str, tuple[tuple[str, tuple[int, ...]], ...]] = {
    "pnet": (
        ("conv1/kernel", (3, 3, 3, 10)), ("conv1/bias", (10,)), ("prelu1/alpha", (1, 1, 10)),
        ("conv2/kernel", (3, 3, 10, 16)), ("conv2/bias", (16,)), ("prelu2/alpha", (1, 1, 16)),
        ("conv3/kernel", (3, 3, 16, 32)), ("conv3/bias", (32,)), ("prelu3/alpha", (1, 1, 32)),
        ("conv4-1/kernel", (1, 1, 32, 4)), ("conv4-1/bias", (4,)),
        ("conv4-2/kernel", (1, 1, 32, 2)), ("conv4-2/bias", (2,)),
    ),
    "rnet": (
        ("conv1/kernel", (3, 3, 3, 28)), ("conv1/bias", (28,)), ("prelu1/alpha", (1, 1, 28)),
        ("conv2/kernel", (3, 3, 28, 48)), ("conv2/bias", (48,)), ("prelu2/alpha", (1, 1, 48)),
        ("conv3/kernel", (2, 2, 48, 64)), ("conv3/bias", (64,)), ("prelu3/alpha", (1, 1, 64)),
        ("fc4/kernel", (576, 128)), ("fc4/bias", (128,)), ("prelu4/alpha", (128,)),
        ("fc5-1/kernel", (128, 4)), ("fc5-1/bias", (4,)),
        ("fc5-2/kernel", (128, 2)), ("fc5-2/bias", (2,)),
    ),
    "onet": (
        ("conv1/kernel", (3, 3, 3, 32)), ("conv1/bias", (32,)), ("prelu1/alpha", (1, 1, 32)),
        ("conv2/kernel", (3, 3, 32, 64)), ("conv2/bias", (64,)), ("prelu2/alpha", (1, 1, 64)),
        ("conv3/kernel", (3, 3, 64, 64)), ("conv3/bias", (64,)), ("prelu3/alpha", (1, 1, 64)),
        ("conv4/kernel", (2, 2, 64, 128)), ("conv4/bias", (128,)), ("prelu4/alpha", (1, 1, 128)),
        ("fc5/kernel", (1152, 256)), ("fc5/bias", (256,)), ("prelu5/alpha", (256,)),
        ("fc6-1/kernel", (256, 4)), ("fc6-1/bias", (4,)),
        ("fc6-2/kernel", (256, 10)), ("fc6-2/bias", (10,)),
        ("fc6-3/kernel", (256, 2)), ("fc6-3/bias", (2,)),
    ),
}


def weights_path(network: str) -> Path:
    """Where the installed ``mtcnn`` package keeps ``network``'s weights (``pnet``, ``rnet`` or ``onet``)."""
    import importlib.resources

    from faceapp.core.backend import tensorflow

    tensorflow()  # the package's __init__ imports it: let that happen quietly
    try:
        return Path(str(importlib.resources.files("mtcnn.assets.weights") / f"{network}.lz4"))
    except ModuleNotFoundError:
        raise WeightsError("The face detector's weights are missing because the mtcnn package is not installed; "
                           "reinstall faceapp.") from None


def load_network_weights(network: str, path: str | Path | None = None) -> dict[str, np.ndarray]:
    """The arrays of one network by name, each checked against :data:`LAYOUTS`; WeightsError naming the file."""
    layout = LAYOUTS[network]
    path = Path(path) if path is not None else weights_path(network)
    advice = "reinstall faceapp (the mtcnn package ships this file)"

    def problem(what: str) -> WeightsError:
        return WeightsError(f"Detector weights file '{path.name}' {what}; {advice}.", problem=what)

    if not path.is_file():
        raise problem("does not exist")
    try:
        import joblib

        arrays = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - joblib/lz4/pickle raise many kinds for a broken file
        raise problem(f"cannot be read ({type(exc).__name__})") from None
    if not isinstance(arrays, (list, tuple)) or len(arrays) != len(layout):
        count = len(arrays) if isinstance(arrays, (list, tuple)) else "no list of"
        raise problem(f"holds {count} arrays where {network} needs {len(layout)}")
    named: dict[str, np.ndarray] = {}
    for (name, shape), array in zip(layout, arrays):
        if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
            raise problem(f"holds something other than numbers for '{name}'")
        if tuple(array.shape) != shape:
            raise problem(f"has shape {tuple(array.shape)} for '{name}' where {network} needs {shape}")
        if not np.isfinite(array).all():
            raise problem(f"holds NaN or infinite values in '{name}'")
        named[name] = np.ascontiguousarray(array, dtype=np.float32)
    return named


def pyramid_scales(width: int, height: int, min_face: float, scale_factor: float = SCALE_FACTOR) -> list[float]:
    """Scales of the P-Net pyramid: the first makes a ``min_face`` face 12 px, each next one 0.709× smaller,
    down to the last level whose shorter side is still at least 12 px."""
    scale = PNET_CELL / max(float(min_face), 1.0)
    shorter = min(width, height)
    scales = []
    while shorter * scale >= PNET_CELL:
        scales.append(scale)
        scale *= scale_factor
    return scales


@dataclass(frozen=True, eq=False)
class RawFaces:
    """Detections in working-image pixels: ``boxes`` (N, 4) x1 y1 x2 y2, ``scores`` (N,),
    ``landmarks`` (N, 5, 2) in mtcnn's order (viewer's left eye, right eye, nose, mouth left, mouth right),
    and ``upright`` (N,): how much more O-Net believes the face's square patch as it stands than turned a
    quarter, a half or three quarters (its best log-odds minus the best of the turned ones; NaN when not checked).
    Negative: the face is probably lying on its side or upside down."""

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray
    upright: np.ndarray

    @staticmethod
    def empty() -> RawFaces:
        return RawFaces(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0, 5, 2), np.float32),
                        np.zeros((0,), np.float32))


class MTCNN:
    """The three networks as traced graphs; :meth:`detect` runs the cascade on one RGB image.

    Build it on the thread that will use it (TensorFlow is imported here).
    """

    def __init__(self) -> None:
        self._graphs = _Graphs({name: load_network_weights(name) for name in LAYOUTS})

    def detect(self, image: np.ndarray, min_face: float = 20.0, thresholds: tuple[float, float, float] = THRESHOLDS,
               antialias: bool = True, check_upright: bool = False, size: tuple[int, int] | None = None) -> RawFaces:
        """Faces in ``image`` (RGB uint8, H×W×3): P-Net candidates over a pyramid starting at ``min_face`` pixels,
        refined by R-Net and O-Net.  ``antialias``: cut R-/O-Net patches from a halving pyramid (see module doc).
        ``check_upright``: also judge each face's orientation (``RawFaces.upright``; one more small O-Net batch).
        ``size`` (width, height): detect on the image resized to this working size first (antialiased bilinear,
        inside the graph); boxes, landmarks and ``min_face`` are then in working-size pixels."""
        width, height = size if size is not None else (image.shape[1], image.shape[0])
        scales = pyramid_scales(width, height, min_face)
        if not scales:
            return RawFaces.empty()
        sizes = np.array([[max(1, int(height * s)), max(1, int(width * s))] for s in scales], np.int32)
        graphs = self._graphs
        pyramid = graphs.prepare(np.ascontiguousarray(image, dtype=np.uint8), (height, width), antialias)
        boxes = graphs.pnet(pyramid[0], sizes, np.asarray(scales, np.float32), np.float32(thresholds[0])).numpy()
        if len(boxes) == 0:
            return RawFaces.empty()
        boxes = _square(boxes)
        reg, score = (t.numpy() for t in graphs.rnet(pyramid, *_patch_plan(boxes, 24, antialias, width, height)))
        keep = score > thresholds[1]
        boxes = _refine(boxes[keep], reg[keep], score[keep])
        boxes = boxes[_nms(boxes, NMS_RNET, "union")]
        if len(boxes) == 0:
            return RawFaces.empty()
        boxes = _square(boxes)
        reg, marks, logit = (t.numpy() for t in graphs.onet(pyramid, *_patch_plan(boxes, 48, antialias, width, height)))
        score = _sigmoid(logit)
        keep = score > thresholds[2]
        landmarks = _place_landmarks(boxes[keep], marks[keep])
        boxes = _refine(boxes[keep], reg[keep], score[keep])
        order = _nms(boxes, NMS_ONET_MIN, "min")
        boxes, landmarks = boxes[order], landmarks[order]
        upright = np.full(len(boxes), np.nan, np.float32)
        if check_upright and len(boxes):
            turned = graphs.orient(pyramid, *_patch_plan(_square(boxes), 48, antialias, width, height)).numpy()
            upright = (turned[:, 0] - turned[:, 1:].max(axis=1)).astype(np.float32)
        return RawFaces(boxes[:, :4].astype(np.float32), boxes[:, 4].astype(np.float32),
                        landmarks.astype(np.float32), upright)


def _patch_plan(boxes: np.ndarray, patch: int, antialias: bool, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each candidate's patch comes from: its box in relative coordinates (y1 x1 y2 x2, of the image's
    extent, as crop_and_resize takes them) and the halving level where the box is 1–2× ``patch`` pixels."""
    relative = np.stack([boxes[:, 1] / height, boxes[:, 0] / width, boxes[:, 3] / height, boxes[:, 2] / width], 1)
    if not antialias:
        return relative.astype(np.float32), np.zeros(len(boxes), np.int32)
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    level = np.floor(np.log2(np.maximum(side, 1.0) / patch))
    return relative.astype(np.float32), np.clip(level, 0, _PATCH_LEVELS - 1).astype(np.int32)


def _sigmoid(logit: np.ndarray) -> np.ndarray:
    """Face probability from O-Net's log-odds (the same number as its two-way softmax)."""
    return 1.0 / (1.0 + np.exp(-logit.astype(np.float64)))


def _square(boxes: np.ndarray) -> np.ndarray:
    """Boxes (x1 y1 x2 y2 score) grown to squares on their longer side, around the same centre."""
    out = boxes.copy()
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(width, height)
    out[:, 0] = boxes[:, 0] + (width - side) / 2
    out[:, 1] = boxes[:, 1] + (height - side) / 2
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _refine(boxes: np.ndarray, reg: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Apply a network's box regression (offsets in box sizes, +1 pixel convention) and its new score."""
    size = np.stack([boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1] * 2, axis=1)
    out = np.empty((len(boxes), 5), np.float64)
    out[:, :4] = boxes[:, :4] + reg * size
    out[:, 4] = score
    return out


def _place_landmarks(boxes: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """O-Net's landmarks (x1..x5, y1..y5 in box fractions) → (N, 5, 2) pixels."""
    width = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
    height = (boxes[:, 3] - boxes[:, 1] + 1)[:, None]
    xs = width * marks[:, :5] + boxes[:, 0:1] - 1
    ys = height * marks[:, 5:] + boxes[:, 1:2] - 1
    return np.stack([xs, ys], axis=2)


def _overlap(boxes: Any, xp: Any, method: str = "union") -> Any:
    """All-pairs overlap of (x1 y1 x2 y2 …) rows, with NumPy or TensorFlow as ``xp`` (same formula for both)."""
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    area = xp.maximum(x2 - x1, 0.0) * xp.maximum(y2 - y1, 0.0)
    inter_w = xp.maximum(xp.minimum(x2[:, None], x2[None, :]) - xp.maximum(x1[:, None], x1[None, :]), 0.0)
    inter_h = xp.maximum(xp.minimum(y2[:, None], y2[None, :]) - xp.maximum(y1[:, None], y1[None, :]), 0.0)
    inter = inter_w * inter_h
    if method == "min":
        return inter / xp.maximum(xp.minimum(area[:, None], area[None, :]), 1e-9)
    return inter / xp.maximum(area[:, None] + area[None, :] - inter, 1e-9)


def _nms(boxes: np.ndarray, threshold: float, method: str) -> np.ndarray:
    """Non-maximum suppression in matrix form on (x1 y1 x2 y2 score) rows: indices kept, best first.

    A box is dropped when any higher-scoring box overlaps it by more than
    ``threshold`` — whether or not that box was itself dropped.  This is the
    fully vectorised form mtcnn 1.0 uses (one overlap matrix, no loop); it drops
    slightly more than the sequential greedy form, and keeping the same rule
    keeps faceapp's boxes equal to the reference's.  ``method``: ``union`` (IoU)
    or ``min`` (intersection over the smaller box, for O-Net, where a face box
    inside a larger one is the same face).
    """
    if len(boxes) == 0:
        return np.zeros((0,), np.int64)
    order = np.argsort(-boxes[:, 4], kind="stable")
    overlap = _overlap(boxes[order].astype(np.float64), np, method)
    beaten = np.triu(overlap > threshold, k=1).any(axis=0)
    return order[~beaten]


class _TensorMath:
    """The two NumPy functions :func:`_overlap` needs, from TensorFlow."""

    def __init__(self, tf: Any) -> None:
        self.maximum, self.minimum = tf.maximum, tf.minimum


class _Graphs:
    """The networks as traced TensorFlow graphs with open sizes (traced once per process, never per photo size).

    Written with plain TF ops and constant weights: no Keras layers, no per-call
    Keras overhead.  ``autograph=False`` everywhere: a frozen app has no source
    for autograph to read.
    """

    def __init__(self, weights: dict[str, dict[str, np.ndarray]]) -> None:
        from faceapp.core.backend import tensorflow

        tf = self.tf = tensorflow()
        w = {net: {name: tf.constant(array) for name, array in arrays.items()} for net, arrays in weights.items()}
        self.w = w
        image = tf.TensorSpec([None, None, 3], tf.float32)
        levels = [image] * _PATCH_LEVELS
        boxes, index = tf.TensorSpec([None, 4], tf.float32), tf.TensorSpec([None], tf.int32)
        self._prepare = tf.function(self._prepare_graph, autograph=False, input_signature=[
            tf.TensorSpec([None, None, 3], tf.uint8), tf.TensorSpec([2], tf.int32), tf.TensorSpec([], tf.bool)])
        self.pnet = tf.function(self._pnet_stage, autograph=False, input_signature=[
            image, tf.TensorSpec([None, 2], tf.int32), tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.float32)])
        self.rnet = tf.function(lambda pyramid, rel, lvl: self._refine_net("rnet", pyramid, rel, lvl, 24),
                                autograph=False, input_signature=[levels, boxes, index])
        self.onet = tf.function(lambda pyramid, rel, lvl: self._refine_net("onet", pyramid, rel, lvl, 48),
                                autograph=False, input_signature=[levels, boxes, index])
        self.orient = tf.function(self._orientations, autograph=False, input_signature=[levels, boxes, index])

    def prepare(self, image: np.ndarray, size: tuple[int, int], antialias: bool) -> list[Any]:
        """The working image (``size`` = height, width), normalised, and its halving levels for patches."""
        return list(self._prepare(image, np.asarray(size, np.int32), antialias))

    # -- building blocks ------------------------------------------------------------
    def _conv(self, x: Any, net: str, name: str) -> Any:
        tf = self.tf
        return tf.nn.conv2d(x, self.w[net][f"{name}/kernel"], 1, "VALID") + self.w[net][f"{name}/bias"]

    def _prelu(self, x: Any, net: str, name: str) -> Any:
        tf = self.tf
        return tf.nn.relu(x) - self.w[net][f"{name}/alpha"] * tf.nn.relu(-x)

    def _dense(self, x: Any, net: str, name: str) -> Any:
        return self.tf.matmul(x, self.w[net][f"{name}/kernel"]) + self.w[net][f"{name}/bias"]

    def _pool(self, x: Any, size: int, padding: str) -> Any:
        return self.tf.nn.max_pool2d(x, size, 2, padding)

    def _flatten_caffe(self, x: Any) -> Any:
        # The weights come from Caffe, which flattens channels-first with width and height swapped
        # relative to TF's NHWC: transpose H and W before flattening (Keras' Permute((2, 1, 3))).
        tf = self.tf
        x = tf.transpose(x, [0, 2, 1, 3])
        return tf.reshape(x, [tf.shape(x)[0], -1])

    # -- graphs ---------------------------------------------------------------------
    def _prepare_graph(self, image: Any, size: Any, antialias: Any) -> list[Any]:
        tf = self.tf
        pixels = tf.cast(image, tf.float32)
        # Downscaling to the working size (BENCHMARKS.md, "The downscale itself"): down to half size
        # plain bilinear, which already reads every source pixel; below that antialiased bilinear, as
        # Pillow's resize does (within 0.3/255 of it on average, half its time on large photos) —
        # 2-3x the plain one's time, so kept for the reductions that need it.
        shape = tf.shape(image)[:2]
        mild = tf.reduce_all(2 * size >= shape)
        pixels = tf.cond(tf.reduce_all(shape == size), lambda: pixels,
                         lambda: tf.cond(mild, lambda: tf.image.resize(pixels, size, method="bilinear"),
                                         lambda: tf.image.resize(pixels, size, method="bilinear", antialias=True)))
        base = (pixels - 127.5) * (1.0 / 128.0)
        levels = [base]

        def halve(level: Any) -> Any:
            size = tf.maximum(tf.shape(level)[:2] // 2, 1)
            return tf.image.resize(level[None], size, method="area")[0]

        for _ in range(_PATCH_LEVELS - 1):
            previous = levels[-1]
            levels.append(tf.cond(antialias, lambda p=previous: halve(p), lambda p=previous: p))
        return levels

    def _pnet(self, level: Any) -> tuple[Any, Any]:
        x = self._prelu(self._conv(level, "pnet", "conv1"), "pnet", "prelu1")
        x = self._pool(x, 2, "SAME")
        x = self._prelu(self._conv(x, "pnet", "conv2"), "pnet", "prelu2")
        x = self._prelu(self._conv(x, "pnet", "conv3"), "pnet", "prelu3")
        reg = self._conv(x, "pnet", "conv4-1")
        prob = self.tf.nn.softmax(self._conv(x, "pnet", "conv4-2"))
        return reg[0], prob[0, :, :, 1]

    def _pnet_stage(self, image: Any, sizes: Any, scales: Any, threshold: Any) -> Any:
        """Every pyramid level → windows scoring above ``threshold`` → NMS per level, then across levels.

        Returns (K, 5) x1 y1 x2 y2 score in image pixels, boxes already moved by P-Net's regression.
        """
        tf = self.tf
        count = tf.shape(sizes)[0]
        found = tf.TensorArray(tf.float32, size=count, infer_shape=False, element_shape=tf.TensorShape([None, 5]))

        def level_candidates(i: Any, found: Any) -> tuple[Any, Any]:
            level = tf.image.resize(image[None], sizes[i], method="area")
            reg, prob = self._pnet(level)
            cells = tf.where(prob > threshold)
            score = tf.gather_nd(prob, cells)
            offsets = tf.gather_nd(reg, cells)
            corner = tf.cast(cells, tf.float32) * float(PNET_STRIDE)
            # A window covers cells*stride+1 … cells*stride+12 (the paper's 1-based convention); size 11.
            x1, y1 = corner[:, 1] + 1.0, corner[:, 0] + 1.0
            side = float(PNET_CELL - 1)
            boxes = tf.stack([x1 + offsets[:, 0] * side, y1 + offsets[:, 1] * side,
                              x1 + side + offsets[:, 2] * side, y1 + side + offsets[:, 3] * side], 1) / scales[i]
            rows = self._nms(tf.concat([boxes, score[:, None]], 1), NMS_PNET_LEVEL)
            return i + 1, found.write(i, rows)

        _, found = tf.while_loop(lambda i, _found: i < count, level_candidates, [tf.constant(0), found])
        return self._nms(found.concat(), NMS_PNET_ALL)

    def _nms(self, rows: Any, threshold: float) -> Any:
        """:func:`_nms` (IoU, matrix form) inside the graph, on the best ``_MAX_CANDIDATES`` rows."""
        tf = self.tf
        best = tf.math.top_k(rows[:, 4], tf.minimum(tf.shape(rows)[0], _MAX_CANDIDATES), sorted=True).indices
        rows = tf.gather(rows, best)
        overlap = _overlap(rows, _TensorMath(tf))
        beaten = tf.reduce_any(tf.linalg.band_part(overlap > threshold, 0, -1)
                               & ~tf.eye(tf.shape(rows)[0], dtype=tf.bool), axis=0)
        return tf.boolean_mask(rows, ~beaten)

    def _patches(self, pyramid: list[Any], relative: Any, level: Any, size: int) -> Any:
        """One crop_and_resize per pyramid level holding patches, stitched back into box order."""
        tf = self.tf
        positions = tf.dynamic_partition(tf.range(tf.shape(relative)[0]), level, _PATCH_LEVELS)
        parts = []
        for index, source in enumerate(pyramid):
            boxes = tf.gather(relative, positions[index])
            parts.append(tf.image.crop_and_resize(source[None], boxes, tf.zeros_like(positions[index]), [size, size]))
        return tf.dynamic_stitch(positions, parts)

    def _orientations(self, pyramid: list[Any], relative: Any, level: Any) -> Any:
        """O-Net's face log-odds for each square patch as it stands and turned a quarter, a half and three
        quarters counter-clockwise: (N, 4), column k for k quarter turns."""
        tf = self.tf
        patches = self._patches(pyramid, relative, level, 48)
        turned = tf.concat([tf.image.rot90(patches, k) for k in range(4)], 0)
        logits = self._onet_body(turned)[2]
        return tf.transpose(tf.reshape(logits, [4, -1]))

    def _onet_body(self, x: Any) -> tuple[Any, Any, Any]:
        """O-Net on 48×48 patches: box offsets, landmarks, face log-odds."""
        net = "onet"
        x = self._pool(self._prelu(self._conv(x, net, "conv1"), net, "prelu1"), 3, "SAME")
        x = self._pool(self._prelu(self._conv(x, net, "conv2"), net, "prelu2"), 3, "VALID")
        x = self._prelu(self._conv(x, net, "conv3"), net, "prelu3")
        x = self._pool(x, 2, "SAME")
        x = self._prelu(self._conv(x, net, "conv4"), net, "prelu4")
        x = self._prelu(self._dense(self._flatten_caffe(x), net, "fc5"), net, "prelu5")
        reg, marks, logits = (self._dense(x, net, name) for name in ("fc6-1", "fc6-2", "fc6-3"))
        return reg, marks, logits[:, 1] - logits[:, 0]

    def _refine_net(self, net: str, pyramid: list[Any], relative: Any, level: Any, size: int) -> tuple[Any, ...]:
        tf = self.tf
        x = self._patches(pyramid, relative, level, size)
        if net == "onet":
            return self._onet_body(x)
        x = self._pool(self._prelu(self._conv(x, net, "conv1"), net, "prelu1"), 3, "SAME")
        x = self._pool(self._prelu(self._conv(x, net, "conv2"), net, "prelu2"), 3, "VALID")
        x = self._prelu(self._conv(x, net, "conv3"), net, "prelu3")
        x = self._prelu(self._dense(self._flatten_caffe(x), net, "fc4"), net, "prelu4")
        reg, logits = (self._dense(x, net, name) for name in ("fc5-1", "fc5-2"))
        return reg, tf.nn.softmax(logits)[:, 1]
