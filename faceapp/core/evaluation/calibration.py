"""Calibrating the threshold on the user's own photos: a labelled folder (or a pairs file) → an Evaluation.

A folder holds one sub-folder per person (the folder name is the identity).
Every photo's largest face is used; photos with several faces are used and
listed, photos with none or that cannot be read are listed and left out.
Descriptors come from the library when it has the photo unchanged in the same
descriptor space (no model time); the rest are computed.  Pairs: every genuine
pair, and every impostor pair up to a cap (a seeded sample beyond it; the
report says how many were used).  A pairs file (CSV or TSV: ``path_a, path_b,
same``) names the pairs instead.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.errors import FaceAppError
from faceapp.core.evaluation.rates import Evaluation, evaluate_distances
from faceapp.core.formats import is_photo_name, unreadable_format
from faceapp.core.wording import no_face_found, plural

__all__ = ["Photo", "Calibration", "collect_folder", "read_pairs_file", "describe", "calibrate", "MAX_IMPOSTORS"]

#: Impostor pairs used at most (a seeded sample beyond): 10⁶ pairs report FAR down to 3·10⁻⁵ by the rule of 30.
MAX_IMPOSTORS = 1_000_000


@dataclass
class Photo:
    path: str
    person: str
    descriptor: np.ndarray | None = None
    faces: int = 0
    problem: str | None = None  # why it was left out
    from_library: bool = False


@dataclass
class Calibration:
    """An evaluation and how it was made."""

    evaluation: Evaluation
    photos: list[Photo]
    people: list[str]
    genuine_pairs: int
    impostor_pairs_possible: int
    impostor_pairs_used: int
    seed: int
    source: str  # the folder or the pairs file
    space: str
    notes: list[str] = field(default_factory=list)
    genuine: np.ndarray | None = None
    impostor: np.ndarray | None = None


def collect_folder(folder: str | os.PathLike) -> list[Photo]:
    """Every photo in the sub-folders of ``folder``, labelled with its sub-folder's name."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise FaceAppError(f"The folder '{root}' does not exist; give a folder with one sub-folder per person.")
    photos = []
    for person in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for dirpath, dirs, files in os.walk(person):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            # Unreadable formats (HEIC, raw) are kept so the report lists them as left out, with the reason.
            photos += [Photo(str(Path(dirpath) / name), person.name) for name in sorted(files)
                       if is_photo_name(name) or unreadable_format(name)]
    people = {p.person for p in photos}
    if not photos:
        raise FaceAppError(f"'{root}' has no photos in sub-folders; put each person's photos in a sub-folder "
                           "named after them.")
    if len(people) < 2:
        raise FaceAppError(f"'{root}' has photos of only one person ({next(iter(people))}); add a sub-folder for "
                           "at least one other person, so that different people can be compared.")
    return photos


