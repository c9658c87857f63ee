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

__all__ = [
    "AnalysisResult", "Box", "Face", "FaceResult", "Identity", "Landmarks", "Verdict",
    "FaceAppError", "ImageLoadError", "WeightsError", "ModelFilesMissing", "DownloadError",
    "DownloadCancelled", "StorageError", "cosine_distance", "judge", "load_image", "Engine", "FaceDetector",
]

#: Re-exports loaded on first use: even the small types cost the window's first paint time (dataclasses).
_LAZY = {
    **dict.fromkeys(("AnalysisResult", "Box", "Face", "FaceResult", "Identity", "Landmarks", "Verdict"),
                    "faceapp.core.types"),
    **dict.fromkeys(("cosine_distance", "judge"), "faceapp.core.verification"),
    "load_image": "faceapp.core.images",
    "Engine": "faceapp.core.engine",
    "FaceDetector": "faceapp.core.detection.detector",
}


def __getattr__(name: str):  # noqa: ANN202 - lazy re-exports keep import cheap
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'faceapp.core' has no attribute {name!r}")
