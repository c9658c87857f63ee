"""A loaded VGGFace model: one forward pass per batch → descriptors and identities."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.defaults import DEFAULT_TOP
from faceapp.core.types import Identity
from faceapp.core.verification import l2_normalize
from faceapp.core.vggface.catalog import ModelSpec, get_spec
from faceapp.core.vggface.preprocess import preprocess_input

__all__ = ["VGGFaceModel"]


class VGGFaceModel:
    """A built model with its weights (verified) and, with a classifier, its labels.

    Build it on the thread that will run it; TensorFlow is imported here.
    """

    def __init__(self, name: str, weights_path: str | os.PathLike, labels_path: str | os.PathLike | None,
                 include_top: bool) -> None:
        from faceapp.core.vggface.labels import load_labels
        from faceapp.core.vggface.models import build_model
        from faceapp.core.vggface.weights import load_weights_into

        self.spec: ModelSpec = get_spec(name)
        self.include_top = include_top
        self.weights_path = Path(weights_path)
        # Labels first: a bad labels file is cheaper to find than a bad weights file.
        self.labels: tuple[str, ...] = ()
        if include_top:
            if labels_path is None:
                raise ValueError("a model with a classifier needs its labels file")
            self.labels = load_labels(labels_path, self.spec.classes)
        self._model = build_model(name, include_top=include_top)
        #: Identifies the weights behind the descriptors (see load_weights_into): part of a descriptor space.
        self.fingerprint: str = load_weights_into(self._model, self.weights_path, name)
        self._forward = self._compile()

    @classmethod
    def from_store(cls, name: str, models_dir: str | os.PathLike | None = None) -> "VGGFaceModel":
        """Find the files of ``name`` (see :mod:`store`) and load them."""
        from faceapp.core.vggface.model_files import locate

        located = locate(name, models_dir)
        return cls(name, located.weights, located.labels, located.include_top)

    def _compile(self) -> Any:
        from faceapp.core.vggface.folded import folded_forward

        # A traced graph avoids Keras' per-call overhead (predict() sets up a dataset
        # pipeline for every call, which dominates for one face), and folding each batch
        # normalisation into its convolution saves 7–17 % of the pass (see folded.py).
        # One fixed signature: any batch size reuses the same trace.
        return folded_forward(self._model)

    @property
    def has_identities(self) -> bool:
        return self.include_top

    @property
    def descriptor_dim(self) -> int:
        return self.spec.descriptor_dim if self.include_top else self.spec.notop_descriptor_dim

    def run(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``crops``: ``(N, INPUT_SIZE, INPUT_SIZE, 3)`` RGB 0–255 → (L2-normalised descriptors, softmax or None)."""
        if len(crops) == 0:
            return np.zeros((0, self.descriptor_dim), np.float32), None
        batch = preprocess_input(crops, self.spec.preprocess_version)
        outputs = self._forward(batch)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        descriptors = l2_normalize(np.asarray(outputs[0]).reshape(len(crops), -1))
        probabilities = np.asarray(outputs[1]) if len(outputs) > 1 else None
        return descriptors, probabilities

    def top_identities(self, probabilities: np.ndarray, top: int = DEFAULT_TOP) -> tuple[Identity, ...]:
        """The ``top`` most likely identities for one face's softmax, most likely first."""
        if not self.labels or top <= 0:
            return ()
        top = min(top, len(probabilities))
        best = np.argpartition(-probabilities, top - 1)[:top]
        best = best[np.argsort(-probabilities[best], kind="stable")]
        return tuple(Identity(self.labels[i], float(probabilities[i])) for i in best)
