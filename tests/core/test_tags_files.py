"""Tags written by another program (exiftool), read where they are: embedded, sidecars, both; every orientation.

And what faceapp writes, read back by exiftool: a sidecar keeping the rest, and --embed keeping every other
metadata field and the image data byte for byte.
"""

from __future__ import annotations

import json
import pytest

from faceapp.core.errors import FaceAppError
from faceapp.core.tags.embedded import _segments, replace_jpeg_xmp, stored_image, wrap_packet
from faceapp.core.tags.regions import region_to_box, to_displayed
from faceapp.core.tags.sidecar import read_photo_tags, write_sidecar
from faceapp.core.tags.xmp import Region, parse
from faceapp.core.types import Box
from tests.tagphotos import NAMES, displayed, displayed_boxes, exiftool, needs_exiftool, read_regions, tagged_photo, \
    tagged_photos

pytestmark = needs_exiftool


def _placed(path) -> dict[str, Box]:
    tags = read_photo_tags(path)
    assert not tags.problems
    size = (tags.stored.height, tags.stored.width) if tags.stored.orientation >= 5 else \
        (tags.stored.width, tags.stored.height)
    return {r.name: region_to_box(to_displayed(r, tags.stored.orientation), *size) for r in tags.regions}


WHERE = ("embedded", "sidecar", "lightroom", "both")


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory):
    """Each orientation 1-8 with its tags embedded, in each sidecar, and in both (one exiftool run)."""
    folder = tmp_path_factory.mktemp("tagged")
    specs = [(o, w) for o in range(1, 9) for w in WHERE]
    return dict(zip(specs, tagged_photos(folder, specs)))


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_places_each_name_on_its_face(every_kind, orientation, where):
    path = every_kind[(orientation, where)]
    placed = _placed(path)
    assert set(placed) == set(NAMES)  # "both": the sidecar wins whole, the embedded wrong names are not read
    for name, truth in zip(NAMES, displayed_boxes()):
        assert placed[name].iou(Box(*truth)) > 0.9, (name, placed[name], truth)
    assert read_photo_tags(path).source == ("embedded" if where == "embedded" else
                                            str(path.with_suffix(".xmp") if where == "lightroom" else
                                                path.with_name(path.name + ".xmp")))


@pytest.fixture(scope="module")
def heics(tmp_path_factory):
    """HEICs (pixels turned by irot/imir, as phones store them) in each orientation, tags embedded by exiftool."""
    folder = tmp_path_factory.mktemp("heic")
    specs = [(o, "embedded") for o in range(1, 9)] + [(6, "sidecar")]
    return dict(zip(specs, tagged_photos(folder, specs, suffix="heic")))


@pytest.mark.parametrize("spec", [(o, "embedded") for o in range(1, 9)] + [(6, "sidecar")])
def test_heic_regions_land_on_the_faces_as_displayed(heics, spec):
    import numpy as np

    from faceapp.core.images import load_image

    path = heics[spec]
    orientation, where = spec
    tags = read_photo_tags(path)
    assert tags.source == ("embedded" if where == "embedded" else str(path) + ".xmp")
    # The stored (coded) image, turned by the orientation pillow-heif applies while decoding.
    assert tags.stored.orientation == orientation and tags.stored.format == "HEIF"
    shown = displayed()
    assert (tags.stored.width, tags.stored.height) == (shown.size[::-1] if orientation >= 5 else shown.size)
    # faceapp sees the photo upright (the faces where displayed_boxes says) ...
    pixels = load_image(path)
    assert pixels.shape[:2] == (shown.height, shown.width)
    assert np.abs(pixels.astype(float) - np.asarray(shown, dtype=float)).mean() < 8
    # ... and each name lands on its face there (the faces are left and right of the centre).
    placed = _placed(path)
    for name, truth in zip(NAMES, displayed_boxes()):
        assert placed[name].iou(Box(*truth)) > 0.9, (name, placed[name], truth)


