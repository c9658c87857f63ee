"""Writing faceapp's names into photo tags: MWG and Microsoft regions, in a sidecar or (asked) the JPEG.

Rules (issue 20), in one place:

* every present photo with a confirmed face (of ``person``, when given) gets one
  region per named face, in the *stored* image's frame (the inverse of the EXIF
  orientation: :func:`.regions.to_stored`), with ``AppliedToDimensions``;
* by default into ``photo.jpg.xmp``: an existing sidecar is edited in place
  (everything else in it stays as it was); a new one first copies the regions of
  the source it will outrank (``photo.xmp`` or the embedded XMP, :mod:`.sidecar`);
* ``embed``: into the JPEG's own XMP segment (standard + Extended XMP when over
  64 kB), every other byte kept (:func:`.embedded.write_jpeg_xmp`); other formats
  are refused for the photo, and so is a JPEG whose Extended XMP cannot be read;
* a region already marking the face with the same name is left alone (exporting
  twice writes nothing); one marking it with **another** name is a conflict,
  reported and kept — faceapp never overwrites someone else's tag;
* regions the target holds in the Microsoft form only (Windows Photo Gallery,
  whether or not faceapp holds their faces) are written in the MWG form too, the
  Microsoft form kept, so that programs reading MWG only see them as well;
* a packet faceapp cannot parse is never overwritten: the photo is reported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faceapp.core.errors import FaceAppError
from faceapp.core.library.records import FaceRecord
from faceapp.core.library.store import Library
from faceapp.core.tags.embedded import read_embedded, stored_image, write_jpeg_xmp
from faceapp.core.tags.regions import box_to_region, swaps_sides, to_stored
from faceapp.core.tags.sidecar import (
    own_sidecar,
    read_photo_tags,
    read_sidecar,
    write_sidecar,
)
from faceapp.core.tags.xmp import Packet, Region, XmpError, new_packet
from faceapp.core.wording import plural

__all__ = ["export_tags", "ExportSummary", "PhotoExport"]

#: An existing region at least this much overlapping faceapp's face (or holding its centre) marks that face.
SAME_REGION_IOU = 0.3


@dataclass
class PhotoExport:
    """What exporting one photo's names did (its JSON shape is in README.md)."""

    path: str
    target: str = ""
    written: list[dict[str, Any]] = field(default_factory=list)
    already: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    copied: int = 0  # regions copied from the source a new sidecar outranks
    mirrored: int = 0  # Microsoft-only regions of the target also written in the MWG form
    problem: str = ""
    wrote: bool = False  # the target file was written

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "target": self.target, "file_written": self.wrote, "written": self.written,
                "already_tagged": self.already, "conflicts": self.conflicts, "copied": self.copied,
                "mirrored": self.mirrored, "problem": self.problem}


@dataclass
class ExportSummary:
    """What an export did: one PhotoExport per photo with named faces."""

    photos: list[PhotoExport] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        changed = [p for p in self.photos if p.wrote]
        return {"photos": len(self.photos), "files_written": len(changed),
                "regions_written": sum(len(p.written) for p in self.photos),
                "already_tagged": sum(p.already for p in self.photos),
                "conflicts": sum(len(p.conflicts) for p in self.photos),
                "problems": sum(1 for p in self.photos if p.problem)}

    def as_dict(self) -> dict[str, Any]:
        return {"totals": self.totals(), "photos": [p.as_dict() for p in self.photos],
                "cancelled": self.cancelled, "seconds": round(self.seconds, 2)}

    def text(self) -> str:
        t = self.totals()
        lines = [f"{plural(t['regions_written'], 'name')} written into {plural(t['files_written'], 'file')} for "
                 f"{plural(t['photos'], 'photo')} with named faces; {t['already_tagged']} already tagged, "
                 f"{plural(t['conflicts'], 'conflict')}, {t['problems']} not written."]
        lines += [p.problem for p in self.photos if p.problem]
        if t["conflicts"]:
            lines.append("Conflicts (a tag naming someone else on the same face) were left as they are.")
        return "\n".join(lines)


def _matching(existing: list[Region], region: Region) -> Region | None:
    cx, cy = region.center
    best = max((r for r in existing if r.name and r.kind == "Face"), key=lambda r: r.iou(region), default=None)
    if best is None:
        return None
    inside = best.left <= cx <= best.left + best.width and best.top <= cy <= best.top + best.height
    return best if best.iou(region) >= SAME_REGION_IOU or inside else None


