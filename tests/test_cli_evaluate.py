"""faceapp-cli evaluate: a folder of real photos with generated weights, end to end."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from faceapp.cli import main
from tests.helpers import face_photo


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_evaluate_json_report_and_use(tmp_path, capsys, models_dir, people_folder, monkeypatch):
    monkeypatch.setenv("FACEAPP_THRESHOLDS", str(tmp_path / "thresholds.json"))
    status, out, err = run(capsys, "evaluate", people_folder, "--models-dir", models_dir, "--json",
                           "--report", tmp_path / "report.html", "--use", "eer")
    assert status == 0, err
    data = json.loads(out)
    assert data["command"] == "evaluate" and data["people"] == 3 and data["photos"] == 10 and data["photos_used"] == 9
    assert data["left_out"][0]["path"].endswith("broken.jpg") and data["several_faces"][0].endswith("two.jpg")
    assert data["pairs"] == {"genuine": 13, "impostor": 23, "impostor_possible": 23, "seed": 0}
    assert set(data["at_far"]["0.1"]) == {"not_enough_pairs", "impostor_pairs_needed"}  # 23 pairs < 300
    assert 0 <= data["eer"] <= 1 and data["eer_95"][0] <= data["eer"] <= data["eer_95"][1]
    assert data["saved"]["threshold"] == round(data["eer_threshold"], 4)
    page = (tmp_path / "report.html").read_text()
    assert page.count("<svg") == 3 and "Equal error rate" in page
    assert (tmp_path / "report.csv").read_text().startswith("threshold,far,tar,frr\n0.000,")
    assert json.loads((tmp_path / "report.json").read_text())["eer"] == data["eer"]
    saved = json.loads((tmp_path / "thresholds.json").read_text())["resnet50/vggface2"]
    assert saved["threshold"] == data["saved"]["threshold"] and len(saved["curve"]) == 101

    # The calibrated threshold is now the default of verify (and who, find, cluster).
    status, out, _ = run(capsys, "verify", face_photo("obama.jpg"), face_photo("biden.jpg"), "--models-dir",
                         models_dir, "--json")
    assert json.loads(out)["threshold"] == pytest.approx(saved["threshold"])


def test_the_eer_agrees_with_an_independent_computation(capsys, models_dir, people_folder):
    """Descriptors from `embed --json`, pairs and EER computed here by brute force: within 0.005."""
    photos = sorted(p for p in people_folder.rglob("*.jpg") if p.name != "broken.jpg")
    status, out, _ = run(capsys, "embed", *photos, "--models-dir", models_dir, "--json")
    embedded = json.loads(out)["photos"]
    vectors, labels = [], []
    for photo, entry in zip(photos, embedded):
        faces = entry["faces"]
        largest = max(faces, key=lambda f: f["box"][2] * f["box"][3])
        vectors.append(np.array(largest["descriptor"]))
        labels.append(photo.parent.name)
    genuine, impostor = [], []
    for a in range(len(vectors)):
        for b in range(a + 1, len(vectors)):
            cosine = 1 - vectors[a] @ vectors[b] / np.linalg.norm(vectors[a]) / np.linalg.norm(vectors[b])
            (genuine if labels[a] == labels[b] else impostor).append(cosine)
    genuine, impostor = np.array(genuine), np.array(impostor)
    # EER by brute force: the threshold where |FAR − FRR| is smallest, the mean of the two there.
    best = min(np.concatenate([genuine, impostor]),
               key=lambda t: abs((impostor <= t).mean() - (genuine > t).mean()))
    expected = ((impostor <= best).mean() + (genuine > best).mean()) / 2
    status, out, _ = run(capsys, "evaluate", people_folder, "--models-dir", models_dir, "--json")
    assert status == 0 and abs(json.loads(out)["eer"] - expected) <= 0.005 + 1 / len(impostor)


def test_descriptors_come_from_the_library(tmp_path, capsys, models_dir, people_folder):
    library = tmp_path / "lib.sqlite"
    assert run(capsys, "scan", people_folder, "--library", library, "--models-dir", models_dir)[0] == 0
    status, out, _ = run(capsys, "evaluate", people_folder, "--library", library, "--models-dir", models_dir, "--json")
    data = json.loads(out)
    assert status == 0 and data["from_library"] == data["photos_used"] == 9


def test_the_text_names_each_photo_left_out_and_why(capsys, models_dir, people_folder):
    (people_folder / "obama" / "IMG_0042.HEIC").write_bytes(bytes(64))
    status, out, _ = run(capsys, "evaluate", people_folder, "--models-dir", models_dir)
    assert status == 0 and "2 photos left out (no face, or unreadable)." in out
    assert "    Cannot open 'broken.jpg': " in out
    assert "    Cannot open 'IMG_0042.HEIC': faceapp cannot read HEIC photos; save it as JPEG and try again." in out


@pytest.mark.parametrize("make,pattern", [
    ("empty", "no photos in sub-folders"),
    ("one person", "only one person"),
    ("missing pairs", "do not exist"),
    ("both", "not both"),
    ("bad use", "give 'eer', 'best'"),
])
def test_bad_input(tmp_path, capsys, models_dir, people_folder, make, pattern):
    argv = ["evaluate", people_folder, "--models-dir", models_dir]
    if make == "empty":
        (tmp_path / "empty").mkdir()
        argv[1] = tmp_path / "empty"
    elif make == "one person":
        argv[1] = people_folder / "biden" / ".."
        shutil.rmtree(people_folder / "obama")
        shutil.rmtree(people_folder / "both")
    elif make == "missing pairs":
        (tmp_path / "pairs.csv").write_text(f"{people_folder / 'obama' / 'obama.jpg'},gone.jpg,1\n")
        argv = ["evaluate", "--pairs", tmp_path / "pairs.csv", "--models-dir", models_dir]
    elif make == "both":
        argv += ["--pairs", tmp_path / "pairs.csv"]
    else:
        argv += ["--use", "median"]
    status, _, err = run(capsys, *argv)
    assert status == 2 and pattern in err and err.count("\n") == 1 and "Traceback" not in err, err
