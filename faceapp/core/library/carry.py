"""When a photo's content changed: which new face takes over what the user said about an old one.

A camera reusing ``IMG_0001.JPG``, or an edit, makes faceapp analyse the photo
again and replace its faces.  What the user said about a face (its name, "not
this person", "these two are apart") moves to a new face only when it is the
same face: its box overlaps the old one (IoU ≥ :data:`MIN_IOU`) *and* its
descriptor is within the same-person threshold in use of the old face's, in the
scan's descriptor space.  Anything else is a stranger standing in the same
place: the name is detached, and the caller tells the user which.

A face *from a tag* (a region the detector found no face in: :mod:`faceapp.core.tags`)
has no detection to find again, and a user's tag is never dropped: it follows its
tag.  The changed photo's tags are read again (metadata only); when a named face
region there still marks the tag face's place (IoU ≥ :data:`MIN_IOU`, in
proportion to each version's size), the face is kept — its box from that region
in the new version, to be described again from the new crop — or, when the
detector now finds a face there, that face takes its name over (as an import
would).  When no region marks its place any more (another program removed it, or
the file is another photo), it is detached and reported like any other name.

The rule lives here, not in the storage class: :meth:`Library.save_photo` only
executes the mapping it is given.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from faceapp.core.errors import FaceAppError
from faceapp.core.library.records import FaceRecord, NewFace, PhotoRecord
from faceapp.core.library.store import Library
from faceapp.core.types import Box, DescriptorSpace
from faceapp.core.verification import cosine_distance

__all__ = ["MIN_IOU", "CarryOver", "carry_over"]

#: How much a new box must overlap the old one to be considered the same place (intersection over union).
MIN_IOU = 0.5


@dataclass(frozen=True)
class CarryOver:
    """``mapping``: index of a new face → id of the old face it takes over.
    ``tags``: id of an old face from a tag → its box in the new version (kept, still from the tag).
    ``detached``: (old face number, person) of confirmed names that no new face could take;
    ``detached_tags``: the same for faces from tags whose tag no longer marks their place."""

    mapping: dict[int, int] = field(default_factory=dict)
    tags: dict[int, Box] = field(default_factory=dict)
    detached: list[tuple[int, str]] = field(default_factory=list)
    detached_tags: list[tuple[int, str]] = field(default_factory=list)


def carry_over(library: Library, path: str | os.PathLike, space: DescriptorSpace, faces: Sequence[NewFace],
               threshold: float, same_content: bool = False, dims: tuple[int, int] | None = None) -> CarryOver:
    """Decide which of ``faces`` (the photo at ``path`` analysed again, described in ``space``) takes over
    which old face, with ``threshold`` the cosine distance that still means "same person".

    ``same_content``: the file's bytes did not change (analysed again for a new pipeline version, whose
    descriptor space the old faces are not described in): the same place is the same person.
    ``dims``: the new version's displayed (width, height); without it, faces from tags cannot be placed
    and are detached."""
    record = library.photo_by_path(str(path))
    if record is None:
        return CarryOver()
    old = library.faces_of(record.id)
    if not old:
        return CarryOver()
    # Missing photos included: a photo that comes back changed is still the same photo.
    ids, matrix = library.descriptors(space, [f.id for f in old], include_missing=True)
    vectors = {int(i): v for i, v in zip(ids, matrix)}
    mapping: dict[int, int] = {}
    free = {f.id: f for f in old}
    for index, new in enumerate(faces):
        candidates = []
        for face_id, former in free.items():
            overlap = former.face.box.iou(new.face.box)
            # An old face without a descriptor in this space cannot be compared: never carried on a guess.
            if overlap >= MIN_IOU and (same_content or (
                    face_id in vectors and cosine_distance(vectors[face_id], new.descriptor) <= threshold)):
                candidates.append((overlap, face_id))
        if candidates:
            _, chosen = max(candidates)
            mapping[index] = chosen
            del free[chosen]
    tags: dict[int, Box] = {}
    from_tags = [f for f in free.values() if f.source == "tag"]
    if from_tags and dims is not None:
        for face_id, box in _tag_places(path, record, from_tags, dims).items():
            del free[face_id]
            overlaps = [(faces[i].face.box.iou(box), i) for i in range(len(faces)) if i not in mapping]
            best = max(overlaps, default=(0.0, -1))
            if best[0] >= MIN_IOU:  # the detector finds the tagged face now: it takes the name
                mapping[best[1]] = face_id
            else:
                tags[face_id] = box
    detached, detached_tags = [], []
    for face_id, former in sorted(free.items(), key=lambda item: item[1].number):
        person = library.person_of(face_id)
        if person is not None:
            (detached_tags if former.source == "tag" else detached).append((former.number, person.name))
    return CarryOver(mapping, tags, detached, detached_tags)


def _tag_places(path: str | os.PathLike, record: PhotoRecord, old: list[FaceRecord],
                dims: tuple[int, int]) -> dict[int, Box]:
    """``{old tag face id: its box in the new version}`` for the faces a named face region of the photo's
    current tags still marks; each region marks one face at most."""
    from faceapp.core.tags.regions import region_to_box, to_displayed
    from faceapp.core.tags.sidecar import read_photo_tags

    if not record.width or not record.height:
        return {}
    try:
        tags = read_photo_tags(path)
    except FaceAppError:  # not readable now: nothing marks them (detached and reported)
        return {}
    width, height = dims
    boxes = [region_to_box(to_displayed(r, tags.stored.orientation), width, height)
             for r in tags.regions if r.kind.casefold() == "face" and r.name]
    sx, sy = width / record.width, height / record.height
    pairs = []
    for face in old:
        b = face.face.box  # where it was, in proportion to the new version's size
        then = Box(round(b.x * sx), round(b.y * sy), max(1, round(b.width * sx)), max(1, round(b.height * sy)))
        overlaps = [(then.iou(box), face.id, j) for j, box in enumerate(boxes)]
        pairs += [pair for pair in overlaps if pair[0] >= MIN_IOU]
    placed: dict[int, Box] = {}
    used: set[int] = set()
    for _, face_id, j in sorted(pairs, reverse=True):
        if face_id not in placed and j not in used:
            placed[face_id] = boxes[j]
            used.add(j)
    return placed
