"""Shared fixtures: the real test photos and generated model files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
FACES = Path(os.environ.get("FACEAPP_TESTDATA", REPO.parent / "shared" / "testdata" / "faces"))


def face_photo(name: str) -> Path:
    path = FACES / name
    if not path.is_file():
        pytest.fail(f"test photo {path} is missing; set FACEAPP_TESTDATA to the shared faces folder")
    return path


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return FACES


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with generated resnet50 files (full + labels) in the official layout."""
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    folder = tmp_path_factory.mktemp("models")
    write_synthetic_model_files(folder, "resnet50", include_top=True, seed=7)
    return folder


@pytest.fixture(scope="session")
def notop_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    folder = tmp_path_factory.mktemp("models_notop")
    write_synthetic_model_files(folder, "resnet50", include_top=False, seed=8)
    return folder


@pytest.fixture(scope="session")
def engine(models_dir: Path):
    from faceapp.core.engine import Engine

    engine = Engine(models_dir=models_dir)
    engine.load()
    return engine


@pytest.fixture(autouse=True)
def _isolated_model_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the user's real model folders unless they ask for them."""
    if os.environ.get("FACEAPP_REAL_MODELS_DIR"):
        return
    home = tmp_path_factory.getbasetemp() / "home"
    monkeypatch.setenv("KERAS_HOME", str(home / ".keras"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("FACEAPP_MODELS_DIR", raising=False)
