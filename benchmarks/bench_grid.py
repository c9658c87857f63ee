"""Does the face grid stay quick with thousands of faces?  Time to first paint, 5,000 faces against 50.

    python benchmarks/bench_grid.py [--runs 5] [--platform offscreen|xcb]

Each run is a fresh process: a window with the People view's FaceGrid is shown,
the faces are set, and the clock stops when the grid has painted (thumbnails are
still being made in the background: the grid shows grey squares first and fills
them in as they arrive, only for faces on screen).  Also reported: how many
thumbnails the first paint asked for, and the time to scroll to the end and paint.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CODE = r"""
import sys, time, shutil
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from faceapp.gui.people.view_models import FaceItem
from faceapp.core.types import Box, Face
from faceapp.gui.people.face_grid import FaceGrid
from faceapp.gui.people.thumbnails import ThumbnailLoader
count, photo = int(sys.argv[1]), sys.argv[2]
items = [FaceItem(n, photo, n, Face(Box(40 + n % 10, 30, 120, 150), 0.99), 0.5, "confirmed") for n in range(count)]
loader = ThumbnailLoader()
grid = FaceGrid(loader, "bench"); grid.resize(1000, 700); grid.show(); app.processEvents()
marks = {}
class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and "set" in marks and "painted" not in marks:
            QTimer.singleShot(0, lambda: marks.setdefault("painted", time.perf_counter()))
        return False
watch = Painted(); grid.viewport().installEventFilter(watch)
def go():
    marks["set"] = time.perf_counter(); grid.set_items(items)
def scroll():
    if "painted" not in marks:
        QTimer.singleShot(5, scroll); return
    marks["asked"] = len(loader._asked) + len(loader._cache)
    start = time.perf_counter(); grid.scrollToBottom(); app.processEvents(); grid.viewport().repaint()
    marks["scroll"] = time.perf_counter() - start
    print((marks["painted"] - marks["set"]) * 1000, marks["asked"], marks["scroll"] * 1000, flush=True)
    app.quit()
QTimer.singleShot(50, go); QTimer.singleShot(60, scroll); app.exec()
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from tests.testdata import photo_path

    cache = tempfile.mkdtemp(prefix="faceapp-grid-")
    env = {**os.environ, "QT_QPA_PLATFORM": args.platform, "XDG_CACHE_HOME": cache}
    results: dict[int, list[tuple[float, int, float]]] = {50: [], 5000: []}
    for _ in range(args.runs):
        for count in results:
            out = subprocess.run([sys.executable, "-c", CODE, str(count), str(photo_path("two_people.jpg"))],
                                 cwd=REPO, env=env, capture_output=True, text=True, check=True)
            first, asked, scroll = out.stdout.split()[-3:]
            results[count].append((float(first), int(asked), float(scroll)))
    small = statistics.median(r[0] for r in results[50])
    for count, runs in results.items():
        first = statistics.median(r[0] for r in runs)
        print(f"{count:>5} faces: first paint {first:6.1f} ms (ratio {first / small:.2f}), "
              f"thumbnails asked for by the first paint {statistics.median(r[1] for r in runs):.0f}, "
              f"scroll to the end and paint {statistics.median(r[2] for r in runs):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
