"""Which detections to keep? Confidences of real faces and of false detections, by face size.

    python benchmarks/detect_policy.py [--out benchmarks/out/detect_policy.json] [--shipped-only]

Runs faceapp's detector with no confidence floor and no quarter turns on every
generated case of tests/variations.py (faces from 20 pixels to the whole frame,
portraits, blur, light, JPEG, grayscale, tilt, group shots, photos without faces),
twice: with R-/O-Net patches antialiased (faceapp) and sampled from the full
working image (as the mtcnn package does).  A detection is real when it overlaps
a ground-truth face with IoU ≥ 0.4.  Prints, per face-size class, the weakest real
confidence, the strongest false one, and what each candidate floor keeps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FLOORS = (0.80, 0.85, 0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98)
#: Face size classes by the face's side as a fraction of the working image's longer side.
SIZE_CLASSES = ((0.0, 0.05, "< 5 %"), (0.05, 0.15, "5-15 %"), (0.15, 0.3, "15-30 %"), (0.3, 0.5, "30-50 %"),
                (0.5, 9.0, "> 50 %"))



def size_class(fraction: float) -> str:
    return next(label for low, high, label in SIZE_CLASSES if low <= fraction < high)


def measure(detector, case) -> dict:  # noqa: ANN001
    faces = detector.detect_upright(case.image)
    longer = max(case.image.shape[:2])
    matched, real, false = set(), [], []
    for face in sorted(faces, key=lambda f: -f.confidence):
        best = max(range(len(case.faces)), key=lambda i: face.box.iou(case.faces[i]), default=None)
        if best is not None and best not in matched and face.box.iou(case.faces[best]) >= 0.4:
            matched.add(best)
            real.append((face.confidence, max(case.faces[best].width, case.faces[best].height) / longer))
        else:
            false.append((face.confidence, max(face.box.width, face.box.height) / longer))
    missed = [max(case.faces[i].width, case.faces[i].height) / longer for i in range(len(case.faces)) if i not in matched]
    return {"name": case.name, "kind": case.kind, "real": real, "false": false, "missed": missed}


def report(rows: list[dict], title: str) -> None:
    print(f"\n### {title}\n")
    real_by, false_by, missed_by = defaultdict(list), defaultdict(list), defaultdict(int)
    for row in rows:
        for confidence, fraction in row["real"]:
            real_by[size_class(fraction)].append(confidence)
        for confidence, fraction in row["false"]:
            false_by[size_class(fraction)].append(confidence)
        for fraction in row["missed"]:
            missed_by[size_class(fraction)] += 1
    print("| face size (of longer side) | real faces | missed by the cascade | weakest real | strongest false | "
          + " | ".join(f"kept at {f:.2f}" for f in FLOORS) + " |")
    print("|---" * (5 + len(FLOORS)) + "|")
    for _, _, label in SIZE_CLASSES:
        real, false = sorted(real_by[label]), sorted(false_by[label])
        total = len(real) + missed_by[label]
        cells = []
        for floor in FLOORS:
            kept = sum(c >= floor for c in real)
            wrong = sum(c >= floor for c in false)
            cells.append(f"{kept}/{total}, {wrong} false")
        print(f"| {label} | {total} | {missed_by[label]} | {real[0] if real else float('nan'):.3f} | "
              f"{false[-1] if false else float('nan'):.3f} | " + " | ".join(cells) + " |")
    cases_with_false = defaultdict(int)
    for row in rows:
        for floor in FLOORS:
            if any(c >= floor for c, _ in row["false"]):
                cases_with_false[floor] += 1
    print("\ncases with at least one false detection kept: "
          + ", ".join(f"{f:.2f}: {cases_with_false[f]}" for f in FLOORS) + f" (of {len(rows)})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "detect_policy.json"))
    parser.add_argument("--shipped-only", action="store_true",
                        help="only the detector as it ships (the last table; after any change to the turn rule)")
    args = parser.parse_args()

    from faceapp.core.detection.detector import FaceDetector
    from tests.variations import all_cases

    cases = all_cases()
    if args.shipped_only:
        shipped_policy(cases)
        return 0
    kinds = defaultdict(int)
    for case in cases:
        kinds[case.kind] += 1
    print(f"{len(cases)} cases, {sum(len(c.faces) for c in cases)} faces: "
          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    results = {}
    for label, antialias in (("antialiased patches (faceapp)", True), ("patches sampled from the working image (mtcnn)", False)):
        detector = FaceDetector(min_confidence=0.0, antialias=antialias, turns=False)
        rows = [measure(detector, case) for case in cases]
        results[label] = rows
        report(rows, label)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results))
    shipped_policy(cases)
    return 0


def shipped_policy(cases) -> None:  # noqa: ANN001
    """faceapp's detector as it ships (size-aware floors, orientation check, quarter turns) on every case
    and on every case with a face turned a quarter, a half and three quarters."""
    from faceapp.core.detection.detector import FaceDetector
    from tests.variations import quarter_turned

    detector = FaceDetector()
    turned = [quarter_turned(case, q) for case in cases if case.kind in ("scale", "portrait", "gray", "light")
              and case.faces for q in (1, 2, 3)]
    print(f"\n### faceapp's detector as shipped: {len(cases)} cases + {len(turned)} turned\n")
    print("| cases | faces | found | missed | false kept | wrong turn |")
    print("|---|---|---|---|---|---|")
    for label, group in (("as generated", cases), ("turned 90°, 180°, 270°", turned)):
        faces = found = false = wrong_turn = 0
        failures = []
        for case in group:
            expected_rotation = (360 - case.params.get("turn", 0)) % 360
            detections = detector.detect(case.image)
            matched = set()
            for face in detections:
                best = max(range(len(case.faces)), key=lambda i: face.box.iou(case.faces[i]), default=None)
                if best is not None and best not in matched and face.box.iou(case.faces[best]) >= 0.4:
                    matched.add(best)
                    if face.rotation != expected_rotation:
                        wrong_turn += 1
                        failures.append(f"{case.name}: found turned {face.rotation}°, not {expected_rotation}° "
                                        f"({face.confidence:.3f})")
                else:
                    false += 1
                    failures.append(f"{case.name}: false {face.confidence:.3f}")
            faces += len(case.faces)
            found += len(matched)
            if len(matched) < len(case.faces):
                failures.append(f"{case.name}: missed {len(case.faces) - len(matched)}")
        print(f"| {label} ({len(group)}) | {faces} | {found} | {faces - found} | {false} | {wrong_turn} |")
        for failure in failures:
            print(f"  - {failure}")


if __name__ == "__main__":
    sys.exit(main())
