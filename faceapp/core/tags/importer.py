"""Importing names from photo tags into the library: each face region names the face it marks.

Rules (issue 20), in one place:

* every photo is in the library first (scanned when new or changed: :class:`~faceapp.core.library.scan.Scanner`);
* a face region (MWG type Face, or a Microsoft region) with a name is moved into the
  displayed frame (:mod:`.regions`) and matched to one of the photo's faces: the
  largest overlap first, then the nearest centre (within the two boxes' sizes);
* its name becomes a *confirmed* face of that person (created when new) — unless
  the face is already confirmed as someone else, or the user said it is not that
  person: then it is a **conflict**, reported and never overwritten;
* a region that matches no face becomes a face *from the tag* (source 'tag'): its
  box from the region, its descriptor from that crop — a user's tag is never dropped;
* importing again changes nothing (the names are already there, and tag faces
  match their own regions).

Reading tags needs no model; only a new face from a tag loads it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from faceapp.core.errors import (
    FaceAppError,
    ModelFilesMissing,
    StorageError,
    WeightsError,
)
from faceapp.core.formats import is_photo_name
from faceapp.core.library.records import FaceRecord, NewFace
from faceapp.core.library.store import Library
from faceapp.core.tags.regions import region_to_box, to_displayed
from faceapp.core.tags.sidecar import read_photo_tags
from faceapp.core.types import Box, Face
from faceapp.core.wording import plural

__all__ = ["import_tags", "ImportSummary", "PhotoImport", "match_regions", "photo_files"]


@dataclass
class PhotoImport:
    """What importing one photo's tags did (its JSON shape is in README.md)."""

    path: str
    source: str = ""
    regions: int = 0
    named: list[dict[str, Any]] = field(default_factory=list)
    already: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    ignored: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "source": self.source, "regions": self.regions, "named": self.named,
                "already_named": self.already, "unmatched": self.unmatched, "conflicts": self.conflicts,
                "ignored": self.ignored, "problems": self.problems}


@dataclass
class ImportSummary:
    """What an import did: one PhotoImport per photo, photos that could not be used, the scan that ran first."""

    photos: list[PhotoImport] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    scan: Any = None  # the ScanSummary of photos scanned first, if any
    cancelled: bool = False
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        return {"photos": len(self.photos), "regions": sum(p.regions for p in self.photos),
                "named": sum(len(p.named) for p in self.photos), "already_named": sum(p.already for p in self.photos),
                "from_tags": sum(len(p.unmatched) for p in self.photos),
                "conflicts": sum(len(p.conflicts) for p in self.photos), "ignored": sum(p.ignored for p in self.photos)}

    def as_dict(self) -> dict[str, Any]:
        return {"totals": self.totals(), "photos": [p.as_dict() for p in self.photos if p.regions or p.problems],
                "errors": [{"path": p, "message": m} for p, m in self.errors],
                "scan": self.scan.as_dict() if self.scan is not None else None,
                "cancelled": self.cancelled, "seconds": round(self.seconds, 2)}

    def text(self) -> str:
        """The same summary in one or two sentences (CLI and window)."""
        t = self.totals()
        lines = [f"{plural(t['regions'], 'face tag')} read in {plural(t['photos'], 'photo')}: "
                 f"{plural(t['named'], 'face')} named, "
                 f"{t['already_named']} already named, {t['from_tags']} new from tags (no face detected there), "
                 f"{plural(t['conflicts'], 'conflict')}, {t['ignored']} ignored."]
        if t["conflicts"]:
            lines.append("Conflicts were left as they are in the library: check those faces and name them yourself.")
        return "\n".join(lines)


def photo_files(paths: Sequence[str | os.PathLike]) -> tuple[list[str], list[tuple[str, str]]]:
    """The photo files given or found under folders (real paths, sorted, once each), and (path, message) of
    paths that are neither."""
    found: list[str] = []
    bad: list[tuple[str, str]] = []
    for raw in paths:
        path = os.path.abspath(os.path.expanduser(str(raw)))
        if os.path.isfile(path):
            if is_photo_name(path):
                found.append(os.path.realpath(path))
            else:
                bad.append((path, f"'{os.path.basename(path)}' is not a photo faceapp reads; give photos or folders."))
        elif os.path.isdir(path):
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [os.path.realpath(os.path.join(root, n)) for n in sorted(files)
                          if is_photo_name(n) and not n.startswith(".")]
        else:
            bad.append((path, f"'{path}' does not exist; check the path."))
    return list(dict.fromkeys(found)), bad


def match_regions(regions: Sequence[Box], faces: Sequence[Box]) -> dict[int, int]:
    """``{region index: face index}``: largest overlap first (each face once), then the nearest centre within
    the sum of both boxes' longer sides."""
    pairs = sorted(((r.iou(f), i, j) for i, r in enumerate(regions) for j, f in enumerate(faces) if r.iou(f) > 0),
                   reverse=True)
    out: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in out and j not in out.values():
            out[i] = j
    for i, region in enumerate(regions):
        if i in out:
            continue
        best = None
        for j, face in enumerate(faces):
            if j in out.values():
                continue
            (rx, ry), (fx, fy) = region.center, face.center
            distance = ((rx - fx) ** 2 + (ry - fy) ** 2) ** 0.5
            if distance <= max(region.width, region.height) + max(face.width, face.height) and \
                    (best is None or distance < best[0]):
                best = (distance, j)
        if best is not None:
            out[i] = best[1]
    return out


