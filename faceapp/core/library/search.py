"""Searching descriptors: exact cosine search in NumPy, and the rules of "who is this?".

:class:`ExactIndex` is the exact search: an in-memory float32 matrix of
L2-normalised descriptors, where one matrix product gives every cosine distance.
:class:`IndexedPeople` answers "who" for a library too large to load: the
storage's ``nearest`` (PostgreSQL's HNSW index) hands each query its nearest
named faces, and the same rule runs on those.

The "who" rule (PhotoPrism's, plus what their users ask for):
a face is person P when its distance to P's nearest confirmed face is at most the
threshold **and** beats the runner-up person by at least the margin.  Faces the
user rejected for P are counter-examples: P is not suggested for a face that is
closer to one of P's rejected faces than to all of P's confirmed faces, and never
for a face that was itself rejected for P.

An answer names only the people near enough to matter.  An ``unknown`` face names
its nearest person as a hint only when that person, too, beats the runner-up by
the margin; the runner-up is named only when it is within the threshold (it would
match on its own) or within the margin of the answer (why it is ``unsure``).  A
face far from everyone (a stranger, about 0.9 from each of 10,000 people, all
within a few hundredths) has no nearest person, and a clear match no runner-up,
worth naming: which one comes first is chance, and an approximate index could not
promise to find it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from faceapp.core.kinds import Kind

__all__ = ["ExactIndex", "PeopleIndex", "IndexedPeople", "Suggestion", "WhoStatus"]

_BLOCK = 4096  # query rows per matrix product: bounds the (block × N) distance matrix in memory
_CELLS = 1 << 25  # distances per "who" block (128 MB of float32), however many samples there are


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
        blocks = []
        for start in range(0, max(1, len(queries)), _BLOCK):
            block = queries[start:start + _BLOCK] @ self.matrix.T
            np.subtract(1.0, block, out=block)
            blocks.append(np.clip(block, 0.0, 2.0, out=block))
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    def within(self, query: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """(ids, distances) of every row at most ``radius`` from ``query``, nearest first."""
        distances = self.distances(query)[0]
        hits = np.flatnonzero(distances <= radius)
        order = hits[np.argsort(distances[hits], kind="stable")]
        return self.ids[order], distances[order]


class WhoStatus(Kind):
    """How sure a "who is this?" answer is (see :class:`Suggestion`)."""

    MATCH = "match"
    UNSURE = "unsure"
    UNKNOWN = "unknown"
    NOBODY = "nobody"


@dataclass(frozen=True)
class Suggestion:
    """The answer for one face.

    ``status``: ``match`` (person and margin both fine), ``unsure`` (within the
    threshold but too close to another person), ``unknown`` (nobody near enough)
    or ``nobody`` (the library has no named faces in this space).  ``person`` and
    ``distance`` name the nearest eligible person even when not a match (for
    ``unknown``, only when it is ahead of the runner-up by the margin);
    ``sample`` is the confirmed face that matched; ``runner_up``/``margin`` the next
    person, when within the threshold or the margin (the module's rule).
    """

    status: WhoStatus
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
    index holding (at least) those faces' descriptors.  Samples are kept grouped
    by person, so one matrix product and one ``minimum.reduceat`` give every
    query's nearest face of every person.
    """

    def __init__(self, vectors: ExactIndex, confirmed: Sequence[tuple[int, int]],
                 rejected: Sequence[tuple[int, int]] = ()) -> None:
        row_of = {int(face): row for row, face in enumerate(vectors.ids)}
        self.samples, self.sample_person = _grouped(vectors, row_of, confirmed)
        self.people, self._starts = np.unique(self.sample_person, return_index=True)
        known = {int(p) for p in self.people}
        self.negatives, negative_person = _grouped(vectors, row_of, [(f, p) for f, p in rejected if int(p) in known])
        groups, self._negative_starts = np.unique(negative_person, return_index=True)
        self._negative_columns = np.searchsorted(self.people, groups)
        self.rejected_for: dict[int, set[int]] = {}
        for face, person in rejected:
            self.rejected_for.setdefault(int(face), set()).add(int(person))

    def suggest(self, queries: np.ndarray, threshold: float, margin: float,
                face_ids: Sequence[int | None] | None = None) -> list[Suggestion]:
        """One :class:`Suggestion` per query descriptor (``face_ids``: the library faces they are, if any)."""
        return [_told(answer, threshold, margin) for answer in self.rank(queries, threshold, margin, face_ids)]

    def rank(self, queries: np.ndarray, threshold: float, margin: float,
             face_ids: Sequence[int | None] | None = None) -> list[Suggestion]:
        """:meth:`suggest`'s answers before an ``unknown`` face's hint is judged: the nearest person and the
        runner-up always named."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        if len(self.people) == 0:
            return [Suggestion(WhoStatus.NOBODY) for _ in range(len(queries))]
        step = max(1, _CELLS // max(1, len(self.samples)))
        results: list[Suggestion] = []
        for start in range(0, len(queries), step):
            block_ids = face_ids[start:start + step] if face_ids is not None else None
            results += self._suggest_block(queries[start:start + step], threshold, margin, block_ids)
        return results

    def _suggest_block(self, queries: np.ndarray, threshold: float, margin: float,
                       face_ids: Sequence[int | None] | None) -> list[Suggestion]:
        distances = self.samples.distances(queries)
        best = np.minimum.reduceat(distances, self._starts, axis=1)  # (Q, people): nearest face of each person
        eligible = np.ones_like(best, dtype=bool)
        if len(self.negatives):
            nearest_rejected = np.full_like(best, np.inf)
            nearest_rejected[:, self._negative_columns] = np.minimum.reduceat(
                self.negatives.distances(queries), self._negative_starts, axis=1)
            eligible &= ~(nearest_rejected < best)  # nearer to a face rejected for the person than to theirs
        if face_ids is not None:
            for row, face_id in enumerate(face_ids):
                for person in self.rejected_for.get(int(face_id), ()) if face_id is not None else ():
                    column = np.searchsorted(self.people, person)
                    if column < len(self.people) and self.people[column] == person:
                        eligible[row, column] = False  # the user said this face is not this person
        ranked = np.where(eligible, best, np.inf)
        ends = np.r_[self._starts[1:], len(self.sample_person)]
        results = []
        for row in range(len(queries)):
            first = int(np.argmin(ranked[row]))
            distance = float(ranked[row, first])
            if not np.isfinite(distance):
                results.append(Suggestion(WhoStatus.UNKNOWN))
                continue
            start, end = self._starts[first], ends[first]
            sample = int(self.samples.ids[start + int(np.argmin(distances[row, start:end]))])
            others = ranked[row].copy()
            others[first] = np.inf
            second = int(np.argmin(others))
            runner_distance = float(others[second])
            has_runner = np.isfinite(runner_distance)
            if distance > threshold:
                status = WhoStatus.UNKNOWN
            elif has_runner and runner_distance - distance < margin:
                status = WhoStatus.UNSURE
            else:
                status = WhoStatus.MATCH
            results.append(Suggestion(status, int(self.people[first]), distance, sample,
                                      int(self.people[second]) if has_runner else None,
                                      runner_distance if has_runner else None))
        return results


class _Measured(ExactIndex):
    """Candidates whose distances to the one query were measured elsewhere (by the database): ``matrix``
    holds each row's distance, and ``distances`` hands them back — so :class:`PeopleIndex` applies its
    rule to them unchanged."""

    def distances(self, queries: np.ndarray) -> np.ndarray:
        return self.matrix[:, 0][None, :]


class IndexedPeople:
    """"Who is this?" from each query's ``k`` nearest named faces only (``nearest(queries, k)`` → per query
    (face ids, exact distances), as :meth:`~.store.Library.nearest` answers).

    The answer equals :class:`PeopleIndex`'s over every named face whenever the
    candidates hold the nearest face of the chosen person, of the runner-up and
    of their rejected faces — what ``benchmarks/bench_pg_who.py`` measures.  With
    ``measure(query, face ids)`` → (face ids, exact distances), the chosen person's
    and the runner-up's faces (confirmed and rejected) are all measured once the
    candidates have named them, so their nearest samples and distances are exact
    even where the approximate index missed the very nearest one.  ``means``:
    ((person ids, a vector along each person's mean face), n) — of the ``n`` people
    whose mean is nearest each query, those whose mean is nearer than the
    runner-up found (than the answer, when there is no runner-up) or within the
    threshold are measured
    too, so a person the index's graph never reached (clusters far from
    everything else defeat its greedy search) is still found.
    """

    def __init__(self, nearest: Callable[[np.ndarray, int], list[tuple[np.ndarray, np.ndarray]]],
                 confirmed: Sequence[tuple[int, int]], rejected: Sequence[tuple[int, int]], k: int,
                 measure: Callable[[np.ndarray, list[int]], tuple[np.ndarray, np.ndarray]] | None = None,
                 means: tuple[tuple[np.ndarray, np.ndarray], int] | None = None) -> None:
        self._nearest = nearest
        self._measure = measure
        self._k = k
        self._confirmed = {int(f): int(p) for f, p in confirmed}
        self._rejected: dict[int, list[int]] = {}
        self._faces_of: dict[int, list[int]] = {}
        for face, person in confirmed:
            self._faces_of.setdefault(int(person), []).append(int(face))
        for face, person in rejected:
            self._rejected.setdefault(int(face), []).append(int(person))
            self._faces_of.setdefault(int(person), []).append(int(face))
        self.people = np.unique(np.fromiter(self._confirmed.values(), np.int64, len(self._confirmed)))
        self._means: ExactIndex | None = None
        self._mean_count = 0
        if means is not None and measure is not None:
            (people, vectors), self._mean_count = means
            keep = np.isin(people, self.people)
            vectors = np.asarray(vectors, np.float32)[keep]
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            self._means = ExactIndex(np.asarray(people, np.int64)[keep], vectors / np.maximum(norms, 1e-12))

    def suggest(self, queries: np.ndarray, threshold: float, margin: float,
                face_ids: Sequence[int | None] | None = None) -> list[Suggestion]:
        """One :class:`Suggestion` per query, as :meth:`PeopleIndex.suggest` gives."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        if len(self.people) == 0:
            return [Suggestion(WhoStatus.NOBODY) for _ in range(len(queries))]
        results = []
        for row, (ids, distances) in enumerate(self._nearest(queries, self._k)):
            face_id = face_ids[row] if face_ids is not None else None
            query = queries[row:row + 1]
            answer = self._answer(query, ids, distances, threshold, margin, face_id)
            # A person whose mean face is nearer than the runner-up (than the answer when there is none), or within
            # the threshold (a runner-up that would be named), could change the answer: measured too.
            bound = max(threshold, next((d for d in (answer.runner_up_distance, answer.distance) if d is not None),
                                        np.inf))
            people = [p for p in (answer.person, answer.runner_up) if p is not None] + \
                self._nearest_means(query, bound)
            if self._measure is not None and people:
                wanted = sorted({f for p in people for f in self._faces_of.get(p, ())} - {int(i) for i in ids})
                if wanted:
                    more_ids, more = self._measure(query[0], wanted)
                    ids = np.concatenate([np.asarray(ids, np.int64), np.asarray(more_ids, np.int64)])
                    distances = np.concatenate([np.asarray(distances, np.float32), np.asarray(more, np.float32)])
                    answer = self._answer(query, ids, distances, threshold, margin, face_id)
            results.append(_told(answer, threshold, margin))
        return results

    def _nearest_means(self, query: np.ndarray, bound: float) -> list[int]:
        """Of the people whose mean face is nearest ``query``, those nearer than ``bound`` (none without
        ``means``)."""
        if self._means is None or not len(self._means.ids) or not self._mean_count:
            return []
        distances = self._means.distances(query)[0]
        count = min(self._mean_count, len(distances))
        nearest = np.argpartition(distances, count - 1)[:count]
        return [int(p) for p in self._means.ids[nearest[distances[nearest] < bound]]]

    def _answer(self, query: np.ndarray, ids: np.ndarray, distances: np.ndarray, threshold: float, margin: float,
                face_id: int | None) -> Suggestion:
        """:class:`PeopleIndex`'s rule applied to the faces ``ids`` at their measured ``distances``."""
        candidates = [int(i) for i in ids]
        confirmed = [(f, self._confirmed[f]) for f in candidates if f in self._confirmed]
        rejected = [(f, p) for f in candidates + ([int(face_id)] if face_id is not None else [])
                    for p in self._rejected.get(f, ())]
        measured = _Measured(np.asarray(ids, np.int64), np.asarray(distances, np.float32).reshape(-1, 1))
        return PeopleIndex(measured, confirmed, rejected).rank(query, threshold, margin, [face_id])[0]


def _told(answer: Suggestion, threshold: float, margin: float) -> Suggestion:
    """``answer`` as it is told (the module's rule): an ``unknown`` face whose nearest person is not ahead of
    the runner-up by ``margin`` names nobody; a runner-up is named only when it is within the threshold or
    within the margin of the answer."""
    runner = answer.runner_up_distance
    if runner is None:
        return answer
    if answer.status == WhoStatus.UNKNOWN and runner - answer.distance < margin:
        return Suggestion(WhoStatus.UNKNOWN)
    if runner > threshold and runner - answer.distance >= margin:
        return replace(answer, runner_up=None, runner_up_distance=None)
    return answer


def _grouped(vectors: ExactIndex, row_of: dict[int, int],
             links: Sequence[tuple[int, int]]) -> tuple[ExactIndex, np.ndarray]:
    """The descriptors of ``links`` (face id, person id) that ``vectors`` holds, grouped by person
    (then face id), and each row's person."""
    pairs = sorted((int(p), int(f)) for f, p in links if int(f) in row_of)
    rows = [row_of[f] for _, f in pairs]
    matrix = vectors.matrix[rows] if rows else np.zeros((0, vectors.matrix.shape[1]), np.float32)
    return (type(vectors)(np.array([f for _, f in pairs], np.int64), matrix),
            np.array([p for p, _ in pairs], np.int64))
