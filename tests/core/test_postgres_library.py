"""The library on a real PostgreSQL + pgvector server: same answers as SQLite, many writers, bad input."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import psycopg
import pytest

from faceapp.core.errors import StorageError
from faceapp.core.library import Library, recognition
from faceapp.core.library.scan import Scanner
from tests.helpers import make_folder
from tests.postgres import new_database


def scan(library, folders, models_dir, engine, **kwargs):
    return Scanner(library, folders, "resnet50", "vggface2", models_dir=models_dir, engine=engine).run(**kwargs)


def counts(library):
    return {k: v for k, v in library.info().items() if k != "library"}


def who_all(library, space):
    """Every face's "who" answer, by (photo file name, face number)."""
    ids, matrix = library.descriptors(space)
    answers = recognition.suggest(library, space, matrix, 0.5, 0.05, [int(i) for i in ids])
    out = {}
    for face_id, answer in zip(ids, answers):
        record, photo = library.face(int(face_id))
        person = library.person_of(answer.sample).name if answer.sample is not None else None
        out[(photo.path.rsplit("/", 2)[-2:][-1], record.number)] = (answer.status, person,
                                                                     round(answer.distance or 0.0, 4))
    return out


def test_the_same_scan_gives_the_same_counts_and_answers_on_both_engines(tmp_path, pg_url, models_dir, engine):
    folder = make_folder(tmp_path / "photos")
    results = []
    for location in (str(tmp_path / "lib.sqlite"), pg_url):
        with Library.open(location) as library:
            scan(library, [folder], models_dir, engine)
            recognition.enrol(library, engine, "Barack", folder / "work" / "obama.jpg")
            recognition.enrol(library, engine, "Joe", folder / "work" / "biden.jpg")
            results.append((counts(library), who_all(library, engine.space)))
    (sqlite_counts, sqlite_who), (pg_counts, pg_who) = results
    assert sqlite_counts == pg_counts and pg_counts["photos"] == 6 and pg_counts["named_faces"] == 2
    assert sqlite_who == pg_who and len(pg_who) == 5


