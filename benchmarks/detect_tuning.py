"""Detection on real photos: faces found, missed and false per policy, by kind of photo and by face size.

    python benchmarks/detect_tuning.py cache   [--photos /work/tuning-photos]   # raw cascade output, ~15 min
                                                 # (a cache from before steadiness: only that is added, ~1 min)
    python benchmarks/detect_tuning.py tables                                  # policies from the cache
    python benchmarks/detect_tuning.py shipped [--photos ...] [--before]       # FaceDetector as it ships, timed
    python benchmarks/detect_tuning.py shipped --whole                          # … inside Engine.analyze

The set: benchmarks/tuning/manifest.csv (photos, sources, licences, expected faces) and
benchmarks/tuning/faces.json (the verified face boxes; boxes of faces too small, printed or too dark to
call are "ignore": finding them is neither a hit nor a false face).  Rebuild the photos with
benchmarks/tuning/rebuild.py.

``cache`` runs faceapp's MTCNN once per photo and quarter turn at the working size (with O-Net's
orientation check and every face's steadiness, no confidence floor), once at full size, and the mtcnn package
at full size (photos up to 13 MP), so that ``tables`` can replay every turn policy without running a network again.  A
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
    CERTAIN_LOG_ODDS,
    LARGE_FACE_FRACTION,
    LONE_FACE_FRACTION,
    MIN_CONFIDENCE,
    MIN_CONFIDENCE_LARGE,
    STEADY_LOG_ODDS,
)
from faceapp.core.detection.mtcnn import _log_odds
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
            if "steady" not in raw[row["file"]]["quarters"][0]:
                _add_steadiness(raw[row["file"]], load_image(photos / row["file"]), networks)
                if i % 50 == 0:
                    print(i, row["file"], "steadiness", flush=True)
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
        _add_steadiness(record, image, networks)
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


def _add_steadiness(record: dict, image: np.ndarray, networks) -> None:  # noqa: ANN001 - faceapp's MTCNN
    """Every cached detection's steadiness (``RawFaces.steady``), measured on the working image's pyramid turned."""
    pyramid = networks.pyramid(image, *record["quarters"][0]["work"])
    for quarter, q in enumerate(record["quarters"]):
        q["steady"] = networks.steadiness(pyramid, quarter, np.array(q["boxes"], np.float64).reshape(-1, 4)).tolist()


# ------------------------------------------------------------------------------------------- policies
#: The floors the replay applies (defaults.py's; floors_sweep() tries others).
FLOOR = {"small": MIN_CONFIDENCE, "large": MIN_CONFIDENCE_LARGE, "fraction": LARGE_FACE_FRACTION}


def floor(side_fraction: float) -> float:
    return FLOOR["large"] if side_fraction >= FLOOR["fraction"] else FLOOR["small"]


def faces_of(record: dict, quarter: int) -> list[dict]:
    """Faces above the floor in one quarter turn, boxes in the displayed photo (x0 y0 x1 y1)."""
    q = record["quarters"][quarter]
    sx, sy = q["scale"]
    longer = max(q["work"])
    out = []
    for box, score, margin, steady in zip(q["boxes"], q["scores"], q["upright"], q["steady"]):
        if score < floor(max(box[2] - box[0], box[3] - box[1]) / longer):
            continue
        xs, ys = points_from_turned(np.array([box[0] * sx, box[2] * sx]), np.array([box[1] * sy, box[3] * sy]),
                                    quarter, record["width"], record["height"])
        out.append({"box": [min(xs), min(ys), max(xs), max(ys)], "score": score, "margin": margin, "q": quarter,
                    "steady": steady})
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


def raw_faces(record: dict, quarter: int) -> list[dict]:
    """Every detection of one quarter turn with the cascade's own O-Net threshold (0.8) and no floor:
    score, orientation margin and side as a fraction of the working image's longer side."""
    q = record["quarters"][quarter]
    longer = max(q["work"])
    return [{"score": s, "margin": m, "frac": max(b[2] - b[0], b[3] - b[1]) / longer}
            for b, s, m in zip(q["boxes"], q["scores"], q["upright"]) if s > 0.8]


