"""The library in a PostgreSQL + pgvector database: the engine hooks of :class:`~.store.Library`.

Shared by several people and machines, so:

* Every method is one transaction; conflicts are settled by unique constraints
  (``ON CONFLICT``, in the shared SQL), never by check-then-insert; a method that
  loses a race (serialization failure, deadlock, a unique clash) runs again
  (:func:`~.guard.guarded`); a server that stops answering ends the command in
  one sentence, and what was committed stays.
* ``cluster`` holds a session advisory lock, so two runs cannot interleave.
* Search happens in the database.  Descriptors are stored exactly (float32
  ``vector``); each space ≤ 4,000 dimensions gets a partial HNSW index on
  ``vector::halfvec(dim)`` with cosine distance (``vector`` indexes at most 2,000
  dimensions, ``halfvec`` 4,000).  :meth:`nearest` takes candidates from that
  index and re-ranks them with exact float32 distances; VGG16's 4,096-d space
  has no index and is searched exactly (a sequential scan).  "who" is exact in
  NumPy up to :data:`EXACT_PEOPLE` named faces (the same answers as SQLite,
  bit for bit), indexed above (see :class:`~.search.IndexedPeople`).

psycopg is imported here only, and this module only when a ``postgresql://``
library is opened: the desktop install and the bundle never load it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from psycopg import errors as pg_errors

from faceapp.core.errors import StorageError
from faceapp.core.library.guard import guarded
from faceapp.core.library.postgres_schema import connect, display_url, server_error
from faceapp.core.library.search import IndexedPeople
from faceapp.core.library.store import Library
from faceapp.core.types import DescriptorSpace

__all__ = ["PostgresLibrary", "EXACT_PEOPLE", "HNSW_MAX_DIM", "CANDIDATES", "NEAREST_MEANS"]

#: Named faces up to which "who" loads them and answers exactly, in NumPy (like SQLite).
EXACT_PEOPLE = 50_000
#: pgvector indexes ``halfvec`` up to this many dimensions.
HNSW_MAX_DIM = 4000
#: Candidates the index hands to the exact re-ranking per query (also hnsw.ef_search's floor).
CANDIDATES = 100
#: People whose mean face is nearest a query, measured face by face beside the index's candidates: the index
#: alone missed 16 of 200 known faces at 1,000,000 faces (BENCHMARKS.md, "The library on PostgreSQL").
NEAREST_MEANS = 3
_CLUSTER_LOCK = 0x66616366  # pg_advisory_lock key of "cluster"


class _Row(tuple):
    """A result row answering both ``row[0]`` and ``row["name"]`` (like sqlite3.Row)."""

    _names: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:
        return tuple.__getitem__(self, self._names[key] if isinstance(key, str) else key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = {column.name: i for i, column in enumerate(cursor.description or ())}
    row_type = type("Row", (_Row,), {"_names": names, "__slots__": ()})
    return lambda values: row_type(values)


class PostgresLibrary(Library):
    """A library in a PostgreSQL database; ``path`` is its URL without the password."""

    _errors = (psycopg.Error,)
    _retryable = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected, pg_errors.UniqueViolation,
                  pg_errors.LockNotAvailable)
    _for_update = " FOR UPDATE"

    def __init__(self, url: str, connection: Any) -> None:
        super().__init__()
        self.path = display_url(url)
        self._db = connection
        self._db.row_factory = _row_factory

    @classmethod
    def connect(cls, url: str, create: bool = True) -> PostgresLibrary:
        """The library in the database ``url`` names (its tables created when missing and ``create``)."""
        return cls(url, connect(url, create=create))

    def close(self) -> None:
        self._db.close()

    @guarded
    def version(self) -> str:
        """The server's write-ahead-log position: it moves whenever anyone writes (a cache rebuilds then)."""
        return str(self._db.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0])

    @guarded
    def names_version(self) -> str:
        """The count of changes to names, rejections and named faces' descriptors (schema 4's triggers): it moves
        when such a change commits, and not when anyone scans new photos."""
        return str(self._db.execute("SELECT value FROM meta WHERE key = 'names_changes'").fetchone()[0])

    @guarded
    def compact(self) -> bool:
        """Reclaim the space of deleted rows (``VACUUM``) so an erased person's data leaves the tables' pages.

        The server's write-ahead log and its backups are the administrator's: they keep old pages until
        their own retention ends (README, "Your data")."""
        for table in ("descriptors", "face_people", "person_sums", "faces", "photos", "people", "apart",
                      "face_groups"):
            self._db.execute(f"VACUUM {table}")
        return True

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        # Shared SQL uses "?"; psycopg wants "%s" (and a literal "%" doubled).  Binary results: a
        # descriptor parsed from text costs ~100x more than its 8 KB copied.
        return self._db.execute(sql.replace("%", "%%").replace("?", "%s"), tuple(args), binary=True)

    def _execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            with self._db.cursor() as cursor:
                cursor.executemany(sql.replace("%", "%%").replace("?", "%s"), rows)

    @contextmanager
    def _begin(self) -> Iterator[None]:
        with self._db.transaction():
            yield

    def _storage_error(self, exc: BaseException) -> StorageError:
        return server_error(self.path, exc)

    def _encode(self, vector: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(vector, dtype=np.float32)

    def _decode(self, value: Any) -> np.ndarray:
        return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=np.float32)

    def _ids_condition(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(?)", [list(ids)]

    def _space_registered(self, space_id: int, space: DescriptorSpace) -> None:
        if space.dim > HNSW_MAX_DIM:
            return  # no index type holds it: exact search (a sequential scan of this space)
        with self._transaction():
            # One machine builds it; the others find it there (IF NOT EXISTS alone races).
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_CLUSTER_LOCK + 1,))
            self._db.execute(f"CREATE INDEX IF NOT EXISTS descriptors_hnsw_{int(space_id)} ON descriptors "
                             f"USING hnsw ((vector::halfvec({int(space.dim)})) halfvec_cosine_ops) "
                             f"WHERE space_id = {int(space_id)}")

    @contextmanager
    def exclusive(self, task: str) -> Iterator[None]:
        """One ``cluster`` run at a time over this database: a session advisory lock (a grouping spans
        several transactions, so a transaction-scoped lock would not cover it); the next run waits."""
        try:
            self._db.execute("SELECT pg_advisory_lock(%s)", (_CLUSTER_LOCK,))
        except psycopg.Error as exc:
            raise self._storage_error(exc) from None
        try:
            yield
        finally:
            if not self._db.closed and not self._db.broken:
                self._db.execute("SELECT pg_advisory_unlock(%s)", (_CLUSTER_LOCK,))

    # -- search in the database -------------------------------------------------------------------
    @guarded
    def nearest(self, space: DescriptorSpace, queries: np.ndarray, k: int, named_only: bool = False
                ) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each query: (face ids, exact cosine distances) of ``k`` nearest faces of ``space``, nearest first:
        candidates from the HNSW index (halfvec), distances re-measured on the float32 descriptors."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        empty = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        space_id = self.space_id(space, create=False)
        if space_id is None:
            return [empty for _ in queries]
        # Literal ids (integers from the database): a parameter would hide the partial index from the planner.
        order = (f"d.vector::halfvec({int(space.dim)}) <=> CAST(%(q)s AS vector)::halfvec({int(space.dim)})"
                 if space.dim <= HNSW_MAX_DIM else "d.vector <=> %(q)s")
        named = " AND EXISTS (SELECT 1 FROM face_people fp WHERE fp.face_id = d.face_id)" if named_only else ""
        sql = (f"WITH candidates AS (SELECT d.face_id, d.vector FROM descriptors d WHERE d.space_id = {int(space_id)}"
               f"{named} AND NOT EXISTS (SELECT 1 FROM faces f JOIN photos p ON p.id = f.photo_id "
               f"WHERE f.id = d.face_id AND p.missing = 1) ORDER BY {order} LIMIT %(k)s) "
               "SELECT face_id, vector <=> %(q)s AS distance FROM candidates ORDER BY distance, face_id")
        out = []
        with self._transaction():
            self._db.execute(f"SET LOCAL hnsw.ef_search = {max(int(k), CANDIDATES)}")
            # Filtered queries (named faces, present photos) keep scanning the graph until k rows pass.
            self._db.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            for query in queries:
                rows = self._db.execute(sql, {"q": query, "k": int(k)}, binary=True).fetchall()
                out.append((np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.float32))
                           if rows else empty)
        return out

    @guarded
    def within(self, space: DescriptorSpace, query: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """(face ids, distances) of every face at most ``radius`` from ``query``, nearest first — exact, in the
        database (an index would miss some; "find" must not)."""
        space_id = self.space_id(space, create=False)
        if space_id is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        rows = self._db.execute(
            "SELECT d.face_id, d.vector <=> %(q)s AS distance FROM descriptors d JOIN faces f ON f.id = d.face_id "
            "JOIN photos p ON p.id = f.photo_id WHERE d.space_id = %(s)s AND p.missing = 0 "
            "AND d.vector <=> %(q)s <= %(r)s ORDER BY distance, d.face_id",
            {"q": np.asarray(query, np.float32).ravel(), "s": space_id, "r": float(radius)}, binary=True).fetchall()
        return np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.float32)

    @guarded
    def distances_to(self, space: DescriptorSpace, query: np.ndarray, face_ids: list[int]
                     ) -> tuple[np.ndarray, np.ndarray]:
        """(face ids, exact cosine distances from ``query``) of those of ``face_ids`` that have a descriptor in
        ``space`` — by primary key, no index scan."""
        space_id = self.space_id(space, create=False)
        if space_id is None or not face_ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        rows = self._db.execute(
            "SELECT d.face_id, d.vector <=> %(q)s FROM descriptors d JOIN faces f ON f.id = d.face_id "
            "JOIN photos p ON p.id = f.photo_id WHERE d.space_id = %(s)s AND p.missing = 0 "
            "AND d.face_id = ANY(%(ids)s) ORDER BY d.face_id",
            {"q": np.asarray(query, np.float32).ravel(), "s": space_id, "ids": [int(i) for i in face_ids]},
            binary=True).fetchall()
        return np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.float32)

    @guarded
    def person_means(self, space: DescriptorSpace) -> tuple[np.ndarray, np.ndarray]:
        """(person ids, their summed confirmed descriptors in ``space``): the direction of each person's mean face,
        kept by the database's triggers (schema version 3)."""
        space_id = self.space_id(space, create=False)
        rows = [] if space_id is None else self._db.execute(
            "SELECT person_id, total FROM person_sums WHERE space_id = %s ORDER BY person_id", (space_id,),
            binary=True).fetchall()
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, space.dim), np.float32)
        return np.array([r[0] for r in rows], np.int64), np.stack([self._decode(r[1]) for r in rows])

    def people_index(self, space: DescriptorSpace) -> Any:
        """Exact (the base class's) up to :data:`EXACT_PEOPLE` named faces; above, the index answers."""
        confirmed, rejected = self.links("confirmed"), self.links("rejected")
        if len(confirmed) + len(rejected) <= EXACT_PEOPLE:
            return super().people_index(space)
        return IndexedPeople(lambda queries, k: self.nearest(space, queries, k, named_only=True),
                             confirmed, rejected, CANDIDATES, lambda query, ids: self.distances_to(space, query, ids),
                             means=(self.person_means(space), NEAREST_MEANS))
