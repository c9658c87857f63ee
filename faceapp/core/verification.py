"""Same-person verification: cosine distance and verdicts.

NumPy (imported on first use), cheap, safe to call on the GUI thread for every slider move.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from faceapp.core.defaults import DEFAULT_THRESHOLD, THRESHOLD_MAX, THRESHOLD_MIN
from faceapp.core.types import Verdict

if TYPE_CHECKING:
    import numpy as np

__all__ = ["cosine_distance", "judge", "validate_threshold", "l2_normalize"]


def l2_normalize(vectors: np.ndarray, axis: int = -1) -> np.ndarray:
    """Scale vectors to unit length (a zero vector stays zero)."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=axis, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cosine_distance(descriptor_a: np.ndarray, descriptor_b: np.ndarray) -> float:
    """1 − cosine similarity of two descriptors, in [0, 2].

    Raises ValueError when the descriptors have different shapes (they come
    from different models and cannot be compared).
    """
    import numpy as np

    a = np.asarray(descriptor_a, dtype=np.float64).ravel()
    b = np.asarray(descriptor_b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(
            f"descriptors of different models cannot be compared (sizes {a.size} and {b.size}); "
            "analyse both photos with the same model"
        )
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    if norm == 0.0:
        return 1.0
    similarity = float(np.dot(a, b) / norm)
    return float(np.clip(1.0 - similarity, 0.0, 2.0))


def validate_threshold(threshold: float) -> float:
    """Return ``threshold`` as float, or raise ValueError quoting the bad value."""
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"threshold must be a number, got {threshold!r}") from None
    if not (THRESHOLD_MIN <= value <= THRESHOLD_MAX) or math.isnan(value):
        raise ValueError(
            f"threshold must be between {THRESHOLD_MIN} and {THRESHOLD_MAX}, got {threshold!r}"
        )
    return value


def judge(distance: float, threshold: float = DEFAULT_THRESHOLD) -> Verdict:
    """Verdict for a cached distance: same person when ``distance <= threshold``."""
    return Verdict(distance=float(distance), threshold=validate_threshold(threshold))
