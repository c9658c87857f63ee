"""faceapp-cli: JSON schema, human output, exit codes and bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from faceapp.cli import main
from tests.helpers import face_photo


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_identify_json_schema(capsys, models_dir):
    status, out, err = run(capsys, "identify", face_photo("two_people.jpg"), "--models-dir", models_dir, "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["model"] == "resnet50" and data["crop"] == "vggface2" and data["identities_available"]
    photo = data["photos"][0]
    assert photo["path"].endswith("two_people.jpg") and len(photo["faces"]) == 2
    face = photo["faces"][0]
    assert set(face) == {"number", "box", "confidence", "landmarks", "rotation", "identities"}
    assert face["rotation"] == 0
    assert len(face["box"]) == 4 and all(isinstance(v, int) for v in face["box"])
    assert set(face["landmarks"]) == {"left_eye", "right_eye", "nose", "mouth_left", "mouth_right"}
    assert len(face["identities"]) == 5 and set(face["identities"][0]) == {"name", "probability"}
    assert {"detect", "model", "total"} <= set(photo["timings_ms"])


def test_identify_human_output_and_top(capsys, models_dir):
    status, out, _ = run(capsys, "identify", face_photo("obama.jpg"), "--models-dir", models_dir, "--top", "2")
    assert status == 0
    assert out.startswith("obama.jpg: 1 face\n") and "  face 1: x=" in out
    assert "    1. " in out and "    2. " in out and "    3. " not in out


def test_embed_adds_descriptor(capsys, models_dir):
    status, out, _ = run(capsys, "embed", face_photo("obama_small.jpg"), "--models-dir", models_dir, "--json")
    face = json.loads(out)["photos"][0]["faces"][0]
    assert status == 0 and len(face["descriptor"]) == 2048


def test_detect_needs_no_model(capsys, tmp_path):
    status, out, _ = run(capsys, "detect", face_photo("two_people.jpg"), "--models-dir", tmp_path, "--json")
    data = json.loads(out)
    assert status == 0 and len(data["photos"][0]["faces"]) == 2
    assert "identities" not in data["photos"][0]["faces"][0]


def test_one_bad_photo_among_good_ones(capsys, models_dir, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"garbage")
    status, out, err = run(capsys, "identify", face_photo("obama_small.jpg"), bad, face_photo("biden.jpg"),
                           "--models-dir", models_dir, "--json")
    photos = json.loads(out)["photos"]
    assert status == 2
    assert len(photos[0]["faces"]) == 1 and len(photos[2]["faces"]) == 1
    assert photos[1]["error"]["type"] == "ImageLoadError" and "'broken.jpg'" in photos[1]["error"]["message"]
    assert err.count("\n") == 1 and "broken.jpg" in err and "Traceback" not in err


def test_verify_json_and_face_choice(capsys, models_dir):
    status, out, _ = run(capsys, "verify", face_photo("two_people.jpg"), face_photo("two_people.jpg"),
                         "--face-a", 1, "--face-b", 1, "--models-dir", models_dir, "--json", "--threshold", "0.3")
    data = json.loads(out)
    assert status == 0 and data["match"] is True and data["distance"] == pytest.approx(0.0, abs=1e-5)
    assert data["threshold"] == 0.3 and data["face_a"]["number"] == 1 and data["face_a"]["faces_found"] == 2
    assert data["face_a"]["chosen_by"] == "chosen"


def test_verify_default_largest_and_human(capsys, models_dir):
    status, out, _ = run(capsys, "verify", face_photo("obama.jpg"), face_photo("biden.jpg"), "--models-dir", models_dir)
    assert status == 0
    assert "face 1 (largest) of obama.jpg" in out and "face 1 (largest) of biden.jpg" in out
    # The words must agree with the numbers printed beside them (generated weights: either verdict).
    distance = float(re.search(r"cosine distance ([0-9.]+) ([≤>]) threshold 0\.50", out).group(1))
    expected = "MATCH: " if distance <= 0.5 else "NO MATCH: "
    assert out.startswith(expected), out
    assert ("≤" in out) == (distance <= 0.5)


@pytest.mark.parametrize("extra,pattern", [
    (["--face-a", "3"], "out of range"),
    (["--threshold", "1.5"], "between 0 and 1"),
])
def test_verify_bad_arguments(capsys, models_dir, extra, pattern):
    status, out, err = run(capsys, "verify", face_photo("two_people.jpg"), face_photo("obama.jpg"),
                           "--models-dir", models_dir, *extra)
    assert status == 2 and pattern in err and "Traceback" not in err


def test_verify_no_face(capsys, models_dir, tmp_path):
    from PIL import Image

    blank = tmp_path / "wall.png"
    Image.new("RGB", (300, 300), (120, 120, 120)).save(blank)
    status, out, err = run(capsys, "verify", blank, face_photo("obama.jpg"), "--models-dir", models_dir, "--json")
    assert status == 2 and "No face found in 'wall.png'" in err
    assert json.loads(out)["error"]["type"] == "ImageLoadError"


def test_missing_models_exit_3(capsys, tmp_path):
    status, out, err = run(capsys, "identify", face_photo("obama.jpg"), "--models-dir", tmp_path, "--json")
    assert status == 3 and "faceapp-cli models download resnet50" in err
    assert json.loads(out)["error"]["missing"] == ["rcmalli_vggface_tf_resnet50.h5", "rcmalli_vggface_labels_v2.npy"]


def test_broken_weights_exit_2_names_file(capsys, tmp_path, models_dir):
    import shutil

    shutil.copy(models_dir / "rcmalli_vggface_labels_v2.npy", tmp_path)
    (tmp_path / "rcmalli_vggface_tf_resnet50.h5").write_bytes(b"html error page")
    status, _, err = run(capsys, "identify", face_photo("obama.jpg"), "--models-dir", tmp_path)
    assert status == 2 and "'rcmalli_vggface_tf_resnet50.h5'" in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["identify"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["identify", "x.jpg", "--model", "resnet99"])
    assert info.value.code == 2


def test_models_list_and_path(capsys, models_dir):
    status, out, _ = run(capsys, "models", "list", "--models-dir", models_dir, "--json")
    rows = {row["name"]: row for row in json.loads(out)["models"]}
    assert status == 0 and rows["resnet50"]["files"]["rcmalli_vggface_tf_resnet50.h5"]
    assert rows["senet50"]["files"]["rcmalli_vggface_tf_senet50.h5"] is None
    status, out, _ = run(capsys, "models", "path", "--models-dir", models_dir)
    assert status == 0 and str(models_dir) in out


def test_installed_entry_point_runs(tmp_path):
    """The ``faceapp-cli`` script pip installed beside this Python, not ``python -m``."""
    from faceapp import __version__

    script = Path(sys.executable).parent / ("faceapp-cli.exe" if sys.platform == "win32" else "faceapp-cli")
    assert script.is_file(), f"{script} is missing: install the project with pip (README)"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"faceapp {__version__}"
    missing = subprocess.run([str(script), "detect", str(tmp_path / "nothing.jpg")], capture_output=True, text=True,
                             cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr


def test_a_photo_on_its_side_is_found_turned(capsys, tmp_path):
    """A phone photo whose orientation tag was lost: the face is found, its box is in the photo as shown."""
    from PIL import Image

    from faceapp.core.images import load_image

    upright = load_image(face_photo("obama_small.jpg"))
    sideways = tmp_path / "sideways.png"
    # PIL turns counter-clockwise: the photo must be turned 90° clockwise for the face to stand upright.
    Image.fromarray(upright).rotate(90, expand=True).save(sideways)
    status, out, _ = run(capsys, "detect", sideways, "--json")
    face = json.loads(out)["photos"][0]["faces"][0]
    assert status == 0 and face["rotation"] == 90
    x, y, w, h = face["box"]
    assert h > w * 0.5 and x < 240 and y < 320  # inside the 240×320 photo as displayed
    status, out, _ = run(capsys, "detect", sideways)
    assert "turned 90°" in out
