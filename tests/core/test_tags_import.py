"""Importing and exporting names with a real detector (MTCNN) and generated weights: placement in every
orientation, conflicts, faces from tags, importing twice, and the round trip import → export → import."""

from __future__ import annotations

import shutil


from faceapp.core.library import Library
from faceapp.core.tags.exporter import export_tags
from faceapp.core.tags.importer import import_tags, match_regions
from faceapp.core.types import Box
from tests.tagphotos import NAMES, displayed_boxes, exiftool, needs_exiftool, read_regions, region_args, \
    stored_box, tagged_photos

MODEL, CROP = "resnet50", "vggface2"


def _names_by_place(library: Library) -> dict[tuple[str, str], str]:
    """{(photo name, "left"/"right"/"elsewhere"): person} for every confirmed face."""
    truth = [Box(*b) for b in displayed_boxes()]
    out = {}
    for photo_id, faces in library.named_faces().items():
        photo = library.photo(photo_id)
        for face, name in faces:
            place = next((side for side, box in zip(("left", "right"), truth) if box.iou(face.face.box) > 0.3),
                         "elsewhere")
            out[(photo.path.rsplit("/", 1)[-1], place)] = name
    return out


def test_matching_prefers_overlap_then_the_nearest_centre():
    faces = [Box(0, 0, 10, 10), Box(100, 0, 10, 10)]
    assert match_regions([Box(102, 2, 10, 10), Box(5, 5, 10, 10)], faces) == {0: 1, 1: 0}
    assert match_regions([Box(112, 0, 10, 10)], faces) == {0: 1}  # beside the face: nearest centre
    assert match_regions([Box(300, 300, 10, 10)], faces) == {}  # far from every face: a face from the tag


@needs_exiftool
def test_every_orientation_names_the_right_face_and_twice_changes_nothing(tmp_path, models_dir):
    folder = tmp_path / "tagged"
    specs = [(o, "embedded") for o in range(1, 9)] + [(6, "sidecar"), (7, "both")]
    tagged_photos(folder, specs)
    with Library.open(tmp_path / "lib.sqlite") as library:
        summary = import_tags(library, [folder], MODEL, CROP, models_dir)
        assert not summary.errors and summary.scan.new == len(specs)
        totals = summary.totals()
        assert totals["named"] == 2 * len(specs) and totals["conflicts"] == 0 and totals["from_tags"] == 0
        placed = _names_by_place(library)
        for orientation, where in specs:
            name = f"o{orientation}-{where}.jpg"
            assert placed[(name, "left")] == NAMES[0] and placed[(name, "right")] == NAMES[1], (name, placed)
        before = library.info()
        again = import_tags(library, [folder], MODEL, CROP, models_dir)
        assert again.totals()["named"] == 0 and again.totals()["already_named"] == 2 * len(specs)
        assert library.info() == before


@needs_exiftool
def test_heic_names_land_on_the_faces_the_detector_finds(tmp_path, models_dir):
    """A phone's HEIC, turned by irot/imir: the scan sees it upright, and the regions are moved the same way."""
    folder = tmp_path / "phone"
    specs = [(6, "embedded"), (7, "embedded")]
    tagged_photos(folder, specs, suffix="heic")
    untagged, = tagged_photos(folder, [(5, "none")], suffix="heic")
    with Library.open(tmp_path / "lib.sqlite") as library:
        summary = import_tags(library, [folder], MODEL, CROP, models_dir)
        assert not summary.errors and summary.totals()["named"] == 4 and summary.totals()["from_tags"] == 0
        placed = _names_by_place(library)
        for orientation, _ in specs:
            name = f"o{orientation}-embedded.heic"
            assert placed[(name, "left")] == NAMES[0] and placed[(name, "right")] == NAMES[1], (name, placed)
        # And back: names given in faceapp go to the sidecar in the HEIC's coded frame.
        truth = [Box(*b) for b in displayed_boxes()]
        for face in library.faces_of(library.photo_by_path(str(untagged)).id):
            side = next(i for i, box in enumerate(truth) if box.iou(face.face.box) > 0.3)
            library.confirm(library.add_person(NAMES[side]), [face.id])
        assert export_tags(library, [untagged]).totals()["regions_written"] == 2
    regions = {r["name"]: r for r in read_regions(untagged.with_name(untagged.name + ".xmp"))}
    for name, box in zip(NAMES, displayed_boxes()):
        x, y, w, h = stored_box(box, (563, 330), 5)
        cx, cy = regions[name]["x"] * 330, regions[name]["y"] * 563
        assert x <= cx <= x + w and y <= cy <= y + h, name


