"""Who is this, and which faces belong together: on generated descriptor sets with known identities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from faceapp.core.library import Library, recognition
from faceapp.core.library.cluster import group_faces
from faceapp.core.library.search import ExactIndex, PeopleIndex, Suggestion, WhoStatus
from faceapp.core.library.records import NewFace
from faceapp.core.types import Box, DescriptorSpace, Face
from tests.descriptor_sets import identities, pairwise_distances

SPACE = DescriptorSpace("resnet50", "0123456789abcdef", "vggface2", 1, 2048)
# spread 0.6: faces of one person lie 0.23–0.30 apart, different people about 1.0 (descriptor_sets).
THRESHOLD, MARGIN = 0.4, 0.05


def fill(library: Library, matrix: np.ndarray) -> list[int]:
    """Store each row as the only face of a new photo of its own; returns the face ids in row order."""
    ids = []
    start = library.info()["photos"]
    for row, vector in enumerate(matrix, start=start):
        path = f"/photos/{row:05d}.jpg"
        library.save_photo(path, 1, 1, f"h{row}", (100, 100), 1, [NewFace(Face(Box(0, 0, 50, 50), 0.99), 0.9, vector)],
                           SPACE)
        ids.append(library.faces_of(library.photo_by_path(path).id)[0].id)
    return ids


def pair_scores(groups: dict[int, list[int]], labels: dict[int, int]) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping against known identities (faces in no group count as alone)."""
    together = {frozenset(p) for faces in groups.values() for p in itertools.combinations(faces, 2)}
    truth = {frozenset(p) for p in itertools.combinations(labels, 2) if labels[p[0]] == labels[p[1]]}
    precision = len(together & truth) / len(together) if together else 1.0
    return precision, len(together & truth) / len(truth)


def test_exact_index_distances_and_radius():
    matrix, _ = identities(3, 2, seed=1)
    index = ExactIndex(np.arange(10, 16), matrix)
    np.testing.assert_allclose(index.distances(matrix), np.clip(pairwise_distances(matrix), 0, 2), atol=1e-5)
    ids, distances = index.within(matrix[0], 0.4)
    assert list(ids) == [10, 11] and distances[0] == pytest.approx(0.0, abs=1e-5)
    with pytest.raises(ValueError, match="cannot be compared"):
        index.distances(np.ones((1, 10), np.float32))


def test_who_names_known_people_and_not_strangers(library_location):
    matrix, labels = identities(40, 6, seed=2)
    with Library.open(library_location) as library:
        ids = fill(library, matrix)
        people = {label: library.add_person(f"Person {label}") for label in range(30)}  # 10 people stay strangers
        enrolled = set()
        for label, person in people.items():
            rows = np.flatnonzero(labels == label)[:3]  # three samples each
            library.confirm(person, [ids[r] for r in rows])
            enrolled |= set(rows.tolist())
        queries = [r for r in range(len(labels)) if r not in enrolled]
        answers = recognition.suggest(library, SPACE, matrix[queries], THRESHOLD, MARGIN)
        by_id = {p.id: label for label, p in people.items()}
    known = [(r, a) for r, a in zip(queries, answers) if labels[r] < 30]
    strangers = [a for r, a in zip(queries, answers) if labels[r] >= 30]
    correct = sum(a.status == "match" and by_id[a.person] == labels[r] for r, a in known)
    wrong = sum(a.status == "match" and by_id[a.person] != labels[r] for r, a in known)
    assert correct / len(known) >= 0.95 and wrong == 0
    assert all(a.status == "unknown" for a in strangers)
    assert all(a.sample in {ids[r] for r in np.flatnonzero(labels == by_id[a.person])[:3]} for _, a in known
               if a.status == "match")  # the sample that matched is one of that person's


def test_runner_up_within_the_margin_is_unsure():
    matrix, labels = identities(4, 4, seed=3, siblings=1, sibling_closeness=0.97)
    index = PeopleIndex(ExactIndex(np.arange(len(labels)), matrix),
                        [(i, int(labels[i]) + 1) for i in range(len(labels)) if i % 4 < 2])
    sibling_query = [i for i in range(len(labels)) if labels[i] == 0 and i % 4 >= 2]
    answers = index.suggest(matrix[sibling_query], THRESHOLD, margin=0.2)
    assert {a.status for a in answers} == {"unsure"} and all(a.runner_up == 2 for a in answers)
    assert {a.status for a in index.suggest(matrix[sibling_query], THRESHOLD, margin=0.0)} == {"match"}
    assert index.suggest(matrix[:1], 0.0001, 0.0)[0].status in ("match", "unknown")


