"""What people ask of their library: who is this, which photos show Anna, group the rest, enrol a face.

Thin functions over :class:`~.store.Library` (storage) and :mod:`.search` /
:mod:`.cluster` (the rules), shared by ``faceapp-cli`` and the window's worker.
Every function works in one descriptor space and never mixes spaces.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.defaults import PIPELINE_VERSION
from faceapp.core.library.cluster import Grouping, group_faces
from faceapp.core.library.records import FaceRecord, NewFace, Person, PhotoRecord
from faceapp.core.library.search import PeopleIndex, Suggestion
from faceapp.core.library.store import Library
from faceapp.core.kinds import Kind
from faceapp.core.types import DescriptorSpace, choose_face

__all__ = ["FaceState", "Hit", "people_index", "suggest", "face_hits", "photos_of", "similar_faces", "group", "enrol",
           "UNNAMED", "current_groups", "faces_of_group", "keep_apart_from_group", "stored_faces", "copies_dir", "keep_copy"]

#: SQL condition (on faces ``f``) for faces no person was confirmed for.
UNNAMED = "NOT EXISTS (SELECT 1 FROM face_people fp WHERE fp.face_id = f.id AND fp.state = 'confirmed')"


class FaceState(Kind):
    """How a face shown to the user relates to the person or group on screen."""

    CONFIRMED = "confirmed"
    SUGGESTED = "suggested"
    SIMILAR = "similar"
    GROUP = "group"


@dataclass(frozen=True)
class Hit:
    """A library face shown to the user: where it is, how close it is, and whether a person was confirmed."""

    face: FaceRecord
    photo: PhotoRecord
    distance: float | None
    state: FaceState  # CONFIRMED, SUGGESTED or SIMILAR


def people_index(library: Library, space: DescriptorSpace) -> PeopleIndex:
    """Every person's confirmed and rejected faces in ``space``, ready to answer "who is this?"
    (the storage decides how: exact in NumPy, or PostgreSQL's index for a large library)."""
    return library.people_index(space)


def suggest(library: Library, space: DescriptorSpace, descriptors: np.ndarray, threshold: float, margin: float,
            face_ids: list[int | None] | None = None, index: PeopleIndex | None = None) -> list[Suggestion]:
    """"Who is this?" for each descriptor (``face_ids``: the library faces they are, so rejections apply)."""
    return (index or people_index(library, space)).suggest(descriptors, threshold, margin, face_ids)


def face_hits(library: Library, face_ids: list[int], distances: list[float | None], state: FaceState) -> list[Hit]:
    hits = []
    for face_id, distance in zip(face_ids, distances):
        found = library.face(int(face_id))
        if found is not None:
            hits.append(Hit(found[0], found[1], distance, state))
    return hits


def photos_of(library: Library, space: DescriptorSpace, person: Person, threshold: float, margin: float) -> list[Hit]:
    """The faces of ``person``: confirmed ones, then the unnamed faces "who" would give them (nearest first)."""
    index = people_index(library, space)
    confirmed = [f for f, p in library.links("confirmed", person)]
    hits = face_hits(library, confirmed, [None] * len(confirmed), FaceState.CONFIRMED)
    ids, matrix = library.descriptors(space, where=UNNAMED)
    if len(ids):
        answers = index.suggest(matrix, threshold, margin, [int(i) for i in ids])
        chosen = sorted(((a.distance, int(i)) for i, a in zip(ids, answers)
                         if a.status == "match" and a.person == person.id))
        hits += face_hits(library, [i for _, i in chosen], [d for d, _ in chosen], FaceState.SUGGESTED)
    return hits


def similar_faces(library: Library, space: DescriptorSpace, descriptor: np.ndarray, threshold: float) -> list[Hit]:
    """Every library face within ``threshold`` of ``descriptor``, nearest first."""
    found, distances = library.within(space, descriptor, threshold)
    return face_hits(library, [int(i) for i in found], [float(d) for d in distances], FaceState.SIMILAR)


def group(library: Library, space: DescriptorSpace, min_faces: int, max_distance: float, full: bool = False) -> Grouping:
    """Group the unnamed faces of ``space`` (incrementally when only new faces arrived) and store the groups.

    One run at a time per library (a server library is shared): the second waits for the first."""
    with library.exclusive("cluster"):
        return _group(library, space, min_faces, max_distance, full)


def _group(library: Library, space: DescriptorSpace, min_faces: int, max_distance: float, full: bool) -> Grouping:
    ids, matrix = library.descriptors(space, where=UNNAMED)
    apart = library.apart_pairs()
    signature = hashlib.sha256(repr(sorted(apart)).encode()).hexdigest()[:16]
    settings = library.clustering(space)
    previous = library.group_state(space) or None
    same = settings is not None and settings == (min_faces, float(max_distance), signature)
    result = group_faces(ids, matrix, min_faces, max_distance, apart, previous, incremental=same and not full)
    library.save_groups(space, min_faces, float(max_distance), signature, result.state)
    return result


def stored_faces(library: Library, path: str, space: DescriptorSpace) -> tuple[PhotoRecord, list[FaceRecord], np.ndarray] | None:
    """The photo's stored faces and their descriptors in ``space``, when the library has the file unchanged; else None."""
    real = os.path.realpath(path)
    record = library.photo_by_path(real)
    if record is None or record.status != "faces":
        return None
    if not record.same_file(os.stat(real)):
        return None
    faces = library.faces_of(record.id)
    ids, matrix = library.descriptors(space, [f.id for f in faces])
    if len(ids) != len(faces):
        return None
    return record, faces, matrix


def copies_dir(library: Library) -> Path:
    """Where the library keeps copies of photos that have no file of their own (pasted, downloaded):
    :func:`faceapp.paths.imported_dir`."""
    from faceapp.paths import imported_dir

    return imported_dir(library.path)


def keep_copy(library: Library, image: np.ndarray) -> Path:
    """Save a pasted or downloaded photo (RGB) beside the library, so its faces have a photo; named by content.
    Owner-only (0600 in a 0700 folder): it shows someone's face."""
    from PIL import Image

    from faceapp.paths import make_private_dir

    folder = make_private_dir(copies_dir(library))
    path = folder / f"pasted-{hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()[:20]}.png"
    if not path.exists():
        partial = path.with_suffix(".part")
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            Image.fromarray(image).save(handle, "PNG")
        os.replace(partial, path)
    return path


def _describe_undescribed(library: Library, engine: Any, photo_id: int, image: Any) -> None:
    """Describe, from ``image``, the faces of photo ``photo_id`` that have no descriptor in the engine's space."""
    missing = set(library.faces_without(engine.space, [photo_id]).get(photo_id, []))
    faces = [f for f in library.faces_of(photo_id) if f.id in missing]
    if faces:
        vectors, _ = engine.model.run(engine.crops_of(image, [f.face for f in faces]))
        library.add_descriptors(engine.space, [(f.id, v) for f, v in zip(faces, vectors)])


def enrol(library: Library, engine: Any, name: str, photo: str | os.PathLike, face_number: int | None = None
          ) -> tuple[Person, FaceRecord, PhotoRecord]:
    """Confirm a face of ``photo`` as ``name`` (the largest face unless ``face_number``, from 1).

    The photo joins the library (analysed with ``engine`` unless already there, unchanged, with
    descriptors in the engine's space), so "which photos show Anna?" finds it too.
    """
    from faceapp.core.detection.quality import face_quality
    from faceapp.core.images import check_file, load_image

    path = os.path.realpath(os.path.expanduser(str(photo)))
    label = Path(path).name
    check_file(path)
    space = engine.space
    info = os.stat(path)
    record = library.photo_by_path(path)
    current = (record is not None and record.same_file(info)
               and record.pipeline == PIPELINE_VERSION and record.status == "faces")
    if current:
        if library.faces_without(space, [record.id]).get(record.id):
            # Known faces, described in another space: describe them, no detection.
            _describe_undescribed(library, engine, record.id, load_image(path))
    else:
        image = load_image(path)
        result = engine.analyze(image)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        items = [NewFace(r.face, face_quality(image, r.face), r.descriptor) for r in result.faces]
        from faceapp.core.evaluation.thresholds import threshold_for
        from faceapp.core.library.carry import carry_over

        # The photo changed since it was scanned: names move only to the same faces (carry.py).
        carry = carry_over(library, path, space, items, threshold_for(space.model, space.crop),
                           same_content=record is not None and record.hash == digest, dims=result.image_size)
        library.save_photo(path, info.st_size, info.st_mtime_ns, digest, result.image_size, PIPELINE_VERSION,
                           items, space, carry=carry.mapping, tags=carry.tags)
        record = library.photo_by_path(path)
        if carry.tags:  # faces from tags kept in the new version: described from its crops
            _describe_undescribed(library, engine, record.id, image)
    faces = library.faces_of(record.id)
    chosen = faces[choose_face([f.face.box for f in faces], face_number, f"'{label}'")]
    person = library.add_person(name)
    library.confirm(person, [chosen.id])
    return library.require_person(person.name), chosen, library.photo(record.id)


# -- records for a window -------------------------------------------------------------------------

def current_groups(library: Library, space: DescriptorSpace) -> dict[int, list[int]]:
    """The last grouping's groups, without faces named since (a group of fewer than two is gone)."""
    named = {f for f, _ in library.links("confirmed")}
    groups: dict[int, list[int]] = {}
    for face_id, (group_id, _) in library.group_state(space).items():
        if group_id is not None and face_id not in named:
            groups.setdefault(group_id, []).append(face_id)
    return {g: faces for g, faces in groups.items() if len(faces) > 1}


def faces_of_group(library: Library, space: DescriptorSpace, group_id: int) -> list[int]:
    """The unnamed faces of group ``group_id`` of the last grouping (empty when it no longer exists)."""
    return current_groups(library, space).get(group_id, [])


def keep_apart_from_group(library: Library, space: DescriptorSpace, group_id: int, face_ids: list[int]) -> int:
    """"Not this person" on faces of an unnamed group: each is kept apart from every other face of the group
    (so the next grouping leaves them out); returns how many pairs were recorded."""
    members = current_groups(library, space).get(group_id, [])
    leaving = set(face_ids)
    pairs = [(a, b) for a in leaving for b in members if b not in leaving]
    library.set_apart(pairs)
    return len(pairs)
