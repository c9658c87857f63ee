"""Detection on real photos: faces found, missed and false per policy, by kind of photo and by face size.

    python benchmarks/detect_tuning.py cache   [--photos /work/tuning-photos]   # raw cascade output, ~15 min
    python benchmarks/detect_tuning.py tables                                  # policies from the cache
    python benchmarks/detect_tuning.py shipped [--photos ...]                  # FaceDetector as it ships, timed

The set: benchmarks/tuning/manifest.csv (photos, sources, licences, expected faces) and
benchmarks/tuning/faces.json (the verified face boxes; boxes of faces too small, printed or too dark to
call are "ignore": finding them is neither a hit nor a false face).  Rebuild the photos with
benchmarks/tuning/rebuild.py.

``cache`` runs faceapp's MTCNN once per photo and quarter turn at the working size (with O-Net's
orientation check, no confidence floor), once at full size, and the mtcnn package at full size (photos
up to 13 MP), so that ``tables`` can replay every turn policy without running a network again.  A
detection is a hit when it overlaps a true face with IoU >= 0.4 *and* comes from the turn that stands
that face upright (a face found upside down in the right place is not a hit).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter, defaultdict
from functools import partial
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np

from faceapp.core.defaults import (
    LARGE_FACE_FRACTION,
    MIN_CONFIDENCE,
    MIN_CONFIDENCE_LARGE,
)
from faceapp.core.detection.turns import points_from_turned

TUNING = REPO / "benchmarks" / "tuning"
CACHE = REPO / "benchmarks" / "out" / "tuning_raw.json"
MTCNN_PACKAGE_MAX_PIXELS = 13e6
SIZE_CLASSES = ((20, 40, "20-40 px"), (40, 80, "40-80 px"), (80, 160, "80-160 px"), (160, 1e9, "≥ 160 px"))


def load_set() -> tuple[list[dict], dict]:
    with open(TUNING / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return rows, json.loads((TUNING / "faces.json").read_text())


def iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


# ---------------------------------------------------------------------------------------------- cache
def cache(photos: Path) -> None:
    from mtcnn import MTCNN as Package

    from faceapp.core.detection.detector import FaceDetector
    from faceapp.core.detection.mtcnn import PNET_CELL, THRESHOLDS
    from faceapp.core.detection.turns import turn
    from faceapp.core.images import load_image

    rows, _ = load_set()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    raw = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    detector = FaceDetector()
    networks, package = detector._networks(), Package()
    low = (THRESHOLDS[0], THRESHOLDS[1], 0.5)  # no floor: the policies apply theirs
    for i, row in enumerate(rows):
        if row["file"] in raw:
            continue
        image = load_image(photos / row["file"])
        height, width = image.shape[:2]
        record: dict = {"width": width, "height": height, "quarters": []}
        for quarter in range(4):
            turned = turn(image, quarter)
            t_height, t_width = turned.shape[:2]
            scale = detector.scale_for(t_width, t_height)
            size = (max(1, round(t_width * scale)), max(1, round(t_height * scale)))
            min_face = max(float(PNET_CELL), detector.min_face_size * scale)
            found = networks.detect(turned, min_face, thresholds=low, check_upright=True, size=size)
            record["quarters"].append({"scale": [t_width / size[0], t_height / size[1]], "work": list(size),
                                       "boxes": found.boxes.tolist(), "scores": found.scores.tolist(),
                                       "upright": found.upright.tolist()})
        found = networks.detect(image, float(detector.min_face_size), thresholds=low)
        record["full"] = {"boxes": found.boxes.tolist(), "scores": found.scores.tolist()}
        record["mtcnn"] = None
        if width * height <= MTCNN_PACKAGE_MAX_PIXELS:
            faces = package.detect_faces(image, min_face_size=detector.min_face_size, threshold_onet=0.5)
            record["mtcnn"] = [{"box": [float(v) for v in f["box"]], "confidence": float(f["confidence"])} for f in faces]
        raw[row["file"]] = record
        if i % 10 == 0:
            CACHE.write_text(json.dumps(raw))
            print(i, row["file"], flush=True)
    CACHE.write_text(json.dumps(raw))


# ------------------------------------------------------------------------------------------- policies
def floor(side_fraction: float) -> float:
    return MIN_CONFIDENCE_LARGE if side_fraction >= LARGE_FACE_FRACTION else MIN_CONFIDENCE


def faces_of(record: dict, quarter: int) -> list[dict]:
    """Faces above the floor in one quarter turn, boxes in the displayed photo (x0 y0 x1 y1)."""
    q = record["quarters"][quarter]
    sx, sy = q["scale"]
    longer = max(q["work"])
    out = []
    for box, score, margin in zip(q["boxes"], q["scores"], q["upright"]):
        if score < floor(max(box[2] - box[0], box[3] - box[1]) / longer):
            continue
        xs, ys = points_from_turned(np.array([box[0] * sx, box[2] * sx]), np.array([box[1] * sy, box[3] * sy]),
                                    quarter, record["width"], record["height"])
        out.append({"box": [min(xs), min(ys), max(xs), max(ys)], "score": score, "margin": margin, "q": quarter})
    return out


def plain_full(record: dict) -> tuple[list[dict], int]:
    longer = max(record["width"], record["height"])
    return [{"box": b, "score": s, "q": 0} for b, s in zip(record["full"]["boxes"], record["full"]["scores"])
            if s >= floor(max(b[2] - b[0], b[3] - b[1]) / longer)], 1


def mtcnn_package(record: dict) -> tuple[list[dict], int] | None:
    if record["mtcnn"] is None:
        return None
    longer = max(record["width"], record["height"])
    out = []
    for face in record["mtcnn"]:
        x, y, w, h = face["box"]
        if face["confidence"] >= floor(max(w, h) / longer):
            out.append({"box": [x, y, x + w, y + h], "score": face["confidence"], "q": 0})
    return out, 1


def _surer(a: list[dict], b: list[dict]) -> bool:
    return (len(a), sum(f["score"] for f in a)) > (len(b), sum(f["score"] for f in b))


def before_issue_18(record: dict, margin: float = 0.0) -> tuple[list[dict], int]:
    """Each face judged by O-Net alone: a face that looks better turned is dropped; turns when one is."""
    upright = faces_of(record, 0)
    kept = [f for f in upright if f["margin"] > margin]
    if kept and len(kept) == len(upright):
        return kept, 1
    faces = kept
    for quarter in (1, 2, 3):
        found = [f for f in faces_of(record, quarter) if f["margin"] > margin]
        if _surer(found, faces):
            faces = found
    return faces, 4


def keep_upright(record: dict, sure: float = 0.0, rule: str = "at least") -> tuple[list[dict], int]:
    """faceapp's policy: keep every upright face above the floor; turns only when none is surely upright;
    a turn wins with at least as many ("at least") or more ("more") surely upright faces."""
    upright = faces_of(record, 0)
    if any(f["margin"] > sure for f in upright):
        return upright, 1
    best, best_sure = upright, []
    for quarter in (1, 2, 3):
        found = [f for f in faces_of(record, quarter) if f["margin"] > sure]
        enough = len(found) >= len(upright) if rule == "at least" else len(found) > len(upright)
        if found and enough and _surer(found, best_sure):
            best, best_sure = found, found
    return best, 4


POLICIES = {
    "plain cascade, full size": plain_full,
    "plain cascade, working size": lambda r: (faces_of(r, 0), 1),
    "mtcnn package, full size": mtcnn_package,
    "before (issue 18)": before_issue_18,
    **{f"keep upright, margin {sure}, {rule}": partial(keep_upright, sure=sure, rule=rule)
       for sure in (0.0, 1.0, 2.0) for rule in ("at least", "more")},
}
CHOSEN = "keep upright, margin 0.0, at least"


# ---------------------------------------------------------------------------------------------- score
def score(found: list[dict], truth: dict) -> tuple[list[int], int]:
    """(indices of true faces hit, false detections)."""
    want = (4 - truth.get("quarter", 0)) % 4
    hit: list[int] = []
    false = 0
    for face in sorted(found, key=lambda f: -f["score"]):
        if face.get("q", 0) != want:
            false += 1
            continue
        overlaps = [iou(face["box"], b) for b in truth["true"]]
        best = int(np.argmax(overlaps)) if overlaps else -1
        if best >= 0 and best not in hit and overlaps[best] >= 0.4:
            hit.append(best)
        elif best >= 0 and overlaps[best] >= 0.4 or any(iou(face["box"], b) >= 0.4 for b in truth["ignore"]):
            continue  # a second box on a face already hit, or a face nobody is asked to find
        else:
            false += 1
    return hit, false


def size_class(box: list[float]) -> str:
    side = max(box[2] - box[0], box[3] - box[1])
    return next(label for low, high, label in SIZE_CLASSES if low <= side < high)


def tables() -> None:
    rows, truths = load_set()
    raw = json.loads(CACHE.read_text())
    by_kind: dict = defaultdict(Counter)
    by_size: dict = defaultdict(Counter)
    fewer: dict = defaultdict(list)
    lost_turned: dict = defaultdict(list)
    for row in rows:
        record, truth = raw.get(row["file"]), truths[row["file"]]
        if record is None:
            continue
        group = "turned copies" if truth.get("quarter") else row["source_repo"].split("/")[1]
        kinds = [k for k in row["kinds"].split(";") if k and (k.startswith("turned-") or not truth.get("quarter"))]
        reference = None
        for name, policy in POLICIES.items():
            result = policy(record)
            if result is None:
                continue
            found, passes = result
            hit, false = score(found, truth)
            if name.startswith("plain cascade, full"):
                reference = len(hit)
            for key in [group, "all photos"] + [f"kind: {k}" for k in kinds]:
                c = by_kind[(name, key)]
                c["photos"] += 1
                c["faces"] += len(truth["true"]) + truth["missed"]
                c["found"] += len(hit)
                c["false"] += false
                c["passes"] += passes
            for i, box in enumerate(truth["true"]):
                c = by_size[(name, size_class(box))]
                c["faces"] += 1
                c["found"] += i in hit
            if not truth.get("quarter") and reference is not None and len(hit) < reference:
                fewer[name].append(row["file"])
            if truth.get("quarter") and truth["true"] and not hit:
                lost_turned[name].append(row["file"])
    print("\n### Turn policies (all photos)\n")
    print("| policy | photos | faces | found | missed | false | photos with fewer faces than the plain cascade "
          "(full size) | turned copies with no face found | network passes per photo |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in POLICIES:
        c = by_kind[(name, "all photos")]
        t = by_kind[(name, "turned copies")]
        print(f"| {name} | {c['photos']} | {c['faces']} | {c['found']} | {c['faces'] - c['found']} | {c['false']} | "
              f"{len(fewer[name])} | {len(lost_turned[name])} of {t['photos']} | {c['passes'] / max(1, c['photos']):.2f} |")
    groups = sorted({k for _, k in by_kind if k != "all photos"})
    print("\n### By kind of photo: found / faces, false\n")
    shown = [n for n in POLICIES if not n.startswith("keep upright") or n == CHOSEN]
    print("| kind | photos | " + " | ".join(shown) + " |")
    print("|---|---|" + "---|" * len(shown))
    for group in groups:
        cells = []
        for name in shown:
            c = by_kind.get((name, group))
            cells.append("—" if not c else f"{c['found']}/{c['faces']}, {c['false']}")
        photos = by_kind[(shown[0], group)]["photos"]
        print(f"| {group} | {photos} | " + " | ".join(cells) + " |")
    print("\n### By face size (longer side of the true box, pixels of the photo; turned copies included): "
          "found / faces\n")
    print("| face size | " + " | ".join(shown) + " |")
    print("|---|" + "---|" * len(shown))
    for _, _, label in SIZE_CLASSES:
        print(f"| {label} | " + " | ".join(f"{by_size[(n, label)]['found']}/{by_size[(n, label)]['faces']}"
                                         for n in shown) + " |")
    for name in POLICIES:
        if name in ("before (issue 18)", CHOSEN):
            print(f"\n{name}: fewer faces than the plain cascade: {fewer[name]}; turned copies lost: {lost_turned[name]}")


FLOORS = (0.80, 0.85, 0.90, 0.95, 0.97)
FRACTIONS = ((0.0, 0.05, "< 5 %"), (0.05, 0.15, "5-15 %"), (0.15, 0.3, "15-30 %"), (0.3, 0.5, "30-50 %"), (0.5, 9, "> 50 %"))


def floors_table() -> None:
    """Confidences of real faces and of false detections on the upright photos, by the box's longer side
    over the working image's longer side (the classes the floors use), from the upright pass with no floor."""
    rows, truths = load_set()
    raw = json.loads(CACHE.read_text())
    real, false = defaultdict(list), defaultdict(list)
    for row in rows:
        truth, record = truths[row["file"]], raw.get(row["file"])
        if record is None or truth.get("quarter"):
            continue
        q = record["quarters"][0]
        sx, sy = q["scale"]
        longer = max(q["work"])
        best: dict[int, float] = {}
        for box, score in zip(q["boxes"], q["scores"]):
            shown = [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy]
            label = next(lab for lo, hi, lab in FRACTIONS if lo <= max(box[2] - box[0], box[3] - box[1]) / longer < hi)
            overlaps = [iou(shown, b) for b in truth["true"]]
            if overlaps and max(overlaps) >= 0.4:
                i = int(np.argmax(overlaps))
                best[i] = max(best.get(i, 0.0), score)
                if best[i] == score:
                    best[-1 - i] = label  # type: ignore[assignment]
            elif not any(iou(shown, b) >= 0.4 for b in truth["ignore"]):
                false[label].append(score)
        for i in range(len(truth["true"])):
            if i in best:
                real[best[-1 - i]].append(best[i])
    print("\n### Floors on real photos (upright photos, upright pass at the working size, no floor)\n")
    print("| face size (of longer side) | real faces found | weakest real | strongest false | "
          + " | ".join(f"kept at {f:.2f}" for f in FLOORS) + " |")
    print("|---|---|---|---|" + "---|" * len(FLOORS))
    for _, _, label in FRACTIONS:
        r, f = sorted(real[label]), sorted(false[label])
        cells = [f"{sum(c >= fl for c in r)}, {sum(c >= fl for c in f)} false" for fl in FLOORS]
        print(f"| {label} | {len(r)} | {r[0] if r else float('nan'):.3f} | {f[-1] if f else float('nan'):.3f} | "
              + " | ".join(cells) + " |")


