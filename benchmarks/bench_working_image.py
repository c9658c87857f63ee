"""The downscale of a large photo to the detector's working size: 8-bit (shipped) against float per channel.

    python benchmarks/bench_working_image.py [--repeats 5] [--photos DIR]

Both are Pillow's antialiased bilinear filter (``tf.image.resize(antialias=True)``'s kernel).  The float
version (shipped until 2026-12-01) copied each channel to float32 and resized it as a Pillow "F" image;
the shipped one resizes the 8-bit RGB photo, so each of Pillow's two passes rounds to a whole level.
For each photo (default: obama.jpg enlarged to 12, 24 and 36 megapixels, plus every JPEG in ``--photos``
of at least 8 megapixels) at the working size (longer side 1,024): medians of alternating runs, the ratio,
and the largest and mean |difference| in 0–255 levels.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402


def float_per_channel(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """The float version, as faceapp shipped it before."""
    from PIL import Image

    channels = [Image.fromarray(np.ascontiguousarray(image[:, :, c], dtype=np.float32), mode="F")
                .resize((width, height), Image.Resampling.BILINEAR) for c in range(image.shape[2])]
    return np.stack([np.asarray(channel, dtype=np.float32) for channel in channels], axis=2)


def photos(folder: Path | None) -> list[tuple[str, np.ndarray]]:
    from PIL import Image

    from faceapp.core.images import load_image

    base = Image.open(REPO / "tests" / "data" / "faces" / "obama.jpg").convert("RGB")
    out = []
    for megapixels in (12, 24, 36):
        scale = (megapixels * 1e6 / (base.width * base.height)) ** 0.5
        size = (round(base.width * scale), round(base.height * scale))
        out.append((f"obama.jpg enlarged to {size[0]}x{size[1]}",
                    np.asarray(base.resize(size, Image.Resampling.BICUBIC), dtype=np.uint8)))
    for path in sorted(folder.rglob("*.jpg")) if folder else []:
        with Image.open(path) as image:
            if image.width * image.height < 8e6:
                continue
        out.append((path.name, load_image(path)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--photos", type=Path, help="also every JPEG of at least 8 MP under this folder")
    options = parser.parse_args()

    from faceapp.core.defaults import DETECTION_MAX_SIDE
    from faceapp.core.detection.resample import antialiased_resize

    print("| photo | working size | float per channel ms | 8-bit ms | ratio | max |diff| | mean |diff| |")
    print("|---|---|---|---|---|---|---|")
    for name, image in photos(options.photos):
        height, width = image.shape[:2]
        scale = DETECTION_MAX_SIDE / max(height, width)
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        times: dict[str, list[float]] = {"float": [], "8-bit": []}
        for _ in range(options.repeats):
            for label, resize in (("float", float_per_channel), ("8-bit", antialiased_resize)):
                began = time.perf_counter()
                result = resize(image, *size)
                times[label].append(time.perf_counter() - began)
        difference = np.abs(float_per_channel(image, *size) - antialiased_resize(image, *size))
        slow, fast = statistics.median(times["float"]) * 1000, statistics.median(times["8-bit"]) * 1000
        print(f"| {name} ({width}x{height}) | {size[1]}x{size[0]} | {slow:.0f} | {fast:.0f} | {fast / slow:.2f} | "
              f"{difference.max():.2f} | {difference.mean():.3f} |", flush=True)
        del result
    return 0


if __name__ == "__main__":
    sys.exit(main())
