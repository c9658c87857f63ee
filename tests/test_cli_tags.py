"""faceapp-cli tags import / export and scan --read-tags: JSON shapes, what lands on disk, refusals in one sentence."""

from __future__ import annotations

import json

from PIL import Image

from faceapp.cli import main
from faceapp.core.library import Library
from tests.tagphotos import NAMES, needs_exiftool, read_regions, tagged_photos

pytestmark = needs_exiftool


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_import_then_export_json_and_embed_refusal(tmp_path, models_dir, capsys):
    folder = tmp_path / "photos"
    good, hostile = tagged_photos(folder, [(6, "embedded"), (3, "none")])
    hostile.with_name(hostile.name + ".xmp").write_text(
        '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>')
    Image.new("RGB", (64, 64), "white").save(folder / "plain.png")
    library = tmp_path / "lib.sqlite"
    status, out, err = run(capsys, "tags", "import", folder, "--library", library, "--models-dir", models_dir, "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["command"] == "tags import" and data["library"] == str(library)
    assert set(data) == {"command", "library", "totals", "photos", "errors", "scan", "cancelled", "seconds"}
    assert data["totals"] == {"photos": 3, "regions": 2, "named": 2, "already_named": 0, "from_tags": 0,
                              "conflicts": 0, "ignored": 0}
    by_path = {p["path"]: p for p in data["photos"]}
    entry = by_path[str(good)]
    assert set(entry) == {"path", "source", "regions", "named", "already_named", "unmatched", "conflicts", "ignored",
                          "problems"}
    assert entry["source"] == "embedded" and sorted(n["name"] for n in entry["named"]) == sorted(NAMES)
    assert set(entry["named"][0]) == {"face_id", "number", "name", "from_tag"}
    assert by_path[str(hostile)]["problems"] == [
        f"The sidecar '{hostile.name}.xmp' declares a document type, which XMP never needs (a hostile or broken "
        "packet); it was ignored — rewrite the tags with a photo program to read them."]
    assert data["scan"]["new"] == 3

    status, out, err = run(capsys, "tags", "import", good, "--library", library, "--models-dir", models_dir)
    assert status == 0 and "0 faces named, 2 already named" in out, err

    status, out, err = run(capsys, "tags", "export", folder, "--library", library, "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["command"] == "tags export" and data["totals"]["photos"] == 1
    photo = data["photos"][0]
    assert set(photo) == {"path", "target", "file_written", "written", "already_tagged", "conflicts", "copied",
                          "mirrored", "problem"}
    assert photo["file_written"] and data["totals"]["files_written"] == 1
    # A new sidecar carries the embedded regions (the sidecar now wins), which already name both faces.
    assert photo["target"] == str(good) + ".xmp" and photo["copied"] == 2 and photo["already_tagged"] == 2
    assert sorted(r["name"] for r in read_regions(good.with_name(good.name + ".xmp"))) == sorted(NAMES)

    status, out, err = run(capsys, "tags", "export", "--person", "Nobody", "--library", library)
    assert status == 2 and "There is no person called 'Nobody'" in err and "Traceback" not in err

    png = folder / "o3-none.png"
    Image.open(hostile).save(png)
    status, out, err = run(capsys, "tags", "import", png, "--library", library, "--models-dir", models_dir)
    assert status == 0, err
    with Library.open(library) as opened:  # name the untagged photos' faces, left to right
        for path in (hostile, png):
            faces = sorted(opened.faces_of(opened.photo_by_path(str(path)).id), key=lambda f: f.face.box.x)
            for name, face in zip(NAMES, faces):
                opened.confirm(opened.add_person(name), [face.id])
    before = good.read_bytes()
    status, out, err = run(capsys, "tags", "export", "--embed", "--library", library, "--json")
    assert status == 0, err
    by_path = {p["path"]: p for p in json.loads(out)["photos"]}
    assert by_path[str(png)]["problem"] == ("'o3-none.png' was left as it was: faceapp writes tags into JPEG photos "
                                            "only; export without --embed to write a sidecar for it.")
    assert [w["name"] for w in by_path[str(hostile)]["written"]] == list(NAMES)
    assert by_path[str(good)]["already_tagged"] == 2 and good.read_bytes() == before  # nothing new: untouched
    assert [r["name"] for r in read_regions(hostile)] == list(NAMES)
    assert not png.with_name(png.name + ".xmp").exists()


def test_scan_read_tags(tmp_path, models_dir, capsys):
    folder = tmp_path / "photos"
    tagged_photos(folder, [(8, "sidecar")])
    status, out, err = run(capsys, "scan", folder, "--read-tags", "--library", tmp_path / "lib.sqlite",
                           "--models-dir", models_dir, "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["summary"]["new"] == 1 and data["tags"]["totals"]["named"] == 2 and data["tags"]["scan"] is None
    status, out, err = run(capsys, "scan", folder, "--read-tags", "--library", tmp_path / "lib.sqlite",
                           "--models-dir", models_dir)
    assert status == 0 and "2 face tags read in 1 photo: 0 faces named, 2 already named" in out, err
