"""Shared fixtures: the real test photos and generated model files."""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


class FileServer(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    cut_after: int | None = None  # drop the connection after this many bytes (once)
    requests: list[str] = []

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 - http.server API
        name = self.path.rsplit("/", 1)[-1]
        data = self.files.get(name)
        type(self).requests.append(self.headers.get("Range") or "full")
        if data is None:
            self.send_error(404)
            return
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].rstrip("-"))
            self.send_response(206)
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if type(self).cut_after is not None:
                limit, type(self).cut_after = type(self).cut_after, None
                self.wfile.write(body[:limit])
                self.wfile.flush()
                self.connection.shutdown(2)
                return
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client cancelled mid-download: expected in the cancel tests


@pytest.fixture()
def server(models_dir):
    """A local release server holding the generated model files (Range requests work)."""
    FileServer.files = {p.name: p.read_bytes() for p in models_dir.iterdir()}
    FileServer.cut_after, FileServer.requests = None, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FileServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/release/"
    httpd.shutdown()
    httpd.server_close()
