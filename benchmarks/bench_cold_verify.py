"""Cold ``faceapp-cli verify A B`` against ``import tensorflow`` alone, side by side in one run (issue 17 goal:
verify finishes sooner, max RSS ≤ 600 MB).

    python benchmarks/bench_cold_verify.py [--runs 5]

Each run is a fresh process; the two commands alternate so machine noise hits both alike.  The model files
are generated ResNet-50 weights (the official ones cannot be downloaded here) in a temporary folder; the
ONNX graph cache is filled by one untimed verify first, as a user's first run leaves it.  Wall time and the
child's own peak resident set size (``wait4``'s ``ru_maxrss``) are reported, medians and ranges.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.testdata import FACES  # noqa: E402


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0,):
        raise SystemExit(f"{command[:3]} failed ({process.returncode}): {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as folder:
        write_synthetic_model_files(folder, "resnet50", include_top=True, seed=7)
        verify = [sys.executable, "-m", "faceapp.cli", "verify", str(FACES / "obama.jpg"), str(FACES / "obama2.jpg"),
                  "--models-dir", folder]
        tensorflow = [sys.executable, "-c", "import tensorflow"]
        run(verify, env)  # fills the graph cache, as a user's first run does
        results: dict[str, list[tuple[float, float]]] = {"verify": [], "tensorflow": []}
        for _ in range(args.runs):
            results["verify"].append(run(verify, env))
            results["tensorflow"].append(run(tensorflow, env))
    print("| command | wall s (median, range) | peak RSS MB (median, range) |")
    print("|---|---|---|")
    for name, label in (("verify", "`faceapp-cli verify obama.jpg obama2.jpg` (cold)"),
                        ("tensorflow", "`python -c \"import tensorflow\"`")):
        seconds = [s for s, _ in results[name]]
        rss = [r for _, r in results[name]]
        print(f"| {label} | {statistics.median(seconds):.2f} ({min(seconds):.2f}–{max(seconds):.2f}) | "
              f"{statistics.median(rss):.0f} ({min(rss):.0f}–{max(rss):.0f}) |")
    ratio = statistics.median(s for s, _ in results["verify"]) / statistics.median(s for s, _ in results["tensorflow"])
    print(f"\nverify / import tensorflow, medians: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
