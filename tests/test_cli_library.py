"""faceapp-cli's library commands: JSON shapes, a re-scan without TensorFlow, kill -9, concurrency, bad input."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faceapp.cli import main
from tests.helpers import face_photo, make_folder, many_photos

REPO = Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def cli_json(capsys, *argv):
    status, out, err = run(capsys, *argv, "--json")
    assert status == 0, err
    return json.loads(out)


@pytest.fixture()
def scanned(tmp_path, models_dir, capsys):
    folder = make_folder(tmp_path / "photos")
    library = tmp_path / "lib.sqlite"
    data = cli_json(capsys, "scan", folder, "--library", library, "--models-dir", models_dir)
    return folder, library, data


@pytest.fixture()
def scanned_anywhere(tmp_path, models_dir, capsys, library_location):
    """``scanned``, on each engine: an SQLite file, then a PostgreSQL database (same commands, same JSON)."""
    folder = make_folder(tmp_path / "photos")
    data = cli_json(capsys, "scan", folder, "--library", library_location, "--models-dir", models_dir)
    if "://" in library_location:  # the connection string, without a password
        assert data["library"].startswith("postgresql://") and ":@" not in data["library"]
    else:
        assert data["library"] == library_location
    return folder, library_location, data


def test_scan_json(scanned):
    folder, library, data = scanned
    assert data["command"] == "scan" and data["library"] == str(library) and data["space"].startswith("resnet50@")
    summary = data["summary"]
    assert summary["photos"] == 6 and summary["new"] == 5 and summary["faces"] == 5 and summary["no_face"] == 1
    assert summary["errors"][0]["path"].endswith("broken.jpg") and "broken.jpg" in summary["errors"][0]["message"]
    assert set(summary) == {"folders", "photos", "unchanged", "new", "updated", "moved", "described", "faces",
                            "no_face", "errors", "missing", "unreadable_folders", "unsupported", "unmounted", "detached",
                            "cancelled", "seconds"}
    assert summary["unmounted"] == [] and summary["detached"] == []
    assert summary["unsupported"] == {}


def test_people_who_find_cluster_json(scanned_anywhere, capsys, models_dir):
    folder, library, _ = scanned_anywhere
    common = ["--library", library, "--models-dir", models_dir]
    added = cli_json(capsys, "people", "add", "Barack", folder / "work" / "obama.jpg", *common)
    assert added["person"] == {"name": "Barack", "confirmed": 1, "rejected": 0, "photos": 1}
    face = added["faces"][0]
    assert set(face) == {"face_id", "path", "number", "box", "confidence", "rotation", "quality"}
    listed = cli_json(capsys, "people", "list", *common)
    assert listed["people"][0]["name"] == "Barack"

    who = cli_json(capsys, "who", folder / "family" / "2019" / "two_people.jpg", face_photo("obama2.jpg"), *common)
    assert who["threshold"] == 0.5 and who["margin"] == 0.05
    first, second = who["photos"]
    assert first["in_library"] is True and second["in_library"] is False
    answer = first["faces"][0]
    assert set(answer) == {"number", "face_id", "box", "rotation", "status", "person", "nearest", "runner_up"}
    # Barack is the only person, so nobody is within the margin: his nearest face within the threshold is a match.
    assert answer["status"] == "match" and answer["person"] == answer["nearest"]["person"] == "Barack"
    assert answer["nearest"]["sample"]["face_id"] == face["face_id"]

    found = cli_json(capsys, "find", "Barack", *common, "--threshold", "0.01")
    assert found["query"] == {"person": "Barack"}
    assert found["photos"][0]["faces"][0]["state"] == "confirmed"
    similar = cli_json(capsys, "find", folder / "work" / "obama.jpg", *common, "--threshold", "1.0")
    assert similar["query"]["number"] == 1 and sum(len(p["faces"]) for p in similar["photos"]) == 5
    assert {f["state"] for p in similar["photos"] for f in p["faces"]} == {"similar"}

    grouped = cli_json(capsys, "cluster", *common, "--min-faces", "1", "--max-distance", "0.9")
    assert grouped["incremental"] is False and grouped["groups"]
    group = grouped["groups"][0]
    assert set(group) == {"group", "faces"} and len(group["faces"]) == 4  # every unnamed face looks alike here
    named = cli_json(capsys, "people", "add", "Someone", "--group", group["group"], *common)
    assert named["person"]["confirmed"] == 4
    rejected = cli_json(capsys, "people", "reject", "Someone", "--faces", face["face_id"], *common)
    assert rejected["person"]["rejected"] == 1
    apart = cli_json(capsys, "faces", "apart", group["faces"][0]["face_id"], group["faces"][1]["face_id"], *common)
    pair = tuple(sorted((group["faces"][0]["face_id"], group["faces"][1]["face_id"])))
    from faceapp.core.library import Library

    with Library.open(library, create=False) as stored:  # the effect, not the echo: the pair is kept apart
        assert pair in {tuple(sorted(p)) for p in stored.apart_pairs()} and apart["command"] == "faces apart"
    merged = cli_json(capsys, "people", "merge", "Someone", "Barack", *common)
    assert merged["person"]["confirmed"] == 5 and merged["conflicts"] == 1
    info = cli_json(capsys, "library", "info", *common)
    assert (info["photos"], info["faces"], info["people"], info["errors"], info["no_face"]) == (6, 5, 1, 1, 1)
    errors = cli_json(capsys, "library", "errors", *common)
    assert errors["errors"][0]["path"].endswith("broken.jpg")


def test_human_output_and_usage_errors(scanned, capsys, models_dir):
    folder, library, _ = scanned
    common = ["--library", library, "--models-dir", models_dir]
    status, out, _ = run(capsys, "who", folder / "work" / "obama.jpg", *common)
    assert status == 0 and "no named faces in this library yet" in out
    for argv, pattern in [
        (["find", "Nobody", *common], "no person or photo called 'Nobody'"),
        (["people", "add", "X", "--group", "99", *common], "no group 99"),
        (["people", "reject", "Nobody", "--faces", "1", *common], "no person called 'Nobody'"),
        (["people", "add", "X", *common], "Give one of"),
        (["faces", "apart", "1", "999", *common], "no face 999"),
        (["who", folder / "work" / "obama.jpg", "--threshold", "7", *common], "between 0 and 1"),
        (["cluster", "--min-faces", "0", *common], "min_faces"),
    ]:
        status, _, err = run(capsys, *argv)
        assert status == 2 and pattern in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_bad_library_files_are_refused_in_one_sentence(tmp_path, capsys, models_dir):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("shopping list\n" * 50)
    status, _, err = run(capsys, "people", "list", "--library", notes)
    assert status == 2 and "is not a faceapp library" in err and err.count("\n") == 1
    assert notes.read_text() == "shopping list\n" * 50
    status, _, err = run(capsys, "who", face_photo("obama.jpg"), "--library", tmp_path / "none.sqlite",
                         "--models-dir", models_dir)
    assert status == 2 and "scan a folder to start one" in err


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_rescan_of_unchanged_photos_loads_no_tensorflow(scanned, models_dir):
    folder, library, _ = scanned
    out = _python(f"""