@needs_exiftool
def test_conflicts_are_reported_and_a_face_with_no_detection_comes_from_the_tag(tmp_path, models_dir):
    folder = tmp_path / "photos"
    path, = tagged_photos(folder, [(6, "none")])
    with Library.open(tmp_path / "lib.sqlite") as library:
        import_tags(library, [path], MODEL, CROP, models_dir)  # scanned: two faces, no names
        faces = library.faces_of(library.photo_by_path(str(path)).id)
        left = min(faces, key=lambda f: f.face.box.x)
        library.confirm(library.add_person("Someone Else"), [left.id])
        # The stored image is 330×563 (orientation 6); a region on the wall, far from both faces.
        boxes = [stored_box(b, (563, 330), 6) for b in displayed_boxes()] + [(250, 20, 40, 40)]
        exiftool("-overwrite_original", *region_args(boxes, (330, 563), (*NAMES, "Painted")), path)
        summary = import_tags(library, [path], MODEL, CROP, models_dir)
        photo = summary.photos[0]
        assert [c["name"] for c in photo.conflicts] == [NAMES[0]] and photo.conflicts[0]["library"] == "Someone Else"
        assert [(n["name"], n["from_tag"]) for n in photo.named] == [(NAMES[1], False), ("Painted", True)]
        assert [u["name"] for u in photo.unmatched] == ["Painted"]
        photo_id = library.photo_by_path(str(path)).id
        tag_face = [f for f in library.faces_of(photo_id) if f.source == "tag"]
        assert len(tag_face) == 1 and library.person_of(tag_face[0].id).name == "Painted"
        # exiftool changed the file, so it was analysed again: the name followed the face (same place).
        left_now = min((f for f in library.faces_of(photo_id) if f.source == "detected"), key=lambda f: f.face.box.x)
        assert library.person_of(left_now.id).name == "Someone Else"  # never overwritten
        again = import_tags(library, [path], MODEL, CROP, models_dir).photos[0]
        assert not again.named and not again.unmatched and len(again.conflicts) == 1
        assert len(library.faces_of(photo_id)) == 3


