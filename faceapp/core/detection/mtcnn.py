"""MTCNN face detection (Zhang et al., 2016): faceapp's own inference on the weights the ``mtcnn`` package ships.

Three cascaded networks.  P-Net scans an image pyramid for 12×12 face windows;
R-Net (24×24) and O-Net (48×48) re-judge the surviving candidates, refine their
boxes and, for O-Net, place five landmarks.  The networks run on ONNX Runtime
as graphs faceapp builds from the weight arrays (:mod:`.mtcnn_graphs`); the
pyramid, the patches and everything between the networks are NumPy
(:mod:`.resample` restates the TensorFlow image ops the ``mtcnn`` package uses).
What faceapp does differently from ``mtcnn.MTCNN.detect_faces`` (its reference
in the tests):

* one P-Net session with open height and width serves every pyramid level, and
  :data:`LEVEL_WORKERS` levels run at once (their passes on a core each, where
  there are two cores);
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
refused by name.  Only the files are read: the ``mtcnn`` package's code (which
imports TensorFlow) is never imported.  ONNX Runtime is imported when a
detector is built.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceapp.core.detection.resample import (antialiased_resize, area_resize_planes, bilinear_resize_planes,
                                             crop_and_resize, halve_planes, in_two)
from faceapp.core.detection.turns import turn
from faceapp.core.errors import WeightsError

__all__ = ["MTCNN", "Pyramid", "RawFaces", "LAYOUTS", "weights_path", "load_network_weights", "pyramid_scales",
           "PNET_CELL", "SCALE_FACTOR", "THRESHOLDS", "LEVEL_WORKERS", "STEADY_SHIFT", "working_planes"]

#: P-Net looks at 12×12 windows with a stride of 2.
PNET_CELL = 12
PNET_STRIDE = 2
#: Each pyramid level is this much smaller than the previous one (the paper's 0.709 ≈ 1/√2).
SCALE_FACTOR = 0.709
#: Candidate score thresholds of P-Net, R-Net and O-Net (the paper's and mtcnn's defaults).
THRESHOLDS = (0.6, 0.7, 0.8)
#: IoU thresholds: P-Net within a level, P-Net across levels, R-Net; O-Net uses intersection over the smaller box.
NMS_PNET_LEVEL, NMS_PNET_ALL, NMS_RNET, NMS_ONET_MIN = 0.5, 0.7, 0.7, 0.7
#: P-Net's pyramid levels run this many at once, largest first, each worker taking the next level when it is done;
#: the cores (:func:`faceapp.core.runtime.cores`) are split between them.  On two cores the levels' resizing and
#: P-Net took 0.69–0.79× (median 0.74×) the time of one level after another on both cores (BENCHMARKS.md,
#: "Detection's work side by side"): a small level's convolutions do not split well between threads.  The same
#: workers cut the working image and the R-/O-Net patches in two halves side by side.
LEVEL_WORKERS = 2
#: Patches are cut in two halves side by side only from this many samples (candidates × side²) up: below it,
#: handing half to a worker cost more than it saved (``benchmarks/bench_pnet_levels.py``, BENCHMARKS.md
#: "Detection's work side by side": 24-px patches 1.45–1.95× the time split at 8–64 candidates, 0.97× at 192,
#: 0.86× at 256; 48-px patches 0.85–0.86× at 32–64).  The ten shared photos give R-Net 23–191 candidates
#: and O-Net 1–6, so R-Net's patches of a busy photo are split and the rest are not.
_SPLIT_SAMPLES = 128 * 1024
#: Halving levels available for antialiased patches (1/1 … 1/32 of the working image).
_PATCH_LEVELS = 6
#: P-Net windows kept per level before suppression: a guard for pathological photos (the overlap
#: matrix is this squared); real photos give a few hundred per level (BENCHMARKS.md).
_MAX_CANDIDATES = 4096
#: How far a face's box is moved (a fraction of its side, each way along each axis) to see whether O-Net still
#: calls it a face: real faces mostly do, the cascade's lone false faces mostly do not (BENCHMARKS.md, "Turns on
#: real photos", table "Steady lone faces").
STEADY_SHIFT = 0.1

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
    from faceapp.paths import mtcnn_weights_dir

    folder = mtcnn_weights_dir()
    if folder is None:
        raise WeightsError("The face detector's weights are missing because the mtcnn package is not installed; "
                           "reinstall faceapp.")
    return folder / f"{network}.lz4"


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
    ``upright`` (N,): how much more O-Net believes the face's square patch as it stands than turned a
    quarter, a half or three quarters (its best log-odds minus the best of the turned ones; NaN when not checked,
    +inf when O-Net is certain enough not to need checking).  Negative: the face is probably lying on its side or
    upside down.  ``steady`` (N,): O-Net's least log-odds for the face's square patch moved by
    :data:`STEADY_SHIFT` of its side left, right, up and down (NaN when not measured)."""

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray
    upright: np.ndarray
    steady: np.ndarray

    @staticmethod
    def empty() -> RawFaces:
        nothing = np.zeros((0,), np.float32)
        return RawFaces(np.zeros((0, 4), np.float32), nothing, np.zeros((0, 5, 2), np.float32), nothing, nothing)


