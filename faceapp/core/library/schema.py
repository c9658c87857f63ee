"""The library's SQLite schema, its version, its migrations, and opening a file safely.

A library is one SQLite file in WAL mode.  Opening refuses, in one sentence and
without touching the file: something that is not SQLite, another program's
database, a damaged library, and a library written by a newer faceapp.  Older
libraries are migrated in one transaction (all or nothing).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Callable, TypeVar

from faceapp.core.errors import StorageError

_T = TypeVar("_T")

__all__ = ["SCHEMA_VERSION", "MIGRATIONS", "BUSY_TIMEOUT_S", "connect", "storage_error"]

#: The schema this faceapp writes.  A library with a higher version was written by a newer faceapp.
SCHEMA_VERSION = 2
_APP = "faceapp"
#: How long a write waits for another process's write to finish before "busy" is reported.  A scan
#: commits one photo at a time (milliseconds), so only a stuck program holds the lock this long.
BUSY_TIMEOUT_S = 30.0
_SQLITE_MAGIC = b"SQLite format 3\x00"

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- The folders the user scanned: what "Rescan" goes through.
CREATE TABLE folders (path TEXT PRIMARY KEY, added_at REAL NOT NULL, scanned_at REAL);
-- One row per photo file ever seen. Missing photos keep their faces and names until pruned.
CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash TEXT,
    width INTEGER,
    height INTEGER,
    status TEXT NOT NULL CHECK (status IN ('faces', 'no_face', 'error')),
    error TEXT,
    pipeline INTEGER NOT NULL,
    missing INTEGER NOT NULL DEFAULT 0,
    scanned_at REAL NOT NULL
);
CREATE INDEX photos_hash ON photos (hash);
CREATE TABLE faces (
    id INTEGER PRIMARY KEY,
    photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    x INTEGER NOT NULL, y INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
    confidence REAL NOT NULL,
    rotation INTEGER NOT NULL DEFAULT 0,
    landmarks TEXT,
    quality REAL NOT NULL,
    UNIQUE (photo_id, number)
);
CREATE TABLE spaces (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL, weights TEXT NOT NULL, crop TEXT NOT NULL, pipeline INTEGER NOT NULL, dim INTEGER NOT NULL,
    UNIQUE (model, weights, crop, pipeline)
);
CREATE TABLE descriptors (
    face_id INTEGER NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
    space_id INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    vector BLOB NOT NULL,
    PRIMARY KEY (face_id, space_id)
) WITHOUT ROWID;
CREATE INDEX descriptors_space ON descriptors (space_id);
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at REAL NOT NULL
);
-- A face is confirmed for at most one person, and rejected for any number of people.
CREATE TABLE face_people (
    face_id INTEGER NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('confirmed', 'rejected')),
    created_at REAL NOT NULL,
    PRIMARY KEY (face_id, person_id)
);
CREATE UNIQUE INDEX one_person_per_face ON face_people (face_id) WHERE state = 'confirmed';
CREATE INDEX face_people_person ON face_people (person_id, state);
-- "These two faces are different people": never in one group.
CREATE TABLE apart (
    face_a INTEGER NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
    face_b INTEGER NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
    PRIMARY KEY (face_a, face_b),
    CHECK (face_a < face_b)
) WITHOUT ROWID;
-- Groups of unnamed faces, per descriptor space, with what incremental clustering needs.
CREATE TABLE clusterings (
    space_id INTEGER PRIMARY KEY REFERENCES spaces (id) ON DELETE CASCADE,
    min_faces INTEGER NOT NULL,
    max_distance REAL NOT NULL,
    apart_signature TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE face_groups (
    face_id INTEGER NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
    space_id INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    group_id INTEGER,
    neighbours INTEGER NOT NULL,
    PRIMARY KEY (face_id, space_id)
) WITHOUT ROWID;
CREATE INDEX face_groups_group ON face_groups (space_id, group_id);
"""

# 2: where a face came from — 'detected' by faceapp, or 'tag': a face region read from the photo's XMP
# where the detector found no face (faceapp.core.tags.importer); the user's tag is never dropped.
_V2 = """
ALTER TABLE faces ADD COLUMN source TEXT NOT NULL DEFAULT 'detected' CHECK (source IN ('detected', 'tag'))
"""

#: ``{version: statements}`` that bring a library at ``version - 1`` to ``version``; 1 creates it.
MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {1: _V1, 2: _V2}


