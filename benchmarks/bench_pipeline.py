"""Per-photo latency of faceapp's pipeline against the seed tutorial's, in one run.

    python benchmarks/bench_pipeline.py [--models-dir DIR] [--repeats 3]

Tutorial path (built once, as the tutorial does): ``MTCNN().detect_faces`` on the full
photo, the first box cropped exactly, resized to 224×224, preprocess v2, Keras
``model.predict`` on the descriptor-only ResNet-50 (include_top=False, the tutorial's choice).
faceapp path: ``Engine.analyze`` (downscaled detection, all faces, crops, one traced
forward pass of the full ResNet-50 giving descriptors *and* identities).
Photos: the ten shared ones and three generated 2,400-px camera portraits (tests/variations.py).
Both paths are warmed up on every photo first; the figure is the median of --repeats runs,
alternating the two paths so machine noise hits both alike.  Without --models-dir the
weights are generated (timing does not depend on the values).  "lost": known faces
(tests/data/faces/boxes.json: the mtcnn package's own full-resolution detections, one
per face the photo shows) that faceapp does not find.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.testdata import FACES, KNOWN_FACES  # noqa: E402

PHOTOS = list(KNOWN_FACES)



def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models-dir")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from mtcnn import MTCNN

    from faceapp.core.engine import Engine
    from faceapp.core.images import load_image, resize_rgb
    from tests.reference.models import build_model
    from faceapp.core.vggface.preprocess import preprocess_input
    from faceapp.core.vggface.synthetic import write_synthetic_model_files
    from tests.reference.weights import load_weights_into

    models_dir = args.models_dir or tempfile.mkdtemp(prefix="faceapp-bench-")
    if args.models_dir is None:
        write_synthetic_model_files(models_dir, "resnet50", include_top=True, seed=1)
        write_synthetic_model_files(models_dir, "resnet50", include_top=False, seed=2)
    engine = Engine(models_dir=models_dir)
    engine.load()
    tutorial_detector = MTCNN()
    tutorial_model = build_model("resnet50", include_top=False)
    load_weights_into(tutorial_model, Path(models_dir) / "rcmalli_vggface_tf_notop_resnet50.h5", "resnet50")

    def tutorial(image):
        faces = tutorial_detector.detect_faces(image)
        if not faces:
            return None
        x, y, w, h = faces[0]["box"]
        crop = resize_rgb(image[max(0, y):y + h, max(0, x):x + w], 224, 224)
        return tutorial_model.predict(preprocess_input(crop[None].astype("float32"), 2), verbose=0)

    from tests.variations import portrait

    from tests.variations import ground_truth

    portraits = [portrait("obama.jpg", 0.3), portrait("biden.jpg", 0.45), portrait("two_people.jpg", 0.6)]
    photos = [(name, load_image(FACES / name)) for name in PHOTOS] + [(case.name, case.image) for case in portraits]
    known = {**ground_truth(), **{case.name: case.faces for case in portraits}}
    rows, ratios, ours_total, tut_total, lost = [], [], 0.0, 0.0, 0
    for name, image in photos:
        engine.analyze(image)
        tutorial(image)  # warm-up both
        ours, theirs, stages = [], [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = engine.analyze(image)
            ours.append(time.perf_counter() - start)
            stages.append(result.timings_ms)
            start = time.perf_counter()
            tutorial(image)
            theirs.append(time.perf_counter() - start)
        found = [f.face.box for f in result.faces]
        missing = sum(1 for box in known[name] if not any(box.iou(other) > 0.5 for other in found))
        lost += missing
        o, t = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
        ours_total, tut_total = ours_total + o, tut_total + t
        ratios.append(o / t)
        median_stage = {k: statistics.median(s[k] for s in stages) for k in ("detect", "crop", "model")}
        rows.append(f"| {name} | {image.shape[1]}×{image.shape[0]} | {len(found)} | {missing} | "
                    f"{median_stage['detect']:.0f} | {median_stage['crop']:.1f} | {median_stage['model']:.0f} | "
                    f"{o:.0f} | {t:.0f} | {o / t:.2f} |")
    print("| photo | size | faces | lost | detect ms | crop ms | model ms | faceapp ms | tutorial ms | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"| **all {len(photos)} photos** | | | {lost} | | | | {ours_total:.0f} | {tut_total:.0f} | "
          f"**{ours_total / tut_total:.2f}** |")
    print(f"\nper photo: median ratio {statistics.median(ratios):.2f}, highest {max(ratios):.2f}; faces lost: {lost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