# -------------------------------------------------------------------------------------------- shipped
def shipped(photos: Path) -> None:
    """FaceDetector as it ships against the plain cascade at the same working size, same run: found, false,
    and the time the turn check costs on photos whose faces stand upright."""
    from faceapp.core.detection.detector import FaceDetector
    from faceapp.core.images import load_image

    rows, truths = load_set()
    faceapp, plain = FaceDetector(), FaceDetector(turns=False)
    plain._mtcnn = faceapp._networks()
    totals: dict = defaultdict(Counter)
    upright_time = {"faceapp": 0.0, "plain": 0.0}
    fewer = []
    warm = load_image(photos / rows[0]["file"])
    faceapp.detect(warm), plain.detect(warm)
    for row in rows:
        truth = truths[row["file"]]
        image = load_image(photos / row["file"])
        results = {}
        for name, detector in (("faceapp", faceapp), ("plain", plain)):
            start = time.perf_counter()
            faces = detector.detect(image)
            elapsed = time.perf_counter() - start
            found = [{"box": [f.box.x, f.box.y, f.box.x + f.box.width, f.box.y + f.box.height],
                      "score": f.confidence, "q": f.rotation // 90} for f in faces]
            hit, false = score(found, truth)
            results[name] = len(hit)
            group = "turned copies" if truth.get("quarter") else "upright photos"
            c = totals[(name, group)]
            c["photos"] += 1
            c["faces"] += len(truth["true"]) + truth["missed"]
            c["found"] += len(hit)
            c["false"] += false
            if not truth.get("quarter") and truth["true"]:
                upright_time[name] += elapsed
        if not truth.get("quarter") and results["faceapp"] < results["plain"]:
            fewer.append(row["file"])
    print("| detector | photos | faces | found | false |")
    print("|---|---|---|---|---|")
    for (name, group), c in sorted(totals.items()):
        print(f"| {name}, {group} | {c['photos']} | {c['faces']} | {c['found']} | {c['false']} |")
    print(f"\nupright photos with faces: faceapp {upright_time['faceapp']:.1f} s, plain cascade (same working size) "
          f"{upright_time['plain']:.1f} s: the turn check costs {100 * (upright_time['faceapp'] / upright_time['plain'] - 1):+.1f} %")
    print(f"photos where faceapp finds fewer true faces than the plain cascade at its working size: {fewer}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["cache", "tables", "shipped"])
    parser.add_argument("--photos", type=Path, default=Path("/work/tuning-photos"))
    args = parser.parse_args()
    if args.what == "cache":
        cache(args.photos)
    elif args.what == "tables":
        tables()
        floors_table()
    else:
        shipped(args.photos)
    return 0


if __name__ == "__main__":
    sys.exit(main())
