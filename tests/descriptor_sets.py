"""Generated descriptor sets with known identities, for testing matching, grouping and calibration.

With generated model weights every face looks alike, so recognition logic is
tested on vectors made here: each person is a random direction in 2,048
dimensions, each face that direction plus noise, L2-normalised.  ``spread`` sets
how far a person's faces lie from each other; ``siblings`` makes pairs of people
whose directions are close.
"""

from __future__ import annotations

import numpy as np

__all__ = ["identities", "pairwise_distances"]

DIM = 2048


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)).astype(np.float32)


def identities(people: int, per_person: int | list[int], spread: float = 0.6, seed: int = 0,
               siblings: int = 0, sibling_closeness: float = 0.9, dim: int = DIM) -> tuple[np.ndarray, np.ndarray]:
    """(matrix (N, dim), labels (N,)): ``per_person`` faces of each of ``people`` people.

    The first ``2 * siblings`` people come in pairs whose directions have cosine
    similarity ``sibling_closeness``.  A face is its person's direction plus
    Gaussian noise of norm ≈ ``spread``, normalised; the cosine distance between
    two faces of one person is then about spread² / (1 + spread²).
    """
    rng = np.random.default_rng(seed)
    centres = _unit(rng.standard_normal((people, dim)))
    for pair in range(siblings):
        a, b = 2 * pair, 2 * pair + 1
        other = _unit(rng.standard_normal(dim) - centres[a] * (centres[a] @ rng.standard_normal(dim)))
        other = _unit(other - centres[a] * float(centres[a] @ other))
        centres[b] = _unit(sibling_closeness * centres[a] + np.sqrt(1 - sibling_closeness ** 2) * other)
    counts = per_person if isinstance(per_person, list) else [per_person] * people
    labels = np.repeat(np.arange(people), counts)
    noise = rng.standard_normal((len(labels), dim)) * (spread / np.sqrt(dim))
    return _unit(centres[labels] + noise), labels


def pairwise_distances(matrix: np.ndarray) -> np.ndarray:
    return 1.0 - matrix @ matrix.T
