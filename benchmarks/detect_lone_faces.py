"""Lone small faces turned: the committed tuning portraits shrunk until their face is small, then turned.

    python benchmarks/detect_lone_faces.py

Each CC0 portrait of tests/data/tuning is shrunk to 150 px on a 1,000-px grey canvas
(``tests.variations.lone_small``: its face, 33–75 px, is a photo's only face and under
LONE_FACE_FRACTION of the side) and detected as it stands and turned 90°, 180° and 270°.
Counts, for the turned copies of the portraits found upright: the face found in the turn that
stands it upright, found in a wrong turn, or not found; and lists every portrait whose result is
not the right turn.  Run from any commit to compare rules (BENCHMARKS.md, "Turns on real photos").
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    from faceapp.core.detection.detector import FaceDetector
    from faceapp.core.images import load_image
    from tests.variations import lone_small

    detector = FaceDetector()
    counts: Counter = Counter()
    notes: list[str] = []
    for path in sorted((REPO / "tests" / "data" / "tuning").glob("*.jpg")):
        portrait = load_image(path)
        if len(detector.detect(lone_small(portrait, 0))) != 1:
            notes.append(f"{path.name}: not found upright at this size")
            continue
        counts["portraits found upright"] += 1
        for quarter in (1, 2, 3):
            rotations = [face.rotation for face in detector.detect(lone_small(portrait, quarter))]
            want = (360 - 90 * quarter) % 360
            outcome = ("right turn" if rotations == [want] else "not found" if not rotations else "wrong turn")
            counts[outcome] += 1
            if outcome != "right turn":
                notes.append(f"{path.name} turned {90 * quarter}°: {outcome} {rotations}")
    turned = 3 * counts["portraits found upright"]
    print(f"portraits found upright: {counts['portraits found upright']}; of their {turned} turned copies: "
          f"right turn {counts['right turn']}, wrong turn {counts['wrong turn']}, not found {counts['not found']}")
    for note in notes:
        print(" -", note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
