"""Groups of unnamed faces, by the core-point rule Immich uses, in NumPy.

A face with at least ``min_faces`` other faces within ``max_distance`` is a
*core* face; core faces within ``max_distance`` of each other are in one group;
a face that is not core but lies within ``max_distance`` of a core face joins the
group of its nearest such core face; the rest wait (no group) until more faces of
that person arrive.  Deterministic: links are taken shortest first, ties by face id.

"Apart" pairs (the user said two faces are different people) are never in one
group.  Links are merged shortest first (Kruskal), and a merge that would put an
apart pair in one group is refused — so two close siblings split along the
longest links between them, not at an arbitrary face.

Incremental: when faces were only added since the last run (same settings), only
the new faces' distances to all faces are computed, plus the rows of old faces
that became core; groups keep their ids.  When faces left (named, deleted) or
the settings changed, everything is grouped again, and group ids are carried
over to the new groups they overlap most.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Grouping", "group_faces"]

_BLOCK = 2048  # rows per distance block: bounds memory at BLOCK × N floats


@dataclass(frozen=True)
class Grouping:
    """``groups``: group id → face ids (largest group first); ``state``: face id → (group id or None,
    neighbours within the distance); ``incremental``: whether only new faces were examined."""

    groups: dict[int, list[int]]
    state: dict[int, tuple[int | None, int]]
    incremental: bool
    waiting: int  # faces in no group


class _Sets:
    """Union-find over face rows whose union refuses to join two apart faces."""

    def __init__(self, size: int, apart: dict[int, set[int]]) -> None:
        self.parent = np.arange(size)
        self.apart = apart
        # For each root: the rows of its set that have apart partners.
        self.constrained: dict[int, set[int]] = {row: {row} for row in apart}

    def find(self, row: int) -> int:
        root = row
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[row] != root:
            self.parent[row], row = root, self.parent[row]
        return int(root)

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ca, cb = self.constrained.get(ra, set()), self.constrained.get(rb, set())
        if any(self.apart[x] & cb for x in ca):
            return False
        keep, drop = (ra, rb) if ra < rb else (rb, ra)
        self.parent[drop] = keep
        if ca or cb:
            self.constrained[keep] = ca | cb
            self.constrained.pop(drop, None)
        return True

    def allows(self, row: int, root: int) -> bool:
        """Whether ``row`` may join the set of ``root`` without breaking an apart pair."""
        return not (self.apart.get(row, set()) & self.constrained.get(root, set()))

    def join(self, row: int, root: int) -> None:
        """Attach a single (border) row to ``root``'s set."""
        self.parent[row] = root
        if row in self.apart:
            self.constrained.setdefault(root, set()).add(row)


