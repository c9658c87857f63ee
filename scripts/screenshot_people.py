"""Screenshots of the People view, a face grid and the comparison with your people, in a real X window.

    python scripts/screenshot_people.py [--out docs] [--models-dir DIR]

Needs Xvfb and imagemagick (README.md).  Builds a library from tests/data/faces
in a temporary folder, names one person, groups the rest, then drives the real
window and saves docs/people.png, docs/face-grid.png, docs/compare-people.png and
docs/calibration.png (Tools → Calibrate threshold… on a folder made from the same photos).
Without --models-dir the weights are generated with seeded random values: every
face then looks alike, so names, distances and groups are placeholders.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DRIVER = r"""
import sys, subprocess
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from faceapp.gui.main_window import MainWindow
settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
window = MainWindow(models_dir=sys.argv[2], settings=settings)
window.resize(1260, 840); window.move(10, 10); window.show()
out = sys.argv[3]
def shot(name, then):
    app.processEvents()
    subprocess.run(["import", "-window", "root", "-crop", "1270x850+5+5", f"{out}/{name}"], check=True)
    QTimer.singleShot(300, then)
def people():
    window.tabs.setCurrentWidget(window.people)
    person = window.people.entries("person")[0]
    window.people.sidebar.setCurrentItem(person)
    QTimer.singleShot(6000, lambda: shot("people.png", grid))
def grid():
    group = next(iter(window.people.entries("group")), None)
    if group is not None:
        window.people.sidebar.setCurrentItem(group)
    def select():
        window.people.confirmed.selectAll()
        window.people.confirmed.setFocus()
        QTimer.singleShot(3000, lambda: shot("face-grid.png", compare))
    QTimer.singleShot(4000, select)
def compare():
    window.tabs.setCurrentWidget(window.compare)
    window.compare.open_paths(sys.argv[4:6])
    QTimer.singleShot(15000, lambda: shot("compare-people.png", calibrate))
def calibrate():
    window.calibrate()
    dialog = window.calibration_dialog
    dialog.move(20, 60)
    dialog.start(folder=sys.argv[6])
    def wait():
        if dialog.result is None:
            QTimer.singleShot(500, wait); return
        QTimer.singleShot(1000, lambda: shot("calibration.png", lambda: (window.close(), app.quit())))
    wait()
window.start_worker()
QTimer.singleShot(20000, people)
app.exec()
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(REPO / "docs"))
    parser.add_argument("--models-dir")
    args = parser.parse_args()
    from faceapp.cli import main as cli
    from scripts.xwindow import start_xvfb

    work = Path(tempfile.mkdtemp(prefix="faceapp-people-"))
    models_dir = args.models_dir
    if models_dir is None:
        from faceapp.core.vggface.synthetic import write_synthetic_model_files

        models_dir = str(work / "models")
        write_synthetic_model_files(models_dir, "resnet50", seed=1)
    library = work / "people.sqlite"
    photos = REPO / "tests" / "data" / "faces"
    common = ["--library", str(library), "--models-dir", models_dir]
    cli(["scan", str(photos), *common])
    cli(["people", "add", "Barack Obama", str(photos / "obama.jpg"), *common])
    cli(["people", "add", "Barack Obama", str(photos / "obama2.jpg"), *common])
    cli(["cluster", "--max-distance", "0.2", "--min-faces", "1", *common])
    people = work / "people"  # a calibration folder: one sub-folder per person
    for person, names in {"obama": ["obama.jpg", "obama2.jpg", "obama3.jpg", "obama_small.jpg", "obama-480p.jpg"],
                          "biden": ["biden.jpg"], "both": ["two_people.jpg"]}.items():
        (people / person).mkdir(parents=True)
        for name in names:
            shutil.copy(photos / name, people / person / name)
    from PIL import Image

    biden = Image.open(photos / "biden.jpg").convert("RGB")
    biden.crop((150, 0, 900, 1300)).save(people / "biden" / "b2.jpg")
    settings = work / "settings.ini"
    settings.write_text(f"[library]\npath={library}\n")
    display = ":96"
    xvfb = start_xvfb(display, "1280x860x24")
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "TF_CPP_MIN_LOG_LEVEL": "2",
           "XDG_CACHE_HOME": str(work / "cache")}
    try:
        subprocess.run([sys.executable, "-c", DRIVER, str(settings), models_dir, args.out,
                        str(photos / "two_people.jpg"), str(photos / "obama_small.jpg"), str(people)],
                       cwd=REPO, env=env, check=True, timeout=300)
    finally:
        xvfb.terminate()
        shutil.rmtree(work, ignore_errors=True)
    print("saved", *(Path(args.out) / n for n in ("people.png", "face-grid.png", "compare-people.png",
                                                  "calibration.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
