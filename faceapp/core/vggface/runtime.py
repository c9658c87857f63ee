"""A loaded VGGFace model on ONNX Runtime: one forward pass per batch → descriptors and identities.

Sessions (and their execution providers, ``FACEAPP_PROVIDERS``) come from the one
place that makes them for every faceapp graph: :mod:`faceapp.core.runtime`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from faceapp.core.defaults import DEFAULT_TOP
from faceapp.core.types import Identity
from faceapp.core.verification import l2_normalize
from faceapp.core.vggface.catalog import ModelSpec, get_spec
from faceapp.core.vggface.preprocess import preprocess_input

__all__ = ["VGGFaceModel", "PASS_FACES"]

#: Faces in one forward pass at most; more are run in passes of this many.  From two faces on a pass costs
#: the same per face (ResNet-50, 2 cores: 48–50 ms at 2, 4, 8, 16 and 32), but its memory grows with the
#: batch, and ONNX Runtime keeps what a pass took: 64 faces at once left the process 386 MB larger
#: (BENCHMARKS.md, "Memory over 1,000 photos on ONNX Runtime").
PASS_FACES = 8


class VGGFaceModel:
    """A model's graph on an ONNX Runtime session, with its weights (checked) and, with a classifier, its labels.

    Build it on the thread that will run it; ONNX Runtime is imported here.
    """

    def __init__(self, name: str, weights_path: str | os.PathLike, labels_path: str | os.PathLike | None,
                 include_top: bool, providers: str | None = None) -> None:
        from faceapp.core.runtime import session
        from faceapp.core.vggface.graph_cache import load_graph
        from faceapp.core.vggface.labels import load_labels

        self.spec: ModelSpec = get_spec(name)
        self.include_top = include_top
        self.weights_path = Path(weights_path)
        # Labels first: a bad labels file is cheaper to find than a bad weights file.
        self.labels: tuple[str, ...] = ()
        if include_top:
            if labels_path is None:
                raise ValueError("a model with a classifier needs its labels file")
            self.labels = load_labels(labels_path, self.spec.classes)
        graph = load_graph(self.weights_path, name, include_top)
        #: Identifies the weights behind the descriptors (see weights.fingerprint): part of a descriptor space.
        self.fingerprint: str = graph.fingerprint
        #: Whether the graph came from the model folder's cache (False: built from the weights file now).
        self.graph_from_cache = graph.from_cache
        self._session = session(graph.source, providers)
        self._input = self._session.get_inputs()[0].name

    @classmethod
    def from_store(cls, name: str, models_dir: str | os.PathLike | None = None) -> "VGGFaceModel":
        """Find the files of ``name`` (see :mod:`model_files`) and load them."""
        from faceapp.core.vggface.model_files import locate

        located = locate(name, models_dir)
        return cls(name, located.weights, located.labels, located.include_top)

    @property
    def providers(self) -> list[str]:
        """The execution providers the session runs on, in order of preference."""
        return list(self._session.get_providers())

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
        passes = [self._pass(crops[start:start + PASS_FACES]) for start in range(0, len(crops), PASS_FACES)]
        descriptors = l2_normalize(np.concatenate([outputs[0] for outputs in passes]).reshape(len(crops), -1))
        probabilities = np.concatenate([outputs[1] for outputs in passes]) if len(passes[0]) > 1 else None
        return descriptors, probabilities

    def _pass(self, crops: np.ndarray) -> list[np.ndarray]:
        """One forward pass: the graph's outputs (descriptors; softmax with a classifier) for at most PASS_FACES."""
        batch = np.ascontiguousarray(preprocess_input(crops, self.spec.preprocess_version), np.float32)
        return [np.asarray(output) for output in self._session.run(None, {self._input: batch})]

    def top_identities(self, probabilities: np.ndarray, top: int = DEFAULT_TOP) -> tuple[Identity, ...]:
        """The ``top`` most likely identities for one face's softmax, most likely first."""
        if not self.labels or top <= 0:
            return ()
        top = min(top, len(probabilities))
        best = np.argpartition(-probabilities, top - 1)[:top]
        best = best[np.argsort(-probabilities[best], kind="stable")]
        return tuple(Identity(self.labels[i], float(probabilities[i])) for i in best)