def _who_by_hand(matrix, confirmed, rejected, query, face_id, threshold, margin):
    """The "who" rule written plainly, face by face, to check the vectorised index against."""
    def distance(face):
        return max(0.0, min(2.0, 1.0 - float(matrix[face] @ query)))
    people = sorted({p for _, p in confirmed})
    ranked = []
    for person in people:
        mine = [f for f, p in confirmed if p == person]
        nearest = min(distance(f) for f in mine)
        against = [distance(f) for f, p in rejected if p == person]
        if (face_id, person) in rejected or (against and min(against) < nearest):
            continue
        ranked.append((nearest, person, min(mine, key=lambda f: (distance(f), f))))
    ranked.sort(key=lambda r: (r[0], people.index(r[1])))
    if not ranked:
        return ("unknown", None, None, None)
    (best, person, sample), runner = ranked[0], (ranked[1] if len(ranked) > 1 else None)
    status = ("unknown" if best > threshold else
              "unsure" if runner is not None and runner[0] - best < margin else "match")
    if status == "unknown" and runner is not None and runner[0] - best < margin:
        return ("unknown", None, None, None)  # no nearest person ahead of the rest: no hint
    told = runner is not None and (runner[0] <= threshold or runner[0] - best < margin)
    return (status, person, sample, runner[1] if told else None)


def test_index_agrees_with_the_rule_written_by_hand_in_any_block_size(monkeypatch):
    from faceapp.core.library import search

    matrix, labels = identities(12, 5, seed=8, siblings=3, sibling_closeness=0.95)
    rng = np.random.default_rng(8)
    faces = rng.permutation(len(labels))  # persons' faces in no particular order
    confirmed = [(int(f), int(labels[f]) * 7 + 3) for f in faces[:30]]
    rejected = [(int(f), int(rng.choice(sorted({p for _, p in confirmed})))) for f in faces[30:40]]
    # the library's own faces, then new faces near them (near misses: unknown, some with a clear nearest person)
    noisy = matrix + 0.04 * rng.standard_normal(matrix.shape).astype(np.float32)
    vectors = np.concatenate([matrix, noisy / np.linalg.norm(noisy, axis=1, keepdims=True)])
    queries = list(range(len(labels))) + [None] * len(labels)
    expected = [_who_by_hand(matrix, confirmed, rejected, v, q, 0.45, 0.08) for v, q in zip(vectors, queries)]
    unrejected = [_who_by_hand(matrix, confirmed, [], v, q, 0.45, 0.08) for v, q in zip(vectors, queries)]
    for cells in (1, 7 * 30, 1 << 25):  # one query per block, a few, all at once
        monkeypatch.setattr(search, "_CELLS", cells)
        index = PeopleIndex(ExactIndex(np.arange(len(labels)), matrix), confirmed, rejected)
        answers = index.suggest(vectors, 0.45, 0.08, queries)
        assert [(a.status, a.person, a.sample, a.runner_up) for a in answers] == expected
    assert {e[0] for e in expected} == {"match", "unsure", "unknown"}  # the set exercises every outcome
    assert {e[1] is None for e in expected if e[0] == "unknown"} == {True, False}  # ... with and without a hint
    assert {e[3] is None for e in expected if e[0] == "match"} == {True, False}  # ... and a runner-up
    assert expected != unrejected  # ... and the rejections change some answers


