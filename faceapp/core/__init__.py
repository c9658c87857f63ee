"""faceapp's Qt-free core: everything a script, the CLI or the GUI's worker uses.

Importing it is cheap: ONNX Runtime, NumPy and h5py load only when a model or
the detector is first used.
"""

from __future__ import annotations

from faceapp.core.errors import (
    DownloadCancelled,
    DownloadError,
    FaceAppError,
    ImageLoadError,
    ModelFilesMissing,
    StorageError,
    WeightsError,
)
from faceapp.core.types import AnalysisResult, Box, Face, FaceResult, Identity, Landmarks, Verdict
from faceapp.core.verification import cosine_distance, judge

__all__ = [
    "AnalysisResult", "Box", "Face", "FaceResult", "Identity", "Landmarks", "Verdict",
    "FaceAppError", "ImageLoadError", "WeightsError", "ModelFilesMissing", "DownloadError",
    "DownloadCancelled", "StorageError", "cosine_distance", "judge", "load_image", "Engine", "FaceDetector",
]


def __getattr__(name: str):  # noqa: ANN202 - lazy re-exports keep import cheap
    if name == "load_image":
        from faceapp.core.images import load_image

        return load_image
    if name == "Engine":
        from faceapp.core.engine import Engine

        return Engine
    if name == "FaceDetector":
        from faceapp.core.detection.detector import FaceDetector

        return FaceDetector
    raise AttributeError(f"module 'faceapp.core' has no attribute {name!r}")
