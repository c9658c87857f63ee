"""The library file: opened safely, migrated, one transaction per change, spaces never mixed, names kept."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from faceapp.core.errors import FaceAppError, StorageError
from faceapp.core.library import Library
from faceapp.core.library import schema
from faceapp.core.library.records import NewFace
from faceapp.core.types import Box, DescriptorSpace, Face
from tests.descriptor_sets import identities

SPACE = DescriptorSpace("resnet50", "0123456789abcdef", "vggface2", 1, 2048)
OTHER = DescriptorSpace("resnet50", "fedcba9876543210", "vggface2", 1, 2048)


def face(x: int, y: int = 10, side: int = 80, confidence: float = 0.99) -> Face:
    return Face(Box(x, y, side, side), confidence)


def add_photo(library: Library, path: str, faces: list[Face], vectors: np.ndarray, space=SPACE) -> list[int]:
    library.save_photo(path, 100, 1, "hash-" + path, (640, 480), 1,
                       [NewFace(f, 0.9, v) for f, v in zip(faces, vectors)], space)
    return [f.id for f in library.faces_of(library.photo_by_path(path).id)]


@pytest.fixture()
def library(library_location):
    with Library.open(library_location) as opened:
        yield opened


def test_a_new_library_is_a_wal_sqlite_file_with_a_version(tmp_path):
    path = tmp_path / "deep" / "folder" / "library.sqlite"
    Library.open(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        meta = dict(raw.execute("SELECT key, value FROM meta"))
    assert meta["app"] == "faceapp" and int(meta["schema_version"]) == schema.SCHEMA_VERSION
    Library.open(path).close()  # opening again changes nothing


@pytest.mark.parametrize("content,pattern", [
    (b"my holiday notes, not a database\n" * 20, "is not a faceapp library"),
    (b"SQLite format 3\x00" + b"\xff" * 4000, "damaged"),
])
def test_a_file_that_is_not_a_library_is_refused_and_never_touched(tmp_path, content, pattern):
    path = tmp_path / "library.sqlite"
    path.write_bytes(content)
    with pytest.raises(StorageError, match=pattern) as info:
        Library.open(path)
    assert path.read_bytes() == content
    assert "\n" not in str(info.value) and str(info.value).endswith(".")


def test_another_programs_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        raw.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    before = path.read_bytes()
    with pytest.raises(StorageError, match="another program"):
        Library.open(path)
    assert path.read_bytes() == before


def test_a_library_from_a_newer_faceapp_is_refused(tmp_path):
    path = tmp_path / "library.sqlite"
    Library.open(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(schema.SCHEMA_VERSION + 1),))
    with pytest.raises(StorageError, match="newer faceapp"):
        Library.open(path)


def test_folder_and_missing_library(tmp_path):
    with pytest.raises(StorageError, match="is a folder"):
        Library.open(tmp_path)
    with pytest.raises(StorageError, match="no library at"):
        Library.open(tmp_path / "nothing.sqlite", create=False)


def test_an_older_library_is_migrated_with_its_data(tmp_path, monkeypatch):
    path = tmp_path / "library.sqlite"
    with Library.open(path) as library:
        library.add_person("Anna")
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION,
                        "ALTER TABLE people ADD COLUMN birthday TEXT; UPDATE people SET birthday = '1990-01-01'")
    with Library.open(path) as library:
        assert [p.name for p in library.people()] == ["Anna"]
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT birthday FROM people").fetchone()[0] == "1990-01-01"
        assert dict(raw.execute("SELECT key, value FROM meta"))["schema_version"] == str(schema.SCHEMA_VERSION)


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "library.sqlite"
    with Library.open(path) as library:
        library.add_person("Anna")
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION, "ALTER TABLE people ADD COLUMN x TEXT; NOT SQL")
    with pytest.raises(StorageError):
        Library.open(path)
    with sqlite3.connect(path) as raw:
        assert [r[1] for r in raw.execute("PRAGMA table_info(people)")] == ["id", "name", "created_at"]


def test_descriptors_of_different_spaces_never_mix(library):
    vectors, _ = identities(2, 2, seed=3)
    first = add_photo(library, "/photos/a.jpg", [face(0), face(200)], vectors[:2])
    add_photo(library, "/photos/b.jpg", [face(0)], vectors[2:3], space=OTHER)
    ids, matrix = library.descriptors(SPACE)
    assert list(ids) == first and np.allclose(matrix, vectors[:2])
    assert len(library.descriptors(OTHER)[0]) == 1
    assert len(library.descriptors(DescriptorSpace("senet50", "x", "vggface2", 1, 2048))[0]) == 0
    assert library.faces_without(OTHER) == {library.photo_by_path("/photos/a.jpg").id: first}


def test_people_confirm_reject_rename_merge_remove(library):
    vectors, _ = identities(1, 3, seed=4)
    a, b, c = add_photo(library, "/p/1.jpg", [face(0), face(100), face(200)], vectors)
    anna, bob = library.add_person("Anna"), library.add_person("  bob  ")
    assert bob.name == "bob" and library.add_person("ANNA").id == anna.id  # names are unique, case aside
    library.confirm(anna, [a, b])
    library.reject(anna, [c])
    library.confirm(bob, [b])  # a face is one person: b moves from Anna to Bob
    assert {p.name: (p.confirmed, p.rejected) for p in library.people()} == {"Anna": (1, 1), "bob": (1, 0)}
    library.confirm(anna, [c])  # confirming replaces the rejection
    assert library.require_person("Anna").rejected == 0
    library.reject(bob, [a])
    merged, conflicts = library.merge_people("bob", "Anna")
    assert conflicts == 1 and merged.confirmed == 3 and merged.rejected == 0
    with pytest.raises(FaceAppError, match="already is a person"):
        library.add_person("Bob") and library.rename_person("Bob", "anna")
    library.rename_person("Anna", "Anna Smith")
    library.remove_person("anna smith")
    assert library.people()[0].name == "Bob" and library.links("confirmed") == []
    assert len(library.descriptors(SPACE)[0]) == 3  # the faces stay
    with pytest.raises(FaceAppError, match="no person called 'Zoe'"):
        library.require_person("Zoe")


def test_the_version_changes_with_every_write_from_this_or_another_process(library):
    vectors, _ = identities(1, 2, seed=5)
    a, _ = add_photo(library, "/p/1.jpg", [face(0), face(100)], vectors)
    before = library.version()
    library.people(), library.descriptors(SPACE), library.info()  # reading changes nothing
    assert library.version() == before
    library.confirm(library.add_person("Anna"), [a])
    mine = library.version()
    assert mine != before
    with Library.open(library.path) as other:  # another program (faceapp-cli) names a face
        other.add_person("Bob")
    assert library.version() != mine


def test_the_names_version_changes_with_what_who_reads_and_on_a_server_only_with_that(library):
    """``names_version`` (the key of a window's "who" index) moves with every change of names, rejections and
    named faces' descriptors, by this connection or another; on a server library a scan of new photos, a new
    person without faces and a rename leave it alone (the index would be rebuilt for nothing)."""
    from faceapp.core.library.store import Library as Base

    server = type(library).names_version is not Base.names_version
    vectors, _ = identities(3, 2, seed=6)
    a, b = add_photo(library, "/p/1.jpg", [face(0), face(100)], vectors[:2])
    c, d = add_photo(library, "/p/2.jpg", [face(0), face(100)], vectors[2:4])

    def moves(action) -> bool:  # noqa: ANN001 - a callable
        before = library.names_version()
        action()
        return library.names_version() != before

    anna = library.add_person("Anna")
    assert moves(lambda: library.confirm(anna, [a]))
    assert moves(lambda: library.reject(anna, [b]))
    assert moves(lambda: library.forget_links([a]))
    assert moves(lambda: library.confirm(anna, [a, c]))
    assert moves(lambda: add_photo(library, "/p/1.jpg", [face(2), face(100)], vectors[4:6]))  # named faces again
    assert moves(lambda: library.add_descriptors(OTHER, [(c, vectors[2])]))
    with Library.open(library.path) as other:  # another program (faceapp-cli) names a face
        assert moves(lambda: other.confirm(other.add_person("Bob"), [d]))
    assert moves(lambda: library.merge_people("Bob", "Anna"))
    gone = library.photo_by_path("/p/2.jpg").id
    library.mark_missing([gone])
    assert moves(lambda: library.forget_photos([gone]) == 1)
    library.confirm(library.require_person("Anna"), [library.faces_of(library.photo_by_path("/p/1.jpg").id)[0].id])
    assert moves(lambda: library.remove_person("Anna"))  # with her names
    # What "who" does not read: a scan of new photos, a person without faces, a rename.
    quiet = [moves(lambda: add_photo(library, "/p/3.jpg", [face(0)], vectors[:1])),
             moves(lambda: library.add_person("Cleo")), moves(lambda: library.rename_person("Cleo", "Cleo B"))]
    assert quiet == ([False] * 3 if server else [True] * 3)


def test_names_survive_a_new_analysis_of_the_photo(library):
    vectors, _ = identities(2, 2, seed=5)
    left, right = add_photo(library, "/p/two.jpg", [face(10), face(300)], vectors[:2])
    anna = library.add_person("Anna")
    library.confirm(anna, [right])
    library.reject(anna, [left])
    library.set_apart([(left, right)])
    # The photo is analysed again (edited, or a new detector): boxes move a little, a face is added.
    from faceapp.core.library.carry import carry_over

    faces = [NewFace(f, 0.9, v) for f, v in zip([face(14), face(150), face(304)], vectors[[0, 1, 1]])]
    carry = carry_over(library, "/p/two.jpg", SPACE, faces, threshold=0.5)
    assert carry.mapping == {0: left, 2: right} and carry.detached == []
    library.save_photo("/p/two.jpg", 100, 1, "hash-2", (640, 480), 1, faces, SPACE, carry=carry.mapping)
    new = [f.id for f in library.faces_of(library.photo_by_path("/p/two.jpg").id)]
    assert len(new) == 3 and not set(new) & {left, right}
    assert library.links("confirmed") == [(new[2], anna.id)]
    assert library.links("rejected") == [(new[0], anna.id)]
    assert library.apart_pairs() == [(new[0], new[2])]


def test_a_photo_that_turns_unreadable_keeps_its_faces(library):
    vectors, _ = identities(1, 1, seed=6)
    (kept,) = add_photo(library, "/p/x.jpg", [face(0)], vectors)
    library.confirm(library.add_person("Anna"), [kept])
    library.save_photo("/p/x.jpg", 5, 2, "other", None, 1, error="Cannot open 'x.jpg': the file is damaged.")
    record = library.photo_by_path("/p/x.jpg")
    assert record.status == "error" and [f.id for f in library.faces_of(record.id)] == [kept]
    assert library.require_person("Anna").confirmed == 1


def test_busy_library_is_one_sentence(tmp_path):
    path = tmp_path / "library.sqlite"
    Library.open(path).close()
    holder = sqlite3.connect(path, timeout=0.1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError, match="busy"):
            with Library.open(path) as library:
                library._db.execute("PRAGMA busy_timeout = 100")
                library.add_person("Anna")
    finally:
        holder.rollback()
        holder.close()


def test_a_face_from_a_tag_follows_its_tag_when_the_photo_changes(library, tmp_path):
    """The rule of carry.py for faces from tags, on both engines: kept where a tag still marks them (no
    detection to find again), taken over by a face the detector now finds there, reported when the tag is gone."""
    from PIL import Image

    from faceapp.core.library.carry import carry_over
    from faceapp.core.tags.sidecar import write_sidecar
    from faceapp.core.tags.xmp import Region, new_packet

    path = str(tmp_path / "wall.jpg")
    Image.new("RGB", (640, 480), "grey").save(path)
    sidecar = tmp_path / "wall.jpg.xmp"

    def tag(*regions: Region) -> None:
        packet = new_packet()
        packet.add_regions(list(regions), (640, 480))
        write_sidecar(sidecar, packet)

    painted = Region("Painted", 400 / 640, 100 / 480, 60 / 640, 60 / 480)
    tag(painted)
    vectors, _ = identities(2, 2, seed=5)
    left, = add_photo(library, path, [face(10)], vectors[:1])
    photo_id = library.photo_by_path(path).id
    tag_id, = library.add_tag_faces(photo_id, [NewFace(Face(Box(400, 100, 60, 60), 1.0), 0.5, vectors[2])], SPACE)
    library.confirm(library.add_person("Painted"), [tag_id])

    # New content (edited pixels): the detector finds the face again, but nothing where the tag is.
    faces = [NewFace(face(14), 0.9, vectors[0])]
    carry = carry_over(library, path, SPACE, faces, threshold=0.5, dims=(640, 480))
    assert carry.mapping == {0: left} and carry.tags == {tag_id: Box(400, 100, 60, 60)}
    assert carry.detached == [] and carry.detached_tags == []
    library.save_photo(path, 100, 2, "hash-2", (640, 480), 1, faces, SPACE, carry=carry.mapping, tags=carry.tags)
    kept = library.faces_of(photo_id)
    assert [(f.number, f.source, f.face.box) for f in kept] == [(1, "detected", Box(14, 10, 80, 80)),
                                                                (2, "tag", Box(400, 100, 60, 60))]
    assert library.person_of(kept[1].id).name == "Painted"
    assert library.faces_without(SPACE, [photo_id]) == {photo_id: [kept[1].id]}  # to be described from the new crop

    # A smaller copy (same shape): the tag's region scales with it; the detector now finds a face there.
    faces = [NewFace(face(7, 5, 40), 0.9, vectors[0]), NewFace(Face(Box(201, 51, 30, 30), 0.9), 0.9, vectors[3])]
    carry = carry_over(library, path, SPACE, faces, threshold=0.5, dims=(320, 240))
    assert carry.mapping == {1: kept[1].id} and carry.tags == {}
    library.save_photo(path, 100, 3, "hash-3", (320, 240), 1, faces, SPACE, carry=carry.mapping, tags=carry.tags)
    now = library.faces_of(photo_id)
    assert library.person_of(now[1].id).name == "Painted" and now[1].source == "detected"

    # Another program removed the tag and the photo changed again: nothing marks the place; reported.
    library.add_tag_faces(photo_id, [NewFace(Face(Box(20, 150, 30, 30), 1.0), 0.5, vectors[2])], SPACE)
    library.confirm(library.add_person("Gone"), [library.faces_of(photo_id)[-1].id])
    tag(painted)
    carry = carry_over(library, path, SPACE, faces[:1], threshold=0.5, dims=(320, 240))
    assert carry.tags == {} and carry.detached == [(2, "Painted")] and carry.detached_tags == [(3, "Gone")]