def test_the_index_path_measures_the_chosen_people_exactly_when_candidates_miss_their_nearest_face():
    from faceapp.core.library.search import IndexedPeople

    matrix, labels = identities(10, 6, seed=9, siblings=2, sibling_closeness=0.95)
    confirmed = [(i, int(labels[i])) for i in range(len(labels)) if i % 6 < 4]
    rejected = [(int(np.flatnonzero(labels == 1)[4]), 0)]
    queries = [i for i in range(len(labels)) if i % 6 >= 4]
    exact = ExactIndex(np.arange(len(labels)), matrix)
    named = np.array(sorted({f for f, _ in confirmed} | {f for f, _ in rejected}))

    def approximate(query_rows, k):
        """An index that returns k near named faces but never the very nearest one (as HNSW may)."""
        out = []
        for query in query_rows:
            distances = exact.distances(query[None])[0][named]
            order = np.argsort(distances, kind="stable")[1:k + 1]
            out.append((named[order], distances[order]))
        return out

    def measure(query, ids):
        return np.asarray(ids), exact.distances(query[None])[0][np.asarray(ids)]

    truth = PeopleIndex(exact, confirmed, rejected).suggest(matrix[queries], 0.45, 0.08, queries)
    fields = [(a.status, a.person, a.sample, a.runner_up) for a in truth]
    plain = IndexedPeople(approximate, confirmed, rejected, k=12).suggest(matrix[queries], 0.45, 0.08, queries)
    measured = IndexedPeople(approximate, confirmed, rejected, k=12, measure=measure).suggest(
        matrix[queries], 0.45, 0.08, queries)
    assert [(a.status, a.person, a.sample, a.runner_up) for a in measured] == fields
    np.testing.assert_allclose([a.distance for a in measured], [a.distance for a in truth], atol=1e-6)
    assert [(a.status, a.person, a.sample, a.runner_up) for a in plain] != fields  # the miss shows without measuring
    assert {a.status for a in truth} >= {"match", "unsure"}


def test_the_window_and_the_cli_name_a_near_miss_and_no_one_for_a_stranger():
    """A face just past the threshold of one person says "unknown (nearest: P0 …)"; a face far from everyone
    says "unknown" and names no one (the module's rule, as the window and the CLI word it)."""
    from faceapp.core.report import who_line, who_text

    matrix, labels = identities(4, 6, seed=21)
    confirmed = [(i, int(labels[i])) for i in range(len(labels)) if i % 6 < 4]
    index = PeopleIndex(ExactIndex(np.arange(len(labels)), matrix), confirmed)
    rng = np.random.default_rng(99)  # not the set's own seed: its first draws would be person 0's face
    near = matrix[0] + 0.04 * rng.standard_normal(matrix.shape[1]).astype(np.float32)
    stranger = rng.standard_normal(matrix.shape[1]).astype(np.float32)
    queries = np.stack([near / np.linalg.norm(near), stranger / np.linalg.norm(stranger)])
    near_miss, far = index.suggest(queries, 0.45, 0.08)
    names = {int(p): f"P{int(p)}" for p in np.unique(labels)}
    assert near_miss.status == "unknown" and near_miss.person == labels[0] and near_miss.distance > 0.45
    assert f"nearest: P{labels[0]} · " in who_line(near_miss, names)[1]
    assert who_text(near_miss, names, "").startswith(f"unknown (nearest: P{labels[0]} at ")
    assert far == Suggestion(WhoStatus.UNKNOWN) and far.person is None
    assert who_line(far, names) == ("?", "unknown") and who_text(far, names, "") == "unknown"


def _with_and_without_means(matrix: np.ndarray, labels: np.ndarray, reachable) -> tuple[list, list, list]:  # noqa: ANN001
    """"Who" for each person's last two faces (the first four confirmed): exactly, and through a stand-in for an
    HNSW graph whose search gets stuck — it returns the k nearest of the named faces that ``reachable(own person,
    the named faces' persons)`` allows — without and with the 2 nearest means measured."""
    from faceapp.core.library.search import IndexedPeople

    confirmed = [(i, int(labels[i])) for i in range(len(labels)) if i % 6 < 4]
    queries = [i for i in range(len(labels)) if i % 6 >= 4]
    exact = ExactIndex(np.arange(len(labels)), matrix)
    named = np.array(sorted(f for f, _ in confirmed))

    def stuck(query_rows, k):
        out = []
        for query in query_rows:
            distances = exact.distances(query[None])[0]
            own = labels[named[int(np.argmin(distances[named]))]]
            faces = named[reachable(own, labels[named])]
            order = np.argsort(distances[faces], kind="stable")[:k]
            out.append((faces[order], distances[faces][order]))
        return out

    def measure(query, ids):
        return np.asarray(ids), exact.distances(query[None])[0][np.asarray(ids)]

    people = np.unique(labels)
    sums = np.stack([matrix[[f for f, p in confirmed if p == person]].sum(axis=0) for person in people])
    truth = PeopleIndex(exact, confirmed).suggest(matrix[queries], 0.45, 0.08, queries)
    alone = IndexedPeople(stuck, confirmed, [], k=8, measure=measure).suggest(matrix[queries], 0.45, 0.08, queries)
    with_means = IndexedPeople(stuck, confirmed, [], k=8, measure=measure, means=((people, sums), 2)).suggest(
        matrix[queries], 0.45, 0.08, queries)
    return ([(a.status, a.person, a.sample, a.runner_up) for a in answers] for answers in (truth, alone, with_means))


