"""Recall of the detector as it ships, on generated cases with known faces (tests/variations.py).

Each case must give exactly its faces: none lost, none invented, turned photos
found turned and reported with their rotation.  The full measurement behind the
constants runs in benchmarks/detect_policy.py; these are a quick sample of it.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from faceapp.core.detection.detector import FaceDetector
from tests import variations as V

WHOLE_PHOTOS = ["obama.jpg", "obama2.jpg", "biden.jpg", "two_people.jpg", "obama-480p.jpg"]


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


def assert_finds(detector, case, rotation: int = 0):
    faces = detector.detect(case.image)
    assert len(faces) == len(case.faces), (case.name, [(f.box, round(f.confidence, 3)) for f in faces])
    for expected in case.faces:
        best = max(faces, key=lambda f: f.box.iou(expected))
        assert best.box.iou(expected) >= 0.4, (case.name, best.box, expected)
        assert best.rotation == rotation, case.name
    return faces


@pytest.mark.parametrize("name", WHOLE_PHOTOS)
@pytest.mark.parametrize("fraction", [0.25, 0.45, 0.8])
def test_large_faces_on_large_portraits(detector, name, fraction):
    """Camera portraits of 2,400 px where the face is a quarter of the width up to most of the frame."""
    case = V.portrait(name, fraction, seed=int(fraction * 100))
    assert max(case.image.shape[:2]) >= 2400
    assert_finds(detector, case)


@pytest.mark.parametrize("name", WHOLE_PHOTOS)
@pytest.mark.parametrize("face_width", [20, 40, 160])
def test_faces_from_20_pixels(detector, name, face_width):
    """The whole photo shrunk (or grown) until its face is 20, 40 or 160 px wide."""
    assert_finds(detector, V.scaled(name, face_width))


@pytest.mark.parametrize("seed", [0, 1])
def test_small_faces_in_a_group(detector, seed):
    widths = [int(w) for w in np.random.default_rng(seed).integers(30, 70, 14)]
    case = V.group_shot(widths, seed=seed)
    assert len(case.faces) >= 8
    assert_finds(detector, case)


@pytest.mark.parametrize("kind", ["gray", "lowlight", "dark", "blur1.5", "jpeg25"])
def test_degraded_photos(detector, kind):
    for name in ("obama.jpg", "two_people.jpg"):
        case = next(c for c in V.degraded(V.scaled(name, 120)) if c.name.endswith(kind))
        assert_finds(detector, case)


@pytest.mark.parametrize("angle", [-15, 15])
def test_tilted_photos(detector, angle):
    for name in ("obama2.jpg", "biden.jpg"):
        assert_finds(detector, V.tilted(V.scaled(name, 120), angle))


@pytest.mark.parametrize("quarter", [1, 2, 3])
def test_each_quarter_turn(detector, quarter):
    """Photos on their side or upside down: found, mapped back to the photo as displayed, rotation reported."""
    for base in (V.scaled("obama.jpg", 120), V.scaled("two_people.jpg", 100), V.portrait("biden.jpg", 0.35)):
        case = V.quarter_turned(base, quarter)
        faces = assert_finds(detector, case, rotation=(360 - 90 * quarter) % 360)
        for face in faces:  # landmarks stay inside their face, named from the subject's side
            assert face.box.contains(*face.landmarks.nose)


def test_turned_face_is_cut_upright(detector):
    from faceapp.core.detection.align import crop_face

    base = V.scaled("obama.jpg", 200)
    upright = crop_face(base.image, detector.detect(base.image)[0].box, "vggface2").astype(np.float32)
    for quarter in (1, 2, 3):
        case = V.quarter_turned(base, quarter)
        face = detector.detect(case.image)[0]
        crop = crop_face(case.image, face.box, "vggface2", face.rotation).astype(np.float32)
        turned_wrong = np.rot90(crop, 1)
        # The crop matches the upright one (boxes differ by a few pixels), far better than a turned one would.
        assert np.abs(crop - upright).mean() < 0.5 * np.abs(turned_wrong - upright).mean()


def test_photos_without_faces(detector):
    for case in V.no_face_cases()[::2]:
        assert detector.detect(case.image) == [], case.name


def test_upright_photos_pay_nothing_for_turns(detector, monkeypatch):
    calls = []
    real = detector._detect_pass
    monkeypatch.setattr(detector, "_detect_pass",
                        lambda image, quarter, *rest, **options: calls.append(quarter) or real(image, quarter, *rest,
                                                                                            **options))
    detector.detect(V.scaled("two_people.jpg", 100).image)
    assert calls == [0]
    detector.detect(V.quarter_turned(V.scaled("obama.jpg", 120), 1).image)
    assert calls[1:] == [0, 1, 2, 3]


@pytest.mark.parametrize("make", ["tiny", "thin", "huge", "gray16", "cmyk", "alpha", "palette"])
def test_odd_photos_give_faces_or_none_never_an_error(detector, make):
    from faceapp.core.images import load_image

    face = V.scaled("obama.jpg", 80).image
    pil = Image.fromarray(face)
    if make == "tiny":
        image = np.full((5, 7, 3), 200, np.uint8)
    elif make == "thin":
        image = np.full((3, 4000, 3), 90, np.uint8)
    elif make == "huge":
        image = np.asarray(pil.resize((pil.width * 8, pil.height * 8)))
    else:
        buffer = io.BytesIO()
        if make == "gray16":
            Image.fromarray((np.asarray(pil.convert("L"), np.uint16) * 257)).save(buffer, "PNG")
        elif make == "cmyk":
            pil.convert("CMYK").save(buffer, "JPEG")
        elif make == "alpha":
            pil.convert("RGBA").save(buffer, "PNG")
        else:
            pil.convert("P").save(buffer, "PNG")
        image = load_image(buffer.getvalue())
    faces = detector.detect(image)
    assert len(faces) == (0 if make in ("tiny", "thin") else 1)
