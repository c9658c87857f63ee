"""Time to a window on screen: faceapp's main window against a bare PySide6 window.

    python benchmarks/bench_startup.py [--runs 5] [--platform offscreen|xcb]

Each run is a fresh process; the clock starts before Python imports anything of
ours and stops at the first event-loop turn after ``show()`` (the window has been
shown and laid out; TensorFlow has not been imported).  Runs alternate between the
two so machine noise hits both alike; the medians and their ratio are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BARE = """
import time, sys
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
app = QApplication([])
w = QMainWindow(); w.resize(1200, 800); w.show()
def done():
    print(time.time() - START, 'tensorflow' in sys.modules); app.quit()
QTimer.singleShot(0, done); app.exec()
"""

FACEAPP = """
import time, sys
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication([])
from faceapp.gui.main_window import MainWindow
w = MainWindow(); w.show()
def done():
    print(time.time() - START, 'tensorflow' in sys.modules); w.close(); app.quit()
QTimer.singleShot(0, done); app.exec()
"""


def run(code: str, platform: str) -> float:
    import time

    env = {**os.environ, "QT_QPA_PLATFORM": platform, "XDG_CONFIG_HOME": "/tmp/faceapp-bench-config"}
    start = time.time()
    out = subprocess.run([sys.executable, "-c", f"START = {start!r}\n" + code], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True)
    seconds, tf_loaded = out.stdout.split()[-2:]
    assert tf_loaded == "False", "TensorFlow was imported before the window appeared"
    return float(seconds)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    args = parser.parse_args()
    run(BARE, args.platform), run(FACEAPP, args.platform)  # warm the file cache
    bare, ours = [], []
    for _ in range(args.runs):
        bare.append(run(BARE, args.platform))
        ours.append(run(FACEAPP, args.platform))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"platform {args.platform}, {args.runs} runs each (median): bare PySide6 window {b * 1000:.0f} ms, "
          f"faceapp window {o * 1000:.0f} ms, ratio {o / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
