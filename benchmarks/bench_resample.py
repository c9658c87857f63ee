"""The working image and P-Net's pyramid as matrix products (shipped) against the gathers before them.

    git show 9e9e972:faceapp/core/detection/resample.py > /tmp/resample_before.py
    python benchmarks/bench_resample.py --before /tmp/resample_before.py [--rounds 5]

``--before``: a copy of ``core/detection/resample.py`` from before the change (it imports nothing of
faceapp, so it loads on its own).  Two measurements, each in one process with the two ways alternating:

1. Resampling alone, per shared photo: the working image (plain bilinear or Pillow's antialiased
   resize, normalised) and every P-Net level, each way giving P-Net's channel-first input.
2. ``Engine.analyze`` per photo (the shared photos and bench_pipeline.py's 2,400-px portraits) with
   the detector's working image and pyramid levels made either way; the old way pays two extra copies
   of ~2 ms (to and from the channel planes the rest of the detector now takes).

Printed: medians per photo, their ratios, the median ratio and the ratio of totals.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from tests.testdata import FACES, KNOWN_FACES  # noqa: E402


def _load(path: str):  # noqa: ANN202 - a module
    spec = importlib.util.spec_from_file_location("resample_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="resample.py from before the change")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    before = _load(args.before)

    from faceapp.core.detection import mtcnn
    from faceapp.core.detection.resample import area_resize_planes
    from faceapp.core.engine import Engine
    from faceapp.core.images import load_image
    from faceapp.core.vggface.synthetic import write_synthetic_model_files
    from tests.variations import portrait

    def old_planes(image: np.ndarray, width: int, height: int, workers: object = None) -> np.ndarray:
        source_height, source_width = image.shape[:2]
        if (source_width, source_height) == (width, height):
            pixels = image.astype(np.float32)
        elif 2 * width >= source_width and 2 * height >= source_height:
            pixels = before.bilinear_resize(image, height, width)
        else:
            pixels = before.antialiased_resize(image, height, width)
        return np.ascontiguousarray(((pixels - 127.5) * np.float32(1.0 / 128.0)).transpose(2, 0, 1))

    def old_level(pyramid: mtcnn.Pyramid, height: int, width: int) -> np.ndarray:
        level = pyramid._pnet.get((height, width))
        if level is None:
            if not hasattr(pyramid, "_image"):
                pyramid._image = np.ascontiguousarray(pyramid.planes.transpose(1, 2, 0))
            level = before.area_resize(pyramid._image, height, width)
            level = pyramid._pnet[(height, width)] = np.ascontiguousarray(level.transpose(2, 0, 1))
        return level

    ways = {"before": (old_planes, old_level), "now": (mtcnn.working_planes, mtcnn.Pyramid.pnet_level)}

    def use(way: str) -> None:
        mtcnn.working_planes, mtcnn.Pyramid.pnet_level = ways[way]

    def report(title: str, times: dict[str, dict[str, list[float]]]) -> None:
        print(f"\n{title}\n| photo | before ms | now ms | ratio |\n|---|---|---|---|")
        medians = {way: {name: 1000 * statistics.median(values) for name, values in per.items()}
                   for way, per in times.items()}
        for name, old in medians["before"].items():
            print(f"| {name} | {old:.1f} | {medians['now'][name]:.1f} | {medians['now'][name] / old:.2f} |")
        ratios = [medians["now"][name] / old for name, old in medians["before"].items()]
        print(f"median ratio {statistics.median(ratios):.3f}; totals "
              f"{sum(medians['now'].values()) / sum(medians['before'].values()):.3f}")

    shared = [(name, load_image(FACES / name)) for name in KNOWN_FACES]
    times: dict[str, dict[str, list[float]]] = {way: {name: [] for name, _ in shared} for way in ways}
    for name, image in shared:
        height, width = image.shape[:2]
        factor = min(1.0, 1024 / max(width, height))
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        levels = [(max(1, int(size[1] * s)), max(1, int(size[0] * s))) for s in mtcnn.pyramid_scales(*size, 20)]
        for round_ in range(2 * args.rounds):
            for way in (("before", "now") if round_ % 2 == 0 else ("now", "before")):
                use(way)
                start = time.perf_counter()
                pyramid = mtcnn.Pyramid(mtcnn.working_planes(image, *size))
                for level in levels:
                    mtcnn.Pyramid.pnet_level(pyramid, *level)
                times[way][name].append(time.perf_counter() - start)
    report("Resampling alone (working image and every P-Net level)", times)

    models_dir = tempfile.mkdtemp(prefix="faceapp-bench-")
    write_synthetic_model_files(models_dir, "resnet50", seed=1)
    engine = Engine(models_dir=models_dir)
    engine.load()
    photos = shared + [(case.name, case.image) for case in (
        portrait("obama.jpg", 0.3), portrait("biden.jpg", 0.45), portrait("two_people.jpg", 0.6))]
    for way in ways:
        use(way)
        for _, image in photos:
            engine.analyze(image)
    times = {way: {name: [] for name, _ in photos} for way in ways}
    for round_ in range(args.rounds):
        for index, (name, image) in enumerate(photos):
            for way in (("before", "now") if (index + round_) % 2 == 0 else ("now", "before")):
                use(way)
                start = time.perf_counter()
                engine.analyze(image)
                times[way][name].append(time.perf_counter() - start)
    report("Engine.analyze per photo", times)
    use("now")
    return 0


if __name__ == "__main__":
    sys.exit(main())