def _frac(record: dict, face: dict) -> float:
    return max(face["box"][2] - face["box"][0], face["box"][3] - face["box"][1]) / max(record["width"], record["height"])


def pnet_pixels(record: dict, quarter: int, min_face_fraction: float = 0.0) -> float:
    """P-Net's input pixels for one pass (the sum over its pyramid levels): the pass's cost, near enough,
    when the levels for faces under ``min_face_fraction`` of the working image's longer side are left out."""
    from faceapp.core.defaults import MIN_FACE_SIZE
    from faceapp.core.detection.mtcnn import PNET_CELL, pyramid_scales

    q = record["quarters"][quarter]
    width, height = q["work"]
    min_face = max(float(PNET_CELL), MIN_FACE_SIZE / q["scale"][0])
    least = min_face_fraction * max(width, height)
    return sum(width * height * s * s for s in pyramid_scales(width, height, min_face) if PNET_CELL / s >= least)


def turn_rule(record: dict, evidence: float | None = None, single: float | None = None, veto: float | None = None,
              seek: float | None = None, rank: str = "count", fallback: float | None = None,
              steady: float | None = None, certain: float | None = None, counts: Counter | None = None,
              ) -> tuple[list[dict], float]:
    """"keep upright, margin 0.0, at least" with extra conditions (None: off), returning the faces and the
    passes' cost in P-Net pixels over the upright pass's:

    ``evidence``: no turns either when the upright pass has a face surely upright below the floor, down to
    this confidence.  ``single``: a turn with one surely upright face counts only when that face is at least
    this fraction of the photo's longer side (or, with ``steady``, when the turn found no other face and that
    one is steady, or it is certain).  ``veto``: a turn counts only when none of its faces above the
    floor is surely turned there (margin below ``-veto``).  ``seek``: when the upright pass found faces, the
    turned passes seek only faces at least this fraction of the smallest of them.  ``rank``: turns compared by
    surely upright faces, then total confidence ("count") or total margin ("margin").  ``fallback``: when the
    upright pass found nothing and no turn has a surely upright face, the turned face O-Net likes best as it
    stands is taken when its margin is above this (and it is at least ``single`` of the longer side).
    ``steady``: a pass's lone face under ``single`` is surely upright only when its steadiness is at least this.
    ``certain``: a face with at least these log-odds is surely upright, not judged (margin +inf).  ``counts``:
    adds "orientation batches" (O-Net's orientation batches, as the detector makes them)."""
    counts = Counter() if counts is None else counts

    def margin(face: dict) -> float:
        # The detector's arithmetic: log-odds of the float32 score.
        is_certain = certain is not None and _log_odds(np.float32(face["score"])) >= certain
        return float("inf") if is_certain else face["margin"]

    def lone(faces: list[dict], face: dict) -> bool:
        return steady is not None and len(faces) == 1 and _frac(record, face) < single

    def sure(faces: list[dict], face: dict) -> bool:
        unsteady = lone(faces, face) and margin(face) < float("inf") and face["steady"] < steady
        return margin(face) > 0.0 and not unsteady

    def judged(faces: list[dict], until_sure: bool) -> None:
        """O-Net's orientation batches for one pass, as the detector makes them (``stop_at`` with ``until_sure``)."""
        waiting = [f for f in sorted(faces, key=lambda f: -f["score"]) if margin(f) < float("inf")]
        if not waiting or until_sure and len(waiting) < len(faces):
            return  # nothing to judge, or a certain face: the upright pass needs no more
        counts["orientation batches"] += 1 if not until_sure or waiting[0]["margin"] > 0.0 or len(waiting) == 1 else 2

    upright = faces_of(record, 0)
    base = pnet_pixels(record, 0)
    judged(upright, True)
    if any(sure(upright, f) for f in upright):
        return upright, 1.0
    if evidence is not None and any(f["score"] >= evidence and f["margin"] > 0.0 for f in raw_faces(record, 0)):
        return upright, 1.0
    smallest = min((_frac(record, f) for f in upright), default=0.0)
    least = seek * smallest if seek is not None else 0.0
    cost = 1.0
    best, best_key = upright, None
    for quarter in (1, 2, 3):
        cost += pnet_pixels(record, quarter, least) / base
        found = [f for f in faces_of(record, quarter) if _frac(record, f) >= least]
        judged(found, False)
        sure_ones = [f for f in found if sure(found, f)]
        if not sure_ones or len(sure_ones) < len(upright):
            continue
        if veto is not None and any(margin(f) < -veto for f in found):
            continue
        if single is not None and len(sure_ones) == 1 and _frac(record, sure_ones[0]) < single:
            one = sure_ones[0]
            if not (margin(one) == float("inf") or lone(found, one) and one["steady"] >= steady):
                continue
        key = (len(sure_ones), sum(f["score" if rank == "count" else "margin"] for f in sure_ones))
        if best_key is None or key > best_key:
            best, best_key = sure_ones, key
    if fallback is not None and best_key is None and not upright:
        turned = [f for quarter in (1, 2, 3) for f in faces_of(record, quarter)
                  if _frac(record, f) >= max(least, single or 0.0)]
        if turned and max(margin(f) for f in turned) > fallback:
            best = [max(turned, key=margin)]
    return best, cost