def _target_packet(path: str, embed: bool, stored: Any, result: PhotoExport) -> tuple[Packet, Path | None]:
    """The packet to add regions to, and the sidecar to write it to (None: the photo itself)."""
    name = os.path.basename(path)
    if embed:
        if stored.format != "JPEG":
            raise FaceAppError(f"'{name}' was left as it was: faceapp writes tags into JPEG photos only; "
                               "export without --embed to write a sidecar for it.")
        result.target = path
        if not stored.xmp:
            return new_packet(), None
        packet, problem = read_embedded(stored, name)
        if problem:  # writing would lose what faceapp could not read
            raise FaceAppError(f"'{name}' was left as it was: part of its XMP (its Extended XMP) could not be read; "
                               "export without --embed to write a sidecar for it.")
        return packet, None
    sidecar = own_sidecar(path)
    result.target = str(sidecar)
    if sidecar.is_file():
        return read_sidecar(sidecar), sidecar
    packet = new_packet()
    tags = read_photo_tags(path)  # what a new sidecar outranks: photo.xmp or the embedded regions
    if tags.source and tags.regions:
        packet.add_regions(tags.regions, (stored.width, stored.height))
        result.copied = len(tags.regions)
    return packet, sidecar


def _export_photo(path: str, named: list[tuple[FaceRecord, str]], dims: tuple[int, int], embed: bool) -> PhotoExport:
    result = PhotoExport(path)
    name = os.path.basename(path)
    if not os.path.isfile(path):
        result.problem = f"'{name}' is gone from its folder; rescan, or 'faceapp-cli library prune'."
        return result
    stored = stored_image(path)
    width, height = dims
    expected = (height, width) if swaps_sides(stored.orientation) else (width, height)
    if expected != (stored.width, stored.height):
        result.problem = f"'{name}' changed since it was scanned; scan it again, then export."
        return result
    try:
        packet, sidecar = _target_packet(path, embed, stored, result)
    except XmpError as exc:
        result.problem = f"{exc.args[0].rstrip('.')}; faceapp did not overwrite it ('{name}')."
        return result
    except FaceAppError as exc:
        result.problem = str(exc)
        return result
    existing = packet.regions()
    mirror = packet.microsoft_only()
    adding: list[Region] = []
    for face, person in named:
        region = to_stored(box_to_region(face.face.box, width, height, person), stored.orientation)
        found = _matching(existing + adding, region)
        entry = {"face_id": face.id, "number": face.number, "name": person}
        if found is None:
            adding.append(region)
            result.written.append(entry)
        elif found.name.casefold() == person.casefold():
            result.already += 1
        else:
            result.conflicts.append({**entry, "tag": found.name})
    if not adding and not result.copied and not mirror:
        return result
    packet.add_regions(mirror, (stored.width, stored.height), microsoft=False)
    result.mirrored = len(mirror)
    packet.add_regions(adding, (stored.width, stored.height))
    try:
        if sidecar is None:
            write_jpeg_xmp(path, packet)
            result.wrote = True
        else:
            result.wrote = write_sidecar(sidecar, packet)
    except FaceAppError as exc:
        result.problem, result.written, result.mirrored = str(exc), [], 0
    return result


def export_tags(library: Library, paths: Sequence[str | os.PathLike] = (), person: str | None = None,
                embed: bool = False, progress: Callable[[int, int, str], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> ExportSummary:
    """Write the names of ``library``'s confirmed faces into tags (rules above).

    ``paths``: only photos given or under these folders (all when empty); ``person``: only their faces.
    """
    started = time.perf_counter()
    wanted = None if person is None else library.require_person(person).name.casefold()
    roots = [os.path.realpath(os.path.abspath(os.path.expanduser(str(p)))) for p in paths]
    for root in roots:
        if not os.path.exists(root):
            raise FaceAppError(f"'{root}' does not exist; give photos or folders of the library.")
    summary = ExportSummary()
    todo = []
    for photo_id, faces in library.named_faces().items():
        faces = [(f, n) for f, n in faces if wanted is None or n.casefold() == wanted]
        record = library.photo(photo_id)
        if not faces or record is None:
            continue
        if roots and not any(record.path == r or record.path.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            continue
        todo.append((record, faces))
    for done, (record, faces) in enumerate(todo, start=1):
        if cancel is not None and cancel():
            summary.cancelled = True
            break
        try:
            summary.photos.append(_export_photo(record.path, faces, (record.width, record.height), embed))
        except FaceAppError as exc:
            summary.photos.append(PhotoExport(record.path, problem=str(exc)))
        if progress is not None:
            progress(done, len(todo), record.path)
    summary.seconds = time.perf_counter() - started
    return summary
