"""Finding faces: faceapp's MTCNN (:mod:`faceapp.core.detection.mtcnn`) plus the policy around it.

The policy: detect on a copy whose longer side is at most ``DETECTION_MAX_SIDE``
(boxes mapped back), look for faces down to ``MIN_FACE_SIZE`` pixels, cut the
later stages' patches antialiased, and keep detections above a floor that
depends on the face's size (small boxes are where false detections are).

Turned photos (a scan, a phone photo whose orientation tag was lost): MTCNN
finds few faces lying on their side — and sometimes accepts one anyway, as if
upright.  So every face is also judged by O-Net as it stands and turned.  The
upright pass is never thrown away lightly: every face it finds above the floor is
kept, as the plain cascade keeps it.  Only when none of them is *surely* upright
(O-Net prefers its patch as it stands by more than ``UPRIGHT_MARGIN``) is the
photo tried turned a quarter, a half and three quarters; a turn replaces the
upright faces only when it finds more faces that are surely upright there than
the upright pass found at all.  Judging each face by O-Net alone (the earlier rule)
dropped real upright portraits whose patch O-Net happened to prefer turned: on
real photos that is worse than a missed turn (BENCHMARKS.md, "Turns on real
photos").  A photo with a surely upright face pays one small O-Net batch.

The detector is built on first use, on the thread that calls :meth:`detect`
(ONNX Runtime is imported then, not at import time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from faceapp.core.defaults import (
    DETECTION_MAX_SIDE,
    LARGE_FACE_FRACTION,
    MIN_CONFIDENCE,
    MIN_CONFIDENCE_LARGE,
    MIN_FACE_SIZE,
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
        upright, sure = self._detect_pass(image, 0)
        if not self.turns or sure:
            return upright
        faces, faces_sure = upright, []
        for quarter in QUARTERS[1:]:
            _, found = self._detect_pass(image, quarter)
            if found and len(found) >= len(upright) and _surer(found, faces_sure):
                faces, faces_sure = found, found
        return faces

    def detect_upright(self, image: np.ndarray, quarter: int = 0) -> list[Face]:
        """Faces in ``image`` turned ``quarter`` quarter turns clockwise, mapped back, as the plain cascade
        finds them (every face above the floor, whatever O-Net thinks of its orientation)."""
        return self._detect_pass(image, quarter)[0]

    def _detect_pass(self, image: np.ndarray, quarter: int) -> tuple[list[Face], list[Face]]:
        """(faces above the floor, those of them surely upright) for one quarter turn of ``image``
        (without ``turns`` nothing is judged and the second list is the first)."""
        height, width = image.shape[:2]
        if min(height, width) < PNET_CELL:  # P-Net's window: nothing smaller can be found
            return [], []
        turned = turn(image, quarter)
        t_height, t_width = turned.shape[:2]
        scale = self.scale_for(t_width, t_height)
        work_width, work_height = max(1, round(t_width * scale)), max(1, round(t_height * scale))
        min_face = max(float(PNET_CELL), self.min_face_size * scale)
        raw = self._networks().detect(turned, min_face, antialias=self.antialias, check_upright=self.turns,
                                      size=(work_width, work_height))
        sx, sy = t_width / work_width, t_height / work_height
        longer = float(max(work_width, work_height))
        faces, sure = [], []
        for box, score, points, upright in zip(raw.boxes, raw.scores, raw.landmarks, raw.upright):
            side = max(box[2] - box[0], box[3] - box[1]) / longer
            if float(score) < self.floor(side):
                continue
            face = self._to_face(box, float(score), points, sx, sy, quarter, width, height)
            if face.box.width > 1 and face.box.height > 1:
                faces.append(face)
                if not self.turns or upright > UPRIGHT_MARGIN:
                    sure.append(face)
        return sorted(faces, key=_reading_order), sorted(sure, key=_reading_order)

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


def _surer(candidate: list[Face], current: list[Face]) -> bool:
    """Whether one turn's surely upright faces beat another's: more faces, then the higher total confidence."""
    return (len(candidate), sum(f.confidence for f in candidate)) > (len(current), sum(f.confidence for f in current))
