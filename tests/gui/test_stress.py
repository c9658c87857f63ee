"""The window under stress, in processes of their own: no crash, no hang, no traceback, a quick exit."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import face_photo

pytestmark = pytest.mark.gui

SCRIPT = Path(__file__).with_name("stress_app.py")


def _run(*args: str, timeout: float = 300) -> tuple[dict, float, str]:
    out = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)
    ended = time.monotonic()
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "Fatal" not in out.stderr, out.stderr[-3000:]
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, out.stdout[-2000:] + out.stderr[-2000:]
    report = json.loads(lines[-1])
    # closing_at is the child's monotonic clock (the same clock on Linux): time from close() to exit.
    return report, ended - report["closing_at"] if "closing_at" in report else 0.0, out.stderr


@pytest.mark.wallclock
def test_a_hundred_drops_pastes_and_model_switches(tmp_path, models_dir):
    bad = tmp_path / "holiday.jpg"
    bad.write_bytes(b"\xff\xd8\xff this is not a photo")
    photos = [str(face_photo(name)) for name in ("obama_small.jpg", "two_people.jpg", "biden.jpg", "obama3.jpg")]
    report, exit_seconds, _ = _run("drops", str(models_dir), str(bad), *photos)
    assert "timeout" not in report, report
    assert report["drops_done_at"] - report["started_at"] < 30  # a hundred drops in a few seconds
    assert report["labels"] == report["expected"]  # the last photo dropped on each pane is the one shown
    assert report["faces"] == {"A": 2, "B": 1}  # two_people.jpg and obama_small.jpg, analysed
    assert report["model"] == "resnet50" and report["crop"] == "vggface2"
    assert exit_seconds < 10, exit_seconds  # closed mid-analysis of obama3.jpg


@pytest.mark.wallclock
def test_closing_mid_download_exits_at_once(tmp_path, server):
    from tests.helpers import FileServer

    FileServer.stall_after = 40_000  # the server goes silent: only a cancel can end the read
    report, exit_seconds, _ = _run("download", str(tmp_path / "models"), server, timeout=120)
    assert "timeout" not in report, report
    assert exit_seconds < 8, exit_seconds