class MTCNN:
    """The three networks as ONNX Runtime sessions; :meth:`detect` runs the cascade on one RGB image.

    Build it on the thread that will use it (ONNX Runtime is imported here).
    """

    def __init__(self) -> None:
        from faceapp.core.detection.mtcnn_graphs import build_graph
        from faceapp.core.runtime import cores, session

        available = cores()
        workers = max(1, min(LEVEL_WORKERS, available))
        # P-Net's passes share the cores between the workers; R-Net's and O-Net's run one at a time on all.
        threads = {"pnet": available // workers} if workers > 1 else {}
        self._sessions = {name: session(build_graph(name, load_network_weights(name)), threads=threads.get(name))
                          for name in LAYOUTS}
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="faceapp-detect") if workers > 1 else None

    def pyramid(self, image: np.ndarray, width: int, height: int) -> Pyramid:
        """The :class:`Pyramid` of ``image`` (RGB uint8) at the working size ``width``×``height``."""
        return Pyramid(working_planes(image, width, height, self._workers))

    def _run(self, network: str, batch: np.ndarray) -> list[np.ndarray]:
        """R-Net's or O-Net's outputs for a batch of patches (N×C×H×W float32, as :meth:`_Turned.patches` cuts them)."""
        return self._sessions[network].run(None, {"patches": np.ascontiguousarray(batch)})

    def _run_pnet(self, level: np.ndarray) -> list[np.ndarray]:
        """P-Net's outputs for one pyramid level, as the pyramid makes it (channel planes, C×H×W float32)."""
        return self._sessions["pnet"].run(None, {"image": np.ascontiguousarray(level[None])})

    def detect(self, image: np.ndarray, min_face: float = 20.0, thresholds: tuple[float, float, float] = THRESHOLDS,
               antialias: bool = True, check_upright: bool = False, size: tuple[int, int] | None = None,
               floor: Callable[[float], float] | None = None, stop_at: float | None = None,
               skip_below: float = 0.0, pyramid: Pyramid | None = None, quarter: int = 0,
               certain: float | None = None, steady_below: float = 0.0) -> RawFaces:
        """Faces in ``image`` (RGB uint8, H×W×3): P-Net candidates over a pyramid starting at ``min_face`` pixels,
        refined by R-Net and O-Net.  ``antialias``: cut R-/O-Net patches from a halving pyramid (see module doc).
        ``check_upright``: also judge each face's orientation (``RawFaces.upright``; one more O-Net batch of four
        patches per face).  With it, ``floor``: a function of a box's longer side over the working image's longer
        side giving the confidence a face needs to be judged at all; ``stop_at``: judge the best-scoring face first,
        and the others only when its margin is not above this — enough to tell whether any face is surely upright.
        Faces not judged have NaN.  ``certain``: a face O-Net gives at least these log-odds is not judged (its margin
        is +inf; with ``stop_at``, no face is judged then).  ``steady_below``: when exactly one face is above the floor
        and its longer side is under this fraction of the working image's longer side, its steadiness is measured in
        the same O-Net batch as its orientation (``RawFaces.steady``).  ``size`` (width, height): detect on the image
        resized to this working size first (see :func:`working_planes`); boxes, landmarks and ``min_face`` are then
        in working-size pixels.
        ``skip_below``: leave out the pyramid levels whose window is a face smaller than this (the others are
        the levels ``min_face`` gives, so larger faces are found as by the whole pyramid).  ``pyramid``: the
        :class:`Pyramid` of the photo upright at the working size, shared by the passes over its quarter turns;
        ``image`` is then the photo turned ``quarter`` times, and this pass sees the pyramid's levels turned
        alike (made once for all passes, when first needed)."""
        width, height = size if size is not None else (image.shape[1], image.shape[0])
        scales = [scale for scale in pyramid_scales(width, height, min_face) if PNET_CELL / scale >= skip_below]
        if not scales:
            return RawFaces.empty()
        if pyramid is None:
            pyramid, quarter = self.pyramid(image, width, height), 0
        levels = pyramid.turned(quarter, antialias)
        if levels.size != (width, height):
            raise ValueError(f"a working image of {levels.size[0]}x{levels.size[1]} for size {width}x{height}")
        boxes = self._pnet_stage(levels, scales, thresholds[0])
        if len(boxes) == 0:
            return RawFaces.empty()
        boxes = _square(boxes)
        reg, logit = self._run("rnet", self._patches(levels, boxes, 24))
        score = _probability(logit)
        keep = score > thresholds[1]
        boxes = _refine(boxes[keep], reg[keep], score[keep])
        boxes = boxes[_nms(boxes, NMS_RNET, "union")]
        if len(boxes) == 0:
            return RawFaces.empty()
        boxes = _square(boxes)
        reg, marks, logit = self._run("onet", self._patches(levels, boxes, 48))
        score = _probability(logit)
        keep = score > thresholds[2]
        landmarks = _place_landmarks(boxes[keep], marks[keep])
        boxes = _refine(boxes[keep], reg[keep], score[keep])
        order = _nms(boxes, NMS_ONET_MIN, "min")
        boxes, landmarks = boxes[order], landmarks[order]
        upright = np.full(len(boxes), np.nan, np.float32)
        steady = np.full(len(boxes), np.nan, np.float32)
        if check_upright and len(boxes):
            longer = float(max(width, height))
            # The same arithmetic as the caller's floor on the returned float32 boxes and scores.
            sides = [max(box[2] - box[0], box[3] - box[1]) / longer for box in boxes[:, :4].astype(np.float32)]
            scores = boxes[:, 4].astype(np.float32)
            judged = np.array([floor is None or float(score) >= floor(side) for side, score in zip(sides, scores)],
                              bool)
            order = np.flatnonzero(judged)
            order = order[np.argsort(-boxes[order, 4], kind="stable")]
            if certain is not None:
                upright[order[_log_odds(scores[order]) >= certain]] = np.inf
            lone = len(order) == 1 and sides[order[0]] < steady_below
            rest = order[np.isnan(upright[order])]
            if stop_at is None or len(rest) == len(order):
                for chosen in ((rest[:1], rest[1:]) if stop_at is not None else (rest,)):
                    if len(chosen):
                        upright[chosen], steady[chosen[0]] = self._orientation(levels, boxes[chosen], lone)
                    if stop_at is not None and len(chosen) and upright[chosen[0]] > stop_at:
                        break
        return RawFaces(boxes[:, :4].astype(np.float32), boxes[:, 4].astype(np.float32),
                        landmarks.astype(np.float32), upright, steady)

    def _orientation(self, levels: _Turned, boxes: np.ndarray, steady: bool = False) -> tuple[np.ndarray, float]:
        """How much more O-Net believes each face's square patch as it stands than turned a quarter, a half or
        three quarters (log-odds; negative: probably lying on its side or upside down), and with ``steady`` the
        first face's steadiness (``RawFaces.steady``; NaN without), in one O-Net batch."""
        square = _square(boxes)
        patches = self._patches(levels, square, 48)
        # The patches as they stand and turned a quarter, a half and three quarters counter-clockwise.
        batch = [np.rot90(patches, k, axes=(2, 3)) for k in range(4)]
        if steady:
            batch.append(self._patches(levels, _moved(square[:1]), 48))
        logits = self._run("onet", np.concatenate(batch))[2]
        turned = logits[:4 * len(boxes)].reshape(4, -1).T
        margins = (turned[:, 0] - turned[:, 1:].max(axis=1)).astype(np.float32)
        return margins, float(logits[4 * len(boxes):].min()) if steady else float("nan")

    def steadiness(self, pyramid: Pyramid, quarter: int, boxes: np.ndarray) -> np.ndarray:
        """``RawFaces.steady`` for every box (x1 y1 x2 y2, working-size pixels of the photo turned ``quarter`` times;
        patches antialiased, as :meth:`detect` cuts them by default): for benchmarks that replay the policy on every
        face."""
        if not len(boxes):
            return np.zeros((0,), np.float32)
        levels = pyramid.turned(quarter, True)
        logits = self._run("onet", self._patches(levels, _moved(_square(np.asarray(boxes, np.float64))), 48))[2]
        return logits.reshape(len(boxes), 4).min(axis=1).astype(np.float32)

    def _patches(self, levels: _Turned, boxes: np.ndarray, size: int) -> np.ndarray:
        """:meth:`_Turned.patches`, many boxes in two halves side by side."""
        return levels.patches(boxes, size, self._workers if len(boxes) * size * size >= _SPLIT_SAMPLES else None)

    def _pnet_stage(self, levels: _Turned, scales: list[float], threshold: float) -> np.ndarray:
        """Every pyramid level → windows scoring above ``threshold`` → NMS per level, then across levels.

        Returns (K, 5) x1 y1 x2 y2 score in working-image pixels, boxes already moved by P-Net's regression.
        """
        def level(scale: float) -> np.ndarray:
            return self._pnet_level(levels, scale, threshold)

        # The executor hands out levels in order, largest first, to whichever worker is free.
        found = list(self._workers.map(level, scales) if self._workers is not None else map(level, scales))
        rows = _best(np.concatenate(found))
        return rows[_nms(rows, NMS_PNET_ALL, "union")]

    def _pnet_level(self, levels: _Turned, scale: float, threshold: float) -> np.ndarray:
        """One pyramid level's windows scoring above ``threshold``, after NMS within the level (as :meth:`_pnet_stage`)."""
        width, height = levels.size
        level = levels.pnet_level(max(1, int(height * scale)), max(1, int(width * scale)))
        reg, logit = self._run_pnet(level)
        # Probabilities only where they can pass: p > t exactly where the log-odds exceed log(t / (1 - t)).
        near = np.argwhere(logit[0] > np.log(threshold / (1.0 - threshold)) - 1e-3)
        score = _probability(logit[0][near[:, 0], near[:, 1]])
        cells, score = near[score > threshold], score[score > threshold]
        offsets = reg[0][:, cells[:, 0], cells[:, 1]].T
        corner = cells.astype(np.float32) * float(PNET_STRIDE)
        # A window covers cells*stride+1 … cells*stride+12 (the paper's 1-based convention); size 11.
        x1, y1 = corner[:, 1] + 1.0, corner[:, 0] + 1.0
        side = float(PNET_CELL - 1)
        boxes = np.stack([x1 + offsets[:, 0] * side, y1 + offsets[:, 1] * side,
                          x1 + side + offsets[:, 2] * side, y1 + side + offsets[:, 3] * side], 1) / np.float32(scale)
        rows = _best(np.concatenate([boxes, score[:, None]], 1).astype(np.float32))
        return rows[_nms(rows, NMS_PNET_LEVEL, "union")]


