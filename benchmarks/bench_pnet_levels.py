"""P-Net's pyramid levels one after another (each pass on every core) against side by side (each pass on
its share of the cores), in one process.  Sets ``mtcnn.LEVEL_WORKERS``.

    python benchmarks/bench_pnet_levels.py [--rounds 15]

For each shared photo at faceapp's working size (longer side 1,024, smallest face 20 px): every P-Net level
is area-resized from the working image and run through P-Net, three ways, alternating:

* ``in turn``: one level after another, the session's passes on all cores (the way before);
* ``halves``: two workers, the largest level on one and every other level on the other;
* ``shared``: two workers taking the next level, largest first, whenever one is free (what faceapp does).

Printed: the median milliseconds of each way per photo and their ratios to ``in turn``.

Then the R-/O-Net patches (sets ``mtcnn._SPLIT_SAMPLES``): boxes of 20–200 px spread over obama.jpg's working
image, cut into 24- and 48-px patches on one thread or in two halves side by side (``resample.in_two``),
alternating, median of 10 × ``--rounds`` calls per count of boxes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    from faceapp.core import runtime
    from faceapp.core.detection import mtcnn
    from faceapp.core.detection.mtcnn_graphs import build_graph
    from faceapp.core.detection.resample import area_resize_planes
    from faceapp.core.images import load_image
    from tests.testdata import FACES, KNOWN_FACES

    graph = build_graph("pnet", mtcnn.load_network_weights("pnet"))
    every_core = runtime.session(graph)
    one_core = runtime.session(graph, threads=max(1, runtime.cores() // 2))
    workers = ThreadPoolExecutor(2)

    def in_turn(planes, sizes):  # noqa: ANN001, ANN202
        return [every_core.run(None, {"image": area_resize_planes(planes, *size)[None]}) for size in sizes]

    def one(planes, size):  # noqa: ANN001, ANN202
        return one_core.run(None, {"image": area_resize_planes(planes, *size)[None]})

    def halves(planes, sizes):  # noqa: ANN001, ANN202
        rest = workers.submit(lambda: [one(planes, size) for size in sizes[1:]])
        return [one(planes, sizes[0])] + rest.result()

    def shared(planes, sizes):  # noqa: ANN001, ANN202
        lock, todo, out = threading.Lock(), list(enumerate(sizes)), [None] * len(sizes)

        def work() -> None:
            while True:
                with lock:
                    if not todo:
                        return
                    index, size = todo.pop(0)
                out[index] = one(planes, size)

        for future in [workers.submit(work) for _ in range(2)]:
            future.result()
        return out

    ways = {"in turn": in_turn, "halves": halves, "shared": shared}
    print(f"{runtime.cores()} cores; {args.rounds} rounds\n| photo | levels | in turn ms | halves ms | shared ms |"
          "\n|---|---|---|---|---|")
    ratios: dict[str, list[float]] = {"halves": [], "shared": []}
    for name in KNOWN_FACES:
        image = load_image(FACES / name)
        height, width = image.shape[:2]
        factor = min(1.0, 1024 / max(width, height))
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        planes = mtcnn.working_planes(image, *size)
        sizes = [(max(1, int(size[1] * s)), max(1, int(size[0] * s))) for s in mtcnn.pyramid_scales(*size, 20)]
        for way in ways.values():
            way(planes, sizes)
        times: dict[str, list[float]] = {key: [] for key in ways}
        for round_ in range(args.rounds):
            order = list(ways.items())
            for key, way in order[round_ % 3:] + order[:round_ % 3]:
                start = time.perf_counter()
                way(planes, sizes)
                times[key].append(1000 * (time.perf_counter() - start))
        medians = {key: statistics.median(values) for key, values in times.items()}
        for key in ratios:
            ratios[key].append(medians[key] / medians["in turn"])
        print(f"| {name} | {len(sizes)} | {medians['in turn']:.1f} | {medians['halves']:.1f} "
              f"({medians['halves'] / medians['in turn']:.2f}) | {medians['shared']:.1f} "
              f"({medians['shared'] / medians['in turn']:.2f}) |")
    print("median ratio: " + ", ".join(f"{key} {statistics.median(values):.2f}" for key, values in ratios.items()))
    workers.shutdown()
    patches_split(args.rounds)
    return 0


def patches_split(rounds: int) -> None:
    """Patches cut on one thread against in two halves side by side, by count of boxes and patch side."""
    import numpy as np

    from faceapp.core.detection import mtcnn
    from faceapp.core.images import load_image
    from tests.testdata import FACES

    detector = mtcnn.MTCNN()
    if detector._workers is None:
        print("\none core: patches are never split")
        return
    levels = detector.pyramid(load_image(FACES / "obama.jpg"), 820, 1024).turned(0)
    rng = np.random.default_rng(1)
    print(f"\n| boxes | side | one thread ms | two halves ms | ratio | samples |\n|---|---|---|---|---|---|")
    for count in (8, 32, 64, 128, 192, 256, 384, 512):
        corners = rng.uniform(0, 700, (count, 2))
        boxes = np.concatenate([corners, corners + rng.uniform(20, 200, (count, 1)), np.ones((count, 1))], 1)
        boxes = boxes.astype(np.float32)
        for side in (24, 48):
            times: dict[bool, list[float]] = {False: [], True: []}
            for call in range(10 * rounds + 2):
                for split in ((False, True) if call % 2 else (True, False)):
                    start = time.perf_counter()
                    levels.patches(boxes, side, detector._workers if split else None)
                    if call >= 2:  # the first two calls warm up
                        times[split].append(1000 * (time.perf_counter() - start))
            one, two = statistics.median(times[False]), statistics.median(times[True])
            print(f"| {count} | {side} | {one:.2f} | {two:.2f} | {two / one:.2f} | {count * side * side} |")


if __name__ == "__main__":
    sys.exit(main())
