"""faceapp: face detection, VGGFace2 identities and same-person verification.

This module holds the project's name and version only; importing it loads
nothing heavy (no ONNX Runtime, no NumPy, no Qt).
"""

from __future__ import annotations

__all__ = ["APP_NAME", "APP_ID", "__version__"]

APP_NAME = "faceapp"
APP_ID = "io.github.faceapp"
__version__ = "0.1.0"
