"""The library in one SQLite file: the engine hooks of :class:`~.store.Library` for SQLite.

The SQL itself is shared and lives in :mod:`.store` / :mod:`.people_queries`;
here: the connection (:mod:`.schema` opens and migrates it), ``BEGIN
IMMEDIATE`` transactions, descriptors as little-endian float32 blobs, and
SQLite's exceptions in one sentence.  Nearest neighbours are exact, in NumPy
(the base class's).  The names below are re-exported so ``from
…sqlite_store import Library`` keeps working.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.errors import StorageError
from faceapp.core.library.guard import guarded
from faceapp.core.library.records import FaceRecord, NewFace, Person, PhotoRecord
from faceapp.core.library.schema import connect, storage_error
from faceapp.core.library.store import Library
from faceapp.paths import library_path

__all__ = ["Library", "SqliteLibrary", "PhotoRecord", "FaceRecord", "Person", "NewFace"]


class SqliteLibrary(Library):
    """One library file (WAL mode); ``path`` is the file."""

    _errors = (sqlite3.Error,)

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        super().__init__()
        self.path = path
        self._db = connection
        self._db.row_factory = sqlite3.Row

    @classmethod
    def connect(cls, path: str | os.PathLike | None = None, create: bool = True) -> SqliteLibrary:
        """The library file ``path`` (default: ``$FACEAPP_LIBRARY``, else the user data folder's)."""
        resolved = library_path(path)
        return cls(resolved, connect(resolved, create=create))

    def close(self) -> None:
        self._db.close()

    @guarded
    def version(self) -> tuple[int, int]:
        """Changes whenever the file may have changed — by this connection (its change count) or by another
        process (SQLite's ``data_version``) — so a cache built from the library knows when to rebuild.
        Cheap: no table is read."""
        return self._db.execute("PRAGMA data_version").fetchone()[0], self._db.total_changes

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, tuple(args))

    def _execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    @contextmanager
    def _begin(self) -> Iterator[None]:
        """One write transaction: committed whole, or rolled back whole — never left open.

        ``BEGIN IMMEDIATE`` takes the write lock up front, so another writer makes
        this one wait (the connection's busy timeout) instead of failing half-way.
        COMMIT is inside the ``try``: a commit that fails (disk full) must not leave
        this connection holding the write lock, and the rollback's own error must
        not replace the one the user needs to read.
        """
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the first error is the one to report; SQLite rolls back on close anyway
            raise

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction: statements inside it see the same library, whatever other processes write."""
        if self._in_transaction or self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            if self._db.in_transaction:
                self._db.execute("COMMIT")

    @guarded
    def compact(self) -> bool:
        """Rewrite the file without free pages and empty the write-ahead log, so deleted rows leave nothing
        behind on disk (deletes already overwrite: ``secure_delete`` is on).  False when another program's
        open read kept part of the log; running it again once that program has closed the library finishes it."""
        self._db.execute("VACUUM")
        busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    def _storage_error(self, exc: BaseException) -> StorageError:
        return storage_error(self.path, exc)  # type: ignore[arg-type]

    def _encode(self, vector: np.ndarray) -> bytes:
        return np.ascontiguousarray(vector, dtype="<f4").tobytes()

    def _decode(self, value: Any) -> np.ndarray:
        return np.frombuffer(value, dtype="<f4")

    def _ids_condition(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))]