class _Describer:
    """Descriptors for faces from tags: loads the photo and the model only when one is needed.

    ``engine()`` gives the Engine (the scan's, or a new one): built on first use, since building
    one may import the model runtime, which an import of tags alone never needs.
    """

    def __init__(self, crop: str, engine: Callable[[], Any]) -> None:
        self.crop, self._engine = crop, engine

    @property
    def engine(self) -> Any:
        return self._engine()

    def describe(self, path: str, boxes: list[Box]) -> list[NewFace]:
        from faceapp.core.detection.quality import face_quality
        from faceapp.core.images import load_image

        image = load_image(path)
        # The user vouches for a tag: confidence 1, upright (the region is in the displayed photo).
        faces = [Face(box, 1.0, None, 0) for box in boxes]
        descriptors, _ = self.engine.model.run(self.engine.crops_of(image, faces, self.crop))
        return [NewFace(face, face_quality(image, face), descriptors[i]) for i, face in enumerate(faces)]


class _People:
    """The library's people by name, read once per import (a look-up per region would read them all each time)."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._by_name = {p.name.casefold(): p for p in library.people()}

    def get(self, name: str) -> Any:
        key = " ".join(name.split()).casefold()
        if key not in self._by_name:
            self._by_name[key] = self.library.add_person(name)
        return self._by_name[key]


def _import_photo(library: Library, path: str, describer: _Describer, space: Any, people: _People) -> PhotoImport:
    result = PhotoImport(path)
    record = library.photo_by_path(path)
    if record is None or record.status == "error" or not record.width:
        result.problems.append(f"'{os.path.basename(path)}' is not in the library (it could not be read); "
                               "its tags were not imported.")
        return result
    tags = read_photo_tags(path)
    result.source, result.problems = tags.source, list(tags.problems)
    result.regions, result.ignored = len(tags.regions), tags.skipped
    result.regions += tags.skipped
    wanted = [r for r in tags.regions if r.kind.casefold() == "face" and r.name]
    result.ignored += len(tags.regions) - len(wanted)
    if not wanted:
        return result
    width, height = record.width, record.height
    boxes = [region_to_box(to_displayed(r, tags.stored.orientation), width, height) for r in wanted]
    faces: list[FaceRecord] = library.faces_of(record.id)
    matched = match_regions(boxes, [f.face.box for f in faces])
    links = library.face_links(record.id)
    lonely = [i for i in range(len(wanted)) if i not in matched]
    if lonely:
        new_ids = library.add_tag_faces(record.id, describer.describe(path, [boxes[i] for i in lonely]), space)
        faces = library.faces_of(record.id)
        by_id = {f.id: k for k, f in enumerate(faces)}
        for i, face_id in zip(lonely, new_ids):
            matched[i] = by_id[face_id]
            result.unmatched.append({"name": wanted[i].name, "box": boxes[i].as_list(), "face_id": face_id})
    for i, region in enumerate(wanted):
        face = faces[matched[i]]
        confirmed = next((n for n, s in links.get(face.id, []) if s == "confirmed"), None)
        rejected = {n.casefold() for n, s in links.get(face.id, []) if s == "rejected"}
        entry = {"face_id": face.id, "number": face.number, "name": region.name, "from_tag": face.source == "tag"}
        if confirmed is not None and confirmed.casefold() == region.name.casefold():
            result.already += 1
        elif confirmed is not None:
            result.conflicts.append({**entry, "library": confirmed,
                                     "reason": f"the library names this face {confirmed}"})
        elif region.name.casefold() in rejected:
            result.conflicts.append({**entry, "library": None,
                                     "reason": f"you said this face is not {region.name}"})
        else:
            library.confirm(people.get(region.name), [face.id])
            links.setdefault(face.id, []).append((region.name, "confirmed"))
            result.named.append(entry)
    return result


def import_tags(library: Library, paths: Sequence[str | os.PathLike], model: str, crop: str,
                models_dir: Any = None, engine: Any = None, scan: bool = True,
                progress: Callable[[int, int, str], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> ImportSummary:
    """Import the names in the face tags of ``paths`` (photos or folders) into ``library``.

    ``scan``: scan photos that are new or changed first (needs the model only for those).
    ``progress(done, total, path)`` after each photo; ``cancel()`` stops between photos.
    """
    from faceapp.core.engine import descriptor_space

    started = time.perf_counter()
    summary = ImportSummary()
    files, summary.errors = photo_files(paths)
    if not files and summary.errors:
        raise FaceAppError(summary.errors[0][1])
    space = descriptor_space(model, crop, models_dir)
    scanner = None
    if scan and files:
        from faceapp.core.library.scan import Scanner

        scanner = Scanner(library, files, model, crop, models_dir, engine=engine)
        summary.scan = scanner.run(cancel=cancel)
        summary.cancelled = summary.scan.cancelled

    def get_engine() -> Any:
        nonlocal engine
        if scanner is not None:
            return scanner.engine  # the scan's (built by it only if it needed one)
        if engine is None:
            from faceapp.core.engine import Engine

            engine = Engine(model=model, crop=crop, models_dir=models_dir)
        return engine

    describer, people = _Describer(crop, get_engine), _People(library)
    for done, path in enumerate(files, start=1):
        if summary.cancelled or (cancel is not None and cancel()):
            summary.cancelled = True
            break
        try:
            summary.photos.append(_import_photo(library, path, describer, space, people))
        except (ModelFilesMissing, WeightsError, StorageError):
            raise  # not about this photo: every other one would fail the same way
        except FaceAppError as exc:
            summary.errors.append((path, str(exc)))
        if progress is not None:
            progress(done, len(files), path)
    summary.seconds = time.perf_counter() - started
    return summary
