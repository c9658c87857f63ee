"""The library under real-world faults (issue 16): failing commits, a full disk, two writers, odd file names,
names that must not move to a stranger, pruning that asks, erasing a person, owner-only files.

No model is needed: photos are stored with generated descriptors (tests/descriptor_sets.py).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faceapp.core.errors import StorageError
from faceapp.core.library import Library
from faceapp.core.library.sqlite_store import NewFace
from faceapp.core.types import Box, DescriptorSpace, Face
from tests.helpers import face_photo
from tests.descriptor_sets import identities

SPACE = DescriptorSpace("resnet50", "0123456789abcdef", "vggface2", 1, 2048)


def face(x: int, y: int = 10, side: int = 80) -> Face:
    return Face(Box(x, y, side, side), 0.99)


def add_photo(library: Library, path: str, faces: list[Face], vectors: np.ndarray, size: int = 100,
              carry: dict[int, int] | None = None) -> list[int]:
    library.save_photo(path, size, 1, hashlib.sha1(os.fsencode(path)).hexdigest(), (640, 480), 1,
                       [NewFace(f, 0.9, v) for f, v in zip(faces, vectors)], SPACE,
                       **({"carry": carry} if carry is not None else {}))
    return [f.id for f in library.faces_of(library.photo_by_path(path).id)]


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


class FailingConnection:
    """A connection whose ``fail_on``-th statement starting with ``verb`` raises ``error`` (then works again),
    as SQLite does when the disk fills up at that moment."""

    def __init__(self, real: sqlite3.Connection, verb: str, fail_on: int, error: str = "database or disk is full",
                 before=None) -> None:
        self._real, self._verb, self._left, self._error, self._before = real, verb, fail_on, error, before

    def execute(self, sql: str, *args):
        if sql.lstrip().upper().startswith(self._verb):
            self._left -= 1
            if self._left == 0:
                if self._before is not None:
                    self._before()
                else:
                    raise sqlite3.OperationalError(self._error)
        return self._real.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._real, name)


@pytest.fixture()
def library(tmp_path):
    with Library.open(tmp_path / "people.sqlite") as opened:
        yield opened


# -- 5. transactions --------------------------------------------------------------------------------

def test_a_commit_that_fails_leaves_the_library_usable_and_says_why(library):
    vectors, _ = identities(3, 1, seed=1)
    add_photo(library, "/p/a.jpg", [face(0)], vectors[:1])
    real = library._db
    library._db = FailingConnection(real, "COMMIT", fail_on=1)
    with pytest.raises(StorageError, match="disk holding the library 'people.sqlite' is full; free some space"):
        add_photo(library, "/p/b.jpg", [face(0)], vectors[1:2])
    assert not real.in_transaction  # no write lock held: other programs (and this one) can write
    add_photo(library, "/p/c.jpg", [face(0)], vectors[2:3])
    other = Library.open(library.path)
    other.add_person("Anna")  # another connection is not locked out
    other.close()
    assert sorted(p for p in library.photos_under("/p")) == ["/p/a.jpg", "/p/c.jpg"]
    assert integrity(library.path) == "ok"


def test_a_full_disk_keeps_every_finished_write(tmp_path):
    """A real SQLITE_FULL (the file may not grow past max_page_count), as a full disk gives it."""
    path = tmp_path / "small.sqlite"
    vectors, _ = identities(60, 1, seed=2)
    library = Library.open(path)
    pages = library._db.execute("PRAGMA page_count").fetchone()[0]
    library._db.execute(f"PRAGMA max_page_count = {pages + 12}")
    stored = []
    with pytest.raises(StorageError, match="is full; free some space and try again"):
        for index, vector in enumerate(vectors):
            add_photo(library, f"/p/{index}.jpg", [face(0)], vector[None])
            stored.append(f"/p/{index}.jpg")
    assert 0 < len(stored) < 60 and not library._db.in_transaction
    library.close()
    assert integrity(path) == "ok"
    with Library.open(path) as again:
        assert sorted(again.photos_under("/p")) == sorted(stored)
        assert again.info()["faces"] == len(stored) and again.info()["spaces"][0]["descriptors"] == len(stored)
        add_photo(again, "/p/after.jpg", [face(0)], vectors[:1])  # space again: writes work


def test_descriptors_are_read_from_one_snapshot(library, tmp_path):
    vectors, _ = identities(4, 1, seed=3)
    for index in range(3):
        add_photo(library, f"/p/{index}.jpg", [face(0)], vectors[index:index + 1])

    def another_process_adds_a_face():
        with Library.open(library.path) as other:
            add_photo(other, "/p/new.jpg", [face(0)], vectors[3:4])

    real = library._db
    # The insert lands after the first SELECT (the count) and before the second (the rows).
    library._db = FailingConnection(real, "SELECT", fail_on=2, before=another_process_adds_a_face)
    ids, matrix = library.descriptors(SPACE)
    library._db = real
    assert len(ids) == 3 and matrix.shape == (3, 2048)
    assert len(library.descriptors(SPACE)[0]) == 4


def _writer(path: str, name: str, start, done) -> None:
    vectors, _ = identities(12, 1, seed=len(name))
    start.wait(30)
    with Library.open(path) as library:
        for index, vector in enumerate(vectors):
            add_photo(library, f"/{name}/{index}.jpg", [face(0)], vector[None])
            library.confirm(library.add_person(name), [library.faces_of(library.photo_by_path(f"/{name}/{index}.jpg").id)[0].id])
    done.put(name)


def test_two_processes_create_and_write_one_library_at_once(tmp_path):
    """Both start on a library that does not exist yet; neither may see "database is locked" or a half-made file."""
    path = tmp_path / "shared.sqlite"
    context = multiprocessing.get_context("spawn")
    start, done = context.Barrier(2), context.Queue()
    writers = [context.Process(target=_writer, args=(str(path), name, start, done)) for name in ("ann", "bob")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
    assert [w.exitcode for w in writers] == [0, 0]
    assert sorted([done.get(timeout=5), done.get(timeout=5)]) == ["ann", "bob"]
    with Library.open(path) as library:
        assert library.info()["photos"] == 24 and [p.confirmed for p in library.people()] == [12, 12]
    assert integrity(path) == "ok"


# -- 3. odd file names ------------------------------------------------------------------------------

ODD = ["/p/caf\udce9.jpg",                      # Latin-1 é: not UTF-8
       "/p/new\nline.jpg", "/p/\ufffd already.jpg", "/p/" + "long" * 60 + ".jpg", "/p/sub\udcff/x.jpg"]


def test_paths_that_are_not_utf8_are_stored_losslessly(library):
    from faceapp.core.library.pathtext import from_stored, shown, to_stored

    vectors, _ = identities(len(ODD), 1, seed=4)
    for path, vector in zip(ODD, vectors):
        assert from_stored(to_stored(path)) == path
        add_photo(library, path, [face(0)], vector[None])
    assert sorted(library.photos_under("/p")) == sorted(ODD)
    assert list(library.photos_under("/p/sub\udcff")) == ["/p/sub\udcff/x.jpg"]
    assert library.photo_by_path(ODD[0]).path == ODD[0]
    library.save_photo(ODD[0], 1, 2, "h", None, 1, error=f"Cannot open '{os.path.basename(ODD[0])}': damaged.")
    assert library.errors() == [(ODD[0], "Cannot open 'caf\\xe9.jpg': damaged.")]
    assert shown(ODD[0]) == "/p/caf\\xe9.jpg" and shown(ODD[1]) == "/p/new\\nline.jpg"
    assert os.fsencode(ODD[0]) == b"/p/caf\xe9.jpg"  # what os.open gets back: the same file


# -- 2. names move only to the same face ----------------------------------------------------------------

def test_names_move_to_the_same_face_and_never_to_a_stranger(library):
    from faceapp.core.library.carry import carry_over

    vectors, labels = identities(3, 2, spread=0.3, seed=5)  # people 0, 1, 2: two faces each
    left, right = add_photo(library, "/p/two.jpg", [face(10), face(300)], vectors[[0, 2]])
    anna, bob = library.add_person("Anna"), library.add_person("Bob")
    library.confirm(anna, [left])
    library.confirm(bob, [right])
    library.reject(bob, [left])
    library.set_apart([(left, right)])
    # The file now holds another picture: Anna again on the left (her other face), a stranger where Bob was.
    new_faces = [NewFace(face(14), 0.9, vectors[1]), NewFace(face(304), 0.9, vectors[4])]
    carry = carry_over(library, "/p/two.jpg", SPACE, new_faces, threshold=0.5)
    assert carry.mapping == {0: left} and carry.detached == [(2, "Bob")]
    new = add_photo(library, "/p/two.jpg", [f.face for f in new_faces], vectors[[1, 4]], carry=carry.mapping)
    assert library.links("confirmed") == [(new[0], anna.id)] and library.links("rejected") == [(new[0], bob.id)]
    assert library.apart_pairs() == []  # the pair's other face went with Bob's name
    assert library.require_person("Bob").confirmed == 0


def test_the_same_bytes_analysed_again_keep_names_by_place(library):
    """A new pipeline version describes in a new space where the old faces have no descriptor: same file,
    same place, same person."""
    from faceapp.core.library.carry import carry_over

    vectors, _ = identities(1, 2, seed=6)
    (old,) = add_photo(library, "/p/a.jpg", [face(10)], vectors[:1])
    library.confirm(library.add_person("Anna"), [old])
    other_space = DescriptorSpace("resnet50", "0123456789abcdef", "vggface2", 2, 2048)
    new_faces = [NewFace(face(12), 0.9, vectors[1])]
    assert carry_over(library, "/p/a.jpg", other_space, new_faces, 0.5).mapping == {}
    assert carry_over(library, "/p/a.jpg", other_space, new_faces, 0.5, same_content=True).mapping == {0: old}


# -- 1. prune lists, keeps named photos, forgets exactly what it listed ----------------------------------

def test_prune_plan_keeps_named_photos_and_photos_that_came_back(library, tmp_path):
    from faceapp.core.library.housekeeping import prune, prune_plan

    vectors, _ = identities(3, 1, seed=7)
    back = tmp_path / "back.jpg"
    back.write_bytes(b"x")
    named, = add_photo(library, "/gone/named.jpg", [face(0)], vectors[:1])
    add_photo(library, "/gone/plain.jpg", [face(0)], vectors[1:2])
    add_photo(library, str(back), [face(0)], vectors[2:3])
    library.confirm(library.add_person("Anna"), [named])
    library.mark_missing([library.photo_by_path(p).id for p in ("/gone/named.jpg", "/gone/plain.jpg", str(back))])
    plan = prune_plan(library)
    assert [r.path for r in plan.forget] == ["/gone/plain.jpg"] and plan.named_faces == 0
    assert [r.path for r in plan.kept_named] == ["/gone/named.jpg"]
    everything = prune_plan(library, include_named=True)
    assert [r.path for r in everything.forget] == ["/gone/named.jpg", "/gone/plain.jpg"]
    assert everything.named_faces == 1
    assert prune(library, plan) == 1
    assert library.photo_by_path("/gone/named.jpg") is not None and library.photo_by_path(str(back)) is not None
    assert library.require_person("Anna").confirmed == 1


# -- 7. erasing a person ------------------------------------------------------------------------------------

def _library_bytes(path: Path) -> bytes:
    return b"".join(Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm")
                    if Path(f"{path}{suffix}").exists())


def test_erasing_a_person_leaves_nothing_of_them_in_the_library_file_or_the_cache(library, tmp_path):
    from faceapp.core.library.housekeeping import erase_person
    from faceapp.core.library.recognition import keep_copy
    from faceapp.core.thumbnails import face_thumbnails

    cache = tmp_path / "thumbnails"
    vectors, _ = identities(4, 1, seed=8)
    photos = tmp_path / "photos"
    photos.mkdir()
    group = photos / "group.jpg"
    Image.open(face_photo("two_people.jpg")).convert("RGB").save(group)
    pixels = np.asarray(Image.open(face_photo("obama_small.jpg")).convert("RGB"))
    alone = str(keep_copy(library, pixels))                    # a pasted photo of Zebediah alone
    with_bob = str(keep_copy(library, pixels[:, ::-1].copy()))  # pasted, with Bob named too

    def stored(path, boxes, rows):
        info = os.stat(path)
        library.save_photo(path, info.st_size, info.st_mtime_ns, None, (300, 300), 1,
                           [NewFace(f, 0.9, vectors[r]) for f, r in zip(boxes, rows)], SPACE)
        return library.faces_of(library.photo_by_path(path).id)

    group_faces = stored(str(group), [face(10), face(150)], [0, 1])
    alone_faces = stored(alone, [face(20)], [0])
    bob_faces = stored(with_bob, [face(20), face(120)], [0, 2])
    zeb, bob = library.add_person("Zebediah Quuxworth"), library.add_person("Bob")
    library.confirm(zeb, [group_faces[0].id, alone_faces[0].id, bob_faces[0].id])
    library.confirm(bob, [group_faces[1].id, bob_faces[1].id])
    library.reject(zeb, [group_faces[1].id])
    for path, faces in ((group, group_faces), (alone, alone_faces), (with_bob, bob_faces)):
        for size in (64, 128):  # the window's thumbnail size can change: every size must go
            face_thumbnails(path, [f.face for f in faces], size, cache)
    # The descriptor's first 64 bytes (a blob of 8 KB spans pages: only a run within one page is contiguous).
    zeb_vector = np.ascontiguousarray(vectors[0], dtype="<f4").tobytes()[:64]
    library._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert b"Zebediah Quuxworth" in _library_bytes(library.path) and zeb_vector in _library_bytes(library.path)
    assert len(list(cache.iterdir())) == 10  # five faces, two sizes

    erased = erase_person(library, "zebediah quuxworth", cache)

    assert (erased.person, erased.faces, erased.rejections, erased.copies) == ("Zebediah Quuxworth", 3, 1, (alone,))
    assert erased.thumbnails == 6 and erased.compacted
    contents = _library_bytes(library.path)
    assert b"Zebediah" not in contents and b"Quuxworth" not in contents and zeb_vector not in contents
    assert not os.path.exists(alone) and os.path.exists(with_bob) and group.exists()
    assert library.person("Zebediah Quuxworth") is None and library.require_person("Bob").confirmed == 2
    assert [f.id for f in library.faces_of(library.photo_by_path(str(group)).id)] == [group_faces[1].id]
    left = {p.name for p in cache.iterdir()}
    assert len(left) == 4  # Bob's two faces, in two sizes
    from faceapp.core.thumbnails import face_key
    for path, record in ((group, group_faces[1]), (with_bob, bob_faces[1])):
        info = os.stat(path)
        assert f"{face_key(str(path), info.st_size, info.st_mtime_ns, record.face)}-64.jpg" in left
    assert integrity(library.path) == "ok"


# -- 8. owner-only files ------------------------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_library_copies_thumbnails_and_thresholds_are_owner_only(tmp_path, monkeypatch):
    from faceapp.core.evaluation import thresholds
    from faceapp.core.library.recognition import keep_copy
    from faceapp.core.thumbnails import face_thumbnails
    from faceapp.paths import library_path, thumbnails_dir, user_data_dir

    old = os.umask(0o022)  # a common default: everything readable by everyone
    try:
        thresholds.save("resnet50", "vggface2", 0.4)  # the first to make the user data folder
        with Library.open() as library:  # the default place, in the user data folder
            library.add_person("Anna")
            copy = keep_copy(library, np.zeros((40, 40, 3), np.uint8))
        face_thumbnails(face_photo("obama_small.jpg"), [face(10)], 64)
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    library = library_path()
    files = [library, Path(f"{library}-wal"), Path(f"{library}-shm"), Path(copy), thresholds.thresholds_file(),
             *thumbnails_dir().iterdir()]
    assert {str(f): mode(f) for f in files if f.exists()} == {str(f): 0o600 for f in files if f.exists()}
    assert len([f for f in files if f.exists()]) >= 4
    folders = [user_data_dir(), Path(copy).parent, thumbnails_dir(), thumbnails_dir().parent]
    assert {str(f): mode(f) for f in folders} == {str(f): 0o700 for f in folders}
