"""Time to a window on screen: faceapp's main window against a bare PySide6 window.

    python benchmarks/bench_startup.py [--runs 7] [--platform offscreen|xcb]

Each run is a fresh process; the clock starts before Python imports anything of
ours and stops once the window has been exposed and painted (checked: neither ONNX Runtime
nor NumPy has been imported by then).  Three variants: a bare QMainWindow, faceapp's window, and the real
start-up path with two photos on the command line.  Runs alternate so machine
noise hits all alike; medians and their ratio to the bare window are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# Every variant stops the clock when its window has been exposed and painted
# (faceapp.gui.app.after_first_paint), then leaves at once.
BARE = """
import os, time, sys
from PySide6.QtWidgets import QApplication, QMainWindow
from faceapp.gui.app import after_first_paint
app = QApplication([])
w = QMainWindow(); w.resize(1200, 800); w.show()
def done():
    print(time.time() - START, bool({'onnxruntime', 'numpy', 'tensorflow'} & set(sys.modules)), flush=True); os._exit(0)
after_first_paint(w, done); app.exec()
"""

FACEAPP = """
import os, time, sys
from PySide6.QtWidgets import QApplication
from faceapp.gui.app import after_first_paint
app = QApplication([])
from faceapp.gui.main_window import MainWindow
w = MainWindow(); w.show()
def done():
    print(time.time() - START, bool({'onnxruntime', 'numpy', 'tensorflow'} & set(sys.modules)), flush=True); os._exit(0)
after_first_paint(w, done); app.exec()
"""

# The real start-up path of `faceapp A.jpg B.jpg` (how a file manager opens two photos):
# faceapp.gui.app.run, with the first-paint hook timed.
FACEAPP_PHOTOS = """
import os, time, sys
import faceapp.gui.app as app_module
real = app_module.after_first_paint
def timed(window, callback):
    def done():
        print(time.time() - START, bool({'onnxruntime', 'numpy', 'tensorflow'} & set(sys.modules)), flush=True); os._exit(0)
    real(window, done)
app_module.after_first_paint = timed
app_module.run(PHOTOS)
"""


def run(code: str, platform: str) -> float:
    import time

    # Bytecode as a user has it (pip compiles on install); some machines set PYTHONDONTWRITEBYTECODE.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(QT_QPA_PLATFORM=platform, XDG_CONFIG_HOME="/tmp/faceapp-bench-config")
    start = time.time()
    out = subprocess.run([sys.executable, "-c", f"START = {start!r}\n" + code], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True)
    seconds, heavy_loaded = out.stdout.split()[-2:]
    assert heavy_loaded == "False", "ONNX Runtime or NumPy was imported before the window appeared"
    return float(seconds)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    args = parser.parse_args()
    from tests.testdata import photo_path

    photos = [str(photo_path("obama3.jpg")), str(photo_path("two_people.jpg"))]
    variants = {"bare PySide6 window": BARE, "faceapp window": FACEAPP,
                "faceapp A.jpg B.jpg": f"PHOTOS = {photos!r}\n" + FACEAPP_PHOTOS}
    for code in variants.values():
        run(code, args.platform)  # warm the file cache
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, code in variants.items():
            times[name].append(run(code, args.platform))
    bare = statistics.median(times["bare PySide6 window"])
    print(f"platform {args.platform}, {args.runs} alternating runs each, medians:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<22} {median * 1000:5.0f} ms  ratio {median / bare:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
