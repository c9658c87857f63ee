"""Detection alone: faceapp's detector (ONNX Runtime) against the mtcnn package's ``detect_faces``
(TensorFlow), same working image, in one run.

    python benchmarks/bench_detect.py [--repeats 5]

Both see the same image — the photo scaled so its longer side is at most 1,024 px
(faceapp's working size) — and look for the same smallest face.  faceapp's figure
is ``FaceDetector.detect`` as it ships (size-aware floors and the orientation
check included), minus its own downscaling, which mtcnn is spared here.  Medians of
alternating runs after a warm-up; the ratio of the sums is the figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.testdata import FACES, KNOWN_FACES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from mtcnn import MTCNN

    from faceapp.core.defaults import MIN_FACE_SIZE
    from faceapp.core.detection.detector import FaceDetector
    from faceapp.core.images import load_image, resize_rgb
    from tests.variations import portrait

    ours, theirs = FaceDetector(), MTCNN()
    photos = [(name, load_image(FACES / name)) for name in KNOWN_FACES]
    photos += [(c.name, c.image) for c in (portrait("obama.jpg", 0.3), portrait("two_people.jpg", 0.6))]
    print("| photo | working size | faceapp ms | mtcnn ms | ratio |")
    print("|---|---|---|---|---|")
    total_ours = total_theirs = 0.0
    for name, image in photos:
        height, width = image.shape[:2]
        scale = ours.scale_for(width, height)
        work = resize_rgb(image, round(width * scale), round(height * scale))
        min_face = max(12, round(MIN_FACE_SIZE * scale))
        faceapp = FaceDetector(min_face_size=min_face)  # `work` is already at the working size: scale 1
        faceapp._mtcnn = ours._networks()
        runs_ours, runs_theirs = [], []
        faceapp.detect(work), theirs.detect_faces(work, min_face_size=min_face)
        for _ in range(args.repeats):
            start = time.perf_counter()
            faceapp.detect(work)
            runs_ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            theirs.detect_faces(work, min_face_size=min_face)
            runs_theirs.append(time.perf_counter() - start)
        o, t = statistics.median(runs_ours) * 1000, statistics.median(runs_theirs) * 1000
        total_ours, total_theirs = total_ours + o, total_theirs + t
        print(f"| {name} | {work.shape[1]}×{work.shape[0]} | {o:.0f} | {t:.0f} | {o / t:.2f} |")
    print(f"| **all** | | {total_ours:.0f} | {total_theirs:.0f} | **{total_ours / total_theirs:.2f}** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