def test_microsoft_regions_from_another_program(tmp_path):
    placed = _placed(tagged_photo(tmp_path, 6, "embedded", microsoft=True))
    for name, truth in zip(NAMES, displayed_boxes()):
        assert placed[name].iou(Box(*truth)) > 0.9


def test_a_hostile_sidecar_is_one_problem_and_the_embedded_tags_still_count(tmp_path):
    path = tagged_photo(tmp_path, 3, "embedded")
    path.with_name(path.name + ".xmp").write_text('<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x>&a;</x>')
    tags = read_photo_tags(path)
    assert tags.source == "embedded" and len(tags.regions) == 2
    assert len(tags.problems) == 1 and tags.problems[0].startswith(f"The sidecar '{path.name}.xmp' declares")


def test_a_written_sidecar_keeps_the_rest_for_exiftool(tmp_path):
    path = tagged_photo(tmp_path, 6, "sidecar")
    sidecar = path.with_name(path.name + ".xmp")
    before = json.loads(exiftool("-j", "-XMP:all", sidecar))[0]
    from faceapp.core.tags.sidecar import read_sidecar

    packet = read_sidecar(sidecar)
    packet.add_regions([Region("Newcomer", 0.7, 0.1, 0.1, 0.2)], None)
    assert write_sidecar(sidecar, packet) and not write_sidecar(sidecar, packet)  # the same again: not rewritten
    after = json.loads(exiftool("-j", "-XMP:all", sidecar))[0]
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed <= {"RegionName", "RegionType", "RegionAreaX", "RegionAreaY", "RegionAreaW", "RegionAreaH",
                       "RegionAreaUnit", "RegionPersonDisplayName", "RegionRectangle", "XMPToolkit"}, changed
    assert after["Subject"] == "holiday" and after["Label"] == "Blue" and after["Orientation"] == "Rotate 90 CW"
    names = [r["name"] for r in read_regions(sidecar)]
    assert names == [*NAMES, "Newcomer"]
    newcomer = read_regions(sidecar)[-1]
    assert (newcomer["x"], newcomer["y"]) == pytest.approx((0.75, 0.2))


def test_embedding_changes_only_the_xmp_segment(tmp_path):
    path = tagged_photo(tmp_path, 8, "none")
    exiftool("-overwrite_original", "-Artist=Someone", "-IPTC:Keywords=beach", path)
    original = path.read_bytes()
    skip = {"SourceFile", "FileModifyDate", "FileAccessDate", "FileInodeChangeDate", "FileSize", "XMPToolkit"}
    before = {k: v for k, v in json.loads(exiftool("-j", "-a", "-G1", path))[0].items() if k.split(":")[-1] not in skip}
    packet = parse(stored_image(path).xmp)  # what --embed edits: the photo's own packet
    packet.add_regions([Region("Ann", 0.1, 0.1, 0.2, 0.2)], (100, 100))
    replace_jpeg_xmp(path, wrap_packet(packet.serialise()))
    after = {k: v for k, v in json.loads(exiftool("-j", "-a", "-G1", path))[0].items() if k.split(":")[-1] not in skip}
    lost = {k for k in before if before[k] != after.get(k)}
    assert not lost, lost
    assert after["XMP-dc:Subject"] == "holiday" and after["XMP-xmp:Rating"] == 4 and after["IFD0:Artist"] == "Someone"
    assert [r["name"] for r in read_regions(path)] == ["Ann"]
    # The image data (from the start of scan on) is byte for byte the same.
    end_old, end_new = _segments(original)[-1][2], _segments(path.read_bytes())[-1][2]
    assert original[end_old:] == path.read_bytes()[end_new:]


def test_embedding_a_packet_too_large_for_jpeg_is_refused_and_the_photo_untouched(tmp_path):
    path = tagged_photo(tmp_path, 1, "none")
    original = path.read_bytes()
    with pytest.raises(FaceAppError, match="no longer fit inside a JPEG"):
        replace_jpeg_xmp(path, b"x" * 70_000)
    assert path.read_bytes() == original
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe1\x00")
    with pytest.raises(FaceAppError, match="left as it was"):
        replace_jpeg_xmp(broken, b"<x/>")
