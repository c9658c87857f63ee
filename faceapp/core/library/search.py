"""Searching descriptors: exact cosine search in NumPy, and the rules of "who is this?".

:class:`ExactIndex` is the one search implementation today: an in-memory float32
matrix of L2-normalised descriptors, where one matrix product gives every cosine
distance.  Anything that answers ``distances``/``within`` the same way (a
PostgreSQL + pgvector store, later) can take its place; the rules below only use
those two.

The "who" rule (PhotoPrism's, plus what their users ask for):
a face is person P when its distance to P's nearest confirmed face is at most the
threshold **and** beats the runner-up person by at least the margin.  Faces the
user rejected for P are counter-examples: P is not suggested for a face that is
closer to one of P's rejected faces than to all of P's confirmed faces, and never
for a face that was itself rejected for P.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ExactIndex", "PeopleIndex", "Suggestion"]

_BLOCK = 4096  # query rows per matrix product: bounds the (block × N) distance matrix in memory


class ExactIndex:
    """Exact cosine search over ``matrix`` (N × D, L2-normalised rows) whose rows are ``ids``."""

    def __init__(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        if len(ids) != len(matrix):
            raise ValueError(f"{len(ids)} ids for {len(matrix)} descriptors")
        self.ids = np.asarray(ids, np.int64)
        self.matrix = np.ascontiguousarray(matrix, np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        return int(self.matrix.nbytes + self.ids.nbytes)

    def distances(self, queries: np.ndarray) -> np.ndarray:
        """Cosine distances, (Q, N): 1 − dot product of unit vectors, clipped to [0, 2]."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        if queries.shape[1] != self.matrix.shape[1] and len(self):
            raise ValueError(f"descriptors of {queries.shape[1]} numbers cannot be compared with {self.matrix.shape[1]}")
        out = np.empty((len(queries), len(self)), np.float32)
        for start in range(0, len(queries), _BLOCK):
            block = queries[start:start + _BLOCK] @ self.matrix.T
            np.subtract(1.0, block, out=block)
            out[start:start + _BLOCK] = np.clip(block, 0.0, 2.0)
        return out

    def within(self, query: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """(ids, distances) of every row at most ``radius`` from ``query``, nearest first."""
        distances = self.distances(query)[0]
        hits = np.flatnonzero(distances <= radius)
        order = hits[np.argsort(distances[hits], kind="stable")]
        return self.ids[order], distances[order]


@dataclass(frozen=True)
class Suggestion:
    """The answer for one face.

    ``status``: ``match`` (person and margin both fine), ``unsure`` (within the
    threshold but too close to another person), ``unknown`` (nobody near enough)
    or ``nobody`` (the library has no named faces in this space).  ``person`` and
    ``distance`` name the nearest eligible person even when not a match;
    ``sample`` is the confirmed face that matched; ``runner_up``/``margin`` the next person.
    """

    status: str
    person: int | None = None
    distance: float | None = None
    sample: int | None = None
    runner_up: int | None = None
    runner_up_distance: float | None = None

    @property
    def margin(self) -> float | None:
        if self.distance is None or self.runner_up_distance is None:
            return None
        return self.runner_up_distance - self.distance


class PeopleIndex:
    """The confirmed and rejected faces of every person in one space, ready to answer "who is this?".

    ``confirmed``/``rejected``: (face id, person id) pairs; ``vectors``: the
    index holding (at least) those faces' descriptors.
    """

    def __init__(self, vectors: ExactIndex, confirmed: Sequence[tuple[int, int]],
                 rejected: Sequence[tuple[int, int]] = ()) -> None:
        row_of = {int(face): row for row, face in enumerate(vectors.ids)}
        pairs = [(row_of[f], p, f) for f, p in confirmed if f in row_of]
        self.samples = ExactIndex(np.array([f for _, _, f in pairs], np.int64),
                                  vectors.matrix[[r for r, _, _ in pairs]] if pairs
                                  else np.zeros((0, vectors.matrix.shape[1]), np.float32))
        self.sample_person = np.array([p for _, p, _ in pairs], np.int64)
        negatives = [(row_of[f], p, f) for f, p in rejected if f in row_of]
        self.negatives = ExactIndex(np.array([f for _, _, f in negatives], np.int64),
                                    vectors.matrix[[r for r, _, _ in negatives]] if negatives
                                    else np.zeros((0, vectors.matrix.shape[1]), np.float32))
        self.negative_person = np.array([p for _, p, _ in negatives], np.int64)
        self.rejected_for: dict[int, set[int]] = {}
        for face, person in rejected:
            self.rejected_for.setdefault(int(face), set()).add(int(person))
        self.people = np.unique(self.sample_person)

    def suggest(self, queries: np.ndarray, threshold: float, margin: float,
                face_ids: Sequence[int | None] | None = None) -> list[Suggestion]:
        """One :class:`Suggestion` per query descriptor (``face_ids``: the library faces they are, if any)."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        if len(self.people) == 0:
            return [Suggestion("nobody") for _ in range(len(queries))]
        column = {int(p): i for i, p in enumerate(self.people)}
        best = _nearest_per_person(self.samples.distances(queries), self.sample_person, column)
        eligible = np.ones_like(best, dtype=bool)
        if len(self.negatives):
            own = np.isin(self.negative_person, self.people)
            if own.any():
                nearest_rejected = _nearest_per_person(self.negatives.distances(queries)[:, own],
                                                       self.negative_person[own], column)
                eligible &= ~(nearest_rejected < best)  # nearer to a face rejected for the person than to theirs
        if face_ids is not None:
            for row, face_id in enumerate(face_ids):
                for person in self.rejected_for.get(int(face_id), ()) if face_id is not None else ():
                    if person in column:
                        eligible[row, column[person]] = False  # the user said this face is not this person
        ranked = np.where(eligible, best, np.inf)
        order = np.argsort(ranked, axis=1, kind="stable")
        results = []
        for row in range(len(queries)):
            first = order[row, 0]
            distance = float(ranked[row, first])
            if not np.isfinite(distance):
                results.append(Suggestion("unknown"))
                continue
            person = int(self.people[first])
            mine = np.flatnonzero(self.sample_person == person)
            sample_distances = self.samples.distances(queries[row])[0, mine]
            sample = int(self.samples.ids[mine[np.argmin(sample_distances)]])
            second = order[row, 1] if len(self.people) > 1 else None
            runner_distance = float(ranked[row, second]) if second is not None else float("inf")
            has_runner = np.isfinite(runner_distance)
            if distance > threshold:
                status = "unknown"
            elif has_runner and runner_distance - distance < margin:
                status = "unsure"
            else:
                status = "match"
            results.append(Suggestion(status, person, distance, sample,
                                      int(self.people[second]) if has_runner else None,
                                      runner_distance if has_runner else None))
        return results


def _nearest_per_person(distances: np.ndarray, persons: np.ndarray, column: dict[int, int]) -> np.ndarray:
    """(Q, P): each query's smallest distance to any face of each person (inf for a person with none)."""
    out = np.full((len(distances), len(column)), np.inf, np.float32)
    columns = np.array([column[int(p)] for p in persons], np.int64)
    order = np.argsort(columns, kind="stable")
    sorted_columns = columns[order]
    starts = np.flatnonzero(np.r_[True, np.diff(sorted_columns) != 0])
    out[:, sorted_columns[starts]] = np.minimum.reduceat(distances[:, order], starts, axis=1)
    return out