import json, sys
from faceapp.cli import main
status = main(["scan", {str(folder)!r}, "--library", {str(library)!r}, "--models-dir", {str(models_dir)!r}, "--json"])
print("TF", "tensorflow" in sys.modules, status)
""")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout[:out.stdout.rindex("TF")])["summary"]
    assert summary["unchanged"] == 6 and out.stdout.split()[-2:] == ["False", "0"]


def test_a_wrong_photo_path_is_told_before_the_model_loads(scanned, models_dir, tmp_path):
    _, library, _ = scanned
    missing = str(tmp_path / "no such photo.jpg")
    common = f'"--library", {str(library)!r}, "--models-dir", {str(models_dir)!r}'
    out = _python(f"""
import sys
from faceapp.cli import main
for argv in (["who", {missing!r}], ["find", {missing!r}], ["people", "add", "Anna", {missing!r}]):
    print(argv[0], main([*argv, {common}]), "tensorflow" in sys.modules)
""")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["who", "2", "False", "find", "2", "False", "people", "2", "False"]
    assert out.stderr.count("'no such photo.jpg': the file does not exist; check the path.") == 2  # who, people add
    assert "There is no person or photo called" in out.stderr  # find: NAME or IMG, neither found


def _photo_count(library: Path) -> int:
    try:
        with sqlite3.connect(f"file:{library}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_scan_killed_at_any_moment_is_finished_by_the_next(tmp_path, models_dir, capsys):
    folder, library = tmp_path / "many", tmp_path / "lib.sqlite"
    many_photos(folder, 18)
    argv = [sys.executable, "-m", "faceapp.cli", "scan", str(folder), "--library", str(library),
            "--models-dir", str(models_dir)]
    scan = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ.copy())
    deadline = time.monotonic() + 240
    while _photo_count(library) < 4 and time.monotonic() < deadline and scan.poll() is None:
        time.sleep(0.05)
    scan.send_signal(signal.SIGKILL)
    scan.wait(30)
    killed_at = _photo_count(library)
    assert 4 <= killed_at < 18, killed_at
    data = cli_json(capsys, "scan", folder, "--library", library, "--models-dir", models_dir)
    summary = data["summary"]
    assert summary["unchanged"] == killed_at and summary["new"] == 18 - killed_at and not summary["errors"]
    with sqlite3.connect(library) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM photos").fetchone() == (18, 18)
        assert db.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 18  # one face each, none twice
        assert db.execute("SELECT COUNT(*) FROM faces f WHERE NOT EXISTS "
                          "(SELECT 1 FROM descriptors d WHERE d.face_id = f.id)").fetchone()[0] == 0


def test_who_answers_while_a_scan_writes(tmp_path, models_dir, capsys):
    folder, library = tmp_path / "many", tmp_path / "lib.sqlite"
    many_photos(folder, 14)
    common = ["--library", library, "--models-dir", models_dir]
    cli_json(capsys, "people", "add", "Barack", face_photo("obama_small.jpg"), *common)
    scan = subprocess.Popen([sys.executable, "-m", "faceapp.cli", "scan", str(folder), *map(str, common)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=os.environ.copy())
    answers = 0
    try:
        while scan.poll() is None:
            data = cli_json(capsys, "who", face_photo("obama_small.jpg"), *common)
            assert data["photos"][0]["faces"][0]["nearest"]["person"] == "Barack"
            answers += 1
    finally:
        _, errors = scan.communicate(timeout=240)
    assert scan.returncode == 0, errors
    assert answers >= 2 and _photo_count(library) == 15


# -- prune asks; erase leaves nothing (issue 16) -----------------------------------------------------------

@pytest.fixture()
def gone_photos(tmp_path):
    """A library whose three photos are gone from disk; a face of the first is named Anna."""
    import numpy as np

    from faceapp.core.library import Library
    from faceapp.core.library.records import NewFace
    from faceapp.core.types import Box, DescriptorSpace, Face
    from tests.descriptor_sets import identities

    space = DescriptorSpace("resnet50", "0123456789abcdef", "vggface2", 1, 2048)
    path = tmp_path / "lib.sqlite"
    vectors, _ = identities(3, 1, seed=9)
    with Library.open(path) as library:
        for index, vector in enumerate(vectors):
            library.save_photo(f"/gone/{index}.jpg", 10, 1, f"h{index}", (100, 100), 1,
                               [NewFace(Face(Box(0, 0, 50, 50), 0.99), 0.9, np.asarray(vector))], space)
        first = library.faces_of(library.photo_by_path("/gone/0.jpg").id)[0].id
        library.confirm(library.add_person("Anna"), [first])
        library.mark_missing(library.photo_by_path(f"/gone/{i}.jpg").id for i in range(3))
    return path


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_prune_lists_asks_and_keeps_named_photos(gone_photos, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # a script: no terminal to ask on
    status, out, err = run(capsys, "library", "prune", "--library", gone_photos)
    assert status == 2 and out == "" and "pass --yes to forget them without asking" in err
    assert err.count("\n") == 1  # one sentence

    data = cli_json(capsys, "library", "prune", "--dry-run", "--library", gone_photos)
    assert data == {"command": "library prune", "forgotten": 0, "dry_run": True, "photos": ["/gone/1.jpg", "/gone/2.jpg"],
                    "named_faces": 0, "kept_named": ["/gone/0.jpg"]}

    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    status, out, err = run(capsys, "library", "prune", "--library", gone_photos)
    assert status == 0 and "/gone/1.jpg" in err and "Forget them? [y/N]" in err and "Nothing was forgotten" in err
    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    status, out, err = run(capsys, "library", "prune", "--library", gone_photos)
    assert status == 0 and out.startswith("Forgot 2 photos whose files are gone. 1 gone photo where someone is named")

    data = cli_json(capsys, "library", "prune", "--yes", "--include-named", "--library", gone_photos)
    assert (data["forgotten"], data["photos"], data["named_faces"]) == (1, ["/gone/0.jpg"], 1)


def test_people_remove_erase_reports_what_was_deleted(gone_photos, capsys):
    data = cli_json(capsys, "people", "remove", "Anna", "--erase", "--library", gone_photos)
    assert data == {"command": "people remove", "person": {"name": "Anna", "confirmed": 1, "rejected": 0, "photos": 1},
                    "erased": {"faces": 1, "rejections": 0, "copies": [], "thumbnails": 0, "compacted": True}}
    assert b"Anna" not in Path(gone_photos).read_bytes()
    status, out, _ = run(capsys, "people", "list", "--library", gone_photos)
    assert status == 0 and "No people yet" in out
