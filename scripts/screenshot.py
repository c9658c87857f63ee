"""Start the real app in a real X window (Xvfb) with two photos and save a screenshot.

    python scripts/screenshot.py [--models-dir DIR] [--out docs/screenshot.png] PHOTO_A PHOTO_B

Needs Debian's xvfb, xdotool and imagemagick (and the libxcb packages in README.md).
Without --models-dir it generates ResNet-50 weights with seeded random values, so the
identity names shown are random placeholders, not real predictions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.xwindow import start_xvfb, wait_for_faceapp_window  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("photos", nargs=2)
    parser.add_argument("--models-dir")
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshot.png"))
    parser.add_argument("--settle", type=float, default=45.0, help="seconds to let the model load and analyse")
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install xvfb xdotool imagemagick")
    work = Path(tempfile.mkdtemp(prefix="faceapp-shot-"))
    models_dir = args.models_dir
    if models_dir is None:
        from faceapp.core.vggface.synthetic import write_synthetic_model_files

        models_dir = str(work / "models")
        write_synthetic_model_files(models_dir, "resnet50", seed=1)
    display = ":97"
    xvfb = start_xvfb(display, "1280x860x24")
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "XDG_CONFIG_HOME": str(work / "config"),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    try:
        app = subprocess.Popen([sys.executable, "-m", "faceapp", "--models-dir", models_dir, *args.photos],
                               cwd=REPO, env=env)
        window = wait_for_faceapp_window(env, 60)
        subprocess.run(["xdotool", "windowsize", window, "1260", "840"], env=env, check=False)
        subprocess.run(["xdotool", "windowmove", window, "10", "10"], env=env, check=False)
        time.sleep(args.settle)
        subprocess.run(["import", "-window", "root", "-crop", "1270x850+5+5", args.out], env=env, check=True)
        print("saved", args.out)
        app.terminate()
        app.wait(30)
    finally:
        xvfb.terminate()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
