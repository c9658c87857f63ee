"""Downscaling to the detector's working size: antialiased against plain bilinear, by reduction.

    python benchmarks/bench_downscale.py [--repeats 30]

For each reduction (working size over photo size) on a natural photo scaled to the sizes the
shared photos have: the time of TensorFlow's antialiased bilinear resize and of the plain one
(medians of alternating runs), and how far the plain result is from the antialiased one (mean
and 99th percentile of |difference| in 0–255 levels).  core/detection/mtcnn.py uses the plain resize for
reductions down to one half; BENCHMARKS.md ("How far detection may downscale") has the figures.
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=30)
    options = parser.parse_args()

    import numpy as np

    from tests.reference import tensorflow
    from faceapp.core.images import load_image, resize_rgb
    from tests.testdata import FACES

    tf = tensorflow()
    source = load_image(FACES / "obama3.jpg")  # 1434×2333: detailed (suit, hair), scaled down from here

    @tf.function(autograph=False)
    def resize(pixels, size, antialias):
        return tf.image.resize(tf.cast(pixels, tf.float32), size, method="bilinear", antialias=antialias)

    print("| photo | working size | reduction | antialiased ms | plain ms | ratio | mean |diff| | 99th pct |diff| |")
    print("|---|---|---|---|---|---|---|---|")
    for width, height in ((626, 1200), (910, 1137), (1126, 661), (1100, 2000), (2048, 2048), (2400, 3000)):
        photo = resize_rgb(source, width, height)
        factor = 1024 / max(width, height)
        size = tf.constant([round(height * factor), round(width * factor)], tf.int32)
        times = {True: [], False: []}
        for antialias in (True, False):
            resize(photo, size, antialias)
        for _ in range(options.repeats):
            for antialias in (True, False):
                began = time.perf_counter()
                resize(photo, size, antialias).numpy()
                times[antialias].append(time.perf_counter() - began)
        smooth, plain = (resize(photo, size, a).numpy() for a in (True, False))
        difference = np.abs(smooth - plain)
        a, p = (statistics.median(times[k]) * 1000 for k in (True, False))
        print(f"| {width}×{height} | {int(size[1])}×{int(size[0])} | {factor:.2f} | {a:.1f} | {p:.1f} | {p / a:.2f} | "
              f"{difference.mean():.2f} | {np.percentile(difference, 99):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
