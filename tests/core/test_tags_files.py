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
from faceapp.core.tags import xmp
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


def _fillers(count: int) -> tuple[list[tuple[int, int, int, int]], tuple[str, ...]]:
    """``count`` small regions (stored 330×563 frame) with long names: enough of them overflow one JPEG segment."""
    boxes = [(5 + (i % 30) * 10, 300 + (i // 30) * 20, 8, 8) for i in range(count)]
    return boxes, tuple(f"Somebody with a rather long name number {i}" for i in range(count))


@pytest.fixture()
def extended_photo(tmp_path):
    """An orientation-6 photo whose XMP exiftool had to write as standard + Extended XMP (over 64 kB)."""
    from tests.tagphotos import region_args, stored_box

    path = tagged_photo(tmp_path, 6, "none")
    faces = [stored_box(b, (563, 330), 6) for b in displayed_boxes()]
    boxes, names = _fillers(298)
    exiftool("-overwrite_original", *region_args(faces + boxes, (330, 563), (*NAMES, *names)), path)
    assert exiftool("-s3", "-XMP-xmpNote:HasExtendedXMP", path).strip()
    return path


def test_extended_xmp_written_by_another_program_is_read(extended_photo):
    assert len(stored_image(extended_photo).xmp) < 65_536  # the standard part alone holds no region
    tags = read_photo_tags(extended_photo)
    assert not tags.problems and tags.source == "embedded" and len(tags.regions) == 300
    placed = _placed(extended_photo)
    for name, truth in zip(NAMES, displayed_boxes()):
        assert placed[name].iou(Box(*truth)) > 0.9


def _rewrite_extended(path, change) -> None:
    """Pass each Extended XMP segment's body (after its header) through ``change`` (None drops it)."""
    import struct

    from faceapp.core.tags.embedded import XMP_EXTENSION_HEADER

    data, out, pos = path.read_bytes(), [], 0
    for marker, start, end in _segments(data):
        body = data[start + 4:end]
        if marker == 0xE1 and body.startswith(XMP_EXTENSION_HEADER):
            out.append(data[pos:start])
            new = change(body[len(XMP_EXTENSION_HEADER):])
            if new is not None:
                body = XMP_EXTENSION_HEADER + new
                out.append(b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body)
            pos = end
    path.write_bytes(b"".join(out) + data[pos:])


@pytest.mark.parametrize("change, words", [
    ("drop one", "is incomplete: parts of it are missing"),
    ("other guid", "is held under another GUID than its XMP names"),
    ("50 MB", "is 50 MB, more than the 4 MB faceapp reads"),
    ("beyond", "a part lies beyond its stated length"),
])
def test_a_broken_extended_xmp_is_one_sentence_and_the_photo_still_reads(extended_photo, change, words):
    import struct

    from faceapp.core.images import load_image
    from faceapp.core.tags.exporter import PhotoExport, _target_packet

    dropped = []

    def edit(body: bytes) -> bytes | None:
        if change == "drop one" and not dropped:
            dropped.append(body)
            return None
        if change == "other guid":
            return b"0123456789ABCDEF0123456789ABCDEF" + body[32:]
        if change == "50 MB":
            return body[:32] + struct.pack(">I", 50 * 1024 * 1024) + body[36:]
        if change == "beyond":
            return body[:36] + struct.pack(">I", struct.unpack(">I", body[32:36])[0]) + body[40:]
        return body

    _rewrite_extended(extended_photo, edit)
    tags = read_photo_tags(extended_photo)
    assert len(tags.problems) == 1 and words in tags.problems[0], tags.problems
    problem = tags.problems[0]
    assert problem.startswith(f"The Extended XMP of '{extended_photo.name}'") and "\n" not in problem
    assert "only the standard XMP was read" in problem
    assert tags.regions == []  # they were all in the part that could not be read
    assert load_image(extended_photo).shape == (330, 563, 3)  # the photo itself still reads (and scans)
    with pytest.raises(FaceAppError, match="was left as it was: part of its XMP"):  # --embed would lose them
        _target_packet(str(extended_photo), True, stored_image(extended_photo), PhotoExport(str(extended_photo)))


def test_a_hostile_extended_xmp_is_refused_in_one_sentence(tmp_path):
    import hashlib

    path = tagged_photo(tmp_path, 1, "none")
    hostile = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
               b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>')
    guid = hashlib.md5(hostile).hexdigest().upper()
    standard = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                '<rdf:Description rdf:about="" xmlns:xmpNote="http://ns.adobe.com/xmp/note/" '
                f'xmpNote:HasExtendedXMP="{guid}"/></rdf:RDF></x:xmpmeta>').encode()
    replace_jpeg_xmp(path, wrap_packet(standard), hostile)
    tags = read_photo_tags(path)
    assert tags.problems == [f"The Extended XMP of '{path.name}' declares a document type, which XMP never needs (a "
                             "hostile or broken packet); it was ignored (only the standard XMP was read) — rewrite "
                             "the tags with a photo program to read them."]


def test_embedding_more_than_64_kb_writes_extended_xmp_that_exiftool_reads(tmp_path):
    from faceapp.core.tags.embedded import XMP_EXTENSION_HEADER, write_jpeg_xmp

    path = tagged_photo(tmp_path, 8, "none")
    exiftool("-overwrite_original", "-Artist=Someone", "-IPTC:Keywords=beach", path)
    original = path.read_bytes()
    skip = {"SourceFile", "FileModifyDate", "FileAccessDate", "FileInodeChangeDate", "FileSize", "XMPToolkit",
            "HasExtendedXMP"}

    def metadata() -> dict:
        return {k: v for k, v in json.loads(exiftool("-j", "-a", "-G1", "-struct", "-x", "XMP:all", path))[0].items()
                if k.split(":")[-1] not in skip}

    before = metadata()
    boxes, names = _fillers(400)
    packet = parse(stored_image(path).xmp)
    packet.add_regions([Region(n, x / 330, y / 563, w / 330, h / 563) for n, (x, y, w, h) in zip(names, boxes)],
                       (330, 563))
    write_jpeg_xmp(path, packet)
    data = path.read_bytes()
    assert data.count(XMP_EXTENSION_HEADER) >= 2  # more than one segment of Extended XMP
    assert exiftool("-s3", "-XMP-xmpNote:HasExtendedXMP", path).strip()
    assert exiftool("-validate", "-warning", "-a", path).split(":", 1)[1].strip() == "OK"  # no warning at all
    assert [r["name"] for r in read_regions(path)] == list(names)
    mp = json.loads(exiftool("-struct", "-j", "-RegionInfoMP", path))[0]["RegionInfoMP"]["Regions"]
    assert len(mp) == 400
    kept = json.loads(exiftool("-j", "-XMP-dc:Subject", "-XMP-xmp:Rating", path))[0]
    assert kept["Subject"] == "holiday" and kept["Rating"] == 4
    assert metadata() == before  # every other field as it was
    assert original[_segments(original)[-1][2]:] == data[_segments(data)[-1][2]:]  # the image data too
    tags = read_photo_tags(path)
    assert not tags.problems and [r.name for r in tags.regions] == list(names)

    # Small again: one segment, and the old Extended XMP is gone with it.
    small = xmp.new_packet()
    small.add_regions([Region("Ann", 0.1, 0.1, 0.2, 0.2)], (330, 563))
    write_jpeg_xmp(path, small)
    assert XMP_EXTENSION_HEADER not in path.read_bytes()
    assert [r["name"] for r in read_regions(path)] == ["Ann"]
    assert not exiftool("-s3", "-XMP-xmpNote:HasExtendedXMP", path).strip()


def test_embedding_more_than_4_mb_is_refused_and_the_photo_untouched(tmp_path):
    from xml.etree import ElementTree as ET

    from faceapp.core.tags.embedded import write_jpeg_xmp

    path = tagged_photo(tmp_path, 1, "none")
    original = path.read_bytes()
    packet = xmp.new_packet()
    description = packet.root.find(".//{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description")
    ET.SubElement(description, "{http://ns.adobe.com/xap/1.0/}Label").text = "x" * (5 * 1024 * 1024)
    with pytest.raises(FaceAppError, match="too large to write inside the photo; write them to a sidecar instead"):
        write_jpeg_xmp(path, packet)
    assert path.read_bytes() == original
