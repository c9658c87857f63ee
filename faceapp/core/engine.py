"""The Engine: detector + model, photo in, :class:`AnalysisResult` out.

Both are built lazily on the thread that first uses them (the GUI's worker
thread, or the CLI's main thread), so constructing an Engine is cheap.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

import numpy as np

from faceapp.core.detection.align import CROP_SIZE, crop_face, resize_whole
from faceapp.core.defaults import CROP_RECIPES, DEFAULT_CROP, DEFAULT_MODEL, DEFAULT_TOP, PIPELINE_VERSION
from faceapp.core.detection.detector import FaceDetector
from faceapp.core.types import AnalysisResult, Box, DescriptorSpace, Face, FaceResult
from faceapp.core.vggface.catalog import get_spec

__all__ = ["Engine", "backend_version", "descriptor_space"]


def backend_version() -> str:
    """The version of ONNX Runtime, which runs the recognition model (imports it)."""
    import onnxruntime

    return str(onnxruntime.__version__)


@functools.lru_cache(maxsize=8)
def _fingerprint(path: str, size: int, mtime_ns: int) -> str:
    from faceapp.core.vggface.weights import weights_fingerprint

    return weights_fingerprint(path)


def descriptor_space(model: str, crop: str, models_dir: str | os.PathLike | None = None) -> DescriptorSpace:
    """The space an Engine with these settings describes faces into — found without loading the model.

    Reads the model's weights file (h5py) to fingerprint it; raises ModelFilesMissing
    or WeightsError like :meth:`Engine.load`.  A library uses it to tell which faces
    still need describing before deciding whether to build a model at all.
    """
    from faceapp.core.vggface.model_files import locate

    get_spec(model)
    if crop not in CROP_RECIPES:
        raise ValueError(f"crop recipe must be one of {', '.join(CROP_RECIPES)}, got {crop!r}")
    located = locate(model, models_dir)
    stat = located.weights.stat()
    dim = located.spec.descriptor_dim if located.include_top else located.spec.notop_descriptor_dim
    fingerprint = _fingerprint(str(located.weights), stat.st_size, stat.st_mtime_ns)
    return DescriptorSpace(model, fingerprint, crop, PIPELINE_VERSION, dim)


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

    @property
    def space(self) -> DescriptorSpace:
        """The descriptor space of what :meth:`analyze` produces now (loads the model)."""
        model = self.model
        return DescriptorSpace(self.model_name, model.fingerprint, self.crop, PIPELINE_VERSION, model.descriptor_dim)

    def crops_of(self, image: np.ndarray, faces: list[Face] | tuple[Face, ...], crop: str | None = None) -> np.ndarray:
        """The model's input for ``faces`` of ``image``: (N, CROP_SIZE, CROP_SIZE, 3) RGB uint8, cut upright
        (by ``crop``, else the engine's recipe)."""
        recipe = crop or self.crop
        crops = [crop_face(image, face.box, recipe, face.rotation) for face in faces]
        return np.stack(crops) if crops else np.zeros((0, CROP_SIZE, CROP_SIZE, 3), np.uint8)

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
        batch = resize_whole(image)[None] if aligned else self.crops_of(image, faces)
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
