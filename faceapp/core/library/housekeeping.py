"""Forgetting, on purpose and never by surprise: pruning missing photos, erasing a person, pasted copies.

The rules live here (Qt-free), shared by ``faceapp-cli`` and the window; the
storage class only executes them:

* :func:`prune_plan` says what a prune would forget — photos marked missing,
  except those with a confirmed face (unless ``include_named``) and those whose
  file is back — and :func:`prune` forgets exactly that plan, so what the user
  was shown and agreed to is what goes.
* :func:`erase_person` is the privacy request: the person, their confirmed
  faces with descriptors, those faces' thumbnails, and imported copies of pasted
  photos that show nobody else, then the file is rewritten (``secure_delete`` is
  on, VACUUM, write-ahead log truncated) so nothing of them stays on disk.
  (Copies are kept by :func:`faceapp.core.library.recognition.keep_copy`.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


from faceapp.core.library.sqlite_store import Library, PhotoRecord

__all__ = ["PrunePlan", "prune_plan", "prune", "Erasure", "erase_person"]


@dataclass(frozen=True)
class PrunePlan:
    """What :func:`prune` would forget.

    ``forget``: missing photos to forget (their faces and names with them); ``named_faces``: how many
    confirmed faces are among them (0 unless ``include_named``); ``kept_named``: missing photos kept
    because someone is named in them."""

    forget: tuple[PhotoRecord, ...]
    named_faces: int
    kept_named: tuple[PhotoRecord, ...]
    include_named: bool


def prune_plan(library: Library, include_named: bool = False) -> PrunePlan:
    """What a prune would forget: photos marked missing whose file is still gone, without those where a
    face is confirmed as someone unless ``include_named``."""
    forget, kept, named = [], [], 0
    for record, confirmed in library.missing_photos():
        if os.path.exists(record.path):
            continue  # back (a disk plugged in again): the next scan finds it, nothing to forget
        if confirmed and not include_named:
            kept.append(record)
            continue
        forget.append(record)
        named += confirmed
    return PrunePlan(tuple(forget), named, tuple(kept), include_named)


def prune(library: Library, plan: PrunePlan) -> int:
    """Forget the photos of ``plan`` that are still missing (one transaction); returns how many."""
    return library.forget_photos(record.id for record in plan.forget)


@dataclass(frozen=True)
class Erasure:
    """What :func:`erase_person` deleted.

    ``faces``: confirmed faces (with their descriptors, groups and "apart" pairs); ``rejections``: "not
    this person" marks; ``copies``: imported copies (file and library photo) that showed only them;
    ``thumbnails``: cached thumbnail files; ``compacted``: False when another program had the library
    open, so part of the write-ahead log could not be emptied yet (run the erasure's compaction again
    — ``Library.compact`` — once it is closed)."""

    person: str
    faces: int
    rejections: int
    copies: tuple[str, ...]
    thumbnails: int
    compacted: bool


def erase_person(library: Library, name: str, cache: Path | None = None) -> Erasure:
    """Erase the person called ``name`` and every trace of their faces (see the module docstring).

    ``cache``: the thumbnails folder (default :func:`faceapp.paths.thumbnails_dir`)."""
    from faceapp.core.thumbnails import forget_thumbnails
    from faceapp.paths import imported_dir

    person = library.require_person(name)
    face_ids = [face_id for face_id, _ in library.links("confirmed", person)]
    imported = os.path.realpath(imported_dir(library.path)) + os.sep
    faces, copies = [], {}
    for face_id in face_ids:
        found = library.face(face_id)
        if found is None:
            continue
        record, photo = found
        faces.append((record, photo))
        if photo.path.startswith(imported) and photo.id not in copies and _only(library, photo, person.id):
            copies[photo.id] = photo
    for photo in copies.values():  # a copy goes whole: its other faces are strangers pasted along
        faces += [(record, photo) for record in library.faces_of(photo.id) if record.id not in face_ids]
    library.erase(person, face_ids, list(copies))
    thumbnails = 0
    for record, photo in faces:
        versions = {(photo.size, photo.mtime_ns)}
        try:
            info = os.stat(photo.path)
            versions.add((info.st_size, info.st_mtime_ns))
        except OSError:
            pass
        for size, mtime_ns in versions:
            thumbnails += forget_thumbnails(photo.path, size, mtime_ns, [record.face], cache)
    for photo in copies.values():
        try:
            os.remove(photo.path)
        except FileNotFoundError:
            pass
    compacted = library.compact()
    return Erasure(person.name, len(face_ids), person.rejected, tuple(p.path for p in copies.values()), thumbnails,
                   compacted)


def _only(library: Library, photo: PhotoRecord, person_id: int) -> bool:
    """Whether nobody but ``person_id`` is named in ``photo``."""
    for record in library.faces_of(photo.id):
        other = library.person_of(record.id)
        if other is not None and other.id != person_id:
            return False
    return True
