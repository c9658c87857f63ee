"""How good is a threshold on *your* photos?  Verification error rates from labelled pairs.

Input: genuine distances (two faces of one person) and impostor distances (two
people).  Output: the ROC and DET curves, the equal error rate (EER) and its
threshold, the best-accuracy threshold, and for each false accept rate (FAR) of
10⁻¹…10⁻⁴ the threshold and the true accept rate (TAR) — only where there are
enough impostor pairs to measure that FAR: Doddington's "rule of 30" (at least
30 false accepts expected, i.e. 30 / FAR impostor pairs; with fewer, the observed
rate may be off by more than ±30 %).  95 % intervals come from a bootstrap:
over people when the pairs have identities (each resampled person brings their
genuine pairs and the impostor pairs they take part in), over pairs otherwise.

Everything here is NumPy on distances; :mod:`faceapp.core.evaluation.calibration` gets the
distances from a folder or a pairs file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = ["Evaluation", "evaluate_distances", "FAR_TARGETS", "RULE_OF", "enough_impostors", "curve_at",
           "probit"]

#: The false accept rates reported.
FAR_TARGETS = (1e-1, 1e-2, 1e-3, 1e-4)
#: Errors that must be expected at a FAR before it is reported (Doddington et al., "rule of 30").
RULE_OF = 30
#: Bootstrap replicates and the histogram resolution they are computed on.
BOOTSTRAP = 1000
_BINS = 8000  # over distances 0…2: 0.00025 wide, far finer than any threshold anyone sets


def enough_impostors(far: float) -> int:
    """Impostor pairs needed to report ``far``: RULE_OF / far."""
    return int(math.ceil(RULE_OF / far))


def probit(p: np.ndarray) -> np.ndarray:
    """The normal deviate of a probability (DET axes); 0 and 1 are clipped to 10⁻⁶ and 1 − 10⁻⁶."""
    inverse = NormalDist().inv_cdf
    return np.array([inverse(min(max(float(v), 1e-6), 1 - 1e-6)) for v in np.atleast_1d(p)])


@dataclass(frozen=True)
class Evaluation:
    """The results (see the module docstring); ``curve`` rows are (threshold, FAR, TAR) at every distance
    where a rate changes; ``at_far`` maps each FAR target to its row or to ``"not enough pairs"``."""

    genuine: int
    impostor: int
    eer: float
    eer_threshold: float
    best_accuracy: float
    best_accuracy_threshold: float
    at_far: dict[float, dict[str, Any] | str]
    curve: np.ndarray
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    bootstrap: str = ""


def _rates(genuine: np.ndarray, impostor: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FAR, TAR) at each threshold: shares of impostor / genuine distances at or below it."""
    g, i = np.sort(genuine), np.sort(impostor)
    tar = np.searchsorted(g, thresholds, side="right") / max(len(g), 1)
    far = np.searchsorted(i, thresholds, side="right") / max(len(i), 1)
    return far, tar


def _eer(far: np.ndarray, frr: np.ndarray, thresholds: np.ndarray) -> tuple[float, float]:
    """The error rate and threshold where FAR and FRR cross (linear interpolation between neighbours)."""
    diff = far - frr  # rises with the threshold
    above = int(np.searchsorted(diff, 0.0, side="left"))
    if above == 0:
        return float((far[0] + frr[0]) / 2), float(thresholds[0])
    if above >= len(diff):
        return float((far[-1] + frr[-1]) / 2), float(thresholds[-1])
    lo, hi = above - 1, above
    span = diff[hi] - diff[lo]
    w = 0.0 if span == 0 else -diff[lo] / span
    rate = (far[lo] + w * (far[hi] - far[lo]) + frr[lo] + w * (frr[hi] - frr[lo])) / 2
    return float(rate), float(thresholds[lo] + w * (thresholds[hi] - thresholds[lo]))


