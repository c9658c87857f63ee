"""The PyInstaller build, built from this environment and run as a user would (slow: minutes).

It bundles generated weights the way an offline install would, then runs the built
executable's --version and --self-test with no Python environment to lean on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    pytest.importorskip("PyInstaller", reason="pip install '.[test]' brings PyInstaller")
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    work = tmp_path_factory.mktemp("bundle")
    models = work / "models"
    write_synthetic_model_files(models, "resnet50", seed=11)
    env = {**os.environ, "FACEAPP_BUNDLE_MODELS": str(models)}
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", str(REPO / "faceapp.spec"), "--noconfirm",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    app = work / "dist" / "faceapp" / "faceapp"
    assert app.is_file()
    return app


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """No Python environment, no user model folders: only what the bundle carries."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "FACEAPP_"))}
    env.update(HOME=str(tmp_path), KERAS_HOME=str(tmp_path / "keras"), XDG_DATA_HOME=str(tmp_path / "data"),
               PATH="/usr/bin:/bin")
    return env


def test_version(bundle, tmp_path):
    from faceapp import __version__

    out = subprocess.run([str(bundle), "--version"], env=_clean_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == f"faceapp {__version__}"


def test_self_test_finds_bundled_models(bundle, tmp_path):
    out = subprocess.run([str(bundle), "--self-test"], env=_clean_env(tmp_path), cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    summary = json.loads(out.stdout)
    assert summary["ok"] is True and summary["faces"] == 1 and summary["descriptor_dim"] == 2048
    assert summary["library"] == "ok"  # SQLite, the scan's reading thread and "who" work in the build
    assert "_internal/resources/models" in summary["weights"]
    assert summary["identities_available"] is True


def test_self_test_with_a_models_folder_and_without_one(bundle, tmp_path):
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    notop = tmp_path / "notop"
    write_synthetic_model_files(notop, "resnet50", include_top=False, seed=3)
    out = subprocess.run([str(bundle), "--self-test", "--models-dir", str(notop)], env=_clean_env(tmp_path),
                         capture_output=True, text=True, timeout=600)
    summary = json.loads(out.stdout)
    assert out.returncode == 0 and summary["identities_available"] is False
    empty = tmp_path / "empty"
    empty.mkdir()
    out = subprocess.run([str(bundle), "--self-test", "--models-dir", str(empty)], env=_clean_env(tmp_path),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 3 and "faceapp-cli models download resnet50" in json.loads(out.stdout)["error"]


def test_bundle_has_mtcnn_weights_and_resources(bundle):
    internal = bundle.parent / "_internal"
    assert sorted(p.name for p in (internal / "mtcnn" / "assets" / "weights").glob("*.lz4")) == ["onet.lz4", "pnet.lz4", "rnet.lz4"]
    for name in ("faceapp.png", "faceapp.desktop", "sample.jpg", "NOTICE.md"):
        assert (internal / "resources" / name).is_file()
    assert not (internal / "cv2").exists() and shutil.which("faceapp", path=str(bundle.parent))
    assert (internal / "PySide6" / "QtSvg.abi3.so").is_file()  # the calibration plots are drawn with QtSvg


def test_bundle_leaves_tensorflow_out_and_can_read_heic(bundle):
    """TensorFlow, Keras and the mtcnn package's code stay out (only its weight files go in); pillow-heif and
    ONNX Runtime come in.  Within the size goal (issue 17: ≤ 350 MB with every feature, no weights)."""
    internal = bundle.parent / "_internal"
    names = {p.name for p in internal.iterdir()}
    assert not {"tensorflow", "keras", "tf_keras", "tensorboard"} & names
    assert {p.relative_to(internal / "mtcnn").as_posix() for p in (internal / "mtcnn").rglob("*") if p.is_file()} == {
        "assets/weights/onet.lz4", "assets/weights/pnet.lz4", "assets/weights/rnet.lz4"}
    assert "onnxruntime" in names and any(name.startswith("_pillow_heif.") for name in names)
    models = internal / "resources" / "models"
    size = sum(p.stat().st_size for p in bundle.parent.rglob("*") if p.is_file() and not p.is_symlink()
               and models not in p.parents)
    assert size <= 350_000_000, f"{size / 1e6:.1f} MB"