def test_the_index_path_finds_a_person_its_graph_never_reaches_through_the_nearest_means():
    """An index whose graph never reaches the query's own person (HNSW on far-apart clusters: 16 of 200 known
    faces at 1,000,000 faces) still gives the exact answer once the people with the nearest mean are measured."""
    matrix, labels = identities(12, 6, seed=11)
    truth, alone, with_means = _with_and_without_means(matrix, labels, lambda own, persons: persons != own)
    assert with_means == truth
    assert {a[0] for a in truth} == {"match"} and {a[0] for a in alone} == {"unknown"}


def test_the_index_path_names_a_runner_up_within_the_threshold_that_the_chosen_persons_faces_crowd_out():
    """When the k candidates are all the chosen person's faces (a person with more faces than k), a sibling
    within the threshold — named as the runner-up — is still found through the nearest means."""
    matrix, labels = identities(8, 6, seed=12, siblings=4, sibling_closeness=0.85)
    truth, alone, with_means = _with_and_without_means(matrix, labels, lambda own, persons: persons == own)
    assert with_means == truth
    assert any(a[0] == "match" and a[3] is not None for a in truth)  # a sibling within the threshold
    assert alone != truth  # ... that the candidates miss


def test_rejections_are_never_suggested_again_and_count_against(library_location):
    matrix, labels = identities(3, 6, seed=4, siblings=1, sibling_closeness=0.9)
    with Library.open(library_location) as library:
        ids = fill(library, matrix)
        anna = library.add_person("Anna")
        library.confirm(anna, [ids[i] for i in np.flatnonzero(labels == 0)[:3]])
        siblings = [ids[i] for i in np.flatnonzero(labels == 1)]
        before = recognition.suggest(library, SPACE, matrix[labels == 1], 0.6, 0.0, siblings)
        assert any(a.status == "match" for a in before)  # at 0.6 the sibling passes for Anna
        library.reject(anna, siblings[:2])
        after = recognition.suggest(library, SPACE, matrix[labels == 1], 0.6, 0.0, siblings)
        # The two rejected faces are never Anna again; the sibling's other faces are nearer to those
        # rejected faces than to Anna's, so they are not suggested either.
        assert all(a.status == "unknown" for a in after)
        anna_faces = recognition.suggest(library, SPACE, matrix[labels == 0][3:], 0.6, 0.0)
        assert all(a.status == "match" and a.person == anna.id for a in anna_faces)
        hits = recognition.photos_of(library, SPACE, anna, 0.6, 0.0)
        assert {h.state for h in hits} == {"confirmed", "suggested"}
        assert not {h.face.id for h in hits} & set(siblings)


def test_groups_match_identities():
    sizes = [30, 20, 12, 8, 5, 3, 2, 1, 1, 1]  # some people have many photos, some one
    matrix, labels = identities(len(sizes), sizes, seed=5)
    ids = np.arange(100, 100 + len(labels))
    result = group_faces(ids, matrix, 2, THRESHOLD)
    precision, recall = pair_scores(result.groups, {int(i): int(l) for i, l in zip(ids, labels)})
    assert precision == 1.0 and recall >= 0.98
    assert result.waiting == 5  # the three singles and the pair wait for more faces
    assert result == group_faces(ids[::-1], matrix[::-1], 2, THRESHOLD)  # deterministic, whatever the order


