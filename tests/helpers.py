"""What several test modules share: the real photos, generated folders of them, a fault-injecting file server.

Test modules import from here, never from each other (or from a conftest).
"""

from __future__ import annotations

import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from PIL import Image

from tests.testdata import photo_path

PHOTOS = {"family/obama_small.jpg": "obama_small.jpg", "family/2019/two_people.jpg": "two_people.jpg",
          "work/biden.jpg": "biden.jpg", "work/obama.jpg": "obama.jpg"}


def face_photo(name: str) -> Path:
    try:
        return photo_path(name)
    except FileNotFoundError as exc:
        pytest.fail(str(exc))


def make_folder(root: Path) -> Path:
    """Photos (shrunk to ≤ 480 px: faster), nested; a broken file, a wall, a hidden folder, a loop, notes."""
    for relative, name in PHOTOS.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        image = Image.open(face_photo(name)).convert("RGB")
        image.thumbnail((480, 480))
        image.save(target, quality=92)
    (root / "work" / "broken.jpg").write_bytes(b"\xff\xd8\xff this is not really a photo")
    Image.new("RGB", (320, 240), (200, 190, 180)).save(root / "family" / "wall.png")
    (root / ".thumbnails").mkdir()
    shutil.copy(root / "work" / "obama.jpg", root / ".thumbnails" / "obama.jpg")
    (root / "family" / "notes.txt").write_text("not a photo")
    os.symlink(root, root / "family" / "loop")  # a folder linking back to the top
    return root


def many_photos(folder: Path, count: int) -> None:
    """``count`` distinct photos (the shared ones at several sizes), with one face each."""
    folder.mkdir(parents=True)
    sources = ["obama_small.jpg", "obama2.jpg", "biden.jpg", "obama.jpg", "obama-480p.jpg"]
    for index in range(count):
        image = Image.open(face_photo(sources[index % len(sources)])).convert("RGB")
        image.thumbnail((260 + 20 * index, 260 + 20 * index))
        image.save(folder / f"photo{index:02d}.jpg", quality=80 + index % 15)


class FileServer(BaseHTTPRequestHandler):
    """A release server for tests; class attributes choose a fault for the next requests."""

    files: dict[str, bytes] = {}
    cut_after: int | None = None  # drop the connection after this many bytes (once)
    stall_after: int | None = None  # send this many bytes, then nothing until the test ends
    short_by: int = 0  # announce this many bytes more than are sent, then close
    status: int | None = None  # answer every request with this HTTP status
    content_type: str = "application/octet-stream"
    requests: list[str] = []
    release = threading.Event()  # set at teardown: stalled handlers return

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 - http.server API
        cls = type(self)
        name = self.path.rsplit("/", 1)[-1]
        data = self.files.get(name)
        cls.requests.append(self.headers.get("Range") or "full")
        if cls.status is not None:
            self.send_error(cls.status)
            return
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
        self.send_header("Content-Type", cls.content_type)
        self.send_header("Content-Length", str(len(body) + cls.short_by))
        self.end_headers()
        try:
            if cls.stall_after is not None:
                self.wfile.write(body[:cls.stall_after])
                self.wfile.flush()
                cls.release.wait(60)
                return
            if cls.cut_after is not None:
                limit, cls.cut_after = cls.cut_after, None
                self.wfile.write(body[:limit])
                self.wfile.flush()
                self.connection.shutdown(2)
                return
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client cancelled mid-download: expected in the cancel tests
