"""Finding faces: faceapp's MTCNN (:mod:`faceapp.core.detection.mtcnn`) plus the policy around it.

The policy: detect on a copy whose longer side is at most ``DETECTION_MAX_SIDE``
(boxes mapped back), look for faces down to ``MIN_FACE_SIZE`` pixels, cut the
later stages' patches antialiased, and keep detections above a floor that
depends on the face's size (small boxes are where false detections are).

Turned photos (a scan, a phone photo whose orientation tag was lost): MTCNN
finds few faces lying on their side — and sometimes accepts one anyway, as if
upright.  So every face is also judged by O-Net as it stands and turned (one
small O-Net batch per pass), unless O-Net is certain of it already
(``CERTAIN_LOG_ODDS``: no face lying on its side scores that high).  The
upright pass is never thrown away lightly: every face it finds above the floor
is kept, as the plain cascade keeps it.  Only when none of them is *surely*
upright is the photo tried turned a quarter, a half and three quarters.  A face
is surely upright when O-Net prefers its patch as it stands by more than
``UPRIGHT_MARGIN`` and, when it is the pass's only face and a small one
(``LONE_FACE_FRACTION`` of the photo's longer side), it is also *steady*: O-Net
still calls it a face with its box moved a tenth of its side each way
(``STEADY_LOG_ODDS``; the cascade's lone small false faces seldom are).  A turn
replaces the upright faces only when

* it finds at least as many faces that are surely upright there as the upright
  pass found at all (faces smaller than ``TURN_SEEK_FRACTION`` of the smallest
  upright one are neither sought nor counted in the turns: P-Net's finest
  pyramid levels are most of a pass's cost);
* none of its faces above the floor is surely lying on its side there (margin
  below ``-TURN_VETO_MARGIN``);
* it is more than one small face, unless that face is certain or steady: on
  upright crowds whose faces are too small for the upright pass, each turn adds
  the cascade's false-face rate, and a lone small false face scores as a real
  one does;

the turn with the most such faces (then the higher total confidence) wins.  When
the upright pass found nothing and no turn qualifies, the large face O-Net likes
best as it stands in its turn is taken if its margin is above
``TURN_FALLBACK_MARGIN``.  Judging each face by O-Net alone (the rule before
issue 18) dropped real upright portraits whose patch O-Net happened to prefer
turned: on real photos that is worse than a missed turn (BENCHMARKS.md, "Turns
on real photos", where every constant here was chosen).

The networks (ONNX Runtime sessions) are built on first use, on the thread that
calls :meth:`detect`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from faceapp.core.defaults import (
    CERTAIN_LOG_ODDS,
    DETECTION_MAX_SIDE,
    LARGE_FACE_FRACTION,
    LONE_FACE_FRACTION,
    MIN_CONFIDENCE,
    MIN_CONFIDENCE_LARGE,
    MIN_FACE_SIZE,
    STEADY_LOG_ODDS,
    TURN_FALLBACK_MARGIN,
    TURN_SEEK_FRACTION,
    TURN_VETO_MARGIN,
    UPRIGHT_MARGIN,
)
from faceapp.core.detection.mtcnn import PNET_CELL
from faceapp.core.detection.turns import (
    QUARTERS,
    box_from_turned,
    points_from_turned,
    turn,
)
from faceapp.core.types import Box, Face, Landmarks

__all__ = ["FaceDetector"]


@dataclass(frozen=True)
class _Judged:
    """A face a pass found, with O-Net's judgement of it (:class:`~.mtcnn.RawFaces`): ``margin``, its
    orientation margin (+inf: certain, not judged; NaN: not judged), and ``steady``, its steadiness (NaN: not
    measured, as for every face but a lone small one)."""

    face: Face
    margin: float
    steady: float

    @property
    def sure(self) -> bool:
        """Surely upright: O-Net prefers it as it stands, and a lone small face is also steady."""
        return self.margin > UPRIGHT_MARGIN and not self.steady < STEADY_LOG_ODDS

    @property
    def vouched(self) -> bool:
        """Certain, or measured steady: a face that may stand alone in a turn however small it is."""
        return self.margin == float("inf") or self.steady >= STEADY_LOG_ODDS


class FaceDetector:
    """Finds every face in an RGB photo.

    ``max_side``: detection runs on a copy whose longer side is at most this many
    pixels (None: never downscale).  ``min_face_size``: smallest face sought, in
    pixels of the photo.  ``min_confidence``: one floor for every face size
    (None: the measured size-aware floors, :meth:`floor`).  ``antialias``: R-/O-Net
    patches from a halving pyramid (False: as the ``mtcnn`` package does, for
    comparisons).  ``turns``: judge each face's orientation and try quarter turns
    (False: take every detection as it stands, as the ``mtcnn`` package does).
    """

    def __init__(self, max_side: int | None = DETECTION_MAX_SIDE, min_face_size: int = MIN_FACE_SIZE,
                 min_confidence: float | None = None, antialias: bool = True, turns: bool = True) -> None:
        if max_side is not None and max_side < 64:
            raise ValueError(f"max_side must be at least 64 pixels, got {max_side!r}")
        self.max_side = max_side
        self.min_face_size = int(min_face_size)
        self.min_confidence = None if min_confidence is None else float(min_confidence)
        self.antialias = antialias
        self.turns = turns
        self._mtcnn: Any = None

    def floor(self, side_fraction: float) -> float:
        """The confidence a face needs, by its box's longer side over the working image's longer side."""
        if self.min_confidence is not None:
            return self.min_confidence
        return MIN_CONFIDENCE_LARGE if side_fraction >= LARGE_FACE_FRACTION else MIN_CONFIDENCE

    def _networks(self) -> Any:
        if self._mtcnn is None:
            from faceapp.core.detection.mtcnn import MTCNN

            self._mtcnn = MTCNN()
        return self._mtcnn

    def scale_for(self, width: int, height: int) -> float:
        """The factor the photo is scaled by before detection (≤ 1)."""
        if self.max_side is None or max(width, height) <= self.max_side:
            return 1.0
        return self.max_side / float(max(width, height))

    def detect(self, image: np.ndarray) -> list[Face]:
        """Every face in ``image`` (RGB uint8, H×W×3), left to right; no face → an empty list."""
        pyramid = self._pyramid(image)
        upright = self._detect_pass(image, 0, until_sure=True, pyramid=pyramid)
        if not self.turns or any(found.sure for found in upright):
            return [found.face for found in upright]
        height, width = image.shape[:2]
        lone = LONE_FACE_FRACTION * max(height, width)
        # A turn that is to replace the upright faces must find at least as many: faces much smaller than the
        # smallest of them need not be sought (P-Net's finest pyramid levels are most of a pass's cost).
        least = TURN_SEEK_FRACTION * min((_side(found.face) for found in upright), default=0.0)
        # Every turn: the turn O-Net likes the doubted upright faces best in is not always the photo's
        # (obama.jpg at 40 px upside down: a quarter; BENCHMARKS.md "Turns on real photos").
        best: list[Face] = []
        best_key: tuple[int, float] | None = None
        large: list[_Judged] = []
        for quarter in QUARTERS[1:]:
            # The upright pass's levels turned, not the photo turned and brought to the working size again: the
            # same pixels (the resampling is the same along either axis), without a second downscale or pyramid.
            found = [judged for judged in self._detect_pass(image, quarter, least, pyramid=pyramid)
                     if _side(judged.face) >= least]
            large += [judged for judged in found if _side(judged.face) >= lone]
            sure = [judged for judged in found if judged.sure]
            if not sure or len(sure) < len(upright):
                continue
            if any(judged.margin < -TURN_VETO_MARGIN for judged in found):
                continue  # a face lying on its side in this turn: the turn is not the photo's
            if len(sure) == 1 and _side(sure[0].face) < lone and not sure[0].vouched:
                continue  # one small face, neither certain nor steady: as likely a false face as a turned photo
            key = (len(sure), sum(judged.face.confidence for judged in sure))
            if best_key is None or key > best_key:
                best, best_key = [judged.face for judged in sure], key
        if best_key is not None:
            return best
        if not upright and large:
            chosen = max(large, key=lambda judged: judged.margin)
            if chosen.margin > TURN_FALLBACK_MARGIN:
                return [chosen.face]
        return [found.face for found in upright]

    def detect_upright(self, image: np.ndarray, quarter: int = 0) -> list[Face]:
        """Faces in ``image`` turned ``quarter`` quarter turns clockwise, mapped back, as the plain cascade
        finds them (every face above the floor, whatever O-Net thinks of its orientation)."""
        return [found.face for found in self._detect_pass(image, quarter)]

    def _working_size(self, width: int, height: int) -> tuple[int, int]:
        scale = self.scale_for(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))

    def _pyramid(self, image: np.ndarray) -> Any:
        """The :class:`~.mtcnn.Pyramid` of ``image`` upright at the working size, shared by every pass (None when
        too small for any face)."""
        height, width = image.shape[:2]
        if min(height, width) < PNET_CELL:
            return None
        return self._networks().pyramid(image, *self._working_size(width, height))

    def _detect_pass(self, image: np.ndarray, quarter: int, least: float = 0.0,
                     until_sure: bool = False, pyramid: Any = None) -> list[_Judged]:
        """Every face above the floor in ``image`` turned ``quarter`` times, judged (:class:`_Judged`),
        in reading order; faces are sought down to ``min_face_size`` pixels of the photo, and with ``least``
        only on the pyramid levels for faces of at least that many.  The margin: O-Net's log-odds for the face
        as it stands in this turn minus the best turned one (``RawFaces.upright``; +inf when O-Net is certain of
        the face, ``CERTAIN_LOG_ODDS``); without ``turns`` nothing is judged and it is +inf.  A lone small face's
        steadiness is measured with it (``LONE_FACE_FRACTION``).  ``until_sure``: the most confident face is judged
        first and the others only when it is not surely upright (NaN otherwise) — all the upright pass needs to
        know, for a quarter of O-Net's work on a crowd.  ``pyramid``: :meth:`_pyramid` of the photo, shared by its
        passes (this pass sees its levels turned), if the caller has it."""
        height, width = image.shape[:2]
        if min(height, width) < PNET_CELL:  # P-Net's window: nothing smaller can be found
            return []
        turned = turn(image, quarter)
        t_height, t_width = turned.shape[:2]
        scale = self.scale_for(t_width, t_height)
        work_width, work_height = self._working_size(t_width, t_height)
        min_face = max(float(PNET_CELL), self.min_face_size * scale)
        raw = self._networks().detect(turned, min_face, antialias=self.antialias, check_upright=self.turns,
                                      size=(work_width, work_height), floor=self.floor,
                                      stop_at=UPRIGHT_MARGIN if until_sure else None, skip_below=least * scale,
                                      pyramid=pyramid, quarter=quarter, certain=CERTAIN_LOG_ODDS,
                                      steady_below=LONE_FACE_FRACTION)
        sx, sy = t_width / work_width, t_height / work_height
        longer = float(max(work_width, work_height))
        found = []
        for box, score, points, upright, steady in zip(raw.boxes, raw.scores, raw.landmarks, raw.upright,
                                                       raw.steady):
            side = max(box[2] - box[0], box[3] - box[1]) / longer
            if float(score) < self.floor(side):
                continue
            face = self._to_face(box, float(score), points, sx, sy, quarter, width, height)
            if face.box.width > 1 and face.box.height > 1:
                found.append(_Judged(face, float(upright) if self.turns else float("inf"), float(steady)))
        return sorted(found, key=lambda judged: _reading_order(judged.face))

    @staticmethod
    def _to_face(box: np.ndarray, score: float, points: np.ndarray, sx: float, sy: float, quarter: int,
                 width: int, height: int) -> Face:
        """A working-image detection → a Face in the displayed photo (clipped; landmarks by the subject's side)."""
        t_width, t_height = (height, width) if quarter % 2 else (width, height)
        x0, y0 = max(0.0, box[0] * sx), max(0.0, box[1] * sy)
        x1, y1 = min(float(t_width), box[2] * sx), min(float(t_height), box[3] * sy)
        turned_box = Box(int(round(x0)), int(round(y0)), max(0, int(round(x1)) - int(round(x0))),
                         max(0, int(round(y1)) - int(round(y0))))
        xs, ys = points_from_turned(points[:, 0].astype(np.float64) * sx, points[:, 1].astype(np.float64) * sy,
                                    quarter, width, height)
        named = [(float(x), float(y)) for x, y in zip(xs, ys)]
        # mtcnn's order is the viewer's: left eye, right eye, nose, mouth left, mouth right.
        # faceapp names them from the subject's side.
        landmarks = Landmarks(left_eye=named[1], right_eye=named[0], nose=named[2],
                              mouth_left=named[4], mouth_right=named[3])
        return Face(box=box_from_turned(turned_box, quarter, width, height), confidence=score,
                    landmarks=landmarks, rotation=90 * quarter)


def _reading_order(face: Face) -> tuple[int, int]:
    return face.box.x, face.box.y


def _side(face: Face) -> float:
    return float(max(face.box.width, face.box.height))