def evaluate_distances(genuine: np.ndarray, impostor: np.ndarray, genuine_people: np.ndarray | None = None,
                       impostor_people: np.ndarray | None = None, seed: int = 0,
                       bootstrap: int = BOOTSTRAP) -> Evaluation:
    """Evaluate cosine distances of genuine and impostor pairs.

    ``genuine_people`` (G,) and ``impostor_people`` (I, 2): the identity indices of each pair, for the
    bootstrap over people; without them the bootstrap resamples pairs.
    """
    genuine = np.asarray(genuine, np.float64)
    impostor = np.asarray(impostor, np.float64)
    if len(genuine) == 0 or len(impostor) == 0:
        raise ValueError("both genuine and impostor pairs are needed")
    thresholds = np.unique(np.concatenate([genuine, impostor, [0.0, 2.0]]))
    far, tar = _rates(genuine, impostor, thresholds)
    eer, eer_threshold = _eer(far, 1 - tar, thresholds)
    correct = tar * len(genuine) + (1 - far) * len(impostor)
    best = int(np.argmax(correct))
    at_far: dict[float, dict[str, Any] | str] = {}
    for target in FAR_TARGETS:
        if len(impostor) < enough_impostors(target):
            at_far[target] = "not enough pairs"
            continue
        index = int(np.searchsorted(far, target, side="right")) - 1  # the largest threshold with FAR ≤ target
        at_far[target] = {"threshold": float(thresholds[max(index, 0)]), "far": float(far[max(index, 0)]),
                          "tar": float(tar[max(index, 0)])}
    evaluation = Evaluation(len(genuine), len(impostor), eer, eer_threshold, float(correct[best] / (len(genuine) + len(impostor))),
                            float(thresholds[best]), at_far, np.stack([thresholds, far, tar], axis=1))
    if bootstrap:
        intervals, how = _bootstrap(genuine, impostor, genuine_people, impostor_people, at_far, seed, bootstrap)
        evaluation = Evaluation(**{**evaluation.__dict__, "intervals": intervals, "bootstrap": how})
    return evaluation


def _bin(values: np.ndarray) -> np.ndarray:
    """The histogram bin of each distance (0…2 in _BINS bins)."""
    return np.clip((values * (_BINS / 2.0)).astype(np.int64), 0, _BINS - 1)


def _histogram(values: np.ndarray) -> np.ndarray:
    return np.bincount(_bin(values), minlength=_BINS).astype(np.float64)


def _bootstrap(genuine, impostor, genuine_people, impostor_people, at_far, seed, replicates):  # noqa: ANN001, ANN202
    """95 % percentile intervals of EER and of each TAR@FAR, from ``replicates`` resamples on histograms."""
    rng = np.random.default_rng(seed)
    if genuine_people is not None and impostor_people is not None:
        people = int(max(genuine_people.max(initial=0), impostor_people.max(initial=0))) + 1
        # Per person: their genuine pairs, and half of each impostor pair they take part in.
        g_hist = np.zeros((people, _BINS))
        np.add.at(g_hist, (genuine_people, _bin(genuine)), 1.0)
        i_hist = np.zeros((people, _BINS))
        for side in (0, 1):
            np.add.at(i_hist, (impostor_people[:, side], _bin(impostor)), 0.5)
        weights = rng.multinomial(people, np.full(people, 1.0 / people), size=replicates).astype(np.float64)
        g_boot, i_boot = weights @ g_hist, weights @ i_hist
        how = f"{replicates} resamples of the {people} people"
    else:
        g_boot = rng.multinomial(len(genuine), _histogram(genuine) / len(genuine), size=replicates).astype(np.float64)
        i_boot = rng.multinomial(len(impostor), _histogram(impostor) / len(impostor), size=replicates).astype(np.float64)
        how = f"{replicates} resamples of the pairs"
    edges = (np.arange(_BINS) + 1) * (2.0 / _BINS)
    tar = np.cumsum(g_boot, axis=1) / np.maximum(g_boot.sum(axis=1, keepdims=True), 1e-12)
    far = np.cumsum(i_boot, axis=1) / np.maximum(i_boot.sum(axis=1, keepdims=True), 1e-12)
    eers = np.array([_eer(far[r], 1 - tar[r], edges)[0] for r in range(replicates)])
    intervals = {"eer": _percentiles(eers)}
    for target, row in at_far.items():
        if isinstance(row, dict):
            index = np.array([max(int(np.searchsorted(far[r], target, side="right")) - 1, 0) for r in range(replicates)])
            intervals[f"tar@{target:g}"] = _percentiles(tar[np.arange(replicates), index])
    return intervals, how


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def curve_at(curve: np.ndarray, threshold: float) -> tuple[float, float]:
    """(FAR, FRR) of a curve (rows threshold, FAR, TAR) at ``threshold``."""
    index = max(int(np.searchsorted(curve[:, 0], threshold, side="right")) - 1, 0)
    return float(curve[index, 1]), float(1 - curve[index, 2])
