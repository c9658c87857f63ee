"""ONNX Runtime's CPU memory arena on and off: per-photo ``Engine.analyze`` time, one process, alternating.

    python benchmarks/bench_arena.py [--rounds 5]

Two engines on the same generated ResNet-50 files, one made with the arena and one without
(``runtime.CPU_MEMORY_ARENA``, read when a session is made), each warmed on every photo; then the
ten shared photos and bench_pipeline.py's three 2,400-px portraits, each analysed by both in alternating
order, ``--rounds`` times.  Printed: total
time of each and the ratio (off / on).  Memory: ``bench_memory.py`` (BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.testdata import FACES, KNOWN_FACES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from faceapp.core import runtime
    from faceapp.core.engine import Engine
    from faceapp.core.images import load_image
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    models_dir = tempfile.mkdtemp(prefix="faceapp-bench-")
    write_synthetic_model_files(models_dir, "resnet50", seed=1)
    from tests.variations import portrait

    photos = [load_image(FACES / name) for name in KNOWN_FACES] + [  # and bench_pipeline.py's 2,400-px portraits
        portrait(name, size).image for name, size in (("obama.jpg", 0.3), ("biden.jpg", 0.45), ("two_people.jpg", 0.6))]
    engines = {}
    for arena in (True, False):
        runtime.CPU_MEMORY_ARENA = arena  # read by runtime.session as each of this engine's sessions is made
        engine = Engine(models_dir=models_dir)
        engine.load()
        for photo in photos:
            engine.analyze(photo)
        engines[arena] = engine
    times: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(args.rounds):
        for index, photo in enumerate(photos):
            for arena in ((True, False) if (index + round_) % 2 == 0 else (False, True)):
                start = time.perf_counter()
                engines[arena].analyze(photo)
                times[arena].append(time.perf_counter() - start)
    on, off = sum(times[True]), sum(times[False])
    per_photo = [b / a for a, b in zip(times[True], times[False])]
    large = len(KNOWN_FACES)  # the portraits' places in each round
    portraits = [r for i, r in enumerate(per_photo) if i % len(photos) >= large]
    print(f"arena on {on:.2f} s, off {off:.2f} s: off / on {off / on:.3f} "
          f"(per photo: median {statistics.median(per_photo):.3f}; the 2,400-px portraits: median "
          f"{statistics.median(portraits):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
