"""Does one process analysing many photos keep its memory flat?  (issue goals: flat over 500 photos)

    python benchmarks/bench_memory.py [--photos 500] [--models-dir DIR] [--groups] [--arena shared|own|none]

Analyses the shared photos and variations of them (scaled, rotated, cropped, so
the detector sees many different sizes) with ``Engine.analyze``, and samples the
process's resident set size (RSS, from /proc/self/statm) every 25 photos.  Warm-up
is one pass over every distinct image (rounded up to the next sample): each new
image size, candidate count and batch size lets ONNX Runtime's arena grow once.
The figure is the spread of RSS after warm-up relative to RSS at the end of it
(and, for comparison with older runs, after the first 50 photos).  ``--groups`` adds two
generated group photos (13 and 24 faces, tests/variations.py), so that recognition passes of
many faces are part of the mix.  ``--arena``: how ONNX Runtime's sessions hold memory
(bench_arena.py; ``shared``, the default, is what faceapp ships).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_arena import ARENAS, use_arena  # noqa: E402
from tests.testdata import FACES, KNOWN_FACES  # noqa: E402

SAMPLE_EVERY = 25


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def variations(image):  # noqa: ANN001, ANN201 - ndarray in, ndarrays out
    """The photo, and copies scaled, turned and cropped (different sizes exercise different traces)."""
    import numpy as np

    from faceapp.core.images import resize_rgb

    height, width = image.shape[:2]
    yield image
    for factor in (0.5, 0.75, 1.3):
        yield resize_rgb(image, max(32, int(width * factor)), max(32, int(height * factor)))
    yield np.ascontiguousarray(np.rot90(image))
    yield np.ascontiguousarray(image[height // 8:, width // 10:])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--models-dir")
    parser.add_argument("--groups", action="store_true", help="add group photos of 13 and 24 faces")
    parser.add_argument("--arena", choices=ARENAS, default="shared")
    args = parser.parse_args()
    use_arena(args.arena)

    from faceapp.core.engine import Engine
    from faceapp.core.images import load_image
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    models_dir = args.models_dir or tempfile.mkdtemp(prefix="faceapp-bench-")
    if args.models_dir is None:
        write_synthetic_model_files(models_dir, "resnet50", seed=1)
    engine = Engine(models_dir=models_dir)
    pool = [v for name in KNOWN_FACES for v in variations(load_image(FACES / name))]
    if args.groups:
        from tests.variations import group_shot

        pool += [group_shot([70] * 20, seed=1, size=(2400, 1000)).image,
                 group_shot([50] * 40, seed=1, size=(3200, 1200)).image]
    samples: list[tuple[int, float]] = [(0, rss_mb())]
    faces = 0
    for index in range(1, args.photos + 1):
        faces += len(engine.analyze(pool[index % len(pool)]).faces)
        if index % SAMPLE_EVERY == 0:
            samples.append((index, rss_mb()))
            print(f"{index:4d} photos  RSS {samples[-1][1]:7.1f} MB", flush=True)
    print(f"\n{args.photos} photos ({len(pool)} distinct sizes), {faces} faces described")
    warm_up = -(-len(pool) // SAMPLE_EVERY) * SAMPLE_EVERY
    for label, start in (("one pass over every distinct image", warm_up), ("the first 50 photos", 50)):
        if start not in dict(samples):
            continue
        base = dict(samples)[start]
        after = [mb for index, mb in samples if index >= start]
        print(f"RSS after {label} ({start} photos): {base:.0f} MB; later min {min(after):.0f} MB, "
              f"max {max(after):.0f} MB, final {after[-1]:.0f} MB; largest growth {100 * (max(after) / base - 1):+.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
