"""The turn check on real photos (tests/data/tuning, CC0 portraits from the tuning set, issue 18).

The plain cascade (no orientation judgement, same working size) is the floor faceapp must never fall
below: every face it keeps, faceapp keeps, upright.  Five of these portraits (019, 047, 057, 068, 076)
lost their face under the earlier rule that dropped any face O-Net preferred turned.  Turned copies of
portraits the tuning set finds turned must be found, turned the right way.  The whole measurement:
benchmarks/detect_tuning.py and BENCHMARKS.md "Turns on real photos".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.detection.detector import FaceDetector
from faceapp.core.images import load_image
from faceapp.core.types import Box
from tests.variations import lone_small

REPO = Path(__file__).resolve().parents[2]
TUNING = REPO / "tests" / "data" / "tuning"
FACES = json.loads((REPO / "benchmarks" / "tuning" / "faces.json").read_text())
PHOTOS = sorted(path.name for path in TUNING.glob("*.jpg"))
#: Turned copies in the tuning set (clockwise degrees) of committed photos, all found by faceapp there.
#: interfaces_057 at 270°: O-Net doubts that portrait in every orientation; found by the fallback to the large
#: face O-Net likes best as it stands (TURN_FALLBACK_MARGIN).
TURNED = {"interfaces_001.jpg": 90, "interfaces_005.jpg": 180, "interfaces_009.jpg": 270, "interfaces_013.jpg": 90,
          "interfaces_017.jpg": 180, "interfaces_021.jpg": 270, "interfaces_025.jpg": 90, "interfaces_057.jpg": 270,
          "interfaces_061.jpg": 90, "interfaces_081.jpg": 270, "interfaces_089.jpg": 180, "interfaces_093.jpg": 270}


def true_boxes(name: str) -> list[Box]:
    entry = FACES[name.replace("_", "/", 1)]
    return [Box(round(x0), round(y0), round(x1 - x0), round(y1 - y0)) for x0, y0, x1, y1 in entry["true"]]


@pytest.fixture(scope="module")
def detectors():
    faceapp = FaceDetector()
    plain = FaceDetector(turns=False)
    plain._mtcnn = faceapp._networks()  # one set of networks for both
    return faceapp, plain


def test_the_committed_photos_are_the_tuning_set_s():
    assert len(PHOTOS) >= 20
    for name in PHOTOS:
        assert name.replace("_", "/", 1) in FACES, name
    assert sum(p.stat().st_size for p in TUNING.glob("*.jpg")) < 40e6


@pytest.mark.parametrize("name", PHOTOS)
def test_faceapp_keeps_every_face_the_plain_cascade_keeps(detectors, name):
    faceapp, plain = detectors
    image = load_image(TUNING / name)
    kept = faceapp.detect(image)
    for face in plain.detect(image):
        best = max(kept, key=lambda f: f.box.iou(face.box), default=None)
        assert best is not None and best.box.iou(face.box) >= 0.5, (name, face.box, [f.box for f in kept])
        assert best.rotation == 0, name
    for expected in true_boxes(name):
        assert any(f.box.iou(expected) >= 0.4 for f in kept), (name, expected, [f.box for f in kept])


@pytest.mark.parametrize("name", sorted(TURNED))
def test_turned_copies_are_found_turned(detectors, name):
    faceapp, _ = detectors
    degrees = TURNED[name]
    turned = np.ascontiguousarray(np.rot90(load_image(TUNING / name), k=-(degrees // 90)))
    faces = faceapp.detect(turned)
    assert len(faces) == 1, (name, [(f.box, f.rotation, round(f.confidence, 3)) for f in faces])
    # The photo was turned clockwise by `degrees`; its face is found by turning it back, i.e. it stands
    # upright in the photo turned (360 - degrees) clockwise.
    assert faces[0].rotation == (360 - degrees) % 360, name


@pytest.mark.parametrize("name", ["interfaces_001.jpg", "interfaces_013.jpg", "interfaces_061.jpg",
                                  "interfaces_089.jpg"])
def test_a_lone_small_face_is_found_turned(detectors, name):
    """One small face in a large photo, on its side or upside down: found in the turn that stands it upright,
    because it stays a face when its box moves (STEADY_LOG_ODDS).  Before steadiness, a turn with one small face
    never counted (wider/3_Riot_Riot_3_123 at 180°, tuning set).  All 20 committed portraits made this small:
    benchmarks/detect_lone_faces.py (19 found upright, 17 of those in all three turns; O-Net takes 055 upside
    down and 068 on its side for upright faces; BENCHMARKS.md, "Turns on real photos")."""
    faceapp, _ = detectors
    for quarter in (0, 1, 2, 3):
        faces = faceapp.detect(lone_small(load_image(TUNING / name), quarter))
        assert len(faces) == 1, (name, quarter, [(f.box, f.rotation) for f in faces])
        assert faces[0].rotation == (360 - 90 * quarter) % 360, (name, quarter)
        assert max(faces[0].box.width, faces[0].box.height) < 0.1 * 1000
