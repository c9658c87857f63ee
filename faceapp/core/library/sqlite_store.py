"""The library: photos, their faces, descriptors by space, people, and what the user said about faces.

Storage only (SQLite, :mod:`.schema`); searching lives in :mod:`.search`.  Every
method is one transaction, so a process killed at any moment leaves the library
as it was before or after that method, never half-written.  Every SQLite
failure becomes a :class:`~faceapp.core.errors.StorageError` in one sentence.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np

from faceapp.core.errors import FaceAppError
from faceapp.core.library.schema import connect, storage_error
from faceapp.core.types import Box, DescriptorSpace, Face, Landmarks
from faceapp.paths import library_path

__all__ = ["Library", "PhotoRecord", "FaceRecord", "Person", "NewFace"]

T = TypeVar("T")


@dataclass(frozen=True)
class PhotoRecord:
    id: int
    path: str
    size: int
    mtime_ns: int
    hash: str | None
    width: int | None
    height: int | None
    status: str  # 'faces', 'no_face' or 'error'
    error: str | None
    pipeline: int
    missing: bool

    def same_file(self, info: os.stat_result) -> bool:
        """Whether the file is as the library last saw it (same size and modification time).

        The one test of "unchanged" every part of faceapp uses: a file that passes is not
        opened again (a scan skips it; who/find/calibrate use its stored faces).
        """
        return (self.size, self.mtime_ns) == (info.st_size, info.st_mtime_ns)


@dataclass(frozen=True)
class FaceRecord:
    """A face as stored: its photo, its number there (from 1, left to right), the detection and a quality score."""

    id: int
    photo_id: int
    number: int
    face: Face
    quality: float


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    confirmed: int  # faces confirmed as this person
    rejected: int  # faces the user said are not this person
    photos: int  # photos with a confirmed face


@dataclass(frozen=True)
class NewFace:
    """A face to store with a photo: the detection, its quality, and its descriptor in the scan's space."""

    face: Face
    quality: float
    descriptor: np.ndarray


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Turn SQLite's exceptions into one-sentence StorageErrors naming the library."""

    @functools.wraps(method)
    def wrapper(self: Library, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise storage_error(self.path, exc) from None

    return wrapper


def _face_from_row(row: sqlite3.Row) -> Face:
    marks = json.loads(row["landmarks"]) if row["landmarks"] else None
    landmarks = Landmarks(**{k: tuple(v) for k, v in marks.items()}) if marks else None
    return Face(Box(row["x"], row["y"], row["width"], row["height"]), row["confidence"], landmarks, row["rotation"])


class Library:
    """One library file.  ``Library.open(path)`` creates it when missing (``create=False`` refuses instead);
    without ``path``: ``$FACEAPP_LIBRARY``, else the user data folder (faceapp.paths.library_path)."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._db.row_factory = sqlite3.Row
        self._spaces: dict[DescriptorSpace, int] = {}

    @classmethod
    def open(cls, path: str | os.PathLike | None = None, create: bool = True) -> Library:
        resolved = library_path(path)
        return cls(resolved, connect(resolved, create=create))

    def close(self) -> None:
        self._db.close()

    @_guarded
    def version(self) -> tuple[int, int]:
        """Changes whenever the file may have changed — by this connection (its change count) or by another
        process (SQLite's ``data_version``) — so a cache built from the library knows when to rebuild.
        Cheap: no table is read."""
        return self._db.execute("PRAGMA data_version").fetchone()[0], self._db.total_changes

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- spaces ---------------------------------------------------------------
    @_guarded
    def space_id(self, space: DescriptorSpace, create: bool = True) -> int | None:
        """The id of ``space`` in this library (registered on first use when ``create``)."""
        if space in self._spaces:
            return self._spaces[space]
        key = (space.model, space.weights, space.crop, space.pipeline)
        row = self._db.execute("SELECT id, dim FROM spaces WHERE model=? AND weights=? AND crop=? AND pipeline=?",
                               key).fetchone()
        if row is None:
            if not create:
                return None
            with self._transaction() as db:
                db.execute("INSERT OR IGNORE INTO spaces (model, weights, crop, pipeline, dim) VALUES (?,?,?,?,?)",
                           (*key, space.dim))
            row = self._db.execute("SELECT id, dim FROM spaces WHERE model=? AND weights=? AND crop=? AND pipeline=?",
                                   key).fetchone()
        self._spaces[space] = int(row["id"])
        return int(row["id"])

    # -- photos ---------------------------------------------------------------
    @staticmethod
    def _photo(row: sqlite3.Row | None) -> PhotoRecord | None:
        if row is None:
            return None
        return PhotoRecord(row["id"], row["path"], row["size"], row["mtime_ns"], row["hash"], row["width"],
                           row["height"], row["status"], row["error"], row["pipeline"], bool(row["missing"]))

    @_guarded
    def photo_by_path(self, path: str) -> PhotoRecord | None:
        return self._photo(self._db.execute("SELECT * FROM photos WHERE path = ?", (path,)).fetchone())

    @_guarded
    def photo(self, photo_id: int) -> PhotoRecord | None:
        return self._photo(self._db.execute("SELECT * FROM photos WHERE id = ?", (photo_id,)).fetchone())

    @_guarded
    def photos_by_hash(self, digest: str) -> list[PhotoRecord]:
        return [self._photo(r) for r in self._db.execute("SELECT * FROM photos WHERE hash = ?", (digest,))]

    @_guarded
    def photos_under(self, folder: str) -> dict[str, PhotoRecord]:
        """Every photo whose path lies in ``folder`` (at any depth), by path."""
        prefix = folder.rstrip(os.sep) + os.sep
        rows = self._db.execute("SELECT * FROM photos WHERE substr(path, 1, ?) = ?", (len(prefix), prefix))
        return {row["path"]: self._photo(row) for row in rows}

    @_guarded
    def touch_photo(self, photo_id: int, size: int, mtime_ns: int, path: str | None = None) -> None:
        """Same content, new file details (the file was touched, or moved to ``path``)."""
        with self._transaction() as db:
            db.execute("UPDATE photos SET size=?, mtime_ns=?, path=COALESCE(?, path), missing=0 WHERE id=?",
                       (size, mtime_ns, path, photo_id))

    @_guarded
    def mark_missing(self, photo_ids: Iterable[int], missing: bool = True) -> None:
        with self._transaction() as db:
            db.executemany("UPDATE photos SET missing=? WHERE id=?", [(int(missing), i) for i in photo_ids])

    @_guarded
    def prune_missing(self) -> int:
        """Forget photos marked missing (their faces and names go with them); returns how many."""
        with self._transaction() as db:
            return db.execute("DELETE FROM photos WHERE missing = 1").rowcount

    @_guarded
    def save_photo(self, path: str, size: int, mtime_ns: int, digest: str | None, dims: tuple[int, int] | None,
                   pipeline: int, faces: Sequence[NewFace] = (), space: DescriptorSpace | None = None,
                   error: str | None = None) -> int:
        """Record a photo's analysis in one transaction: the photo, its faces and their descriptors, or its error.

        When the photo was analysed before (same path), its old faces are
        replaced; names the user gave them (confirmed, rejected, apart) move to
        the new face covering the same place (IoU ≥ 0.5), so a re-scan loses no
        naming work.
        """
        space_id = self.space_id(space) if space is not None and faces else None
        status = "error" if error else ("faces" if faces else "no_face")
        width, height = dims if dims else (None, None)
        with self._transaction() as db:
            old = db.execute("SELECT id FROM photos WHERE path = ?", (path,)).fetchone()
            if old is None:
                photo_id = db.execute(
                    "INSERT INTO photos (path, size, mtime_ns, hash, width, height, status, error, pipeline, scanned_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (path, size, mtime_ns, digest, width, height, status, error, pipeline, time.time())).lastrowid
                previous: list[tuple[int, Box]] = []
            else:
                photo_id = old["id"]
                previous = [(r["id"], Box(r["x"], r["y"], r["width"], r["height"]))
                            for r in db.execute("SELECT id, x, y, width, height FROM faces WHERE photo_id=?", (photo_id,))]
                db.execute("UPDATE photos SET size=?, mtime_ns=?, hash=?, width=?, height=?, status=?, error=?, "
                           "pipeline=?, missing=0, scanned_at=? WHERE id=?",
                           (size, mtime_ns, digest, width, height, status, error, pipeline, time.time(), photo_id))
                if error is None or not previous:
                    # Renumber out of the way first: (photo, number) is unique.
                    db.execute("UPDATE faces SET number = -number WHERE photo_id=?", (photo_id,))
            if error is not None and previous:
                return int(photo_id)  # an unreadable new version keeps the old faces and their names
            for number, item in enumerate(faces, start=1):
                face = item.face
                marks = json.dumps(face.landmarks.as_dict()) if face.landmarks else None
                face_id = db.execute(
                    "INSERT INTO faces (photo_id, number, x, y, width, height, confidence, rotation, landmarks, quality)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (photo_id, number, face.box.x, face.box.y, face.box.width, face.box.height,
                     float(face.confidence), face.rotation, marks, float(item.quality))).lastrowid
                db.execute("INSERT INTO descriptors (face_id, space_id, vector) VALUES (?,?,?)",
                           (face_id, space_id, _blob(item.descriptor)))
                match = max(previous, key=lambda p: p[1].iou(face.box), default=None)
                if match is not None and match[1].iou(face.box) >= 0.5:
                    previous.remove(match)
                    db.execute("UPDATE face_people SET face_id=? WHERE face_id=?", (face_id, match[0]))
                    db.execute("UPDATE OR IGNORE apart SET face_a=MIN(?, face_b), face_b=MAX(?, face_b) "
                               "WHERE face_a=?", (face_id, face_id, match[0]))
                    db.execute("UPDATE OR IGNORE apart SET face_b=MAX(?, face_a), face_a=MIN(?, face_a) "
                               "WHERE face_b=?", (face_id, face_id, match[0]))
            db.execute("DELETE FROM faces WHERE photo_id=? AND number < 0", (photo_id,))
        return int(photo_id)

    @_guarded
    def add_descriptors(self, space: DescriptorSpace, items: Sequence[tuple[int, np.ndarray]]) -> None:
        """Store descriptors of known faces in ``space`` (a new model or crop; detection is kept)."""
        space_id = self.space_id(space)
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO descriptors (face_id, space_id, vector) VALUES (?,?,?)",
                           [(face_id, space_id, _blob(vector)) for face_id, vector in items])

    # -- faces ----------------------------------------------------------------
    @_guarded
    def faces_of(self, photo_id: int) -> list[FaceRecord]:
        rows = self._db.execute("SELECT * FROM faces WHERE photo_id=? ORDER BY number", (photo_id,))
        return [FaceRecord(r["id"], r["photo_id"], r["number"], _face_from_row(r), r["quality"]) for r in rows]

    @_guarded
    def face(self, face_id: int) -> tuple[FaceRecord, PhotoRecord] | None:
        row = self._db.execute("SELECT * FROM faces WHERE id=?", (face_id,)).fetchone()
        if row is None:
            return None
        record = FaceRecord(row["id"], row["photo_id"], row["number"], _face_from_row(row), row["quality"])
        return record, self.photo(row["photo_id"])

    @_guarded
    def faces_without(self, space: DescriptorSpace, photo_ids: Sequence[int] | None = None) -> dict[int, list[int]]:
        """``{photo_id: [face_id, …]}`` of faces with no descriptor in ``space`` (optionally within ``photo_ids``)."""
        space_id = self.space_id(space)
        rows = self._db.execute(
            "SELECT f.photo_id, f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.missing = 0 AND "
            "NOT EXISTS (SELECT 1 FROM descriptors d WHERE d.face_id = f.id AND d.space_id = ?)", (space_id,))
        wanted = set(photo_ids) if photo_ids is not None else None
        out: dict[int, list[int]] = {}
        for photo_id, face_id in rows:
            if wanted is None or photo_id in wanted:
                out.setdefault(photo_id, []).append(face_id)
        return out

    @_guarded
    def descriptors(self, space: DescriptorSpace, face_ids: Sequence[int] | None = None,
                    where: str = "", params: Sequence[Any] = ()) -> tuple[np.ndarray, np.ndarray]:
        """(face ids, float32 matrix) of descriptors in ``space``: all of them, or ``face_ids``, or ``where``
        (an SQL condition on ``f`` = faces, ``p`` = photos).  Missing photos' faces are left out."""
        space_id = self.space_id(space, create=False)
        if space_id is None:
            return np.zeros((0,), np.int64), np.zeros((0, space.dim), np.float32)
        sql = ("SELECT d.face_id, d.vector FROM descriptors d JOIN faces f ON f.id = d.face_id "
               "JOIN photos p ON p.id = f.photo_id WHERE d.space_id = ? AND p.missing = 0")
        args: list[Any] = [space_id]
        if face_ids is not None:
            sql += " AND d.face_id IN (SELECT value FROM json_each(?))"
            args.append(json.dumps([int(i) for i in face_ids]))
        if where:
            sql += f" AND ({where})"
            args += list(params)
        # Counted first and filled row by row: a 100,000-face library is ~800 MB of vectors, and a
        # fetchall() or a join would hold it twice.
        count = self._db.execute(sql.replace("d.face_id, d.vector", "COUNT(*)", 1), args).fetchone()[0]
        ids = np.empty(count, np.int64)
        matrix = np.empty((count, space.dim), np.float32)
        filled = 0
        for filled, (face_id, vector) in enumerate(self._db.execute(sql + " ORDER BY d.face_id", args), start=1):
            ids[filled - 1] = face_id
            matrix[filled - 1] = np.frombuffer(vector, dtype="<f4")
        return ids[:filled], matrix[:filled]

    # -- people ---------------------------------------------------------------
    @_guarded
    def people(self) -> list[Person]:
        rows = self._db.execute("""
            SELECT pe.id, pe.name,
                   COUNT(CASE WHEN fp.state = 'confirmed' THEN 1 END) AS confirmed,
                   COUNT(CASE WHEN fp.state = 'rejected' THEN 1 END) AS rejected,
                   COUNT(DISTINCT CASE WHEN fp.state = 'confirmed' THEN f.photo_id END) AS photos
            FROM people pe LEFT JOIN face_people fp ON fp.person_id = pe.id LEFT JOIN faces f ON f.id = fp.face_id
            GROUP BY pe.id ORDER BY pe.name COLLATE NOCASE""")
        return [Person(r["id"], r["name"], r["confirmed"], r["rejected"], r["photos"]) for r in rows]

    @_guarded
    def person(self, name: str) -> Person | None:
        return next((p for p in self.people() if p.name.casefold() == name.strip().casefold()), None)

    def require_person(self, name: str) -> Person:
        person = self.person(name)
        if person is None:
            raise FaceAppError(f"There is no person called '{name}' in this library; see 'faceapp-cli people list'.")
        return person

    @_guarded
    def add_person(self, name: str) -> Person:
        """The person called ``name`` (created when new; names are unique regardless of case)."""
        clean = " ".join(name.split())
        if not clean:
            raise FaceAppError("A person needs a name; give one, e.g. 'Anna'.")
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO people (name, created_at) VALUES (?, ?)", (clean, time.time()))
        return self.require_person(clean)

    @_guarded
    def rename_person(self, old: str, new: str) -> Person:
        person = self.require_person(old)
        clean = " ".join(new.split())
        other = self.person(clean)
        if not clean:
            raise FaceAppError("A person needs a name; give a new name that is not empty.")
        if other is not None and other.id != person.id:
            raise FaceAppError(f"There already is a person called '{other.name}'; use 'people merge' to join them.")
        with self._transaction() as db:
            db.execute("UPDATE people SET name=? WHERE id=?", (clean, person.id))
        return self.require_person(clean)

    @_guarded
    def remove_person(self, name: str) -> Person:
        """Forget a person and what was said about their faces; the faces stay in the library."""
        person = self.require_person(name)
        with self._transaction() as db:
            db.execute("DELETE FROM people WHERE id=?", (person.id,))
        return person

    @_guarded
    def merge_people(self, source: str, target: str) -> tuple[Person, int]:
        """Move everything about ``source`` to ``target`` and forget ``source``.

        Returns the merged person and how many faces were both confirmed for one and rejected for the
        other (the confirmation wins: merging says they are one person).
        """
        moving, keeping = self.require_person(source), self.require_person(target)
        if moving.id == keeping.id:
            raise FaceAppError(f"'{source}' and '{target}' are the same person; give two different people.")
        with self._transaction() as db:
            conflicts = db.execute(
                "SELECT COUNT(*) FROM face_people a JOIN face_people b ON a.face_id = b.face_id "
                "WHERE a.person_id=? AND b.person_id=? AND a.state <> b.state", (moving.id, keeping.id)).fetchone()[0]
            db.execute("DELETE FROM face_people WHERE person_id=? AND state='rejected' AND face_id IN "
                       "(SELECT face_id FROM face_people WHERE person_id=? AND state='confirmed')", (keeping.id, moving.id))
            db.execute("DELETE FROM face_people WHERE person_id=? AND state='rejected' AND face_id IN "
                       "(SELECT face_id FROM face_people WHERE person_id=? AND state='confirmed')", (moving.id, keeping.id))
            db.execute("UPDATE OR IGNORE face_people SET person_id=? WHERE person_id=?", (keeping.id, moving.id))
            db.execute("DELETE FROM people WHERE id=?", (moving.id,))
        return self.require_person(keeping.name), int(conflicts)

    @_guarded
    def confirm(self, person: Person, face_ids: Iterable[int]) -> int:
        """Say these faces are ``person``: replaces any other person confirmed for them and any rejection."""
        ids = [int(i) for i in face_ids]
        now = time.time()
        with self._transaction() as db:
            db.executemany("DELETE FROM face_people WHERE face_id=? AND (state='confirmed' OR person_id=?)",
                           [(i, person.id) for i in ids])
            db.executemany("INSERT INTO face_people (face_id, person_id, state, created_at) VALUES (?,?,'confirmed',?)",
                           [(i, person.id, now) for i in ids])
        return len(ids)

    @_guarded
    def reject(self, person: Person, face_ids: Iterable[int]) -> int:
        """Say these faces are not ``person`` — remembered, so they are never suggested as ``person`` again."""
        ids = [int(i) for i in face_ids]
        now = time.time()
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO face_people (face_id, person_id, state, created_at) "
                           "VALUES (?,?,'rejected',?)", [(i, person.id, now) for i in ids])
        return len(ids)

    @_guarded
    def forget_links(self, face_ids: Iterable[int], person: Person | None = None) -> None:
        """Undo confirmations and rejections of these faces (for ``person`` only, when given)."""
        with self._transaction() as db:
            for face_id in face_ids:
                if person is None:
                    db.execute("DELETE FROM face_people WHERE face_id=?", (int(face_id),))
                else:
                    db.execute("DELETE FROM face_people WHERE face_id=? AND person_id=?", (int(face_id), person.id))

    @_guarded
    def links(self, state: str, person: Person | None = None) -> list[tuple[int, int]]:
        """(face id, person id) pairs in ``state`` ('confirmed' or 'rejected'), for one person or all."""
        sql, args = "SELECT face_id, person_id FROM face_people WHERE state=?", [state]
        if person is not None:
            sql, args = sql + " AND person_id=?", args + [person.id]
        return [(r[0], r[1]) for r in self._db.execute(sql + " ORDER BY face_id", args)]

    @_guarded
    def person_of(self, face_id: int) -> Person | None:
        row = self._db.execute("SELECT person_id FROM face_people WHERE face_id=? AND state='confirmed'",
                               (face_id,)).fetchone()
        return None if row is None else next((p for p in self.people() if p.id == row[0]), None)

    # -- apart ------------------------------------------------------------------
    @_guarded
    def set_apart(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Say the two faces of each pair are different people: they never end in one group.
        All pairs are recorded in one transaction."""
        pairs = list(pairs)
        if any(a == b for a, b in pairs):
            raise FaceAppError("A face cannot be apart from itself; give two different face ids.")
        with self._transaction() as db:
            db.executemany("INSERT OR IGNORE INTO apart (face_a, face_b) VALUES (?, ?)",
                           [(min(a, b), max(a, b)) for a, b in pairs])

    @_guarded
    def apart_pairs(self) -> list[tuple[int, int]]:
        return [(r[0], r[1]) for r in self._db.execute("SELECT face_a, face_b FROM apart")]

    # -- groups (storage for core.library.cluster) ------------------------------------------------
    @_guarded
    def clustering(self, space: DescriptorSpace) -> tuple[int, float, str] | None:
        """(min_faces, max_distance, apart signature) of the last clustering of ``space``, if any."""
        row = self._db.execute("SELECT min_faces, max_distance, apart_signature FROM clusterings WHERE space_id=?",
                               (self.space_id(space),)).fetchone()
        return None if row is None else (int(row[0]), float(row[1]), str(row[2]))

    @_guarded
    def group_state(self, space: DescriptorSpace) -> dict[int, tuple[int | None, int]]:
        """``{face_id: (group id or None, neighbour count)}`` from the last clustering of ``space``."""
        rows = self._db.execute("SELECT face_id, group_id, neighbours FROM face_groups WHERE space_id=?",
                                (self.space_id(space),))
        return {r[0]: (r[1], r[2]) for r in rows}

    @_guarded
    def save_groups(self, space: DescriptorSpace, min_faces: int, max_distance: float, apart_signature: str,
                    state: dict[int, tuple[int | None, int]]) -> None:
        """Store a clustering of ``space`` (replacing the previous one) in one transaction."""
        space_id = self.space_id(space)
        with self._transaction() as db:
            db.execute("DELETE FROM face_groups WHERE space_id=?", (space_id,))
            db.executemany("INSERT INTO face_groups (face_id, space_id, group_id, neighbours) VALUES (?,?,?,?)",
                           [(f, space_id, g, n) for f, (g, n) in state.items()])
            db.execute("INSERT OR REPLACE INTO clusterings (space_id, min_faces, max_distance, apart_signature, "
                       "updated_at) VALUES (?,?,?,?,?)", (space_id, min_faces, max_distance, apart_signature, time.time()))

    # -- folders ----------------------------------------------------------------
    @_guarded
    def folder_scanned(self, path: str, finished: bool) -> None:
        """Remember ``path`` as a scanned folder (``finished``: the scan went through it to the end)."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO folders (path, added_at) VALUES (?, ?)", (path, time.time()))
            if finished:
                db.execute("UPDATE folders SET scanned_at=? WHERE path=?", (time.time(), path))

    @_guarded
    def folders(self) -> list[dict[str, Any]]:
        """Every scanned folder: path, photos and faces under it, when it was last scanned to the end."""
        out = []
        for row in self._db.execute("SELECT path, scanned_at FROM folders ORDER BY path"):
            prefix = row["path"].rstrip(os.sep) + os.sep
            photos, faces = self._db.execute(
                "SELECT COUNT(DISTINCT p.id), COUNT(f.id) FROM photos p LEFT JOIN faces f ON f.photo_id = p.id "
                "WHERE substr(p.path, 1, ?) = ? AND p.missing = 0", (len(prefix), prefix)).fetchone()
            out.append({"path": row["path"], "photos": photos, "faces": faces, "scanned_at": row["scanned_at"],
                        "present": os.path.isdir(row["path"])})
        return out

    @_guarded
    def forget_folder(self, path: str) -> None:
        """Stop listing a folder (its photos stay until pruned)."""
        with self._transaction() as db:
            db.execute("DELETE FROM folders WHERE path=?", (path,))

    # -- counts ---------------------------------------------------------------
    @_guarded
    def info(self) -> dict[str, Any]:
        one = lambda sql, *a: self._db.execute(sql, a).fetchone()[0]  # noqa: E731
        spaces = [{"space": DescriptorSpace(r["model"], r["weights"], r["crop"], r["pipeline"], r["dim"]).key,
                   "descriptors": r["n"]} for r in self._db.execute(
            "SELECT s.*, COUNT(d.face_id) AS n FROM spaces s LEFT JOIN descriptors d ON d.space_id = s.id GROUP BY s.id")]
        return {
            "library": str(self.path),
            "photos": one("SELECT COUNT(*) FROM photos WHERE missing = 0"),
            "photos_with_faces": one("SELECT COUNT(*) FROM photos WHERE status='faces' AND missing = 0"),
            "no_face": one("SELECT COUNT(*) FROM photos WHERE status='no_face' AND missing = 0"),
            "errors": one("SELECT COUNT(*) FROM photos WHERE status='error' AND missing = 0"),
            "missing": one("SELECT COUNT(*) FROM photos WHERE missing = 1"),
            "faces": one("SELECT COUNT(*) FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.missing = 0"),
            "people": one("SELECT COUNT(*) FROM people"),
            "named_faces": one("SELECT COUNT(*) FROM face_people WHERE state='confirmed'"),
            "rejections": one("SELECT COUNT(*) FROM face_people WHERE state='rejected'"),
            "spaces": spaces,
        }

    @_guarded
    def errors(self) -> list[tuple[str, str]]:
        """(path, message) of every photo that could not be read."""
        return [(r[0], r[1]) for r in self._db.execute(
            "SELECT path, error FROM photos WHERE status='error' AND missing = 0 ORDER BY path")]


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()