RULES = {
    "keep upright, margin 0.0, at least (before)": {},
    "+ turn faces veto (margin < -2)": {"veto": 2.0},
    "+ turns ranked by margin": {"rank": "margin"},
    "+ upright evidence from 0.90": {"evidence": 0.90},
    "+ fallback (best turned margin > -1)": {"fallback": -1.0},
    "+ fallback (best turned margin > -2)": {"fallback": -2.0},
    "+ upright evidence from 0.85": {"evidence": 0.85},
    "+ one small turned face not enough (< 15 %)": {"single": 0.15},
    "+ one small turned face not enough (< 10 %)": {"single": 0.10},
    "+ seek half the upright face": {"seek": 0.5},
    "+ veto, single 15 %": {"veto": 2.0, "single": 0.15},
    "+ veto, single 15 %, fallback -1": {"veto": 2.0, "single": 0.15, "fallback": -1.0},
    "+ veto, single 15 %, seek ½": {"veto": 2.0, "single": 0.15, "seek": 0.5},
    "+ veto, single 15 %, seek ½, fallback -1": {"veto": 2.0, "single": 0.15, "seek": 0.5, "fallback": -1.0},
    "… with veto 1": {"veto": 1.0, "single": 0.15, "seek": 0.5, "fallback": -1.0},
    "… with veto 4": {"veto": 4.0, "single": 0.15, "seek": 0.5, "fallback": -1.0},
    "… with single 10 %": {"veto": 2.0, "single": 0.10, "seek": 0.5, "fallback": -1.0},
    "… with single 20 %": {"veto": 2.0, "single": 0.20, "seek": 0.5, "fallback": -1.0},
    "… with seek ⅓": {"veto": 2.0, "single": 0.15, "seek": 1 / 3, "fallback": -1.0},
    "… with seek ¾": {"veto": 2.0, "single": 0.15, "seek": 0.75, "fallback": -1.0},
    "… with fallback -2": {"veto": 2.0, "single": 0.15, "seek": 0.5, "fallback": -2.0},
    "+ veto, evidence 0.90": {"veto": 2.0, "evidence": 0.90},
    "+ veto, evidence 0.90, single 15 %": {"veto": 2.0, "evidence": 0.90, "single": 0.15},
    "+ veto, evidence 0.90, seek ½": {"veto": 2.0, "evidence": 0.90, "seek": 0.5},
    "+ veto, evidence 0.90, single 15 %, seek ½": {"veto": 2.0, "evidence": 0.90, "single": 0.15, "seek": 0.5},
}
#: The rule chosen from RULES, with a lone small face needing steadiness, and O-Net's certain faces not judged.
_SINGLE_10 = RULES["… with single 10 %"]
STEADY_RULES = {
    "… with single 10 % (shipped before)": _SINGLE_10,
    **{f"+ steady lone faces from {value:g}": {**_SINGLE_10, "steady": value}
       for value in (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5)},
    **{f"+ steady from 2, certain from {value:g}": {**_SINGLE_10, "steady": 2.0, "certain": value}
       for value in (6.0, 7.0, 8.0, 9.0, 10.0)},
    "+ certain from 8 alone (no steadiness)": {**_SINGLE_10, "certain": 8.0},
}


