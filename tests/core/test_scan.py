"""Scanning folders into a library, with real photo files and generated model files."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from PIL import Image

from faceapp.core.library import Library
from faceapp.core.library.scan import Scanner
from tests.helpers import make_folder


@pytest.fixture()
def folder(tmp_path):
    return make_folder(tmp_path / "photos")


def scan(library, folder, models_dir, crop="vggface2", **kwargs):
    return Scanner(library, [folder], "resnet50", crop, models_dir=models_dir, **kwargs).run()


def test_first_scan_records_everything(tmp_path, folder, models_dir):
    with Library.open(tmp_path / "lib.sqlite") as library:
        summary = scan(library, folder, models_dir)
        info = library.info()
    assert summary.photos == 6 and summary.new == 5 and summary.faces == 5 and summary.no_face == 1
    assert [os.path.basename(p) for p, _ in summary.errors] == ["broken.jpg"]
    assert "broken.jpg" in summary.errors[0][1] and summary.errors[0][1].endswith(".")
    assert info["photos"] == 6 and info["faces"] == 5 and info["errors"] == 1 and info["no_face"] == 1
    assert info["spaces"][0]["descriptors"] == 5


def test_photos_in_formats_faceapp_cannot_read_are_counted_not_lost_in_silence(tmp_path, folder, models_dir):
    for name in ("family/IMG_0001.HEIC", "family/2019/IMG_0002.heic", "work/DSC_0003.NEF"):
        (folder / name).write_bytes(b"\0\0\0\x18ftypheic" + bytes(64))
    with Library.open(tmp_path / "lib.sqlite") as library:
        summary = scan(library, folder, models_dir)  # family/loop reaches the HEIC files again: counted once
    assert summary.photos == 6 and summary.unsupported == {"HEIC": 2, "camera raw": 1}
    assert summary.as_dict()["unsupported"] == {"HEIC": 2, "camera raw": 1}
    assert summary.unsupported_text() == ("2 HEIC files and 1 camera raw file were left out: faceapp cannot read "
                                          "these formats; save them as JPEG to include them.")


def test_rescan_skips_what_is_unchanged_and_follows_edits_moves_and_deletions(tmp_path, folder, models_dir):
    with Library.open(tmp_path / "lib.sqlite") as library:
        scan(library, folder, models_dir)
        again = scan(library, folder, models_dir)
        assert (again.unchanged, again.new, again.updated, len(again.errors)) == (6, 0, 0, 0)  # broken: not retried

        # Named faces must survive all of this.
        obama = library.photo_by_path(str((folder / "work/obama.jpg").resolve()))
        face_id = library.faces_of(obama.id)[0].id
        library.confirm(library.add_person("Barack"), [face_id])

        touched = folder / "work" / "obama.jpg"
        os.utime(touched, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))  # same bytes, new date
        moved = folder / "family" / "moved.jpg"
        (folder / "family" / "obama_small.jpg").rename(moved)
        edited = folder / "work" / "biden.jpg"
        Image.open(edited).rotate(3).save(edited, quality=90)
        (folder / "family" / "2019" / "two_people.jpg").unlink()
        summary = scan(library, folder, models_dir)
        assert (summary.unchanged, summary.moved, summary.updated, summary.new, summary.missing) == (3, 1, 1, 0, 1)
        assert library.faces_of(obama.id)[0].id == face_id and library.person_of(face_id).name == "Barack"
        assert library.photo_by_path(str(moved.resolve())) is not None
        assert library.info()["missing"] == 1 and library.prune_missing() == 1


def test_a_new_model_or_crop_describes_again_without_detecting_again(tmp_path, folder, models_dir):
    with Library.open(tmp_path / "lib.sqlite") as library:
        scan(library, folder, models_dir)
        before = {f.id for p in library.photos_under(str(folder.resolve())).values() for f in library.faces_of(p.id)}
        summary = scan(library, folder, models_dir, crop="tutorial")
        after = {f.id for p in library.photos_under(str(folder.resolve())).values() for f in library.faces_of(p.id)}
        assert summary.described == 4 and summary.new == summary.updated == 0 and before == after
        assert sorted(s["descriptors"] for s in library.info()["spaces"]) == [5, 5]


def test_cancel_keeps_what_was_done(tmp_path, folder, models_dir):
    from faceapp.core.cancel import CancelToken

    token = CancelToken()
    with Library.open(tmp_path / "lib.sqlite") as library:
        scanner = Scanner(library, [folder], "resnet50", "vggface2", models_dir=models_dir)
        scanner.plan()
        seen = []
        scanner.run(progress=lambda p: (seen.append(p), p.done >= 2 and token.cancel()), cancel=token)
        assert scanner.summary.cancelled and 2 <= library.info()["photos"] < 6
        assert seen[-1].total == 6 and seen[-1].rate > 0
        rest = scan(library, folder, models_dir)
        assert library.info()["photos"] == 6 and rest.new + rest.unchanged + len(rest.errors) == 6


def test_a_folder_that_is_missing_or_vanishes(tmp_path, folder, models_dir):
    with Library.open(tmp_path / "lib.sqlite") as library:
        summary = scan(library, tmp_path / "no such folder", models_dir)
        assert summary.photos == 0 and "does not exist" in summary.unreadable_folders[0][1]
        scanner = Scanner(library, [folder], "resnet50", "vggface2", models_dir=models_dir)
        scanner.plan()
        shutil.rmtree(folder)  # the drive is unplugged after planning
        result = scanner.run()
        assert len(result.errors) == 6 and all("disappeared" in m for _, m in result.errors)
        assert library.info()["faces"] == 0  # nothing half-written


def test_step_by_step_as_the_window_does(tmp_path, folder, models_dir):
    with Library.open(tmp_path / "lib.sqlite") as library:
        scanner = Scanner(library, [folder], "resnet50", "vggface2", models_dir=models_dir)
        assert scanner.plan() == 6
        steps = 1
        while scanner.step(budget_s=0.01):
            steps += 1
        assert steps >= 3 and scanner.done and library.info()["faces"] == 5
