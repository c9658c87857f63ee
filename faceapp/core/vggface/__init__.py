"""The three VGGFace architectures, their weight files, labels and preprocessing.

Importing this package is cheap; ONNX Runtime (and onnx, to build a graph) is imported only by the functions
that build or run a model.
"""

from __future__ import annotations

from faceapp.core.vggface.catalog import MODELS, ModelSpec, get_spec

__all__ = ["MODELS", "ModelSpec", "get_spec"]
