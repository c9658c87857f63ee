"""The shared SQL about people, what the user said about faces, groups, folders and counts.

A part of :class:`~.store.Library` (mixed in; one module would pass 400 lines):
the same statements run on SQLite and PostgreSQL, through the engine hooks that
:mod:`.store` describes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from faceapp.core.errors import FaceAppError
from faceapp.core.library.guard import guarded
from faceapp.core.library.pathtext import from_stored, to_stored
from faceapp.core.library.records import Person
from faceapp.core.types import DescriptorSpace

__all__ = ["PeopleQueries"]


class PeopleQueries:
    """People, confirmations and rejections, "apart" pairs, stored groupings, folders and counts."""

    # -- people ---------------------------------------------------------------------------------
    @guarded
    def people(self) -> list[Person]:
        rows = self._execute("""
            SELECT pe.id, pe.name,
                   COUNT(CASE WHEN fp.state = 'confirmed' THEN 1 END) AS confirmed,
                   COUNT(CASE WHEN fp.state = 'rejected' THEN 1 END) AS rejected,
                   COUNT(DISTINCT CASE WHEN fp.state = 'confirmed' THEN f.photo_id END) AS photos
            FROM people pe LEFT JOIN face_people fp ON fp.person_id = pe.id LEFT JOIN faces f ON f.id = fp.face_id
            GROUP BY pe.id, pe.name ORDER BY lower(pe.name), pe.id""")
        return [Person(int(r["id"]), r["name"], int(r["confirmed"]), int(r["rejected"]), int(r["photos"]))
                for r in rows]

    @guarded
    def person(self, name: str) -> Person | None:
        return next((p for p in self.people() if p.name.casefold() == name.strip().casefold()), None)

    def require_person(self, name: str) -> Person:
        person = self.person(name)
        if person is None:
            raise FaceAppError(f"There is no person called '{name}' in this library; see 'faceapp-cli people list'.")
        return person

    @guarded
    def add_person(self, name: str) -> Person:
        """The person called ``name`` (created when new; names are unique regardless of case)."""
        clean = " ".join(name.split())
        if not clean:
            raise FaceAppError("A person needs a name; give one, e.g. 'Anna'.")
        with self._transaction():
            # The unique name decides between two writers adding one name: both get the same person.
            self._execute("INSERT INTO people (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                          (clean, time.time()))
        return self.require_person(clean)

    @guarded
    def rename_person(self, old: str, new: str) -> Person:
        person = self.require_person(old)
        clean = " ".join(new.split())
        other = self.person(clean)
        if not clean:
            raise FaceAppError("A person needs a name; give a new name that is not empty.")
        if other is not None and other.id != person.id:
            raise FaceAppError(f"There already is a person called '{other.name}'; use 'people merge' to join them.")
        with self._transaction():
            self._execute("UPDATE people SET name=? WHERE id=?", (clean, person.id))
        return self.require_person(clean)

    @guarded
    def remove_person(self, name: str) -> Person:
        """Forget a person and what was said about their faces; the faces stay in the library."""
        person = self.require_person(name)
        with self._transaction():
            self._execute("DELETE FROM people WHERE id=?", (person.id,))
        return person

    @guarded
    def merge_people(self, source: str, target: str) -> tuple[Person, int]:
        """Move everything about ``source`` to ``target`` and forget ``source``.

        Returns the merged person and how many faces were both confirmed for one and rejected for the
        other (the confirmation wins: merging says they are one person).
        """
        moving, keeping = self.require_person(source), self.require_person(target)
        if moving.id == keeping.id:
            raise FaceAppError(f"'{source}' and '{target}' are the same person; give two different people.")
        with self._transaction():
            conflicts = self._one(
                "SELECT COUNT(*) FROM face_people a JOIN face_people b ON a.face_id = b.face_id "
                "WHERE a.person_id=? AND b.person_id=? AND a.state <> b.state", moving.id, keeping.id)
            for loser, winner in ((keeping.id, moving.id), (moving.id, keeping.id)):
                self._execute("DELETE FROM face_people WHERE person_id=? AND state='rejected' AND face_id IN "
                              "(SELECT face_id FROM face_people WHERE person_id=? AND state='confirmed')",
                              (loser, winner))
            # What both already say about a face stays once (the target's row).
            self._execute("DELETE FROM face_people WHERE person_id=? AND face_id IN "
                          "(SELECT face_id FROM face_people WHERE person_id=?)", (moving.id, keeping.id))
            self._execute("UPDATE face_people SET person_id=? WHERE person_id=?", (keeping.id, moving.id))
            self._execute("DELETE FROM people WHERE id=?", (moving.id,))
        return self.require_person(keeping.name), int(conflicts)

    @guarded
    def confirm(self, person: Person, face_ids: Iterable[int]) -> int:
        """Say these faces are ``person``: replaces any other person confirmed for them and any rejection."""
        ids = [int(i) for i in face_ids]
        now = time.time()
        with self._transaction():
            self._execute_many("DELETE FROM face_people WHERE face_id=? AND (state='confirmed' OR person_id=?)",
                               [(i, person.id) for i in ids])
            self._execute_many("INSERT INTO face_people (face_id, person_id, state, created_at) "
                               "VALUES (?,?,'confirmed',?)", [(i, person.id, now) for i in ids])
        return len(ids)

    @guarded
    def reject(self, person: Person, face_ids: Iterable[int]) -> int:
        """Say these faces are not ``person`` — remembered, so they are never suggested as ``person`` again."""
        ids = [int(i) for i in face_ids]
        now = time.time()
        with self._transaction():
            self._execute_many("INSERT INTO face_people (face_id, person_id, state, created_at) VALUES (?,?,'rejected',?) "
                               "ON CONFLICT (face_id, person_id) DO UPDATE SET state = excluded.state, "
                               "created_at = excluded.created_at", [(i, person.id, now) for i in ids])
        return len(ids)

    @guarded
    def forget_links(self, face_ids: Iterable[int], person: Person | None = None) -> None:
        """Undo confirmations and rejections of these faces (for ``person`` only, when given)."""
        with self._transaction():
            for face_id in face_ids:
                if person is None:
                    self._execute("DELETE FROM face_people WHERE face_id=?", (int(face_id),))
                else:
                    self._execute("DELETE FROM face_people WHERE face_id=? AND person_id=?", (int(face_id), person.id))

    @guarded
    def links(self, state: str, person: Person | None = None) -> list[tuple[int, int]]:
        """(face id, person id) pairs in ``state`` ('confirmed' or 'rejected'), for one person or all."""
        sql, args = "SELECT face_id, person_id FROM face_people WHERE state=?", [state]
        if person is not None:
            sql, args = sql + " AND person_id=?", args + [person.id]
        return [(int(r[0]), int(r[1])) for r in self._execute(sql + " ORDER BY face_id, person_id", args)]

    @guarded
    def person_of(self, face_id: int) -> Person | None:
        row = self._execute("SELECT person_id FROM face_people WHERE face_id=? AND state='confirmed'",
                            (face_id,)).fetchone()
        return None if row is None else next((p for p in self.people() if p.id == row[0]), None)

    # -- apart ----------------------------------------------------------------------------------
    @guarded
    def set_apart(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Say the two faces of each pair are different people: they never end in one group.
        All pairs are recorded in one transaction."""
        pairs = list(pairs)
        if any(a == b for a, b in pairs):
            raise FaceAppError("A face cannot be apart from itself; give two different face ids.")
        with self._transaction():
            self._execute_many("INSERT INTO apart (face_a, face_b) VALUES (?, ?) ON CONFLICT DO NOTHING",
                               [(min(a, b), max(a, b)) for a, b in pairs])

    @guarded
    def apart_pairs(self) -> list[tuple[int, int]]:
        return [(int(r[0]), int(r[1])) for r in self._execute("SELECT face_a, face_b FROM apart ORDER BY face_a, face_b")]

    # -- groups (storage for core.library.cluster) ----------------------------------------------
    @guarded
    def clustering(self, space: DescriptorSpace) -> tuple[int, float, str] | None:
        """(min_faces, max_distance, apart signature) of the last clustering of ``space``, if any."""
        row = self._execute("SELECT min_faces, max_distance, apart_signature FROM clusterings WHERE space_id=?",
                            (self.space_id(space),)).fetchone()
        return None if row is None else (int(row[0]), float(row[1]), str(row[2]))

    @guarded
    def group_state(self, space: DescriptorSpace) -> dict[int, tuple[int | None, int]]:
        """``{face_id: (group id or None, neighbour count)}`` from the last clustering of ``space``."""
        rows = self._execute("SELECT face_id, group_id, neighbours FROM face_groups WHERE space_id=? ORDER BY face_id",
                             (self.space_id(space),))
        return {int(r[0]): (None if r[1] is None else int(r[1]), int(r[2])) for r in rows}

    @guarded
    def save_groups(self, space: DescriptorSpace, min_faces: int, max_distance: float, apart_signature: str,
                    state: dict[int, tuple[int | None, int]]) -> None:
        """Store a clustering of ``space`` (replacing the previous one) in one transaction."""
        space_id = self.space_id(space)
        with self._transaction():
            self._execute("DELETE FROM face_groups WHERE space_id=?", (space_id,))
            self._execute_many("INSERT INTO face_groups (face_id, space_id, group_id, neighbours) VALUES (?,?,?,?)",
                               [(int(f), space_id, None if g is None else int(g), int(n)) for f, (g, n) in state.items()])
            self._execute("INSERT INTO clusterings (space_id, min_faces, max_distance, apart_signature, updated_at) "
                          "VALUES (?,?,?,?,?) ON CONFLICT (space_id) DO UPDATE SET min_faces = excluded.min_faces, "
                          "max_distance = excluded.max_distance, apart_signature = excluded.apart_signature, "
                          "updated_at = excluded.updated_at",
                          (space_id, int(min_faces), float(max_distance), apart_signature, time.time()))

    # -- folders --------------------------------------------------------------------------------
    @guarded
    def folder_scanned(self, path: str, finished: bool) -> None:
        """Remember ``path`` as a scanned folder (``finished``: the scan went through it to the end)."""
        with self._transaction():
            self._execute("INSERT INTO folders (path, added_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                          (to_stored(path), time.time()))
            if finished:
                self._execute("UPDATE folders SET scanned_at=? WHERE path=?", (time.time(), to_stored(path)))

    @guarded
    def folders(self) -> list[dict[str, Any]]:
        """Every scanned folder: path, photos and faces under it, when it was last scanned to the end."""
        out = []
        for row in self._execute("SELECT path, scanned_at FROM folders ORDER BY path").fetchall():
            prefix = row["path"].rstrip(os.sep) + os.sep
            photos, faces = self._execute(
                "SELECT COUNT(DISTINCT p.id), COUNT(f.id) FROM photos p LEFT JOIN faces f ON f.photo_id = p.id "
                "WHERE substr(p.path, 1, length(CAST(? AS TEXT))) = ? AND p.missing = 0", (prefix, prefix)).fetchone()
            path = from_stored(row["path"])
            out.append({"path": path, "photos": int(photos), "faces": int(faces),
                        "scanned_at": row["scanned_at"], "present": os.path.isdir(path)})
        return out

    @guarded
    def forget_folder(self, path: str) -> None:
        """Stop listing a folder (its photos stay until pruned)."""
        with self._transaction():
            self._execute("DELETE FROM folders WHERE path=?", (to_stored(path),))

    # -- counts ---------------------------------------------------------------------------------
    @guarded
    def info(self) -> dict[str, Any]:
        one = lambda sql: int(self._one(sql))  # noqa: E731
        spaces = [{"space": DescriptorSpace(r["model"], r["weights"], r["crop"], r["pipeline"], r["dim"]).key,
                   "descriptors": int(r["n"])} for r in self._execute(
            "SELECT s.model, s.weights, s.crop, s.pipeline, s.dim, COUNT(d.face_id) AS n FROM spaces s "
            "LEFT JOIN descriptors d ON d.space_id = s.id "
            "GROUP BY s.id, s.model, s.weights, s.crop, s.pipeline, s.dim ORDER BY s.id")]
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

    @guarded
    def errors(self) -> list[tuple[str, str]]:
        """(path, message) of every photo that could not be read."""
        return [(from_stored(r[0]), r[1]) for r in self._execute(
            "SELECT path, error FROM photos WHERE status='error' AND missing = 0 ORDER BY path")]