POLICIES = {
    "plain cascade, full size": plain_full,
    "plain cascade, working size": lambda r: (faces_of(r, 0), 1),
    "mtcnn package, full size": mtcnn_package,
    "before (issue 18)": before_issue_18,
    **{f"keep upright, margin {sure}, {rule}": partial(keep_upright, sure=sure, rule=rule)
       for sure in (0.0, 1.0, 2.0) for rule in ("at least", "more")},
}
PREVIOUS = "keep upright, margin 0.0, at least"
CHOSEN = "shipped: keep upright, veto, lone face 10 % steady from 2, certain from 8, seek ½, fallback -1"


def _shipped_rule(record: dict) -> tuple[list[dict], int]:
    faces, cost = turn_rule(record, **STEADY_RULES[SHIPPED_RULE])
    return faces, 1 if cost == 1.0 else 4


POLICIES[CHOSEN] = _shipped_rule


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
    shown = [n for n in POLICIES if not n.startswith("keep upright") or n in (PREVIOUS, CHOSEN)]
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
        if name in ("before (issue 18)", PREVIOUS, CHOSEN):
            print(f"\n{name}: fewer faces than the plain cascade: {fewer[name]}; turned copies lost: {lost_turned[name]}")


def rules_table(title: str = "Turn rules", rules: dict | None = None) -> None:
    """Turn rules replayed (``RULES``: the first fix with each extra condition): the goals' figures, the turned
    passes' cost on upright photos with faces in P-Net pixels (over the upright pass's), and O-Net's orientation
    batches there (one per photo, two when the best face is doubted and others wait)."""
    rows, truths = load_set()
    raw = json.loads(CACHE.read_text())
    print(f"\n### {title} (all photos)\n")
    print("| rule | found | missed | false | false in upright photos | photos with fewer faces than the plain "
          "cascade | turned copies with no face found | turns tried on upright photos with faces | "
          "P-Net pixels there, turns / upright | orientation batches there |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    lost: dict = {}
    for name, options in (RULES if rules is None else rules).items():
        found = faces = false = false_upright = tried = batches = 0
        extra = pixels = 0.0
        fewer, lost_turned = [], []
        for row in rows:
            record, truth = raw[row["file"]], truths[row["file"]]
            counts: Counter = Counter()
            kept, cost = turn_rule(record, **options, counts=counts)
            hit, wrong = score(kept, truth)
            reference, _ = score(plain_full(record)[0], truth)
            found += len(hit)
            faces += len(truth["true"]) + truth["missed"]
            false += wrong
            if truth.get("quarter"):
                if truth["true"] and not hit:
                    lost_turned.append(row["file"])
                continue
            false_upright += wrong
            if len(hit) < len(reference):
                fewer.append(row["file"])
            if truth["true"]:
                base = pnet_pixels(record, 0)
                pixels += base
                extra += (cost - 1.0) * base
                tried += cost > 1.0
                batches += counts["orientation batches"]
        lost[name] = lost_turned
        print(f"| {name} | {found} | {faces - found} | {false} | {false_upright} | {len(fewer)} | "
              f"{len(lost_turned)} of 50 | {tried} | {100 * extra / pixels:+.1f} % | {batches} |")
    for name, files in lost.items():
        print(f"{name}: turned copies lost: {', '.join(f.split('/')[-1] for f in files)}")


#: The row of STEADY_RULES that is defaults.py's rule (the constants it names).
SHIPPED_RULE = f"+ steady from {STEADY_LOG_ODDS:g}, certain from {CERTAIN_LOG_ODDS:g}"
assert SHIPPED_RULE in STEADY_RULES and STEADY_RULES[SHIPPED_RULE]["single"] == LONE_FACE_FRACTION


def floors_sweep() -> None:
    """The plain cascade and the shipped turn rule replayed with other floors."""
    rows, truths = load_set()
    raw = json.loads(CACHE.read_text())
    saved = dict(FLOOR)
    print("\n### Floors replayed on every photo (plain cascade at the working size | shipped turn rule)\n")
    print("| small-face floor | large-face floor | large from | plain: found | plain: false | rule: found | "
          "rule: false | rule: photos with fewer faces than the plain cascade | rule: turned copies with no face found |")
    print("|---|---|---|---|---|---|---|---|---|")
    for small, large, fraction in ((0.95, 0.85, 0.15), (0.94, 0.85, 0.15), (0.93, 0.85, 0.15), (0.92, 0.85, 0.15),
                                   (0.90, 0.85, 0.15), (0.95, 0.80, 0.15), (0.95, 0.90, 0.15), (0.95, 0.85, 0.10),
                                   (0.95, 0.85, 0.20), (0.94, 0.85, 0.10), (0.93, 0.85, 0.10), (0.93, 0.90, 0.10)):
        FLOOR.update(small=small, large=large, fraction=fraction)
        plain = [0, 0]
        rule = [0, 0, 0, 0]
        for row in rows:
            record, truth = raw[row["file"]], truths[row["file"]]
            reference, wrong = score(faces_of(record, 0), truth)
            plain[0] += len(reference)
            plain[1] += wrong
            hit, wrong = score(turn_rule(record, **STEADY_RULES[SHIPPED_RULE])[0], truth)
            rule[0] += len(hit)
            rule[1] += wrong
            rule[2] += not truth.get("quarter") and len(hit) < len(reference)
            rule[3] += bool(truth.get("quarter") and truth["true"] and not hit)
        print(f"| {small:.2f} | {large:.2f} | {fraction:.0%} | {plain[0]} | {plain[1]} | {rule[0]} | {rule[1]} | "
              f"{rule[2]} | {rule[3]} of 50 |")
    FLOOR.update(saved)


def steady_table() -> None:
    """Steadiness (``RawFaces.steady``) and O-Net's log-odds of the faces the lone-face rule and CERTAIN_LOG_ODDS
    are about: lone small faces (a pass's only face above the floor, under LONE_FACE_FRACTION) true and false,
    and real faces O-Net accepts lying on their side or upside down."""
    rows, truths = load_set()
    raw = json.loads(CACHE.read_text())
    lone: dict = defaultdict(list)
    sideways: list[tuple[float, str]] = []
    for row in rows:
        record, truth = raw[row["file"]], truths[row["file"]]
        want = (4 - truth.get("quarter", 0)) % 4
        for quarter in range(4):
            faces = faces_of(record, quarter)
            for face in faces:
                real = any(iou(face["box"], b) >= 0.4 for b in truth["true"])
                if quarter != want and real:
                    odds = float(_log_odds(np.float32(face["score"])))
                    sideways.append((odds, f"{row['file']} turn {quarter}"))
            if len(faces) != 1 or _frac(record, faces[0]) >= LONE_FACE_FRACTION or faces[0]["margin"] <= 0.0:
                continue
            hit, wrong = score([faces[0]], truth)
            kind = ("real" if hit else "false") + (", upright pass" if quarter == 0 else ", a turn")
            if hit or wrong:
                lone[kind].append((faces[0]["steady"], f"{row['file']} turn {quarter}"))
    print("\n### Steady lone faces: steadiness of lone small faces O-Net calls upright (margin > 0)\n")
    print("| lone small face | count | least | 10th percentile | median | greatest | greatest at |")
    print("|---|---|---|---|---|---|---|")
    for kind in sorted(lone):
        values = sorted(lone[kind])
        print(f"| {kind} | {len(values)} | {values[0][0]:.2f} | {np.percentile([v for v, _ in values], 10):.2f} | "
              f"{np.median([v for v, _ in values]):.2f} | {values[-1][0]:.2f} | {values[-1][1]} |")
    sideways.sort()
    print(f"\nReal faces accepted above the floor lying on their side or upside down: {len(sideways)}, O-Net's "
          f"log-odds up to {sideways[-1][0]:.2f} ({sideways[-1][1]}); the five highest: "
          + ", ".join(f"{v:.2f}" for v, _ in sideways[-5:]))


FLOORS = (0.80, 0.85, 0.90, 0.93, 0.95, 0.97)
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
#: The floors before they were chosen on this set: small faces, large faces, large from.
PREVIOUS_FLOORS = (0.95, 0.85, 0.15)


def previous_rule(detector, image: np.ndarray) -> list:  # noqa: ANN001
    """The turn rule shipped before these conditions ("keep upright, margin 0.0, at least"), on faceapp's
    passes (at ``PREVIOUS_FLOORS`` in ``shipped``): upright faces kept unless none is surely upright; then the
    turn with the most surely upright faces (at least as many as the upright pass found), all three turns
    sought down to the smallest face, every upright face judged (but those O-Net is certain of, which every
    pass now takes as upright unjudged: ``CERTAIN_LOG_ODDS``)."""
    upright = detector._detect_pass(image, 0)
    if any(judged.margin > 0.0 for judged in upright):
        return [judged.face for judged in upright]
    best, best_key = [judged.face for judged in upright], None
    for quarter in (1, 2, 3):
        sure = [judged.face for judged in detector._detect_pass(image, quarter) if judged.margin > 0.0]
        key = (len(sure), sum(face.confidence for face in sure))
        if sure and len(sure) >= len(upright) and (best_key is None or key > best_key):
            best, best_key = sure, key
    return best


def shipped(photos: Path, before: bool = False, whole: bool = False) -> None:
    """FaceDetector as it ships against the plain cascade at the same working size (and, with ``before``, the
    previous turn rule), same run, in turns per photo (the order rotates from photo to photo): found, false,
    and the time the turn check costs on photos whose faces stand upright, split into the upright pass (with
    O-Net's orientation batch) and the turned passes.  ``whole``: each detector inside ``Engine.analyze``, so
    that the times are a photo's whole time (detection, crops, and the model pass for every face found; the
    model's weights generated, as its time does not depend on their values)."""
    from faceapp.core.detection.detector import FaceDetector
    from faceapp.core.images import load_image

    rows, truths = load_set()
    faceapp, plain = FaceDetector(), FaceDetector(turns=False)
    plain._mtcnn = faceapp._networks()
    passes = {"upright": 0.0, "turned": 0.0, "photos with turns": 0}
    real_pass = faceapp._detect_pass
    timing = {"on": False, "turned": False}

    def timed_pass(image, quarter, *rest, **options):  # noqa: ANN001, ANN202
        start = time.perf_counter()
        result = real_pass(image, quarter, *rest, **options)
        if timing["on"]:
            passes["upright" if quarter == 0 else "turned"] += time.perf_counter() - start
            timing["turned"] |= quarter != 0
        return result

    faceapp._detect_pass = timed_pass
    networks = faceapp._networks()
    real_orientation = networks._orientation

    def timed_orientation(*args, **options):  # noqa: ANN002, ANN003, ANN202
        start = time.perf_counter()
        result = real_orientation(*args, **options)
        if timing["on"]:
            passes["orientation"] += time.perf_counter() - start
        return result

    networks._orientation = timed_orientation  # the plain detector shares the networks but never judges turns
    passes["orientation"] = 0.0
    detectors = {"faceapp": faceapp.detect, "plain": plain.detect}
    if whole:
        import tempfile

        from faceapp.core.engine import Engine
        from faceapp.core.vggface.synthetic import write_synthetic_model_files

        models = tempfile.mkdtemp(prefix="faceapp-tuning-")
        write_synthetic_model_files(models, "resnet50", include_top=True, seed=1)
        engines = {name: Engine(models_dir=models, detector=detector) for name, detector in
                   (("faceapp", faceapp), ("plain", plain))}
        engines["plain"]._model = engines["faceapp"].model  # one model for both
        detectors = {name: (lambda image, engine=engine: [found.face for found in engine.analyze(image).faces])
                     for name, engine in engines.items()}
    if before:
        previous = FaceDetector()
        previous._mtcnn = faceapp._networks()
        previous.floor = lambda side: PREVIOUS_FLOORS[1] if side >= PREVIOUS_FLOORS[2] else PREVIOUS_FLOORS[0]
        detectors["before"] = partial(previous_rule, previous)
    totals: dict = defaultdict(Counter)
    upright_time = {name: 0.0 for name in detectors}
    fewer = []
    warm = load_image(photos / rows[0]["file"])
    for detect in detectors.values():
        detect(warm)
    names = list(detectors)
    for index, row in enumerate(rows):
        truth = truths[row["file"]]
        image = load_image(photos / row["file"])
        measured = not truth.get("quarter") and bool(truth["true"])
        results = {}
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            timing["on"], timing["turned"] = measured and name == "faceapp", False
            start = time.perf_counter()
            faces = detectors[name](image)
            elapsed = time.perf_counter() - start
            if timing["on"]:
                passes["photos with turns"] += timing["turned"]
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
            c["lost"] += bool(truth.get("quarter") and truth["true"] and not hit)
            if measured:
                upright_time[name] += elapsed
        if not truth.get("quarter") and results["faceapp"] < results["plain"]:
            fewer.append(row["file"])
    print("| detector | photos | faces | found | false | turned copies with no face found |")
    print("|---|---|---|---|---|---|")
    for (name, group), c in sorted(totals.items()):
        lost = f"{c['lost']} of {c['photos']}" if group == "turned copies" else "—"
        print(f"| {name}, {group} | {c['photos']} | {c['faces']} | {c['found']} | {c['false']} | {lost} |")
    base = upright_time["plain"]
    if whole:
        print("\nEvery time below is Engine.analyze's: detection, crops and the model pass for every face found.")
    print(f"\nupright photos with faces: plain cascade (same working size) {base:.1f} s; "
          + "; ".join(f"{name} {upright_time[name]:.1f} s ({100 * (upright_time[name] / base - 1):+.1f} %)"
                      for name in names if name != "plain"))
    # The passes exclude the downscale to the working size, which detect() makes once for all of them.
    against = "" if whole else f" ({100 * (passes['upright'] / base - 1):+.1f} % over the plain pass)"
    print(f"faceapp there: upright pass (without the downscale) with O-Net's orientation batch {passes['upright']:.1f} s"
          f"{against}, turned passes {passes['turned']:.1f} s ({100 * passes['turned'] / base:+.1f} %) on "
          f"{passes['photos with turns']} photos")
    # The turn check's own work, timed where it happens (the difference of the two totals above carries the
    # noise of both): O-Net's orientation batches in every pass, and the turned passes.
    own = passes["orientation"] + passes["turned"]
    print(f"the turn check's own work: orientation batches {passes['orientation']:.2f} s, turned passes "
          f"{passes['turned']:.2f} s, together {100 * own / (upright_time['faceapp'] - own):.1f} % of faceapp's time "
          "without them")
    print(f"photos where faceapp finds fewer true faces than the plain cascade at its working size: {fewer}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["cache", "tables", "shipped"])
    parser.add_argument("--photos", type=Path, default=Path("/work/tuning-photos"))
    parser.add_argument("--before", action="store_true", help="shipped: also time the previous turn rule")
    parser.add_argument("--whole", action="store_true", help="shipped: time each detector inside Engine.analyze")
    args = parser.parse_args()
    if args.what == "cache":
        cache(args.photos)
    elif args.what == "tables":
        tables()
        floors_table()
        rules_table()
        rules_table("Steady lone faces", STEADY_RULES)
        steady_table()
        floors_sweep()
    else:
        shipped(args.photos, args.before, args.whole)
    return 0


if __name__ == "__main__":
    sys.exit(main())
