"""Memory of the window after comparing two photos (issue 17 goal: ≤ 700 MB).

    python benchmarks/bench_window_memory.py [--runs 3] [--platform offscreen|xcb]

Each run is a fresh process started as a user starts the app with two photos,
``faceapp A.jpg B.jpg``, with its own empty home folder (settings, library) and
generated ResNet-50 model files (the official ones cannot be downloaded here; memory
does not depend on the values), whose ONNX graph was cached by an untimed first run.
The child quits once both photos are analysed and the verdict is shown; the figures
are its resident set size at that moment (/proc/self/statm) and its peak (``wait4``'s
``ru_maxrss``), medians and ranges over the runs.
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
sys.path.insert(0, str(REPO))

from tests.testdata import FACES  # noqa: E402

CHILD = """
import os, sys
from PySide6.QtWidgets import QApplication
from faceapp.gui.app import after_first_paint
from faceapp.gui.main_window import MainWindow

app = QApplication([sys.argv[0]])
app.setOrganizationName("faceapp-bench")
window = MainWindow(models_dir=sys.argv[1])
window.show()
done = set()

def analysed(pane, result):
    done.add(pane)
    if done == {"A", "B"}:
        with open("/proc/self/statm") as handle:
            rss = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        print(f"RSS {rss:.1f} VERDICT {window.compare.verdict.text()!r}", flush=True)
        window.close()

window.compare.analysed.connect(analysed)

def begin():
    window.compare.open_paths(sys.argv[2:4])
    window.start_worker()

after_first_paint(window, begin)
app.exec()
window.engine.stop(timeout_ms=120_000)
"""


def run(models_dir: str, platform: str) -> tuple[float, float, str]:
    """(RSS MB after the verdict, peak RSS MB, verdict text) of one fresh window process."""
    with tempfile.TemporaryDirectory(prefix="faceapp-bench-home-") as home:
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config", "XDG_DATA_HOME": f"{home}/.local/share",
               "XDG_CACHE_HOME": f"{home}/.cache", "QT_QPA_PLATFORM": platform, "PYTHONPATH": str(REPO)}
        process = subprocess.Popen([sys.executable, "-c", CHILD, models_dir, str(FACES / "obama.jpg"),
                                    str(FACES / "obama2.jpg")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        out, err = process.stdout.read().decode(), process.stderr.read().decode()
        if os.waitstatus_to_exitcode(status) != 0 or "RSS" not in out:
            raise SystemExit(f"the window run failed ({os.waitstatus_to_exitcode(status)}): {err[-2000:]}")
        line = out.splitlines()[-1].split(" ", 3)
        return float(line[1]), usage.ru_maxrss / 1024.0, line[3]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--platform", default="offscreen")
    args = parser.parse_args()
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    with tempfile.TemporaryDirectory(prefix="faceapp-bench-models-") as models:
        write_synthetic_model_files(models, "resnet50", include_top=True, seed=7)
        run(models, args.platform)  # builds and caches the graph, as a user's first start does
        results = [run(models, args.platform) for _ in range(args.runs)]
    now, peak = [r[0] for r in results], [r[1] for r in results]
    print(f"verdict shown: {results[-1][2]}")
    print("| | median MB | range |")
    print("|---|---|---|")
    print(f"| RSS once both photos are analysed | {statistics.median(now):.0f} | {min(now):.0f}–{max(now):.0f} |")
    print(f"| peak RSS of the process | {statistics.median(peak):.0f} | {min(peak):.0f}–{max(peak):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
