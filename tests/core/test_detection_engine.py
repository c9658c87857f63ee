"""Detection on the real photos and the Engine with generated weights."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from faceapp.core.detection.detector import FaceDetector
from faceapp.core.images import load_image
from tests.helpers import face_photo
from tests.testdata import KNOWN_FACES

ONE_FACE = [name for name, count in KNOWN_FACES.items() if count == 1]


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


@pytest.mark.parametrize("name", ONE_FACE)
def test_one_face_per_photo_with_landmarks_inside(detector, name):
    image = load_image(face_photo(name))
    faces = detector.detect(image)
    assert len(faces) == 1, [f.box for f in faces]
    face = faces[0]
    assert isinstance(face.confidence, float) and face.rotation == 0
    assert face.confidence >= detector.floor(max(face.box.width, face.box.height) / max(image.shape[:2]))
    assert all(isinstance(v, int) for v in face.box.as_list())
    for point in (face.landmarks.nose, face.landmarks.left_eye, face.landmarks.right_eye):
        if 0 <= point[0] < image.shape[1]:
            assert face.box.contains(*point)
    # Named from the subject's side: their left eye is on the right of the photo.
    assert face.landmarks.left_eye[0] > face.landmarks.right_eye[0]


@pytest.mark.parametrize("min_face", [12, 40, 80])
def test_any_min_face_size_is_safe(min_face):
    image = load_image(face_photo("obama_small.jpg"))
    assert len(FaceDetector(min_face_size=min_face).detect(image)) == 1


def test_two_people(detector):
    faces = detector.detect(load_image(face_photo("two_people.jpg")))
    assert len(faces) == 2
    assert faces[0].box.x < faces[1].box.x  # numbered left to right


def test_partial_faces_touch_the_border(detector):
    left = detector.detect(load_image(face_photo("obama_partial_face.jpg")))[0]
    assert left.box.x == 0
    image = load_image(face_photo("obama_partial_face2.jpg"))
    right = detector.detect(image)[0]
    assert right.box.x + right.box.width >= image.shape[1] - 2


def test_downscaled_boxes_map_back(detector):
    image = load_image(face_photo("obama3.jpg"))  # 1434×2333: detected at 1024 px
    full = FaceDetector(max_side=None).detect(image)[0].box
    small = detector.detect(image)[0].box
    assert detector.scale_for(image.shape[1], image.shape[0]) < 0.5
    assert abs(full.x - small.x) < 20 and abs(full.y - small.y) < 20
    assert abs(full.width - small.width) < 25


def test_exif_rotated_photo_boxes_in_display_orientation(detector):
    original = load_image(face_photo("obama_small.jpg"))  # 320×240
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 8  # displayed rotated 90° counter-clockwise
    Image.fromarray(np.rot90(original, k=-1).copy()).save(buffer, "JPEG", exif=exif.tobytes(), quality=95)
    image = load_image(buffer.getvalue())
    assert image.shape[:2] == original.shape[:2]
    box = detector.detect(image)[0].box
    expected = detector.detect(original)[0].box
    assert abs(box.x - expected.x) < 10 and abs(box.y - expected.y) < 10


@pytest.mark.parametrize("shape", [(300, 400, 3), (10, 10, 3), (1, 5000, 3)])
def test_no_face_is_an_empty_list(detector, shape):
    assert detector.detect(np.full(shape, 128, np.uint8)) == []


def test_grayscale_photo(detector):
    gray = Image.open(face_photo("obama_small.jpg")).convert("L")
    buffer = io.BytesIO()
    gray.save(buffer, "PNG")
    assert len(detector.detect(load_image(buffer.getvalue()))) == 1


def test_engine_analyze(engine):
    result = engine.analyze(load_image(face_photo("two_people.jpg")))
    assert len(result.faces) == 2 and result.has_identities
    for face in result.faces:
        assert face.descriptor.shape == (2048,)
        assert np.linalg.norm(face.descriptor) == pytest.approx(1.0, abs=1e-5)
        assert len(face.identities) == 5
        probabilities = [i.probability for i in face.identities]
        assert probabilities == sorted(probabilities, reverse=True)
        assert all(" " in i.name and "_" not in i.name for i in face.identities)
    assert set(result.timings_ms) == {"detect", "crop", "model", "total"}


def test_batched_equals_single(engine):
    from faceapp.core.detection.align import crop_face

    image = load_image(face_photo("two_people.jpg"))
    result = engine.analyze(image)
    for face in result.faces:
        single, _ = engine.model.run(crop_face(image, face.face.box, "vggface2")[None])
        np.testing.assert_allclose(single[0], face.descriptor, atol=1e-4)


def test_aligned_input_uses_whole_photo(engine):
    result = engine.analyze(load_image(face_photo("obama_small.jpg")), aligned=True)
    assert len(result.faces) == 1 and result.faces[0].face.box.as_list() == [0, 0, 320, 240]
    assert result.crop == "aligned"


def test_no_face_photo_gives_empty_result(engine):
    result = engine.analyze(np.full((200, 200, 3), 90, np.uint8))
    assert result.faces == () and result.largest_face_index() is None


def test_notop_model_has_no_identities(notop_models_dir):
    from faceapp.core.engine import Engine

    engine = Engine(models_dir=notop_models_dir)
    result = engine.analyze(load_image(face_photo("obama_small.jpg")))
    assert not result.has_identities and result.faces[0].identities == ()
    assert result.faces[0].descriptor.shape == (2048,)


def test_engine_rejects_bad_arguments():
    from faceapp.core.engine import Engine

    with pytest.raises(ValueError, match="'resnet99'"):
        Engine(model="resnet99")
    with pytest.raises(ValueError, match="'oval'"):
        Engine(crop="oval")