def working_planes(image: np.ndarray, width: int, height: int, workers: Executor | None = None) -> np.ndarray:
    """``image`` (RGB uint8) at ``width``×``height`` as channel planes (3×H×W, the networks' layout), float32
    normalised to about [-1, 1] as the networks expect.

    The downscale (BENCHMARKS.md, "The downscale itself"): down to half size plain bilinear, which already reads
    every source pixel; below that Pillow's antialiased bilinear, as ``tf.image.resize(antialias=True)``
    defines it (a widened triangle over every source pixel).  ``workers``: the bilinear resize in two halves
    side by side (:func:`~.resample.in_two`).
    """
    source_height, source_width = image.shape[:2]
    if 2 * width >= source_width and 2 * height >= source_height:
        planes = np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32)
        if (source_width, source_height) != (width, height):
            planes = bilinear_resize_planes(planes, height, width, workers)
    else:
        planes = np.ascontiguousarray(antialiased_resize(image, height, width).transpose(2, 0, 1))
    planes -= np.float32(127.5)
    planes *= np.float32(1.0 / 128.0)
    return planes


class Pyramid:
    """The levels of one working image (:func:`working_planes`, the photo upright), each made once, when first
    needed, and shared by the passes over the photo's quarter turns: P-Net's (an area resize of the working
    image to each scale) and the halving levels antialiased patches are cut from; all as channel planes
    (3×H×W, the networks' layout).

    A turned pass sees every level turned (:meth:`turned`): area resizing and halving treat rows and columns
    alike, so a level of the turned image is the turned level (up to the order of float32 sums), and a photo's
    turned passes make no level of their own (BENCHMARKS.md, "Turns on real photos").
    """

    def __init__(self, planes: np.ndarray) -> None:
        self.planes = planes
        self._pnet: dict[tuple[int, int], np.ndarray] = {}
        self._halves: list[np.ndarray] = [planes]  # the working image, then each halving level once made

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the working image."""
        return self.planes.shape[2], self.planes.shape[1]

    def pnet_level(self, height: int, width: int) -> np.ndarray:
        """The working image area-resized to ``height``×``width`` (upright), as channel planes (3×H×W)."""
        level = self._pnet.get((height, width))
        if level is None:
            level = self._pnet[(height, width)] = area_resize_planes(self.planes, height, width)
        return level

    def half(self, index: int) -> np.ndarray:
        """The working image halved ``index`` times (upright), as channel planes (3×H×W)."""
        while len(self._halves) <= index:
            self._halves.append(halve_planes(self._halves[-1]))
        return self._halves[index]

    def turned(self, quarter: int, antialias: bool = True) -> _Turned:
        """The levels as a pass over the photo turned ``quarter`` times sees them (``antialias``: patches from
        the halving levels; otherwise from the working image)."""
        return _Turned(self, quarter % 4, antialias)


class _Turned:
    """A :class:`Pyramid` as a pass over the photo turned ``quarter`` times sees it: sizes and levels turned."""

    def __init__(self, pyramid: Pyramid, quarter: int, antialias: bool) -> None:
        self._pyramid, self._quarter, self._antialias = pyramid, quarter, antialias
        self._halves: dict[int, np.ndarray] = {}  # halving levels turned, each copied once for its patches
        width, height = pyramid.size
        self.size = (height, width) if quarter % 2 else (width, height)  # (width, height) as this pass sees it

    def pnet_level(self, height: int, width: int) -> np.ndarray:
        """The turned working image area-resized to ``height``×``width`` (channel planes)."""
        upright = (width, height) if self._quarter % 2 else (height, width)
        return turn(self._pyramid.pnet_level(*upright), self._quarter, axes=(1, 2))

    def patches(self, boxes: np.ndarray, size: int, workers: Executor | None = None) -> np.ndarray:
        """Each box's ``size``×``size`` patch (N×3×size×size), from the level :func:`_patch_plan` picks for it
        (``workers``: the boxes in two halves side by side, see :func:`~.resample.in_two`)."""
        width, height = self.size
        relative, level = _patch_plan(boxes, size, self._antialias, width, height)
        sources = {int(index): self._half(int(index)) for index in np.unique(level)}  # each level made once, here
        out = np.empty((len(boxes), 3, size, size), np.float32)

        def cut(start: int, stop: int) -> None:
            for index, source in sources.items():
                chosen = start + np.flatnonzero(level[start:stop] == index)
                out[chosen] = crop_and_resize(source, relative[chosen], size)

        in_two(workers, cut, len(boxes))
        return out

    def _half(self, index: int) -> np.ndarray:
        """A halving level as this pass sees it, contiguous (upright: the pyramid's own)."""
        if not self._quarter:
            return self._pyramid.half(index)
        if index not in self._halves:
            self._halves[index] = np.ascontiguousarray(turn(self._pyramid.half(index), self._quarter, axes=(1, 2)))
        return self._halves[index]


def _best(rows: np.ndarray) -> np.ndarray:
    """The ``_MAX_CANDIDATES`` highest-scoring rows (all of them when fewer)."""
    if len(rows) <= _MAX_CANDIDATES:
        return rows
    return rows[_best_first(rows[:, 4])[:_MAX_CANDIDATES]]


#: The largest float32 below 1: a network's probability at or above it is "certain", whatever rounding gave it.
_CERTAIN = np.float32(1.0) - np.float32(2.0 ** -24)


def _best_first(scores: np.ndarray) -> np.ndarray:
    """Indices of ``scores`` best first, ordered exactly as the package orders them, ties included.

    Ties are common: P-Net's float32 probability saturates on large faces, in neighbouring cells and pyramid
    levels, and which of two such boxes survives suppression moves the final box (IoU 0.91 with the package's
    on obama2.jpg otherwise).  So: the package's sort (NumPy's default, ascending, reversed; not stable, but
    the same permutation for the same values in the same order), on float32 probabilities where every score
    from 1 − 2⁻²⁴ up counts as the same (TensorFlow's softmax rounds a saturated probability to 1 − 2⁻²⁴,
    float64 rounded to float32 gives 1).
    """
    key = np.minimum(scores.astype(np.float32), _CERTAIN).astype(np.float64)
    return np.argsort(key)[::-1]


def _patch_plan(boxes: np.ndarray, patch: int, antialias: bool, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each candidate's patch comes from: its box in relative coordinates (y1 x1 y2 x2, of the image's
    extent, as :func:`~.resample.crop_and_resize` takes them) and the halving level where the box is 1–2× ``patch`` pixels."""
    relative = np.stack([boxes[:, 1] / height, boxes[:, 0] / width, boxes[:, 3] / height, boxes[:, 2] / width], 1)
    if not antialias:
        return relative.astype(np.float32), np.zeros(len(boxes), np.int32)
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    level = np.floor(np.log2(np.maximum(side, 1.0) / patch))
    return relative.astype(np.float32), np.clip(level, 0, _PATCH_LEVELS - 1).astype(np.int32)


def _moved(square: np.ndarray) -> np.ndarray:
    """Each square box moved by :data:`STEADY_SHIFT` of its side left, right, up and down: four rows per box."""
    side = (square[:, 2] - square[:, 0])[:, None]
    moves = np.array([(-1, 0, -1, 0), (1, 0, 1, 0), (0, -1, 0, -1), (0, 1, 0, 1)], np.float64)
    return np.repeat(square[:, :4], 4, axis=0) + np.tile(moves, (len(square), 1)) * STEADY_SHIFT * np.repeat(side, 4, 0)


def _log_odds(probability: np.ndarray) -> np.ndarray:
    """A network's probability back to log-odds (float64; +inf for a saturated probability)."""
    p = probability.astype(np.float64)
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def _probability(logit: np.ndarray) -> np.ndarray:
    """Face probability (float32, as the networks' softmax gives it) from their log-odds, computed in float64."""
    return (1.0 / (1.0 + np.exp(-logit.astype(np.float64)))).astype(np.float32)


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


def _overlap(boxes: np.ndarray, method: str = "union") -> np.ndarray:
    """All-pairs overlap of (x1 y1 x2 y2 …) rows: IoU (``union``) or intersection over the smaller box (``min``)."""
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    area = np.maximum(x2 - x1, 0.0) * np.maximum(y2 - y1, 0.0)
    inter_w = np.maximum(np.minimum(x2[:, None], x2[None, :]) - np.maximum(x1[:, None], x1[None, :]), 0.0)
    inter_h = np.maximum(np.minimum(y2[:, None], y2[None, :]) - np.maximum(y1[:, None], y1[None, :]), 0.0)
    inter = inter_w * inter_h
    if method == "min":
        return inter / np.maximum(np.minimum(area[:, None], area[None, :]), 1e-9)
    return inter / np.maximum(area[:, None] + area[None, :] - inter, 1e-9)


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
    order = _best_first(boxes[:, 4])
    overlap = _overlap(boxes[order].astype(np.float64), method)
    beaten = np.triu(overlap > threshold, k=1).any(axis=0)
    return order[~beaten]