def test_siblings_stay_apart_once_a_pair_is_rejected(library_location):
    matrix, labels = identities(6, 10, seed=6, siblings=1, sibling_closeness=0.93)
    d = pairwise_distances(matrix)
    assert d[np.ix_(labels == 0, labels == 1)].min() < THRESHOLD  # close enough to chain into one group
    with Library.open(library_location) as library:
        ids = np.array(fill(library, matrix))
        merged = recognition.group(library, SPACE, 2, THRESHOLD)
        truth = {int(i): int(l) for i, l in zip(ids, labels)}
        assert any(len({truth[f] for f in faces}) == 2 for faces in merged.groups.values())
        library.set_apart([(int(ids[labels == 0][0]), int(ids[labels == 1][0]))])
        split = recognition.group(library, SPACE, 2, THRESHOLD)
    assert not split.incremental  # a new apart pair means grouping everything again
    precision, recall = pair_scores(split.groups, truth)
    assert precision == 1.0 and recall == 1.0  # the siblings split cleanly, each whole


def test_not_this_person_on_group_faces_takes_them_out_of_the_group(library_location):
    matrix, labels = identities(3, 8, seed=9)
    with Library.open(library_location) as library:
        fill(library, matrix)
        before = recognition.group(library, SPACE, 2, THRESHOLD)
        group_id, members = next((g, f) for g, f in before.groups.items() if len(f) == 8)
        leaving = members[:2]
        assert recognition.keep_apart_from_group(library, SPACE, group_id, leaving) == 2 * 6
        assert len(library.apart_pairs()) == 12
        after = recognition.group(library, SPACE, 2, THRESHOLD)
    assert set(after.groups[group_id]) == set(members) - set(leaving)  # the group keeps its id, without them
    assert not any(set(leaving) & set(faces) and set(faces) & (set(members) - set(leaving))
                   for faces in after.groups.values())


def test_new_faces_are_grouped_incrementally_and_ids_stay(library_location):
    matrix, labels = identities(8, 12, seed=7)
    order = np.random.default_rng(0).permutation(len(labels))
    first, later = order[:60], order[60:]
    with Library.open(library_location) as library:
        ids = np.array(fill(library, matrix[first]))
        before = recognition.group(library, SPACE, 2, THRESHOLD)
        ids = np.concatenate([ids, fill(library, matrix[later])])
        after = recognition.group(library, SPACE, 2, THRESHOLD)
        full = recognition.group(library, SPACE, 2, THRESHOLD, full=True)
        again = recognition.group(library, SPACE, 2, THRESHOLD)
    assert after.incremental and not full.incremental
    assert sorted(map(tuple, after.groups.values())) == sorted(map(tuple, full.groups.values()))
    for group_id, faces in before.groups.items():  # every earlier group keeps its id as it grows
        assert set(faces) <= set(after.groups[group_id])
    assert after.groups == full.groups == again.groups
    truth = {int(i): int(labels[r]) for i, r in zip(ids, np.concatenate([first, later]))}
    assert pair_scores(after.groups, truth) == (1.0, 1.0)


def test_named_faces_leave_the_groups(library_location):
    matrix, labels = identities(3, 8, seed=8)
    with Library.open(library_location) as library:
        fill(library, matrix)
        groups = recognition.group(library, SPACE, 2, THRESHOLD).groups
        named = next(iter(groups.values()))
        library.confirm(library.add_person("Anna"), named)
        regrouped = recognition.group(library, SPACE, 2, THRESHOLD)
    assert len(regrouped.groups) == 2 and not set(named) & {f for fs in regrouped.groups.values() for f in fs}


def test_group_arguments_are_checked():
    matrix, _ = identities(2, 3, seed=9)
    with pytest.raises(ValueError, match="min_faces"):
        group_faces(np.arange(6), matrix, 0, THRESHOLD)
    with pytest.raises(ValueError, match="max_distance"):
        group_faces(np.arange(6), matrix, 2, 2.5)
    assert group_faces(np.arange(0), np.zeros((0, 2048), np.float32), 2, THRESHOLD).groups == {}