def _neighbours(matrix: np.ndarray, rows: np.ndarray, max_distance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (row in ``rows``, any column) within ``max_distance``, self excluded: (i, j, distance)."""
    found_i, found_j, found_d = [], [], []
    for start in range(0, len(rows), _BLOCK):
        block = rows[start:start + _BLOCK]
        distances = 1.0 - matrix[block] @ matrix.T
        distances[np.arange(len(block)), block] = np.inf
        i, j = np.nonzero(distances <= max_distance)
        found_i.append(block[i])
        found_j.append(j)
        found_d.append(distances[i, j])
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d).astype(np.float32)


def group_faces(ids: Sequence[int], matrix: np.ndarray, min_faces: int, max_distance: float,
                apart: Iterable[tuple[int, int]] = (), previous: dict[int, tuple[int | None, int]] | None = None,
                incremental: bool = True) -> Grouping:
    """Group the faces ``ids`` (rows of ``matrix``, L2-normalised).

    ``previous``: the state of an earlier run (:attr:`Grouping.state`): its group
    ids are carried over.  With ``incremental`` (the earlier run had the same
    settings and apart pairs) and ``previous`` covering a subset of ``ids``, only
    the new faces are examined.
    """
    if min_faces < 1:
        raise ValueError(f"min_faces must be at least 1, got {min_faces!r}")
    if not 0.0 < max_distance < 2.0:
        raise ValueError(f"max_distance must be between 0 and 2, got {max_distance!r}")
    ids = np.asarray(ids, np.int64)
    order = np.argsort(ids, kind="stable")
    ids, matrix = ids[order], np.ascontiguousarray(np.asarray(matrix, np.float32)[order])
    row_of = {int(f): r for r, f in enumerate(ids)}
    apart_rows: dict[int, set[int]] = {}
    for a, b in apart:
        if a in row_of and b in row_of:
            apart_rows.setdefault(row_of[a], set()).add(row_of[b])
            apart_rows.setdefault(row_of[b], set()).add(row_of[a])
    if incremental and previous and set(previous) == set(row_of):
        return _unchanged(previous)
    incremental = incremental and bool(previous) and set(previous) <= set(row_of)
    sets = _Sets(len(ids), apart_rows)
    if incremental:
        counts, core_edges, candidates = _incremental_links(ids, matrix, min_faces, max_distance, previous, row_of, sets)
    else:
        i, j, d = _neighbours(matrix, np.arange(len(ids)), max_distance)
        counts = np.bincount(i, minlength=len(ids))
        core = counts >= min_faces
        keep = core[i] & core[j] & (i < j)
        core_edges = (i[keep], j[keep], d[keep])
        border = ~core[i] & core[j]
        candidates = (i[border], j[border], d[border])
    core = counts >= min_faces
    a, b, d = core_edges
    for k in np.lexsort((b, a, d)):  # shortest links first; ties by row (= face id order)
        sets.union(int(a[k]), int(b[k]))
    _attach_borders(sets, core, candidates, previous if incremental else None, ids)
    return _label(ids, core, counts, sets, previous, incremental)


def _incremental_links(ids, matrix, min_faces, max_distance, previous, row_of, sets):  # noqa: ANN001, ANN202
    """Counts, core-to-core links and border candidates, computing only new faces' rows (and new cores')."""
    new_rows = np.array([r for r, f in enumerate(ids) if int(f) not in previous], np.int64)
    counts = np.zeros(len(ids), np.int64)
    for face, (_, neighbours) in previous.items():
        counts[row_of[face]] = neighbours
    i, j, d = _neighbours(matrix, new_rows, max_distance)
    counts[new_rows] = np.bincount(i, minlength=len(ids))[new_rows]
    old_partner = ~np.isin(j, new_rows)
    np.add.at(counts, j[old_partner], 1)  # old faces gain the new faces near them
    was_core = np.zeros(len(ids), bool)
    for face, (_, neighbours) in previous.items():
        was_core[row_of[face]] = neighbours >= min_faces
    core = counts >= min_faces
    became = np.flatnonzero(core & ~was_core & ~np.isin(np.arange(len(ids)), new_rows))
    if len(became):  # an old face that just became core links to old core faces too
        bi, bj, bd = _neighbours(matrix, became, max_distance)
        i, j, d = np.concatenate([i, bi]), np.concatenate([j, bj]), np.concatenate([d, bd])
    # Earlier groups are sets already: their members are joined without revisiting their links.
    first_of: dict[int, int] = {}
    for face, (group, _) in sorted(previous.items()):
        if group is not None:
            row = row_of[face]
            if group in first_of:
                sets.parent[row] = first_of[group]
                if row in sets.apart:
                    sets.constrained.setdefault(first_of[group], set()).add(row)
            else:
                first_of[group] = row
                if row in sets.apart:
                    sets.constrained.setdefault(row, set()).add(row)
    both = core[i] & core[j]  # a link found twice (from both ends) is merged twice: harmless
    core_edges = (np.minimum(i, j)[both], np.maximum(i, j)[both], d[both])
    border = np.concatenate([(~core[i] & core[j]), (core[i] & ~core[j])])
    bi, bj = np.concatenate([i, j]), np.concatenate([j, i])
    candidates = (bi[border], bj[border], np.concatenate([d, d])[border])
    return counts, core_edges, candidates


def _attach_borders(sets: _Sets, core: np.ndarray, candidates, previous, ids) -> None:  # noqa: ANN001
    """Non-core faces join the group of their nearest core neighbour that allows them."""
    i, j, d = candidates
    grouped_before = {} if previous is None else {
        r: g for r, f in enumerate(ids) if int(f) in previous and (g := previous[int(f)][0]) is not None}
    for k in np.lexsort((j, i, d)):
        row, anchor = int(i[k]), int(j[k])
        if core[row] or row in grouped_before or sets.find(row) != row:
            continue  # core faces are linked already; borders keep their first (nearest) group
        root = sets.find(anchor)
        if sets.allows(row, root):
            sets.join(row, root)


def _label(ids, core, counts, sets, previous, incremental) -> Grouping:  # noqa: ANN001
    """Give each set of two or more faces, and each lone core face, a group id (earlier ids reused where the faces were grouped before)."""
    members: dict[int, list[int]] = {}
    for row in range(len(ids)):
        members.setdefault(sets.find(row), []).append(row)
    clusters = [rows for rows in members.values() if len(rows) > 1 or core[rows[0]]]
    old = previous or {}
    used: set[int] = set()
    next_id = max([g for g, _ in old.values() if g is not None], default=0) + 1
    labelled: dict[int, list[int]] = {}
    # Largest first, then smallest face id: each earlier id goes to the new group holding most of its faces.
    for rows in sorted(clusters, key=lambda rows: (-len(rows), int(ids[rows[0]]))):
        votes: dict[int, int] = {}
        for row in rows:
            group = old.get(int(ids[row]), (None, 0))[0]
            if group is not None and group not in used:
                votes[group] = votes.get(group, 0) + 1
        if votes:
            group = min(votes, key=lambda g: (-votes[g], g))
        else:
            group, next_id = next_id, next_id + 1
        used.add(group)
        labelled[group] = sorted(int(ids[r]) for r in rows)
    state: dict[int, tuple[int | None, int]] = {int(f): (None, int(counts[r])) for r, f in enumerate(ids)}
    for group, faces in labelled.items():
        for face in faces:
            state[face] = (group, state[face][1])
    waiting = sum(1 for g, _ in state.values() if g is None)
    ordered = dict(sorted(labelled.items(), key=lambda item: (-len(item[1]), item[0])))
    return Grouping(ordered, state, incremental, waiting)


def _unchanged(previous: dict[int, tuple[int | None, int]]) -> Grouping:
    groups: dict[int, list[int]] = {}
    for face, (group, _) in sorted(previous.items()):
        if group is not None:
            groups.setdefault(group, []).append(face)
    ordered = dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))
    return Grouping(ordered, dict(previous), True, sum(1 for g, _ in previous.values() if g is None))
