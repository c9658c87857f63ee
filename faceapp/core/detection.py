"""Face detection with mtcnn 1.0, on a downscaled copy for large photos.

The detector is built on first use, on the thread that calls :meth:`detect`
(TensorFlow is imported then, not at import time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from faceapp.core.defaults import DETECTION_MAX_SIDE, MIN_CONFIDENCE, MIN_FACE_SIZE
from faceapp.core.images import resize_rgb
from faceapp.core.types import Box, Face, Landmarks

__all__ = ["FaceDetector"]

# mtcnn's pyramid starts at 12 px; asking for smaller faces upsamples the photo.
_MTCNN_MIN_FACE = 12
_MTCNN_SAFE_MAX_FACE = 20


def _compile_stages(detector: Any) -> Any:
    """Run mtcnn's three networks as traced graphs instead of eager Keras calls.

    mtcnn 1.0 calls its Keras models eagerly, once per pyramid scale; Keras'
    per-layer call overhead then costs more than the convolutions.  One traced
    function per network, with batch, height and width left open, gives the
    same boxes 2–3× faster (BENCHMARKS.md).  Touches mtcnn's ``stage._model``;
    if a future mtcnn lacks it, detection simply stays eager.
    """
    import tensorflow as tf

    signature = [tf.TensorSpec([None, None, None, 3], tf.float32)]
    for stage in getattr(detector, "stages", ()):
        model = getattr(stage, "_model", None)
        if callable(model):
            stage._model = tf.function(model, input_signature=signature, autograph=False)
    return detector


class FaceDetector:
    """Finds every face in an RGB photo.

    ``max_side``: detection runs on a copy whose longer side is at most this many
    pixels (None: never downscale); boxes and landmarks are mapped back to the
    full photo.  ``min_face_size``: smallest face sought, in full-photo pixels.
    ``min_confidence``: weaker detections are dropped.
    """

    def __init__(self, max_side: int | None = DETECTION_MAX_SIDE,
                 min_face_size: int = MIN_FACE_SIZE, min_confidence: float = MIN_CONFIDENCE) -> None:
        if max_side is not None and max_side < 64:
            raise ValueError(f"max_side must be at least 64 pixels, got {max_side!r}")
        self.max_side = max_side
        self.min_face_size = int(min_face_size)
        self.min_confidence = float(min_confidence)
        self._mtcnn: Any = None

    def _detector(self) -> Any:
        if self._mtcnn is None:
            from mtcnn import MTCNN

            self._mtcnn = _compile_stages(MTCNN())
        return self._mtcnn

    def scale_for(self, width: int, height: int) -> float:
        """The factor the photo is scaled by before detection (≤ 1)."""
        if self.max_side is None or max(width, height) <= self.max_side:
            return 1.0
        return self.max_side / float(max(width, height))

    def detect(self, image: np.ndarray) -> list[Face]:
        """Every face in ``image`` (RGB uint8, H×W×3), left to right.

        No face → an empty list.
        """
        height, width = image.shape[:2]
        if min(height, width) < _MTCNN_MIN_FACE * 2:
            return []
        scale = self.scale_for(width, height)
        small = image
        if scale < 1.0:
            small = resize_rgb(image, max(1, round(width * scale)), max(1, round(height * scale)))
        # mtcnn 1.0 sizes its pyramid as if it started at scale 1: asking for faces
        # larger than 20 px lets the last scales shrink below PNet's 12 px input
        # and it raises, so the request is kept within [12, 20] px.
        min_face = min(_MTCNN_SAFE_MAX_FACE, max(_MTCNN_MIN_FACE, round(self.min_face_size * scale)))
        try:
            raw = self._detector().detect_faces(np.ascontiguousarray(small), min_face_size=min_face)
        except ValueError as exc:
            if "empty output" not in str(exc):
                raise
            return []  # a pyramid level too small for PNet: no face mtcnn could find
        faces = [self._to_face(item, scale, width, height) for item in raw or []]
        faces = [face for face in faces
                 if face.box.width > 1 and face.box.height > 1 and face.confidence >= self.min_confidence]
        faces.sort(key=lambda face: (face.box.x, face.box.y))
        return faces

    @staticmethod
    def _to_face(item: dict[str, Any], scale: float, width: int, height: int) -> Face:
        # mtcnn returns numpy scalars; cast everything to plain Python numbers.
        x, y, w, h = (float(v) / scale for v in item["box"])
        x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
        x1, y1 = min(width, int(round(x + w))), min(height, int(round(y + h)))
        box = Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))
        points = item.get("keypoints") or {}

        def point(key: str) -> tuple[float, float]:
            px, py = points.get(key, (np.nan, np.nan))
            return (float(px) / scale, float(py) / scale)

        landmarks = None
        if points:
            # mtcnn names eyes and mouth corners from the viewer's side; ours are the subject's.
            landmarks = Landmarks(
                left_eye=point("right_eye"),
                right_eye=point("left_eye"),
                nose=point("nose"),
                mouth_left=point("mouth_right"),
                mouth_right=point("mouth_left"),
            )
        return Face(box=box, confidence=float(item["confidence"]), landmarks=landmarks)