def read_pairs_file(path: str | os.PathLike) -> tuple[list[Photo], list[tuple[int, int, bool]]]:
    """Photos and (index, index, same person) pairs from a CSV or TSV file: ``path_a, path_b, same``.

    ``same`` is 1/0, true/false or yes/no; relative paths are relative to the file.
    """
    source = Path(path).expanduser()
    if not source.is_file():
        raise FaceAppError(f"The pairs file '{source}' does not exist; give a CSV or TSV of path_a, path_b, same.")
    text = source.read_text(encoding="utf-8", errors="replace")
    first_line = text.splitlines()[0] if text.strip() else ""
    dialect = "excel-tab" if "\t" in first_line else "excel"
    photos: list[Photo] = []
    index: dict[str, int] = {}
    pairs: list[tuple[int, int, bool]] = []
    missing: list[str] = []
    for number, row in enumerate(csv.reader(text.splitlines(), dialect=dialect), start=1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if len(cells) < 3:
            raise FaceAppError(f"Line {number} of '{source.name}' has {len(cells)} columns; each line needs "
                               "path_a, path_b, same.")
        if number == 1 and cells[2].lower() in ("same", "match", "label"):
            continue  # a header
        same = cells[2].lower()
        if same not in ("1", "0", "true", "false", "yes", "no", "same", "different"):
            raise FaceAppError(f"Line {number} of '{source.name}' says '{cells[2]}' where 1 or 0 (same person or "
                               "not) belongs.")
        ids = []
        for cell in cells[:2]:
            full = str((source.parent / cell).resolve()) if not os.path.isabs(cell) else cell
            if not os.path.isfile(full):
                missing.append(cell)
            if full not in index:
                index[full] = len(photos)
                photos.append(Photo(full, ""))
            ids.append(index[full])
        pairs.append((ids[0], ids[1], same in ("1", "true", "yes", "same")))
    if missing:
        raise FaceAppError(f"The pairs file names {plural(len(missing), 'photo')} that do not "
                           f"exist (first: '{missing[0]}'); fix the paths (relative ones are read from the file's folder).")
    if not any(s for *_, s in pairs) or all(s for *_, s in pairs):
        raise FaceAppError(f"'{source.name}' needs both same-person and different-person pairs.")
    return photos, pairs


def describe(photos: list[Photo], engine: Any, library: Any = None, progress: Callable[[int, int], None] | None = None,
             cancel: Callable[[], bool] | None = None, space: Any = None) -> None:
    """Give each photo the descriptor of its largest face (from ``library`` when it has it, else ``engine``).

    ``space``: the engine's descriptor space when known without loading the model
    (:func:`faceapp.core.engine.descriptor_space`), so that photos all in the
    library never load a model.
    """
    from faceapp.core.errors import FaceAppError as Expected
    from faceapp.core.images import load_image

    space = space or engine.space
    stored = _from_library(library, space, photos) if library is not None else {}
    for done, photo in enumerate(photos, start=1):
        if cancel is not None and cancel():
            raise FaceAppError("The calibration was cancelled; nothing was changed.")
        if photo.path in stored:
            photo.descriptor, photo.faces = stored[photo.path]
            photo.from_library = True
        else:
            try:
                result = engine.analyze(load_image(photo.path))
            except Expected as exc:
                photo.problem = str(exc)
            else:
                photo.faces = len(result.faces)
                if result.faces:
                    photo.descriptor = result.faces[result.largest_face_index()].descriptor
                else:
                    photo.problem = no_face_found(f"'{Path(photo.path).name}'")
        if progress is not None:
            progress(done, len(photos))


def _from_library(library: Any, space: Any, photos: list[Photo]) -> dict[str, tuple[np.ndarray, int]]:
    """Descriptors of the largest face of photos the library has unchanged, in ``space``."""
    out = {}
    for photo in photos:
        real = os.path.realpath(photo.path)
        record = library.photo_by_path(real)
        if record is None or record.status != "faces" or not os.path.exists(real):
            continue
        if not record.same_file(os.stat(real)):
            continue
        faces = library.faces_of(record.id)
        largest = max(faces, key=lambda f: f.face.box.area)
        ids, matrix = library.descriptors(space, [largest.id])
        if len(ids):
            out[photo.path] = (matrix[0], len(faces))
    return out


def calibrate(photos: list[Photo], pairs: list[tuple[int, int, bool]] | None, source: str, space: str,
              max_impostors: int = MAX_IMPOSTORS, seed: int = 0) -> Calibration:
    """Distances of the pairs (given, or all from the labels) and their evaluation."""
    usable = [i for i, p in enumerate(photos) if p.descriptor is not None]
    notes = []
    several = [p for p in photos if p.faces > 1]
    if several:
        notes.append(f"{plural(len(several), 'photo')} show{'' if len(several) != 1 else 's'} "
                     "several faces: the largest was used.")
    left_out = [p for p in photos if p.descriptor is None]
    if left_out:
        notes.append(f"{plural(len(left_out), 'photo')} left out (no face, or unreadable).")
    matrix = np.stack([photos[i].descriptor for i in usable]) if usable else np.zeros((0, 1), np.float32)
    row = {index: r for r, index in enumerate(usable)}
    rng = np.random.default_rng(seed)
    if pairs is not None:
        kept = [(a, b, same) for a, b, same in pairs if a in row and b in row]
        if len(kept) < len(pairs):
            notes.append(f"{len(pairs) - len(kept)} pairs left out: a photo had no usable face.")
        a = np.array([row[x] for x, _, _ in kept], np.int64)
        b = np.array([row[y] for _, y, _ in kept], np.int64)
        same = np.array([s for *_, s in kept], bool)
        distances = 1.0 - np.einsum("ij,ij->i", matrix[a], matrix[b]) if len(kept) else np.zeros(0)
        genuine, impostor = distances[same], distances[~same]
        people_g = people_i = None
        people: list[str] = []
        possible = int((~same).sum())
    else:
        names = sorted({photos[i].person for i in usable})
        people = names
        label = np.array([names.index(photos[i].person) for i in usable], np.int64)
        if len(names) < 2:
            raise FaceAppError("Faces of at least two people are needed; only one person had usable photos.")
        all_d = 1.0 - matrix @ matrix.T
        upper = np.triu_indices(len(usable), k=1)
        same = label[upper[0]] == label[upper[1]]
        genuine = all_d[upper][same]
        people_g = label[upper[0]][same]
        if not len(genuine):
            raise FaceAppError("Every person has a single usable photo; give at least one person two photos.")
        impostor_rows = np.flatnonzero(~same)
        possible = len(impostor_rows)
        if possible > max_impostors:
            impostor_rows = np.sort(rng.choice(impostor_rows, max_impostors, replace=False))
            notes.append(f"{max_impostors:,} of {possible:,} different-person pairs were used (a sample, seed {seed}).")
        impostor = all_d[upper][impostor_rows]
        people_i = np.stack([label[upper[0]][impostor_rows], label[upper[1]][impostor_rows]], axis=1)
    if not len(genuine) or not len(impostor):
        raise FaceAppError("Both same-person and different-person pairs with usable faces are needed.")
    evaluation = evaluate_distances(np.clip(genuine, 0, 2), np.clip(impostor, 0, 2), people_g, people_i, seed=seed)
    return Calibration(evaluation, photos, people, len(genuine), possible, len(impostor), seed, source, space, notes,
                       np.clip(genuine, 0, 2), np.clip(impostor, 0, 2))