@needs_exiftool
def test_a_face_from_a_tag_stays_when_the_photo_changes_and_goes_reported_when_its_tag_goes(tmp_path, models_dir):
    """A user's tag is never dropped silently: a rescan after new bytes (metadata written by another program, then
    edited and smaller pixels) keeps the face from the tag with its name, described again from the new crop."""
    import numpy as np
    from PIL import Image, ImageEnhance

    from faceapp.core.engine import descriptor_space
    from faceapp.core.library.scan import Scanner

    folder = tmp_path / "photos"
    path, = tagged_photos(folder, [(6, "sidecar")])
    sidecar = path.with_name(path.name + ".xmp")
    # The stored image is 330×563 (orientation 6); "Painted" marks the wall, where no face is detected.
    boxes = [stored_box(b, (563, 330), 6) for b in displayed_boxes()] + [(250, 20, 40, 40)]
    exiftool("-overwrite_original", *region_args(boxes, (330, 563), (*NAMES, "Painted")), sidecar)
    space = descriptor_space(MODEL, CROP, models_dir)

    def rescan(library):
        summary = Scanner(library, [folder], MODEL, CROP, models_dir).run()
        assert summary.updated == 1 and not summary.errors
        return summary

    def from_tag(library):
        faces = [f for f in library.faces_of(library.photo_by_path(str(path)).id) if f.source == "tag"]
        return faces, library.descriptors(space, [f.id for f in faces])[1]

    with Library.open(tmp_path / "lib.sqlite") as library:
        assert import_tags(library, [path], MODEL, CROP, models_dir).totals()["from_tags"] == 1
        (painted,), before = from_tag(library)

        exiftool("-overwrite_original", "-Rating=5", path)  # another program writes into the photo: new bytes
        summary = rescan(library)
        (kept,), after = from_tag(library)
        assert summary.detached == summary.detached_tags == []
        assert kept.face.box == painted.face.box and library.person_of(kept.id).name == "Painted"
        assert np.allclose(after, before, atol=1e-4)  # the same pixels: the same descriptor

        with Image.open(path) as image:  # edited: brighter and smaller (the same shape), EXIF kept
            exif = image.info["exif"]
            edited = ImageEnhance.Brightness(image.convert("RGB")).enhance(1.2)
            edited = edited.resize((image.width * 4 // 5, image.height * 4 // 5), Image.Resampling.BILINEAR)
        edited.save(path, quality=92, exif=exif)
        summary = rescan(library)
        (kept,), after = from_tag(library)
        assert summary.detached_tags == [] and library.person_of(kept.id).name == "Painted"
        was = painted.face.box  # the same place, in proportion to the smaller photo
        assert kept.face.box.iou(Box(was.x * 4 // 5, was.y * 4 // 5, was.width * 4 // 5, was.height * 4 // 5)) > 0.8
        assert len(after) == 1 and not np.allclose(after, before, atol=1e-4)  # described from the new crop

        # Another program removed the tag, and the photo changed again: the name is detached and said so.
        exiftool("-overwrite_original", *region_args(boxes[:2], (330, 563), NAMES), sidecar)
        exiftool("-overwrite_original", "-Rating=3", path)
        summary = rescan(library)
        assert from_tag(library)[0] == [] and library.require_person("Painted").confirmed == 0
        assert [(d["person"], d["from_tag"]) for d in summary.as_dict()["detached"]] == [("Painted", True)]
        assert summary.detached_text() == [
            f"Painted: face {kept.number} of {path.name} came from a face tag that no longer marks that place in the "
            "changed photo, so the name was not carried over; import the photo's tags again, or name the face "
            "again if it is them."]


@needs_exiftool
def test_naming_a_face_of_a_changed_photo_keeps_its_face_from_a_tag(tmp_path, models_dir, engine):
    """The other way a changed photo is analysed again: naming one of its faces (people add PHOTO)."""
    from faceapp.core.library.recognition import enrol

    folder = tmp_path / "photos"
    path, = tagged_photos(folder, [(1, "embedded")])
    boxes = displayed_boxes() + [(20, 20, 40, 40)]  # orientation 1: stored = displayed (563×330)
    exiftool("-overwrite_original", *region_args(boxes, (563, 330), (*NAMES, "Painted")), path)
    with Library.open(tmp_path / "lib.sqlite") as library:
        assert import_tags(library, [path], MODEL, CROP, models_dir).totals()["from_tags"] == 1
        exiftool("-overwrite_original", "-Rating=5", path)  # new bytes
        person, _, photo = enrol(library, engine, "Someone", path, 1)
        kept = [f for f in library.faces_of(photo.id) if f.source == "tag"]
        assert len(kept) == 1 and library.person_of(kept[0].id).name == "Painted"
        assert library.faces_without(engine.space, [photo.id]) == {}  # described from the new version


@needs_exiftool
def test_export_gives_microsoft_only_regions_an_mwg_copy_for_mwg_readers(tmp_path, models_dir):
    """A sidecar with Windows' People tags only: an export leaves them in that form and adds the MWG form, for
    the regions faceapp holds (Lefty) and the ones it does not (Righty: faceapp names that face otherwise)."""
    import json

    from faceapp.core.library.scan import Scanner

    folder = tmp_path / "windows"
    path, = tagged_photos(folder, [(6, "sidecar")], microsoft=True)
    sidecar = path.with_name(path.name + ".xmp")
    assert read_regions(sidecar) == []  # MWG readers see nothing yet
    with Library.open(tmp_path / "lib.sqlite") as library:
        Scanner(library, [folder], MODEL, CROP, models_dir).run()
        faces = sorted(library.faces_of(library.photo_by_path(str(path)).id), key=lambda f: f.face.box.x)
        library.confirm(library.add_person(NAMES[0]), [faces[0].id])
        library.confirm(library.add_person("Someone Else"), [faces[1].id])
        photo = export_tags(library).photos[0]
        assert photo.wrote and photo.mirrored == 2 and photo.already == 1 and not photo.written
        assert [c["tag"] for c in photo.conflicts] == [NAMES[1]]
        assert export_tags(library).totals()["files_written"] == 0  # exporting twice writes nothing
    data = json.loads(exiftool("-struct", "-j", "-RegionInfo", "-RegionInfoMP", sidecar))[0]
    assert sorted(r["PersonDisplayName"] for r in data["RegionInfoMP"]["Regions"]) == sorted(NAMES)  # kept, once
    regions = {r["name"]: r for r in read_regions(sidecar)}
    assert sorted(regions) == sorted(NAMES)
    assert data["RegionInfo"]["AppliedToDimensions"] == {"W": 330, "H": 563, "Unit": "pixel"}
    for name, box in zip(NAMES, displayed_boxes()):  # the MWG centres fall inside the faces (stored frame)
        x, y, w, h = stored_box(box, (563, 330), 6)
        cx, cy = regions[name]["x"] * 330, regions[name]["y"] * 563
        assert x <= cx <= x + w and y <= cy <= y + h, name


@needs_exiftool
def test_round_trip_export_then_import_on_a_copy_gives_the_same_names_on_the_same_faces(tmp_path, models_dir):
    folder = tmp_path / "mine"
    specs = [(o, "none") for o in range(1, 9)]
    paths = tagged_photos(folder, specs)
    with Library.open(tmp_path / "first.sqlite") as library:
        import_tags(library, [folder], MODEL, CROP, models_dir)  # no tags yet: scanned only
        truth = [Box(*b) for b in displayed_boxes()]
        for path in paths:
            for face in library.faces_of(library.photo_by_path(str(path)).id):
                side = next(i for i, box in enumerate(truth) if box.iou(face.face.box) > 0.3)
                library.confirm(library.add_person(NAMES[side]), [face.id])
        first = _names_by_place(library)
        exported = export_tags(library)
        assert exported.totals()["regions_written"] == 16 and exported.totals()["files_written"] == 8
        assert export_tags(library).totals()["files_written"] == 0  # exporting twice writes nothing
    for orientation, path in zip(range(1, 9), paths):
        sidecar = path.with_name(path.name + ".xmp")
        regions = {r["name"]: r for r in read_regions(sidecar)}
        size = (330, 563) if orientation >= 5 else (563, 330)  # the stored image
        for name, box in zip(NAMES, displayed_boxes()):
            x, y, w, h = stored_box(box, (563, 330), orientation)
            cx, cy = regions[name]["x"] * size[0], regions[name]["y"] * size[1]
            assert x <= cx <= x + w and y <= cy <= y + h, (orientation, name)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    with Library.open(tmp_path / "second.sqlite") as library:
        summary = import_tags(library, [copy], MODEL, CROP, models_dir)
        assert summary.totals()["named"] == 16 and summary.totals()["from_tags"] == 0
        assert _names_by_place(library) == first
