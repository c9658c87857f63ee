"""Scans under real-world faults (issue 16): unmounted and unreadable folders, odd file names, huge files,
running out of memory, a full disk, and a changed photo whose names must not move to a stranger."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance

from faceapp.core.errors import StorageError
from faceapp.core.library import Library
from faceapp.core.library.scan import Scanner
from tests.helpers import face_photo


def photo(target: Path, name: str = "obama_small.jpg", side: int = 320, brightness: float = 1.0) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(face_photo(name)).convert("RGB")
    image.thumbnail((side, side))
    ImageEnhance.Brightness(image).enhance(brightness).save(target, "JPEG", quality=90)
    return target


def scan(library: Library, folder: Path, models_dir: Path, **kwargs):
    return Scanner(library, [folder], "resnet50", "vggface2", models_dir=models_dir, **kwargs).run()


def refuse_listing(monkeypatch: pytest.MonkeyPatch, *folders: Path) -> None:
    """Listing these folders fails as with a revoked permission (the tests run as root, where chmod 000
    does not stop reading)."""
    real, refused = os.scandir, {str(f) for f in folders}

    def scandir(path="."):  # a path, or an open folder's descriptor (as shutil.rmtree passes)
        if not isinstance(path, int) and os.fspath(path) in refused:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unmounted_or_unreadable_folder_marks_nothing_missing(tmp_path, models_dir, monkeypatch):
    folder = tmp_path / "mnt" / "photos"
    photo(folder / "a.jpg")
    photo(folder / "2019" / "b.jpg", "biden.jpg")
    with Library.open(tmp_path / "lib.sqlite") as library:
        scan(library, folder, models_dir)
        named = library.faces_of(library.photo_by_path(str(folder / "a.jpg")).id)[0].id
        library.confirm(library.add_person("Barack"), [named])

        shutil.move(folder, tmp_path / "elsewhere")  # the disk is unplugged: its mount point stays, empty
        folder.mkdir()
        summary = scan(library, folder, models_dir)
        assert summary.missing == 0 and library.info()["missing"] == 0
        assert summary.unmounted == [(str(folder), 2)]
        assert summary.unmounted_text() == [f"{folder} looks unmounted: 2 known photos not found, kept (connect the "
                                            "disk or share, or give back the permission, and scan again)."]
        assert summary.as_dict()["unmounted"] == [{"path": str(folder), "known_photos": 2}]
        from faceapp.core.library.housekeeping import prune_plan

        assert not prune_plan(library, include_named=True).forget

        folder.rmdir()
        shutil.move(tmp_path / "elsewhere", folder)
        refuse_listing(monkeypatch, folder)  # a privacy permission reset: the folder cannot be listed
        summary = scan(library, folder, models_dir)
        assert (summary.missing, summary.unmounted, summary.unreadable_folders) == (0, [(str(folder), 2)], [])
        assert library.info()["missing"] == 0 and library.person_of(named).name == "Barack"


def test_a_sub_folder_that_cannot_be_listed_keeps_its_photos(tmp_path, models_dir, monkeypatch):
    folder = tmp_path / "photos"
    photo(folder / "a" / "one.jpg")
    photo(folder / "b" / "two.jpg", "biden.jpg")
    photo(folder / "c" / "three.jpg", "obama.jpg")
    with Library.open(tmp_path / "lib.sqlite") as library:
        scan(library, folder, models_dir)
        (folder / "c" / "three.jpg").unlink()  # really gone
        refuse_listing(monkeypatch, folder / "b")
        summary = scan(library, folder, models_dir)
        assert summary.missing == 1 and summary.unmounted == []
        assert [p for p, _ in summary.unreadable_folders] == [str(folder / "b")]
        assert "kept as they were" in summary.unreadable_folders[0][1]
        assert not library.photo_by_path(str(folder / "b" / "two.jpg")).missing
        assert library.photo_by_path(str(folder / "c" / "three.jpg")).missing


def test_odd_file_names_are_scanned_and_shown_escaped(tmp_path, models_dir, capsys):
    from faceapp.cli import main

    folder = tmp_path / "photos"
    latin1 = os.fsdecode(os.fsencode(str(folder)) + b"/caf\xe9.jpg")  # a name from an old FAT disk: not UTF-8
    names = [latin1, str(folder / "two\nlines.jpg"), str(folder / ("long-" * 48 + ".jpg"))]
    for index, name in enumerate(names):
        photo(Path(name), side=240 + 20 * index)
    status = main(["scan", str(folder), "--library", str(tmp_path / "lib.sqlite"), "--models-dir", str(models_dir),
                   "--json"])
    out = capsys.readouterr().out
    assert status == 0
    summary = json.loads(out)["summary"]  # valid JSON, valid UTF-8
    assert (summary["photos"], summary["new"], summary["errors"]) == (3, 3, [])
    with Library.open(tmp_path / "lib.sqlite") as library:
        assert sorted(library.photos_under(str(folder))) == sorted(names)
        assert library.photo_by_path(latin1).status == "faces"
    (folder / "two\nlines.jpg").unlink()
    Path(latin1).write_bytes(b"not a photo any more")
    assert main(["scan", str(folder), "--library", str(tmp_path / "lib.sqlite"), "--models-dir", str(models_dir)]) == 0
    text = capsys.readouterr().out
    assert "3 photos" not in text and "1 could not be read" in text
    assert main(["library", "errors", "--library", str(tmp_path / "lib.sqlite")]) == 0
    assert capsys.readouterr().out.startswith(f"{folder}/caf\\xe9.jpg: Cannot open 'caf\\xe9.jpg': it is not "
                                              "an image faceapp can read")


def test_a_huge_file_is_not_read_and_running_out_of_memory_stops_one_photo(tmp_path, models_dir, monkeypatch):
    import faceapp.core.images
    import faceapp.core.library.scan as scan_module

    folder = tmp_path / "photos"
    small = photo(folder / "small.jpg", side=200)
    greedy = photo(folder / "greedy.jpg", "biden.jpg", side=200)
    big = photo(folder / "big.jpg", side=640)
    limit = max(small.stat().st_size, greedy.stat().st_size) + 1
    assert big.stat().st_size > limit and small.stat().st_size != greedy.stat().st_size
    monkeypatch.setattr(scan_module, "MAX_IMAGE_BYTES", limit)
    real_load = faceapp.core.images.load_image

    def load_image(source, *args, **kwargs):
        if len(source) == greedy.stat().st_size:
            raise MemoryError
        return real_load(source, *args, **kwargs)

    monkeypatch.setattr(faceapp.core.images, "load_image", load_image)
    with Library.open(tmp_path / "lib.sqlite") as library:
        summary = scan(library, folder, models_dir)
        errors = dict(summary.errors)
        assert summary.new == 1 and library.photo_by_path(str(small)).status == "faces"
        assert errors[str(big)] == (f"'big.jpg' is too large ({round(big.stat().st_size / 1024)} KB; faceapp reads "
                                    f"photos up to {round(limit / 1024)} KB): it was left out; save a smaller copy "
                                    "to include it.")
        assert errors[str(greedy)] == ("Cannot open 'greedy.jpg': there was not enough memory to decode it; close "
                                       "other programs and scan again.")
        assert library.photo_by_path(str(big)).status == "error"


def test_a_changed_photo_keeps_its_names_only_for_the_same_face(tmp_path, models_dir):
    from faceapp.core.evaluation import thresholds

    folder = tmp_path / "photos"
    target = photo(folder / "IMG_0001.JPG", "obama.jpg")
    with Library.open(tmp_path / "lib.sqlite") as library:
        scan(library, folder, models_dir)
        record = library.photo_by_path(str(target))
        library.confirm(library.add_person("Barack"), [library.faces_of(record.id)[0].id])

        photo(target, "obama.jpg", brightness=1.1)  # edited: new bytes, the same face
        summary = scan(library, folder, models_dir)
        face_id = library.faces_of(record.id)[0].id
        assert summary.updated == 1 and summary.detached == [] and library.person_of(face_id).name == "Barack"

        # The same place, a face farther than the threshold in use: with generated weights every face looks
        # alike, so the threshold is made strict (as a calibration would) rather than the face made strange.
        thresholds.save("resnet50", "vggface2", 0.0)
        photo(target, "obama.jpg", brightness=0.8)
        summary = scan(library, folder, models_dir)
        assert summary.detached == [(str(target), 1, "Barack")]
        assert summary.as_dict()["detached"] == [{"path": str(target), "number": 1, "person": "Barack",
                                                   "from_tag": False}]
        assert summary.detached_text()[0].startswith("Barack: face 1 of IMG_0001.JPG changed into someone else's")
        assert library.person_of(library.faces_of(record.id)[0].id) is None
        assert library.require_person("Barack").confirmed == 0


def test_a_full_disk_during_a_scan_keeps_every_finished_photo(tmp_path, models_dir):
    folder = tmp_path / "photos"
    photo(folder / "first.jpg")
    path = tmp_path / "lib.sqlite"
    with Library.open(path) as library:
        scan(library, folder, models_dir)
        library.confirm(library.add_person("Barack"), [library.faces_of(library.photo_by_path(
            str(folder / "first.jpg")).id)[0].id])
        for index, name in enumerate(["biden.jpg", "obama.jpg", "two_people.jpg", "obama2.jpg"]):
            photo(folder / f"more{index}.jpg", name, side=260)
        pages = library._db.execute("PRAGMA page_count").fetchone()[0]
        library._db.execute(f"PRAGMA max_page_count = {pages + 5}")  # the disk fills up during the scan
        with pytest.raises(StorageError, match="is full; free some space and try again"):
            scan(library, folder, models_dir)
        kept = library.info()
        assert not library._db.in_transaction and 1 <= kept["photos"] < 5
        library._db.execute("PRAGMA max_page_count = 1073741823")  # space again
        summary = scan(library, folder, models_dir)
        assert summary.new == 5 - kept["photos"] and library.info()["photos"] == 5
        assert library.require_person("Barack").confirmed == 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM photos").fetchone() == (5, 5)
        assert db.execute("SELECT COUNT(*) FROM faces f WHERE NOT EXISTS "
                          "(SELECT 1 FROM descriptors d WHERE d.face_id = f.id)").fetchone()[0] == 0
