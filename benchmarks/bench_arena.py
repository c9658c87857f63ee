"""ONNX Runtime's CPU memory arena: one shared by all sessions (shipped), one per session, none.

    python benchmarks/bench_arena.py [--rounds 5]

Per-photo ``Engine.analyze`` time, one process: three engines on the same generated ResNet-50 files,
one per way of holding memory (``runtime.CPU_MEMORY_ARENA`` and ``runtime.SHARE_ARENA``, read when a
session is made), each warmed on every photo; then the ten shared photos and bench_pipeline.py's three
2,400-px portraits, each analysed by all three in a rotating order, ``--rounds`` times.  Printed: the
total time of each and its ratio to the shared arena's.  Memory: ``bench_memory.py --arena …``
(BENCHMARKS.md, "Memory over 1,000 photos on ONNX Runtime").
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

#: The ways of holding memory: (runtime.CPU_MEMORY_ARENA, runtime.SHARE_ARENA).
ARENAS = {"shared": (True, True), "own": (True, False), "none": (False, False)}


def use_arena(kind: str) -> None:
    """Make the sessions made from now on hold their memory the ``kind`` way (a key of :data:`ARENAS`)."""
    from faceapp.core import runtime

    runtime.CPU_MEMORY_ARENA, runtime.SHARE_ARENA = ARENAS[kind]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from faceapp.core.engine import Engine
    from faceapp.core.images import load_image
    from faceapp.core.vggface.synthetic import write_synthetic_model_files
    from tests.variations import portrait

    models_dir = tempfile.mkdtemp(prefix="faceapp-bench-")
    write_synthetic_model_files(models_dir, "resnet50", seed=1)
    photos = [load_image(FACES / name) for name in KNOWN_FACES] + [  # and bench_pipeline.py's 2,400-px portraits
        portrait(name, size).image for name, size in (("obama.jpg", 0.3), ("biden.jpg", 0.45), ("two_people.jpg", 0.6))]
    engines = {}
    for kind in ARENAS:
        use_arena(kind)
        engine = Engine(models_dir=models_dir)
        engine.load()
        for photo in photos:
            engine.analyze(photo)
        engines[kind] = engine
    kinds = list(ARENAS)
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for round_ in range(args.rounds):
        for index, photo in enumerate(photos):
            shift = (index + round_) % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                start = time.perf_counter()
                engines[kind].analyze(photo)
                times[kind].append(time.perf_counter() - start)
    base = times["shared"]
    for kind in kinds:
        per_photo = [mine / theirs for mine, theirs in zip(times[kind], base)]
        portraits = [r for i, r in enumerate(per_photo) if i % len(photos) >= len(KNOWN_FACES)]
        print(f"{kind:6s} {sum(times[kind]):6.2f} s: {sum(times[kind]) / sum(base):.3f} × the shared arena's "
              f"(per photo: median {statistics.median(per_photo):.3f}; the 2,400-px portraits: median "
              f"{statistics.median(portraits):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
