"""The core has no Qt, and nothing heavy loads at import time (proved in fresh processes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "keras", "mtcnn", "h5py", "PIL", "onnxruntime", "onnx", "pillow_heif",
         "psycopg", "pgvector")  # psycopg, pgvector: only for a server library
#: The reference implementations the tests compare against: never imported by faceapp itself.
REFERENCE = {"tensorflow", "keras", "mtcnn", "tf_keras"}


def _modules_after(code: str) -> set[str]:
    script = code + "\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_never_imports_qt():
    core = REPO / "faceapp" / "core"
    offenders = [str(p) for p in core.rglob("*.py") if any(q in p.read_text() for q in ("PySide", "PyQt", "qtpy", "shiboken"))]
    assert offenders == []
    modules = [
        "faceapp.core." + ".".join(p.relative_to(core).with_suffix("").parts)
        for p in core.rglob("*.py") if p.name != "__init__.py"
    ]
    loaded = _modules_after("\n".join(f"import {m}" for m in modules))
    assert not {"PySide6", "shiboken6", "PyQt5", "PyQt6"} & loaded


def test_imports_are_light():
    loaded = _modules_after("import faceapp, faceapp.core, faceapp.cli, faceapp.paths, faceapp.core.engine")
    assert not set(HEAVY) & loaded, set(HEAVY) & loaded


def test_detection_runs_without_tensorflow_or_the_mtcnn_package():
    """Faces found on ONNX Runtime, from the mtcnn package's weight files only (its code imports TensorFlow)."""
    loaded = _modules_after(
        "from faceapp.core.detection.detector import FaceDetector\n"
        "from faceapp.core.images import load_image\n"
        "from tests.testdata import FACES\n"
        "assert len(FaceDetector().detect(load_image(FACES / 'two_people.jpg'))) == 2\n")
    assert "onnxruntime" in loaded and not REFERENCE & loaded, REFERENCE & loaded


def test_no_faceapp_module_imports_tensorflow_keras_or_mtcnn():
    """TensorFlow, Keras and the mtcnn package are the tests' reference: not one import of them in the app."""
    root = REPO / "faceapp"
    direct = ("import tensorflow", "from tensorflow", "import keras", "from keras", "import mtcnn", "from mtcnn")
    offenders = [f"{path.relative_to(root)}:{number}" for path in root.rglob("*.py")
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if line.strip().startswith(direct)]
    assert offenders == []


def test_cli_verify_and_the_self_test_run_without_tensorflow(models_dir):
    """The whole path a user runs — detection, recognition, verdict — and --self-test, on ONNX Runtime alone."""
    from tests.testdata import FACES

    loaded = _modules_after(
        "from faceapp.cli import main\n"
        f"assert main(['verify', {str(FACES / 'obama.jpg')!r}, {str(FACES / 'obama2.jpg')!r}, "
        f"'--models-dir', {str(models_dir)!r}, '--json']) == 0\n"
        "from faceapp.selftest import self_test\n"
        f"assert self_test({str(models_dir)!r}) == 0\n")
    assert "onnxruntime" in loaded and not REFERENCE & loaded, REFERENCE & loaded
