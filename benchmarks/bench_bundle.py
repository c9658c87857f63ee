"""Size on disk and cold start to a visible window of the built app (Linux, under Xvfb).

    python benchmarks/bench_bundle.py [--app dist/faceapp/faceapp] [--runs 5]

Start-up is timed from process launch until xdotool sees the mapped window, for the
built app and for ``python -m faceapp`` from source, alternating, median of --runs.
The first launch of each is a cold start (files not yet in the page cache, if the
build is fresh) and is reported separately.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.xwindow import start_xvfb, wait_for_faceapp_window  # noqa: E402


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def time_to_window(command: list[str], env: dict[str, str], timeout: float = 60.0, attempts: int = 5) -> float:
    """Seconds from launch until the window is mapped.

    Xvfb now and then refuses a connection while xdotool polls it this often
    ("could not connect to display"); such a launch dies at once and is tried
    again (said on stderr), up to ``attempts`` times.
    """
    for attempt in range(1, attempts + 1):
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_faceapp_window(env, timeout, poll=0.01, alive=lambda: process.poll() is None)
            return time.perf_counter() - start
        except RuntimeError:
            if process.poll() is None or attempt == attempts:
                raise
            print(f"launch {attempt} of {command[-1]} died before its window "
                  f"({process.stderr.read().decode(errors='replace').strip().splitlines()[0]}); again",
                  file=sys.stderr)
        finally:
            process.terminate()
            process.wait(30)
    raise AssertionError("unreachable")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", default=str(REPO / "dist" / "faceapp" / "faceapp"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = Path(args.app)
    print(f"bundle: {folder_size(app.parent) / 1e6:.0f} MB on disk ({app.parent})")
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        print("start-up not measured: apt-get install xvfb xdotool")
        return 0
    display = ":94"
    xvfb = start_xvfb(display)
    config = tempfile.mkdtemp()
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "XDG_CONFIG_HOME": config,
           "FACEAPP_MODELS_DIR": config}
    try:
        built, source = [str(app)], [sys.executable, "-m", "faceapp"]
        cold_built, cold_source = time_to_window(built, env), time_to_window(source, env)
        warm_built, warm_source = [], []
        for _ in range(args.runs):
            warm_built.append(time_to_window(built, env))
            warm_source.append(time_to_window(source, env))
        print(f"first launch: built {cold_built * 1000:.0f} ms, from source {cold_source * 1000:.0f} ms")
        print(f"median of {args.runs}: built {statistics.median(warm_built) * 1000:.0f} ms, "
              f"from source {statistics.median(warm_source) * 1000:.0f} ms")
    finally:
        xvfb.terminate()
        shutil.rmtree(config, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