def test_two_concurrent_scans_of_different_folders_add_up(tmp_path, pg_url, models_dir, engine):
    first, second = make_folder(tmp_path / "a"), make_folder(tmp_path / "b")
    # The other writer is another process (another machine, in real life), with its own model.
    other = subprocess.Popen([sys.executable, "-m", "faceapp.cli", "scan", str(second), "--library", pg_url,
                              "--models-dir", str(models_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    try:
        with Library.open(pg_url) as library:
            summary = scan(library, [first], models_dir, engine)
    finally:
        _, errors = other.communicate(timeout=300)
    assert other.returncode == 0, errors
    assert summary.new == 5 and not summary.cancelled
    with Library.open(pg_url) as library:
        info = library.info()
        paths = [p.path for p in library.photos_under(str(tmp_path)).values()]
    assert info["photos"] == 12 and info["faces"] == 10 and info["errors"] == 2 and len(set(paths)) == 12
    assert info["spaces"][0]["descriptors"] == 10 and len(info["spaces"]) == 1


def test_a_rename_in_one_connection_while_another_scans_loses_nothing(tmp_path, pg_url, models_dir, engine):
    folder = make_folder(tmp_path / "photos")
    with Library.open(pg_url) as namer:
        recognition.enrol(namer, engine, "Barack", folder / "work" / "obama.jpg")
    stop, renames, problems = threading.Event(), [], []

    def rename_again_and_again() -> None:
        with Library.open(pg_url) as namer:
            names = ["Barack", "Obama"]
            while not stop.is_set():
                try:
                    namer.rename_person(names[len(renames) % 2], names[(len(renames) + 1) % 2])
                    renames.append(1)
                except Exception as exc:  # noqa: BLE001 - collected and asserted below
                    problems.append(exc)
                    return

    renamer = threading.Thread(target=rename_again_and_again)
    renamer.start()
    try:
        with Library.open(pg_url) as library:
            summary = scan(library, [folder], models_dir, engine)
    finally:
        stop.set()
        renamer.join()
    assert problems == [] and len(renames) >= 2 and summary.new == 4  # obama.jpg was enrolled before
    with Library.open(pg_url) as library:
        (person,) = library.people()
        assert person.name == ["Barack", "Obama"][len(renames) % 2] and person.confirmed == 1
        assert library.info()["photos"] == 6


def test_a_server_that_disappears_mid_scan_stops_it_and_the_rerun_completes(tmp_path, pg_url, pg_server,
                                                                            models_dir, engine):
    folder = make_folder(tmp_path / "photos")
    with Library.open(pg_url) as library:
        backend = library._db.info.backend_pid
        seen = []

        def cut_after_two(progress) -> None:
            seen.append(progress)
            if len(seen) == 2:  # the server goes away (as far as this connection can tell)
                with psycopg.connect(pg_server.get_uri("postgres"), autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (backend,))

        with pytest.raises(StorageError) as info:
            scan(library, [folder], models_dir, engine, progress=cut_after_two)
    message = str(info.value)
    assert "could not be reached" in message and "run the command again" in message and "\n" not in message
    with Library.open(pg_url) as library:
        kept = library.info()["photos"]
        assert 1 <= kept < 6
        summary = scan(library, [folder], models_dir, engine)
        assert summary.unchanged == kept and library.info()["photos"] == 6 and library.info()["faces"] == 5


def test_bad_locations_are_one_sentence(pg_server, tmp_path):
    cases = [
        ("postgresql://[::1/library", "is not a PostgreSQL connection string"),
        ("postgresql://postgres@127.0.0.1:1/library", "could not be reached"),
    ]
    for url, words in cases:
        with pytest.raises(StorageError, match=words) as info:
            Library.open(url)
        assert "\n" not in str(info.value) and str(info.value).endswith(".")
    with pytest.raises(StorageError, match="no faceapp library in .* yet"):
        Library.open(new_database(pg_server), create=False)


def test_a_database_without_pgvector_says_how_to_add_it(pg_server):
    url = new_database(pg_server)
    with psycopg.connect(url, autocommit=True) as admin:  # a user who may make tables, not extensions
        admin.execute("DO $$ BEGIN CREATE ROLE plain LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        admin.execute("GRANT CREATE, USAGE ON SCHEMA public TO plain")
    with pytest.raises(StorageError, match="does not have pgvector enabled.*CREATE EXTENSION vector") as info:
        Library.open(url.replace("postgresql://postgres:@", "postgresql://plain@"))
    assert "\n" not in str(info.value)
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SELECT to_regclass('meta')").fetchone()[0] is None  # nothing was created


def test_a_library_from_a_newer_faceapp_and_another_programs_tables_are_refused(pg_server):
    url = new_database(pg_server)
    Library.open(url).close()
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StorageError, match="newer faceapp .*version 99"):
        Library.open(url)
    other = new_database(pg_server)
    with psycopg.connect(other, autocommit=True) as admin:
        admin.execute("CREATE TABLE photos (id int)")
    with pytest.raises(StorageError, match="another program's tables"):
        Library.open(other)


def test_without_the_server_extra_a_sentence_says_what_to_install(monkeypatch, pg_url):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "faceapp.core.library.postgres_store", raising=False)
    with pytest.raises(StorageError, match=r'pip install "faceapp\[server\]"'):
        Library.open(pg_url)


def test_the_desktop_never_imports_psycopg(tmp_path):
    code = ("import sys; from faceapp.core.library import Library, recognition; "
            f"Library.open({str(tmp_path / 'l.sqlite')!r}).close(); print('psycopg' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"


def test_indexed_who_agrees_with_the_exact_answer(pg_url, monkeypatch):
    from faceapp.core.library import postgres_store
    from faceapp.core.library.records import NewFace
    from faceapp.core.types import Box, DescriptorSpace, Face
    from tests.descriptor_sets import identities

    SPACE = DescriptorSpace("resnet50", "0123456789abcdef", "vggface2", 1, 2048)
    THRESHOLD, MARGIN = 0.4, 0.05  # as tests/core/test_recognition.py: spread 0.6 puts one person 0.23-0.30 apart

    def fill(library, matrix):
        for row, vector in enumerate(matrix):
            library.save_photo(f"/photos/{row:05d}.jpg", 1, 1, f"h{row}", (100, 100), 1,
                               [NewFace(Face(Box(0, 0, 50, 50), 0.99), 0.9, vector)], SPACE)
        return [library.faces_of(library.photo_by_path(f"/photos/{row:05d}.jpg").id)[0].id
                for row in range(len(matrix))]

    matrix, labels = identities(60, 5, seed=7)
    with Library.open(pg_url) as library:
        ids = fill(library, matrix)
        people = {label: library.add_person(f"P{label}") for label in range(50)}
        for label, person in people.items():
            library.confirm(person, [ids[r] for r in np.flatnonzero(labels == label)[:3]])
        library.reject(people[0], [ids[np.flatnonzero(labels == 1)[3]]])
        exact = recognition.suggest(library, SPACE, matrix, THRESHOLD, MARGIN, ids)
        monkeypatch.setattr(postgres_store, "EXACT_PEOPLE", 0)
        index = library.people_index(SPACE)
        assert type(index).__name__ == "IndexedPeople"
        indexed = index.suggest(matrix, THRESHOLD, MARGIN, ids)
    fields = [(a.status, a.person, a.sample, a.runner_up) for a in exact]
    assert [(a.status, a.person, a.sample, a.runner_up) for a in indexed] == fields
    np.testing.assert_allclose([a.distance or 0 for a in indexed], [a.distance or 0 for a in exact], atol=1e-5)


def test_each_persons_sum_follows_every_change_of_names_and_descriptors(pg_url):
    """The server keeps each person's sum of confirmed descriptors (what "who" uses to reach people its index
    cannot): after confirming, moving, rejecting, unnaming, merging, a second space, forgetting photos and
    removing a person, the sums equal the ones recomputed from the library, to float32 round-off."""
    from faceapp.core.library.records import NewFace
    from faceapp.core.types import Box, DescriptorSpace, Face
    from tests.descriptor_sets import identities

    first = DescriptorSpace("resnet50", "0123456789abcdef", "vggface2", 1, 64)
    second = DescriptorSpace("senet50", "fedcba9876543210", "vggface2", 1, 32)
    matrix, labels = identities(4, 6, seed=3, dim=64)

    def recomputed(library, space):
        ids, vectors = library.descriptors(space)
        row = {int(f): r for r, f in enumerate(ids)}
        sums: dict[int, np.ndarray] = {}
        for face, person in library.links("confirmed"):
            if int(face) in row:
                sums[int(person)] = sums.get(int(person), 0) + vectors[row[int(face)]]
        return sums

    def check(library):
        for space in (first, second):
            people, totals = library.person_means(space)
            expected = recomputed(library, space)
            assert sorted(expected) == [int(p) for p in people], space.model
            for person, total in zip(people, totals):
                np.testing.assert_allclose(total, expected[int(person)], atol=1e-5)

    with Library.open(pg_url) as library:
        for row, vector in enumerate(matrix):
            library.save_photo(f"/photos/{row:03d}.jpg", 1, 1, f"h{row}", (100, 100), 1,
                               [NewFace(Face(Box(0, 0, 50, 50), 0.99), 0.9, vector)], first)
        ids = [library.faces_of(library.photo_by_path(f"/photos/{row:03d}.jpg").id)[0].id for row in range(len(matrix))]
        anna, ben, cleo = (library.add_person(name) for name in ("Anna", "Ben", "Cleo"))
        library.confirm(anna, [ids[r] for r in np.flatnonzero(labels == 0)])
        library.confirm(ben, [ids[r] for r in np.flatnonzero(labels == 1)])
        library.confirm(cleo, [ids[r] for r in np.flatnonzero(labels == 2)])
        check(library)
        library.confirm(anna, [ids[np.flatnonzero(labels == 1)[0]]])  # moved from Ben to Anna
        library.reject(ben, [ids[np.flatnonzero(labels == 1)[1]]])  # confirmed for Ben, now rejected
        library.forget_links([ids[np.flatnonzero(labels == 0)[2]]])  # unnamed
        check(library)
        rng = np.random.default_rng(5)  # a second model describes some faces: their own sums in that space
        library.add_descriptors(second, [(ids[r], v / np.linalg.norm(v)) for r, v in
                                         ((r, rng.standard_normal(32).astype(np.float32)) for r in range(0, 24, 2))])
        check(library)
        library.merge_people("Cleo", "Ben")
        gone = [library.photo_by_path(f"/photos/{r:03d}.jpg").id for r in np.flatnonzero(labels == 1)[2:4]]
        library.mark_missing(gone)
        assert library.forget_photos(gone) == 2
        check(library)
        library.remove_person("Anna")
        check(library)
        assert [int(p) for p in library.person_means(first)[0]] == [ben.id]
        library.confirm(cleo := library.add_person("Cleo"), [ids[r] for r in np.flatnonzero(labels == 3)])
        # A library from before the sums (schema 2) gets them, and the count of name changes, when it is opened.
        library._db.execute("DROP TABLE person_sums; DROP FUNCTION faceapp_link_changed, faceapp_descriptor_changed, "
                            "faceapp_add_to_person, faceapp_names_changed, faceapp_named_descriptors_changed CASCADE; "
                            "DELETE FROM meta WHERE key = 'names_changes'; "
                            "UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Library.open(pg_url) as library:
        check(library)
        assert library.names_version() == "0"
        library.forget_links([ids[np.flatnonzero(labels == 3)[0]]])
        assert library.names_version() == "1"
        assert sorted(int(p) for p in library.person_means(first)[0]) == [ben.id, cleo.id]


def test_cluster_runs_one_at_a_time(pg_url):
    with Library.open(pg_url) as first, Library.open(pg_url) as second:
        order = []
        with first.exclusive("cluster"):
            waiting = threading.Thread(target=lambda: (second.exclusive("cluster").__enter__(), order.append("second")))
            waiting.start()
            waiting.join(timeout=1.0)  # it must still be waiting for the lock
            order.append("first")
        waiting.join()
    assert order == ["first", "second"]


def test_a_write_that_loses_a_race_runs_again(pg_url, monkeypatch):
    with Library.open(pg_url) as library:
        lost = []
        execute = library._execute

        def loses_once(sql, args=()):
            if sql.startswith("INSERT INTO people") and not lost:
                lost.append(sql)
                raise psycopg.errors.SerializationFailure("could not serialize access due to concurrent update")
            return execute(sql, args)

        monkeypatch.setattr(library, "_execute", loses_once)
        assert library.add_person("Anna").name == "Anna" and len(lost) == 1
        assert [p.name for p in library.people()] == ["Anna"]


def test_a_busy_server_is_tried_again_then_told_in_one_sentence(pg_server, pg_url):
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("DO $$ BEGIN CREATE ROLE limited LOGIN CONNECTION LIMIT 1; "
                      "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    Library.open(pg_url).close()  # tables and pgvector made by the owner
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO limited")
    url = pg_url.replace("postgresql://postgres:@", "postgresql://limited@")
    holder = psycopg.connect(url)
    try:
        with pytest.raises(StorageError, match="is busy .*try again") as info:
            Library.open(url)
        assert "\n" not in str(info.value)
        releaser = threading.Timer(0.3, holder.close)  # the server frees a connection while faceapp waits
        releaser.start()
        with Library.open(url) as library:  # answered by a retry, not an error
            assert library.info()["photos"] == 0
        releaser.join()
    finally:
        holder.close()
