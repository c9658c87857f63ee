"""The Engine: detector + model, photo in, :class:`AnalysisResult` out.

Both are built lazily on the thread that first uses them (the GUI's worker
thread, or the CLI's main thread), so constructing an Engine is cheap.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from faceapp.core.align import CROP_SIZE, crop_face, resize_whole
from faceapp.core.defaults import CROP_RECIPES, DEFAULT_CROP, DEFAULT_MODEL, DEFAULT_TOP
from faceapp.core.detection import FaceDetector
from faceapp.core.types import AnalysisResult, Box, Face, FaceResult
from faceapp.core.vggface.catalog import get_spec

__all__ = ["Engine", "backend_version"]


def backend_version() -> str:
    """The TensorFlow version doing the work (imports TensorFlow)."""
    import tensorflow as tf

    return str(tf.__version__)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 1)


class Engine:
    """Holds one detector and one model; :meth:`analyze` runs them on a photo."""

    def __init__(self, model: str = DEFAULT_MODEL, crop: str = DEFAULT_CROP,
                 models_dir: str | os.PathLike | None = None, top: int = DEFAULT_TOP,
                 detector: FaceDetector | None = None) -> None:
        get_spec(model)  # ValueError for an unknown name, before anything heavy
        self.model_name = model
        self.set_crop(crop)
        self.models_dir = models_dir
        self.top = top
        self.detector = detector or FaceDetector()
        self._model: Any = None

    def set_crop(self, crop: str) -> None:
        """Switch the crop recipe (the model stays loaded)."""
        if crop not in CROP_RECIPES:
            raise ValueError(f"crop recipe must be one of {', '.join(CROP_RECIPES)}, got {crop!r}")
        self.crop = crop

    @property
    def model(self) -> Any:
        """The loaded :class:`VGGFaceModel` (built and verified on first access)."""
        if self._model is None:
            from faceapp.core.vggface.runtime import VGGFaceModel

            self._model = VGGFaceModel.from_store(self.model_name, self.models_dir)
        return self._model

    def load(self) -> None:
        """Build the model now (raises ModelFilesMissing or WeightsError)."""
        _ = self.model

    def analyze(self, image: np.ndarray, aligned: bool = False) -> AnalysisResult:
        """Every face of ``image`` with descriptor and top identities, plus timings.

        ``aligned``: the photo already is a face crop; it is used whole.
        """
        model = self.model
        timings: dict[str, float] = {}
        height, width = image.shape[:2]
        start = time.perf_counter()
        if aligned:
            faces = [Face(box=Box(0, 0, width, height), confidence=1.0)]
        else:
            faces = self.detector.detect(image)
        timings["detect"] = _ms(start)
        start = time.perf_counter()
        if aligned:
            crops = [resize_whole(image)]
        else:
            crops = [crop_face(image, face.box, self.crop) for face in faces]
        batch = np.stack(crops) if crops else np.zeros((0, CROP_SIZE, CROP_SIZE, 3), np.uint8)
        timings["crop"] = _ms(start)
        start = time.perf_counter()
        descriptors, probabilities = model.run(batch)
        timings["model"] = _ms(start)
        results = []
        for index, face in enumerate(faces):
            identities = model.top_identities(probabilities[index], self.top) if probabilities is not None else ()
            results.append(FaceResult(face=face, descriptor=descriptors[index], identities=identities))
        timings["total"] = round(sum(timings.values()), 1)
        return AnalysisResult(image_size=(width, height), faces=tuple(results), model=self.model_name,
                              crop=("aligned" if aligned else self.crop),
                              has_identities=model.has_identities, timings_ms=timings)
