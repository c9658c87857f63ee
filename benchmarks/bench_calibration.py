"""Calibrating on 1,000 photos whose descriptors are already in the library (issue 10 goal: under 10 s).

    python benchmarks/bench_calibration.py [--people 100] [--per-person 10] [--runs 3]

Builds a folder of ``people × per-person`` small photo files, one sub-folder per
person, and a library that already holds a descriptor for each (generated sets
with known identities, ``tests/descriptor_sets.py``; the files' own pixels do not
matter because the library has them unchanged).  Then times, each in a fresh
process as a user runs it:

* ``faceapp-cli evaluate FOLDER --library DB --report out.html --json`` — the whole
  command: start-up, reading the library, all pairs, the bootstrap, the report;
* ``faceapp-cli library info --library DB --json`` — the same start-up and library
  opening with no calibration, as the baseline the ratio is taken against;

and says whether TensorFlow was imported (it must not be: no photo needs the model).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_RUN = ("import sys, runpy; sys.argv = ['faceapp-cli'] + sys.argv[1:]; "
        "from faceapp.cli import entry_point\n"
        "try:\n    entry_point()\n"
        "finally:\n    print('TENSORFLOW', 'tensorflow' in sys.modules, file=sys.stderr)")


def build(work: Path, people: int, per_person: int) -> tuple[Path, Path, Path]:
    import numpy as np
    from PIL import Image

    from faceapp.core.engine import descriptor_space
    from faceapp.core.library import Library
    from faceapp.core.library.records import NewFace
    from faceapp.core.types import Box, Face
    from faceapp.core.vggface.synthetic import write_synthetic_model_files
    from tests.descriptor_sets import identities

    models = work / "models"
    write_synthetic_model_files(models, "resnet50", seed=1)
    space = descriptor_space("resnet50", "vggface2", models)
    matrix, labels = identities(people, per_person, spread=0.6, seed=5)
    folder, database = work / "people", work / "library.sqlite"
    rng = np.random.default_rng(5)
    with Library.open(database) as library:
        for row, (vector, label) in enumerate(zip(matrix, labels)):
            path = folder / f"person{label:03d}" / f"photo{row:05d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(path)
            info = path.stat()
            library.save_photo(str(path.resolve()), info.st_size, info.st_mtime_ns, None, (32, 32), space.pipeline,
                               [NewFace(Face(Box(0, 0, 20, 20), 0.99), 0.9, vector)], space)
    return folder, database, models


def run(args: list[str]) -> tuple[float, str, bool]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _RUN, *args], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"faceapp-cli {' '.join(args)} failed:\n{done.stderr}")
    return seconds, done.stdout, "TENSORFLOW True" in done.stderr


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--per-person", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="faceapp-bench-calibration-"))
    folder, database, models = build(work, options.people, options.per_person)
    os.environ["FACEAPP_THRESHOLDS"] = str(work / "thresholds.json")
    evaluate = ["evaluate", str(folder), "--library", str(database), "--models-dir", str(models),
                "--report", str(work / "report.html"), "--json"]
    info = ["library", "info", "--library", str(database), "--json"]
    calibrations, baselines = [], []
    for _ in range(options.runs):  # alternating, so drift in the machine's speed hits both
        seconds, out, tensorflow = run(evaluate)
        calibrations.append(seconds)
        baselines.append(run(info)[0])
    data = json.loads(out)
    calibration, baseline = statistics.median(calibrations), statistics.median(baselines)
    print(f"{data['photos_used']} photos of {data['people']} people, all {data['from_library']} from the library; "
          f"{data['pairs']['genuine']:,} same-person and {data['pairs']['impostor']:,} different-person pairs; "
          f"EER {data['eer'] * 100:.2f} % at {data['eer_threshold']:.3f}")
    print(f"faceapp-cli evaluate (with --report): {calibration:.2f} s (median of {options.runs}); "
          f"faceapp-cli library info: {baseline:.2f} s; ratio {calibration / baseline:.2f}; "
          f"TensorFlow imported: {tensorflow}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
