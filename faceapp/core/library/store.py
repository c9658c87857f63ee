"""The library's storage interface, and the SQL that SQLite and PostgreSQL share.

:class:`Library` holds every query both engines run; an engine subclass
(:mod:`.sqlite_store`, :mod:`.postgres_store`) supplies the connection and the
few things that differ — listed under "engine hooks" below: running a statement
(SQL is written once, with ``?`` placeholders), a write transaction, how a
vector is stored, "id in this list", row locks, nearest-neighbour search, and
which exceptions mean what.  The shared SQL keeps to what both engines speak:
``INSERT … ON CONFLICT … DO NOTHING / DO UPDATE`` instead of ``INSERT OR …``,
``RETURNING id`` instead of ``lastrowid``, ``CAST(? AS TEXT)``, ``lower(name)``.

Every public method is one transaction, so a process killed at any moment leaves
the library as it was before or after that method; every engine failure becomes a
:class:`~faceapp.core.errors.StorageError` in one sentence, and an engine that can
lose a race between writers (PostgreSQL) retries the whole method.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from faceapp.core.errors import StorageError
from faceapp.core.library.guard import guarded as _guarded
from faceapp.core.library.pathtext import shown, to_stored
from faceapp.core.library.people_queries import PeopleQueries
from faceapp.core.library.records import (
    FaceRecord,
    NewFace,
    Person,
    PhotoRecord,
    face_from_row,
    photo_from_row,
)
from faceapp.core.library.search import ExactIndex, PeopleIndex
from faceapp.core.types import Box, DescriptorSpace
from faceapp.paths import is_server_location

__all__ = ["Library", "PhotoRecord", "FaceRecord", "Person", "NewFace", "is_server_location"]

class Library(PeopleQueries):
    """A library: ``Library.open(location)`` opens (creating when missing; ``create=False`` refuses instead)
    the SQLite file or the PostgreSQL database ``location`` names; without it, ``$FACEAPP_LIBRARY``, else
    the user data folder's ``library.sqlite``.  ``path``: the file, or the URL without its password."""

    path: Any
    _retryable: tuple[type[BaseException], ...] = ()
    _errors: tuple[type[BaseException], ...] = ()
    _for_update = ""  # row lock of "read, then change" (SQLite's write transaction locks everything anyway)

    def __init__(self) -> None:
        self._spaces: dict[DescriptorSpace, int] = {}
        self._in_transaction = False

    @classmethod
    def open(cls, location: str | os.PathLike | None = None, create: bool = True) -> Library:
        """The library at ``location`` (see the class docstring), migrated to this faceapp's schema."""
        from faceapp.paths import LIBRARY_ENV

        chosen = location if location is not None else os.environ.get(LIBRARY_ENV) or None
        if is_server_location(chosen):
            try:
                from faceapp.core.library.postgres_store import PostgresLibrary
            except ImportError:
                from faceapp.core.library.postgres_schema import SERVER_EXTRA

                raise StorageError(SERVER_EXTRA) from None
            return PostgresLibrary.connect(str(chosen).strip(), create=create)
        from faceapp.core.library.sqlite_store import SqliteLibrary

        return SqliteLibrary.connect(location, create=create)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- engine hooks ---------------------------------------------------------------------------
    def close(self) -> None:
        raise NotImplementedError

    def version(self) -> Any:
        """Changes whenever the library may have changed (by anyone); cheap, reads no table."""
        raise NotImplementedError

    def names_version(self) -> Any:
        """Changes whenever what "who" reads may have changed (names, rejections, named faces' descriptors), by
        anyone; cheap.  Here: :meth:`version` (any change); a server library counts only those changes."""
        return self.version()

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """Run one statement (``?`` placeholders); rows answer both ``row[0]`` and ``row["name"]``."""
        raise NotImplementedError

    def _execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    @contextmanager
    def _begin(self) -> Iterator[None]:
        raise NotImplementedError
        yield

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the library (PostgreSQL: each statement already does; no-op)."""
        yield

    def compact(self) -> bool:
        """Leave nothing of deleted rows on disk; False when another reader kept some (try again later)."""
        raise NotImplementedError

    def _storage_error(self, exc: BaseException) -> StorageError:
        raise NotImplementedError

    def _encode(self, vector: np.ndarray) -> Any:
        """A descriptor as the engine stores it."""
        raise NotImplementedError

    def _decode(self, value: Any) -> np.ndarray:
        raise NotImplementedError

    def _ids_condition(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """SQL saying ``column`` is one of ``ids``, and its arguments."""
        raise NotImplementedError

    def _space_registered(self, space_id: int, space: DescriptorSpace) -> None:
        """Called once a space exists (PostgreSQL builds its search index there)."""

    @contextmanager
    def exclusive(self, task: str) -> Iterator[None]:
        """Only one run of ``task`` at a time over this library (``cluster``); SQLite: one desktop, no lock."""
        yield

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[Library]:
        with self._begin():
            self._in_transaction = True
            try:
                yield self
            finally:
                self._in_transaction = False

    def _one(self, sql: str, *args: Any) -> Any:
        return self._execute(sql, args).fetchone()[0]

    # -- spaces ---------------------------------------------------------------------------------
    @_guarded
    def space_id(self, space: DescriptorSpace, create: bool = True) -> int | None:
        """The id of ``space`` in this library (registered on first use when ``create``)."""
        if space in self._spaces:
            return self._spaces[space]
        key = (space.model, space.weights, space.crop, space.pipeline)
        find = "SELECT id FROM spaces WHERE model=? AND weights=? AND crop=? AND pipeline=?"
        row = self._execute(find, key).fetchone()
        if row is None:
            if not create:
                return None
            with self._transaction():
                self._execute("INSERT INTO spaces (model, weights, crop, pipeline, dim) VALUES (?,?,?,?,?) "
                              "ON CONFLICT DO NOTHING", (*key, space.dim))
            row = self._execute(find, key).fetchone()
            self._space_registered(int(row[0]), space)
        self._spaces[space] = int(row[0])
        return int(row[0])

    # -- photos ---------------------------------------------------------------------------------
    @_guarded
    def photo_by_path(self, path: str) -> PhotoRecord | None:
        return photo_from_row(self._execute("SELECT * FROM photos WHERE path = ?", (to_stored(path),)).fetchone())

    @_guarded
    def photo(self, photo_id: int) -> PhotoRecord | None:
        return photo_from_row(self._execute("SELECT * FROM photos WHERE id = ?", (photo_id,)).fetchone())

    @_guarded
    def photos_by_hash(self, digest: str) -> list[PhotoRecord]:
        return [photo_from_row(r) for r in self._execute("SELECT * FROM photos WHERE hash = ?", (digest,))]

    @_guarded
    def photos_under(self, folder: str) -> dict[str, PhotoRecord]:
        """Every photo whose path lies in ``folder`` (at any depth), by path."""
        prefix = to_stored(folder.rstrip(os.sep) + os.sep)
        rows = self._execute("SELECT * FROM photos WHERE substr(path, 1, length(CAST(? AS TEXT))) = ?",
                             (prefix, prefix))
        return {record.path: record for record in map(photo_from_row, rows)}

    @_guarded
    def touch_photo(self, photo_id: int, size: int, mtime_ns: int, path: str | None = None) -> None:
        """Same content, new file details (the file was touched, or moved to ``path``)."""
        with self._transaction():
            self._execute("UPDATE photos SET size=?, mtime_ns=?, path=COALESCE(CAST(? AS TEXT), path), missing=0 "
                          "WHERE id=?", (size, mtime_ns, None if path is None else to_stored(path), photo_id))

    @_guarded
    def mark_missing(self, photo_ids: Iterable[int], missing: bool = True) -> None:
        with self._transaction():
            self._execute_many("UPDATE photos SET missing=? WHERE id=?", [(int(missing), int(i)) for i in photo_ids])

    @_guarded
    def prune_missing(self) -> int:
        """Forget every photo marked missing, named faces included (their faces and names go with them); returns
        how many.  The CLI and the window use :func:`faceapp.core.library.housekeeping.prune_plan` instead."""
        with self._transaction():
            return self._execute("DELETE FROM photos WHERE missing = 1").rowcount

    @_guarded
    def missing_photos(self) -> list[tuple[PhotoRecord, int]]:
        """Every photo marked missing, by path, with how many of its faces are confirmed as someone."""
        rows = self._execute(
            "SELECT p.*, (SELECT COUNT(*) FROM faces f JOIN face_people fp ON fp.face_id = f.id "
            "WHERE f.photo_id = p.id AND fp.state = 'confirmed') AS named FROM photos p WHERE p.missing = 1 "
            "ORDER BY p.path").fetchall()
        return [(photo_from_row(row), int(row["named"])) for row in rows]

    @_guarded
    def forget_photos(self, photo_ids: Iterable[int]) -> int:
        """Forget these photos if they are still marked missing (their faces and names go with them), in one
        transaction; returns how many were forgotten."""
        with self._transaction():
            return sum(self._execute("DELETE FROM photos WHERE id=? AND missing=1", (int(i),)).rowcount
                       for i in photo_ids)

    @_guarded
    def erase(self, person: Person, face_ids: Iterable[int], photo_ids: Iterable[int]) -> None:
        """Delete ``person``, the faces ``face_ids`` (descriptors, names, groups go with them) and the photos
        ``photo_ids``, in one transaction.  What to delete is decided by :mod:`.housekeeping`."""
        with self._transaction():
            self._execute_many("DELETE FROM faces WHERE id=?", [(int(i),) for i in face_ids])
            self._execute_many("DELETE FROM photos WHERE id=?", [(int(i),) for i in photo_ids])
            self._execute("DELETE FROM people WHERE id=?", (person.id,))

    @_guarded
    def save_photo(self, path: str, size: int, mtime_ns: int, digest: str | None, dims: tuple[int, int] | None,
                   pipeline: int, faces: Sequence[NewFace] = (), space: DescriptorSpace | None = None,
                   error: str | None = None, carry: Mapping[int, int] | None = None,
                   tags: Mapping[int, Box] | None = None) -> int:
        """Record a photo's analysis in one transaction: the photo, its faces and their descriptors, or its error.

        When the photo was analysed before (same path), its old faces are replaced.
        ``carry`` (``{index in faces: old face id}``) says which new face takes over
        what the user said about an old one (confirmed, rejected, apart); the rule
        that decides it is :func:`faceapp.core.library.carry.carry_over` — this
        method only executes it.  ``tags`` (``{old face id: box}``): faces from tags
        kept in the new version, after the detected ones, with their box there and what
        the user said about them; they have no descriptor until described again (a
        scan does it next; until then :meth:`faces_without` lists them).  Old faces not
        carried or kept go, with their names.
        An unreadable new version (``error``) keeps the old faces and their names.
        Two writers saving one path: the unique path decides, the second waits for
        the first and then replaces its faces (no duplicate photo).
        """
        space_id = self.space_id(space) if space is not None and faces else None
        status = "error" if error else ("faces" if faces else "no_face")
        width, height = dims if dims else (None, None)
        path, error = to_stored(path), None if error is None else shown(error)
        carry = dict(carry or {})
        now = time.time()
        with self._transaction():
            inserted = self._execute(
                "INSERT INTO photos (path, size, mtime_ns, hash, width, height, status, error, pipeline, scanned_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (path) DO NOTHING RETURNING id",
                (path, size, mtime_ns, digest, width, height, status, error, pipeline, now)).fetchone()
            previous: set[int] = set()
            if inserted is not None:
                photo_id = int(inserted[0])
            else:
                photo_id = int(self._one("SELECT id FROM photos WHERE path = ?" + self._for_update, path))
                previous = {int(r[0]) for r in self._execute("SELECT id FROM faces WHERE photo_id=?", (photo_id,))}
                self._execute("UPDATE photos SET size=?, mtime_ns=?, hash=?, width=?, height=?, status=?, error=?, "
                              "pipeline=?, missing=0, scanned_at=? WHERE id=?",
                              (size, mtime_ns, digest, width, height, status, error, pipeline, now, photo_id))
                if error is None or not previous:
                    # Renumber out of the way first: (photo, number) is unique.
                    self._execute("UPDATE faces SET number = -number WHERE photo_id=?", (photo_id,))
            if error is not None and previous:
                return photo_id  # an unreadable new version keeps the old faces and their names
            for index, item in enumerate(faces):
                face_id = self._save_face(photo_id, index + 1, item, space_id)
                old_id = carry.get(index)
                if old_id is not None and old_id in previous:
                    previous.discard(old_id)  # one old face moves to one new face at most
                    self._move_names(old_id, face_id)
            number = len(faces)
            for old_id, box in (tags or {}).items():
                if old_id not in previous:
                    continue
                previous.discard(old_id)
                number += 1
                face_id = int(self._one(
                    "INSERT INTO faces (photo_id, number, x, y, width, height, confidence, rotation, landmarks, "
                    "quality, source) SELECT photo_id, ?, ?, ?, ?, ?, confidence, rotation, NULL, quality, 'tag' "
                    "FROM faces WHERE id=? RETURNING id", number, box.x, box.y, box.width, box.height, old_id))
                self._move_names(old_id, face_id)
            self._execute("DELETE FROM faces WHERE photo_id=? AND number < 0", (photo_id,))
        return photo_id

    def _save_face(self, photo_id: int, number: int, item: NewFace, space_id: int | None) -> int:
        face = item.face
        marks = json.dumps(face.landmarks.as_dict()) if face.landmarks else None
        face_id = int(self._one(
            "INSERT INTO faces (photo_id, number, x, y, width, height, confidence, rotation, landmarks, quality)"
            " VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
            photo_id, number, face.box.x, face.box.y, face.box.width, face.box.height,
            float(face.confidence), face.rotation, marks, float(item.quality)))
        self._execute("INSERT INTO descriptors (face_id, space_id, vector) VALUES (?,?,?)",
                      (face_id, space_id, self._encode(item.descriptor)))
        return face_id

    def _move_names(self, old: int, new: int) -> None:
        """What the user said about face ``old`` now holds for ``new`` (the old face is deleted next)."""
        self._execute("UPDATE face_people SET face_id=? WHERE face_id=?", (new, old))
        others = [r[0] if r[1] == old else r[1] for r in
                  self._execute("SELECT face_a, face_b FROM apart WHERE face_a=? OR face_b=?", (old, old))]
        self._execute_many("INSERT INTO apart (face_a, face_b) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           [(min(new, o), max(new, o)) for o in others if o != new])

    @_guarded
    def add_descriptors(self, space: DescriptorSpace, items: Sequence[tuple[int, np.ndarray]]) -> None:
        """Store descriptors of known faces in ``space`` (a new model or crop; detection is kept)."""
        space_id = self.space_id(space)
        with self._transaction():
            self._execute_many("INSERT INTO descriptors (face_id, space_id, vector) VALUES (?,?,?) "
                               "ON CONFLICT (face_id, space_id) DO UPDATE SET vector = excluded.vector",
                               [(int(face_id), space_id, self._encode(vector)) for face_id, vector in items])

    # -- faces ----------------------------------------------------------------------------------
    @_guarded
    def faces_of(self, photo_id: int) -> list[FaceRecord]:
        return [face_from_row(r) for r in self._execute("SELECT * FROM faces WHERE photo_id=? ORDER BY number",
                                                         (photo_id,))]

    @_guarded
    def add_tag_faces(self, photo_id: int, faces: Sequence[NewFace], space: DescriptorSpace) -> list[int]:
        """Store faces read from the photo's tags (source 'tag'), numbered after its other faces; their ids."""
        space_id = self.space_id(space)
        ids: list[int] = []
        with self._transaction():
            # Two writers numbering one photo's faces: UNIQUE (photo_id, number) makes the later one retry.
            number = int(self._one("SELECT COALESCE(MAX(number), 0) FROM faces WHERE photo_id=?", photo_id))
            for item in faces:
                number += 1
                box = item.face.box
                face_id = int(self._one(
                    "INSERT INTO faces (photo_id, number, x, y, width, height, confidence, rotation, landmarks, quality,"
                    " source) VALUES (?,?,?,?,?,?,?,?,NULL,?,'tag') RETURNING id",
                    photo_id, number, box.x, box.y, box.width, box.height, float(item.face.confidence),
                    item.face.rotation, float(item.quality)))
                self._execute("INSERT INTO descriptors (face_id, space_id, vector) VALUES (?,?,?)",
                              (face_id, space_id, self._encode(item.descriptor)))
                ids.append(face_id)
        return ids

    @_guarded
    def face_links(self, photo_id: int) -> dict[int, list[tuple[str, str]]]:
        """``{face_id: [(person name, 'confirmed' or 'rejected'), …]}`` for the faces of one photo."""
        out: dict[int, list[tuple[str, str]]] = {}
        for row in self._execute("SELECT fp.face_id, pe.name, fp.state FROM face_people fp JOIN faces f ON "
                                 "f.id = fp.face_id JOIN people pe ON pe.id = fp.person_id WHERE f.photo_id=?",
                                 (photo_id,)):
            out.setdefault(int(row[0]), []).append((row[1], row[2]))
        return out

    @_guarded
    def named_faces(self) -> dict[int, list[tuple[FaceRecord, str]]]:
        """``{photo_id: [(face, confirmed name), …]}`` of every present photo with a named face."""
        out: dict[int, list[tuple[FaceRecord, str]]] = {}
        for row in self._execute(
                "SELECT f.*, pe.name AS person FROM faces f JOIN face_people fp ON fp.face_id = f.id AND "
                "fp.state = 'confirmed' JOIN people pe ON pe.id = fp.person_id JOIN photos p ON p.id = f.photo_id "
                "WHERE p.missing = 0 ORDER BY f.photo_id, f.number"):
            out.setdefault(int(row["photo_id"]), []).append((face_from_row(row), row["person"]))
        return out

    @_guarded
    def face(self, face_id: int) -> tuple[FaceRecord, PhotoRecord] | None:
        row = self._execute("SELECT * FROM faces WHERE id=?", (face_id,)).fetchone()
        if row is None:
            return None
        record = face_from_row(row)
        return record, self.photo(record.photo_id)

    @_guarded
    def faces_without(self, space: DescriptorSpace, photo_ids: Sequence[int] | None = None) -> dict[int, list[int]]:
        """``{photo_id: [face_id, …]}`` of faces with no descriptor in ``space`` (optionally within ``photo_ids``)."""
        space_id = self.space_id(space)
        rows = self._execute(
            "SELECT f.photo_id, f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.missing = 0 AND "
            "NOT EXISTS (SELECT 1 FROM descriptors d WHERE d.face_id = f.id AND d.space_id = ?) ORDER BY f.id",
            (space_id,))
        wanted = set(photo_ids) if photo_ids is not None else None
        out: dict[int, list[int]] = {}
        for photo_id, face_id in rows:
            if wanted is None or photo_id in wanted:
                out.setdefault(photo_id, []).append(face_id)
        return out

    # -- descriptors and search -----------------------------------------------------------------
    @_guarded
    def descriptors(self, space: DescriptorSpace, face_ids: Sequence[int] | None = None,
                    where: str = "", params: Sequence[Any] = (), include_missing: bool = False
                    ) -> tuple[np.ndarray, np.ndarray]:
        """(face ids, float32 matrix) of descriptors in ``space``: all of them, or ``face_ids``, or ``where``
        (an SQL condition on ``f`` = faces, ``p`` = photos).  Missing photos' faces are left out unless
        ``include_missing``."""
        space_id = self.space_id(space, create=False)
        if space_id is None:
            return np.zeros((0,), np.int64), np.zeros((0, space.dim), np.float32)
        sql = ("SELECT d.face_id, d.vector FROM descriptors d JOIN faces f ON f.id = d.face_id "
               "JOIN photos p ON p.id = f.photo_id WHERE d.space_id = ?" + ("" if include_missing else " AND p.missing = 0"))
        args: list[Any] = [space_id]
        if face_ids is not None:
            condition, extra = self._ids_condition("d.face_id", [int(i) for i in face_ids])
            sql += f" AND {condition}"
            args += extra
        if where:
            sql += f" AND ({where})"
            args += list(params)
        # Counted first and filled row by row: a 100,000-face library is ~800 MB of vectors, and a
        # fetchall() or a join would hold it twice.  Both statements read one snapshot where the engine
        # allows; where not, faces another writer adds in between wait for the next call.
        with self._snapshot():
            count = int(self._one(sql.replace("d.face_id, d.vector", "COUNT(*)", 1), *args))
            ids = np.empty(count, np.int64)
            matrix = np.empty((count, space.dim), np.float32)
            filled = 0
            for filled, (face_id, vector) in enumerate(self._execute(sql + " ORDER BY d.face_id", args), start=1):
                if filled > count:
                    break
                ids[filled - 1] = face_id
                matrix[filled - 1] = self._decode(vector)
        filled = min(filled, count)
        return ids[:filled], matrix[:filled]

    def nearest(self, space: DescriptorSpace, queries: np.ndarray, k: int, named_only: bool = False
                ) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each query: (face ids, cosine distances) of its ``k`` nearest faces in ``space``, nearest first
        (``named_only``: among faces confirmed or rejected for someone).

        Here exact, in NumPy; PostgreSQL answers from its index (and re-ranks exactly)."""
        ids, matrix = self.descriptors(space, where=_NAMED if named_only else "")
        out = []
        for row in np.atleast_2d(ExactIndex(ids, matrix).distances(queries)):
            order = np.argsort(row, kind="stable")[:k]
            out.append((ids[order], row[order]))
        return out

    def within(self, space: DescriptorSpace, query: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """(face ids, distances) of every face in ``space`` at most ``radius`` from ``query``, nearest first
        (exact on both engines: "find" must miss nothing)."""
        ids, matrix = self.descriptors(space)
        return ExactIndex(ids, matrix).within(query, radius)

    def people_index(self, space: DescriptorSpace) -> Any:
        """What answers "who is this?" in ``space`` (:class:`~.search.PeopleIndex`, or PostgreSQL's indexed one)."""
        confirmed, rejected = self.links("confirmed"), self.links("rejected")
        wanted = sorted({f for f, _ in confirmed} | {f for f, _ in rejected})
        ids, matrix = self.descriptors(space, wanted)
        return PeopleIndex(ExactIndex(ids, matrix), confirmed, rejected)


#: SQL condition (on faces ``f``) for faces someone was confirmed or rejected for.
_NAMED = "EXISTS (SELECT 1 FROM face_people fp WHERE fp.face_id = f.id)"
