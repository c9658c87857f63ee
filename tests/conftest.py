"""Shared fixtures: the real test photos and generated model files."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
import warnings
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.helpers import FileServer, face_photo  # noqa: F401 - fixtures below use them
from tests.testdata import FACES


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


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory):
    """A real PostgreSQL + pgvector server for the whole session (see tests/postgres.py)."""
    from tests.postgres import start_server, stop_server

    # Outside pytest's temporary tree: as root, the server runs as another user, who must reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="faceapp-pg-"))
    server = start_server(folder / "data")
    yield server
    stop_server(server)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server) -> str:
    """A new, empty database on the test server."""
    from tests.postgres import new_database

    return new_database(pg_server)


@pytest.fixture(params=["sqlite", "postgres"])
def library_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a library lives: a new SQLite file, or a new PostgreSQL database (the library tests run on both)."""
    if request.param == "sqlite":
        return str(tmp_path / "library.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the user's model folders, library, thresholds or caches — nor each other's."""
    user = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("XDG_DATA_HOME", str(user / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(user / "cache"))
    monkeypatch.delenv("FACEAPP_LIBRARY", raising=False)
    monkeypatch.delenv("FACEAPP_THRESHOLDS", raising=False)
    if os.environ.get("FACEAPP_REAL_MODELS_DIR"):
        return
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.getbasetemp() / "home" / ".keras"))
    monkeypatch.delenv("FACEAPP_MODELS_DIR", raising=False)


@pytest.fixture()
def server(models_dir):
    """A local release server holding the generated model files (Range requests work)."""
    FileServer.files = {p.name: p.read_bytes() for p in models_dir.iterdir() if p.is_file()}  # not the graph cache
    FileServer.cut_after = FileServer.stall_after = FileServer.status = None
    FileServer.short_by, FileServer.content_type, FileServer.requests = 0, "application/octet-stream", []
    FileServer.release = threading.Event()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FileServer)
    httpd.daemon_threads = False  # server_close() waits for every handler: their sockets close within the test
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/release/"
    FileServer.release.set()
    httpd.shutdown()
    httpd.server_close()
    # A read that timed out on purpose (the "stall" faults) leaves urllib's socket to the garbage
    # collector; collect it here, inside the test that stalled it, instead of in whichever test runs
    # the collector next.  (Not yet understood why closing the response does not free it: see the
    # closing note of the stop that added this.)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture()
def people_folder(tmp_path):
    """Three people: Obama (5 photos), Biden (3 made from one), the two of them (1, two faces) — and a broken file."""
    root = tmp_path / "people"
    for name in ("obama.jpg", "obama2.jpg", "obama3.jpg", "obama_small.jpg", "obama-480p.jpg"):
        (root / "obama").mkdir(parents=True, exist_ok=True)
        shutil.copy(face_photo(name), root / "obama" / name)
    (root / "biden").mkdir()
    biden = Image.open(face_photo("biden.jpg")).convert("RGB")
    biden.save(root / "biden" / "b1.jpg")
    biden.crop((150, 0, 900, 1300)).save(root / "biden" / "b2.jpg")
    biden.resize((485, 1102)).save(root / "biden" / "b3.jpg", quality=70)
    (root / "both").mkdir()
    shutil.copy(face_photo("two_people.jpg"), root / "both" / "two.jpg")
    (root / "both" / "broken.jpg").write_bytes(b"not a photo")
    return root