def storage_error(path: Path, exc: sqlite3.Error) -> StorageError:
    """One sentence for a failed library operation."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StorageError(f"The library '{path.name}' is busy: another faceapp is writing to it; "
                            "try again when it has finished.")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return StorageError(f"The library '{path.name}' is damaged ({exc}); restore it from a backup, "
                            "or move it away to start a new library.")
    if "readonly" in text or "read-only" in text:
        return StorageError(f"The library '{path.name}' cannot be written (read-only); "
                            "check its permissions or choose another library.")
    if "disk" in text and "full" in text:
        return StorageError(f"The disk holding the library '{path.name}' is full; free some space and try again.")
    return StorageError(f"The library '{path.name}' could not be used ({exc}); check the file, or choose another library.")


def _refuse(path: Path, why: str) -> StorageError:
    return StorageError(f"'{path.name}' {why}; choose another library file, or move this one away to start a new library.")


def _check_file(path: Path) -> bool:
    """Whether ``path`` already holds data; raises for anything faceapp must not open."""
    if path.is_dir():
        raise _refuse(path, "is a folder, not a library file")
    if not path.exists():
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StorageError(f"The library '{path.name}' cannot be read ({exc.strerror or exc}); "
                           "check its permissions or choose another library.") from None
    if not head:
        return False  # an empty file: SQLite makes it a new database
    if head != _SQLITE_MAGIC:
        raise _refuse(path, "is not a faceapp library (it is not an SQLite database)")
    return True


def connect(path: Path, create: bool = True) -> sqlite3.Connection:
    """An open, migrated connection to the library at ``path`` (created when missing and ``create``)."""
    existed = _check_file(path)
    if not existed and not create:
        raise StorageError(f"There is no library at '{path}'; scan a folder to start one, or choose the right "
                           "library file.")
    if not existed:
        from faceapp.paths import create_private_file, make_private_dir

        try:
            make_private_dir(path.parent)
            create_private_file(path)  # owner-only before SQLite writes a byte (its -wal and -shm follow it)
        except OSError as exc:
            raise StorageError(f"Cannot create the library folder {path.parent} ({exc.strerror or exc}); "
                               "choose another place with --library.") from None
    try:
        return _when_free(lambda: _open(path, existed))
    except sqlite3.Error as exc:
        raise storage_error(path, exc) from None


def _open(path: Path, existed: bool) -> sqlite3.Connection:
    """One attempt at :func:`connect`'s work; the connection is closed again if any step fails."""
    # Judged read-only first: a file faceapp refuses must not change by a single byte
    # (even switching it to WAL rewrites its header).
    version = _library_version(path) if existed else 0
    connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten with zeros, not left in free pages: a forgotten face is gone.
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("PRAGMA journal_mode = WAL")
        # WAL with NORMAL: a process killed at any moment loses at most the transaction in progress.
        connection.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            _migrate(connection, version)  # re-reads the version under its lock
    except BaseException:
        connection.close()
        raise
    return connection


def _when_free(attempt: Callable[[], _T]) -> _T:
    """``attempt()``, tried again while another process holds a lock SQLite's busy handler does not wait for:
    a read-only look at a library the other process is switching to WAL, or two processes making a new
    library at once, answer "locked" or "busy" at once (seen in CI on a fresh library)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _library_version(path: Path) -> int:
    """The schema version of the library at ``path`` (0: an empty database), read without writing anything."""
    reader = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=15.0)
    try:
        tables = {row[0] for row in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return 0
        if "meta" not in tables:
            raise _refuse(path, "is an SQLite database of another program, not a faceapp library")
        meta = dict(reader.execute("SELECT key, value FROM meta"))
    finally:
        reader.close()
    if meta.get("app") != _APP:
        raise _refuse(path, "is an SQLite database of another program, not a faceapp library")
    version = int(meta.get("schema_version", "0"))
    if version > SCHEMA_VERSION:
        raise StorageError(f"The library '{path.name}' was written by a newer faceapp (library version {version}, "
                           f"this faceapp reads up to {SCHEMA_VERSION}); update faceapp to open it.")
    return version


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    """Apply every migration after ``version`` in one transaction."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have created or migrated the library while this one waited for the lock.
        if connection.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
            row = connection.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = max(version, int(row[0]) if row else 0)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            step = MIGRATIONS[target]
            if callable(step):
                step(connection)
            else:
                for statement in filter(str.strip, step.split(";")):
                    connection.execute(statement)
        now = str(time.time())
        connection.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                               [("app", _APP), ("schema_version", str(SCHEMA_VERSION)), ("updated_at", now)])
        connection.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('created_at', ?)", (now,))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the first error is the one to report
        raise
