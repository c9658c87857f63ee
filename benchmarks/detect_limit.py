"""How far can detection downscale a photo without losing a face? (sets DETECTION_MAX_SIDE)

    python benchmarks/detect_limit.py

For each limit on the longer side, counts the faces found on the shared photos
(after the confidence floor) against the known counts, the weakest real face and the
strongest false detection (the floor must sit between them), and the detection time.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.testdata import FACES, KNOWN_FACES as KNOWN  # noqa: E402


def main() -> int:
    from faceapp.core.detection import FaceDetector
    from faceapp.core.images import load_image

    images = {name: load_image(FACES / name) for name in KNOWN}
    print("| longer side | wrong counts | lowest real confidence | highest false confidence | total detect ms (median of 3) |")
    print("|---|---|---|---|---|")
    for limit in (None, 1600, 1280, 1024, 800, 640):
        detector = FaceDetector(max_side=limit, min_confidence=0.0)
        wrong, lowest, highest_false, total = [], 1.0, 0.0, 0.0
        for name, image in images.items():
            detector.detect(image)  # warm-up
            times = []
            for _ in range(3):
                start = time.perf_counter()
                faces = detector.detect(image)
                times.append(time.perf_counter() - start)
            total += statistics.median(times) * 1000
            kept = [f for f in faces if f.confidence >= 0.95]
            if len(kept) != KNOWN[name]:
                wrong.append(f"{name}:{len(kept)}")
            ranked = sorted((f.confidence for f in faces), reverse=True)
            lowest = min([lowest, *ranked[: KNOWN[name]]])
            highest_false = max([highest_false, *ranked[KNOWN[name]:]])
        print(f"| {limit or 'full'} | {', '.join(wrong) or 'none'} | {lowest:.3f} | {highest_false:.3f} | {total:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
