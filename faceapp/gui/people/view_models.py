"""What the People view shows, as plain records: its people, groups, folders and face grids.

Built on the engine thread from the library (:mod:`faceapp.core.library.recognition`
answers the questions; this module only arranges the answers for the window), and
handed to the GUI thread, which paints them.  No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faceapp.core.library import recognition
from faceapp.core.library.recognition import FaceState, Hit
from faceapp.core.library.sqlite_store import Library, Person
from faceapp.core.types import DescriptorSpace

__all__ = ["FaceItem", "PersonItem", "GroupItem", "Overview", "overview", "person_items", "group_items"]


@dataclass(frozen=True)
class FaceItem:
    """One face as a grid shows it: where to cut its thumbnail, its quality and how it relates to the person."""

    face_id: int
    path: str
    number: int
    face: Any  # faceapp.core.types.Face
    quality: float
    state: FaceState  # CONFIRMED, SUGGESTED or GROUP
    distance: float | None = None


@dataclass(frozen=True)
class PersonItem:
    id: int
    name: str
    confirmed: int
    photos: int
    cover: FaceItem | None


@dataclass(frozen=True)
class GroupItem:
    id: int
    size: int
    cover: FaceItem


@dataclass(frozen=True)
class Overview:
    """What the People view lists: people, unnamed groups (from the last grouping) and scanned folders."""

    path: str
    space: str
    people: tuple[PersonItem, ...]
    groups: tuple[GroupItem, ...]
    folders: tuple[dict, ...]
    counts: dict


def _item(hit: Hit) -> FaceItem:
    return FaceItem(hit.face.id, hit.photo.path, hit.face.number, hit.face.face, hit.face.quality, hit.state,
                    hit.distance)


def _items(library: Library, face_ids: list[int], state: FaceState) -> list[FaceItem]:
    items = [_item(h) for h in recognition.face_hits(library, face_ids, [None] * len(face_ids), state) if not h.photo.missing]
    return sorted(items, key=lambda item: -item.quality)


def overview(library: Library, space: DescriptorSpace | None) -> Overview:
    """People, groups (of ``space``; none when it is unknown, e.g. the model files are missing) and folders."""
    people = []
    for person in library.people():
        confirmed = [f for f, _ in library.links("confirmed", person)]
        best = _items(library, confirmed, FaceState.CONFIRMED)
        people.append(PersonItem(person.id, person.name, person.confirmed, person.photos, best[0] if best else None))
    groups = []
    for group_id, faces in (recognition.current_groups(library, space) if space is not None else {}).items():
        items = _items(library, faces, FaceState.GROUP)
        if items:
            groups.append(GroupItem(group_id, len(faces), items[0]))
    groups.sort(key=lambda g: (-g.size, g.id))
    return Overview(str(library.path), space.key if space is not None else "", tuple(people), tuple(groups),
                    tuple(library.folders()), library.info())


def person_items(library: Library, space: DescriptorSpace, person: Person, threshold: float, margin: float
                 ) -> tuple[list[FaceItem], list[FaceItem]]:
    """(confirmed faces, best first; suggested faces, nearest first) of ``person``."""
    hits = recognition.photos_of(library, space, person, threshold, margin)
    confirmed = sorted((_item(h) for h in hits if h.state == "confirmed" and not h.photo.missing),
                       key=lambda item: -item.quality)
    suggested = [_item(h) for h in hits if h.state == "suggested" and not h.photo.missing]
    return confirmed, suggested


def group_items(library: Library, space: DescriptorSpace, group_id: int) -> list[FaceItem]:
    """The faces of unnamed group ``group_id`` (best first); empty when it no longer exists."""
    return _items(library, recognition.faces_of_group(library, space, group_id), FaceState.GROUP)
