"""Checks that need the official keras-vggface files; skipped cleanly where they are absent.

Put the files in $FACEAPP_REAL_MODELS_DIR (or keras-vggface's cache) to run them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import face_photo

pytestmark = pytest.mark.realweights

REAL_DIR = os.environ.get("FACEAPP_REAL_MODELS_DIR") or str(Path.home() / ".keras" / "models" / "vggface")


def _engine(name: str):
    from faceapp.core.engine import Engine
    from faceapp.core.errors import ModelFilesMissing
    from faceapp.core.vggface.model_files import locate

    try:
        located = locate(name, REAL_DIR)
    except ModelFilesMissing:
        pytest.skip(f"official {name} files not in {REAL_DIR}")
    if not located.include_top:
        pytest.skip(f"only the _notop_ {name} file is in {REAL_DIR}")
    return Engine(model=name, models_dir=REAL_DIR)


@pytest.mark.parametrize("name", ["resnet50", "senet50"])
def test_same_and_different_people(name):
    from faceapp.core.images import load_image
    from faceapp.core.verification import cosine_distance

    engine = _engine(name)

    def descriptor(photo: str):
        result = engine.analyze(load_image(face_photo(photo)))
        return result.faces[result.largest_face_index()].descriptor

    obama, obama2, biden = descriptor("obama.jpg"), descriptor("obama2.jpg"), descriptor("biden.jpg")
    assert cosine_distance(obama, obama2) <= 0.5
    assert cosine_distance(obama, biden) > 0.5


def test_identities_agree_and_different_people_do_not_match():
    """With the official files: the same man gets the same top-1 identity, and two men do not match."""
    from faceapp.core.defaults import DEFAULT_THRESHOLD
    from faceapp.core.images import load_image
    from faceapp.core.verification import cosine_distance, judge

    engine = _engine("resnet50")
    results = {name: engine.analyze(load_image(face_photo(name))) for name in ("obama.jpg", "obama2.jpg", "biden.jpg")}
    faces = {name: result.faces[result.largest_face_index()] for name, result in results.items()}
    names = [identity.name for identity in faces["obama.jpg"].identities]
    assert len(names) == 5 and all(name == name.strip() and "_" not in name for name in names)
    assert faces["obama.jpg"].identities[0].name == faces["obama2.jpg"].identities[0].name
    verdict = judge(cosine_distance(faces["obama.jpg"].descriptor, faces["biden.jpg"].descriptor), DEFAULT_THRESHOLD)
    assert not verdict.match, verdict
