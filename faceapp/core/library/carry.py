"""When a photo's content changed: which new face takes over what the user said about an old one.

A camera reusing ``IMG_0001.JPG``, or an edit, makes faceapp analyse the photo
again and replace its faces.  What the user said about a face (its name, "not
this person", "these two are apart") moves to a new face only when it is the
same face: its box overlaps the old one (IoU ≥ :data:`MIN_IOU`) *and* its
descriptor is within the same-person threshold in use of the old face's, in the
scan's descriptor space.  Anything else is a stranger standing in the same
place: the name is detached, and the caller tells the user which.

The rule lives here, not in the storage class: :meth:`Library.save_photo` only
executes the mapping it is given.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from faceapp.core.library.sqlite_store import Library, NewFace
from faceapp.core.types import DescriptorSpace
from faceapp.core.verification import cosine_distance

__all__ = ["MIN_IOU", "CarryOver", "carry_over"]

#: How much a new box must overlap the old one to be considered the same place (intersection over union).
MIN_IOU = 0.5


@dataclass(frozen=True)
class CarryOver:
    """``mapping``: index of a new face → id of the old face it takes over.
    ``detached``: (old face number, person) of confirmed names that no new face could take."""

    mapping: dict[int, int] = field(default_factory=dict)
    detached: list[tuple[int, str]] = field(default_factory=list)


def carry_over(library: Library, path: str | os.PathLike, space: DescriptorSpace, faces: Sequence[NewFace],
               threshold: float, same_content: bool = False) -> CarryOver:
    """Decide which of ``faces`` (the photo at ``path`` analysed again, described in ``space``) takes over
    which old face, with ``threshold`` the cosine distance that still means "same person".

    ``same_content``: the file's bytes did not change (analysed again for a new pipeline version, whose
    descriptor space the old faces are not described in): the same place is the same person."""
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
    detached = []
    for face_id, former in sorted(free.items(), key=lambda item: item[1].number):
        person = library.person_of(face_id)
        if person is not None:
            detached.append((former.number, person.name))
    return CarryOver(mapping, detached)
