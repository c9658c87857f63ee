"""How far can detection downscale a photo without losing a face? (sets DETECTION_MAX_SIDE)

    python benchmarks/detect_limit.py

For each limit on the longer side, runs the detector as it ships (size-aware
floors, orientation check) on the generated cases of tests/variations.py —
faces from 20 pixels to the whole frame, group shots of small faces, portraits,
degraded and tilted photos, photos without faces — and counts faces found,
faces missed, false detections kept, and the total detection time.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    from benchmarks.detect_policy import iou
    from faceapp.core.detection.detector import FaceDetector
    from tests.variations import all_cases

    cases = all_cases()
    print(f"{len(cases)} cases, {sum(len(c.faces) for c in cases)} faces")
    print("| longer side | faces found | missed | false kept | missed faces, by name | total detect s |")
    print("|---|---|---|---|---|---|")
    for limit in (None, 1600, 1280, 1024, 800, 640):
        detector = FaceDetector(max_side=limit)
        found = false = 0
        missed: list[str] = []
        started = time.perf_counter()
        for case in cases:
            faces = detector.detect(case.image)
            matched = {max(range(len(case.faces)), key=lambda i: iou(f.box, case.faces[i]))
                       for f in faces if case.faces and max(iou(f.box, b) for b in case.faces) >= 0.4}
            found += len(matched)
            false += len(faces) - len(matched)
            missed += [case.name] * (len(case.faces) - len(matched))
        seconds = time.perf_counter() - started
        total = sum(len(c.faces) for c in cases)
        print(f"| {limit or 'full'} | {found}/{total} | {total - found} | {false} | {', '.join(missed) or '—'} | {seconds:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
