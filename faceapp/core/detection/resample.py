"""The resampling MTCNN needs, in NumPy (and Pillow), defined as TensorFlow's image ops define it.

The ``mtcnn`` package — faceapp's reference — builds its P-Net pyramid with
``tf.image.resize(method="area")`` and cuts R-/O-Net patches with
``tf.image.crop_and_resize`` (bilinear, corners aligned to pixel centres).
faceapp runs without TensorFlow, so these are the same definitions restated:
the tests compare each against TensorFlow (to about 1e-5 on values in [-1, 1]).

Everything works on channel planes (C×H×W float32, the networks' layout).

* :func:`area_resize_planes` — each output pixel is the mean of the input
  rectangle it covers, partial pixels weighted by the covered fraction.
  :func:`halve_planes` is the same resize to half of each side, with a short
  path for even sides (the mean of each 2×2 square).
* :func:`bilinear_resize_planes` — plain bilinear with half-pixel centres (TF 2's
  default): two taps per axis, no low-pass filter.
* These resizes are small matrix products: each axis's weights, a band, cut into
  blocks of outputs (BENCHMARKS.md, "On ONNX Runtime").
* :func:`antialiased_resize` — bilinear whose triangle widens with the
  reduction, over every source pixel; this is Pillow's ``BILINEAR`` resize
  (TF's ``antialias=True`` is the same kernel), on 8-bit RGB (within one level).
* :func:`crop_and_resize` — bilinear samples on a ``size``×``size`` grid whose
  corners are the box corners; samples outside the image are 0.  Patches come
  out N×C×size×size, as R-Net and O-Net take them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np

__all__ = ["area_resize_planes", "halve_planes", "bilinear_resize_planes", "antialiased_resize", "crop_and_resize",
           "in_two"]

#: About how many source samples one block of outputs reads in the ``_planes`` resizes.  Small enough that
#: OpenBLAS runs each product on one thread: at 32 it split the larger ones over threads whose idle spinning
#: then took the cores from ONNX Runtime (per photo 0.93x the gathers' time at 32, 0.87-0.90x at 8-24;
#: BENCHMARKS.md, "On ONNX Runtime").
_BLOCK_SOURCE = 16


def _area_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """For each output sample: the source indices it covers (out, taps) and their weights (covered fraction
    over the scale; 0 for padding taps)."""
    scale = in_size / out_size
    starts = np.arange(out_size, dtype=np.float64) * scale
    ends = np.minimum(starts + scale, in_size)
    first = np.floor(starts).astype(np.int64)
    count = int((np.ceil(ends).astype(np.int64) - first).max())
    index = first[:, None] + np.arange(count)[None, :]
    covered = np.minimum(index + 1, ends[:, None]) - np.maximum(index, starts[:, None])
    return np.minimum(index, in_size - 1), (np.clip(covered, 0.0, None) / scale).astype(np.float32)


@functools.lru_cache(maxsize=256)
def _blocks(kind: str, in_size: int, out_size: int) -> tuple[tuple[int, int, int, int, np.ndarray], ...]:
    """The weights of a ``kind`` ("area" or "bilinear") resize from ``in_size`` samples to ``out_size`` (those
    of :func:`_area_taps` or :func:`_bilinear_taps`) as blocks of consecutive outputs: (first output, end,
    first source, end, the block's weights, outputs × sources)."""
    if kind == "area":
        index, weight = _area_taps(in_size, out_size)
    else:
        lower, upper, upper_weight = _bilinear_taps(in_size, out_size)
        index, weight = np.stack([lower, upper], 1), np.stack([1 - upper_weight, upper_weight], 1)
    per = max(1, int(_BLOCK_SOURCE * out_size / in_size))
    blocks = []
    for start in range(0, out_size, per):
        stop = min(start + per, out_size)
        first, end = int(index[start:stop].min()), int(index[start:stop].max()) + 1
        block = np.zeros((stop - start, end - first), np.float32)
        outputs = np.repeat(np.arange(stop - start), index.shape[1])
        np.add.at(block, (outputs, index[start:stop].ravel() - first), weight[start:stop].ravel())
        block.flags.writeable = False  # shared by every call with these sizes
        blocks.append((start, stop, first, end, block))
    return tuple(blocks)


def in_two(workers: Executor | None, work: Callable[[int, int], object], count: int) -> None:
    """``work(start, stop)`` over the items ``0 … count - 1``: the second half on one of ``workers`` while this
    thread does the first (all on this thread without ``workers``, or for fewer than two items)."""
    if workers is None or count < 2:
        work(0, count)
        return
    other = workers.submit(work, count // 2, count)
    try:
        work(0, count // 2)
    finally:
        other.result()


def _resize_planes(kind: str, planes: np.ndarray, height: int, width: int,
                   workers: Executor | None = None) -> np.ndarray:
    """``planes`` (C×H×W float32) resized the ``kind`` way, rows then columns, a matrix product per block
    (``workers``: the blocks of each pass in two halves side by side, see :func:`in_two`)."""
    channels, rows_in, columns_in = planes.shape
    rows = planes
    if rows_in != height:
        rows = np.empty((channels, height, columns_in), np.float32)
        row_blocks = _blocks(kind, rows_in, int(height))

        def resize_rows(first_block: int, end_block: int) -> None:
            for start, stop, first, end, block in row_blocks[first_block:end_block]:
                np.matmul(block, planes[:, first:end, :], out=rows[:, start:stop, :])

        in_two(workers, resize_rows, len(row_blocks))
    if columns_in == width:
        return rows if rows is not planes else planes.astype(np.float32)  # always a new array
    out = np.empty((channels, height, width), np.float32)
    column_blocks = _blocks(kind, columns_in, int(width))

    def resize_columns(first_block: int, end_block: int) -> None:
        for start, stop, first, end, block in column_blocks[first_block:end_block]:
            np.matmul(rows[:, :, first:end], block.T, out=out[:, :, start:stop])

    in_two(workers, resize_columns, len(column_blocks))
    return out


def area_resize_planes(planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """``planes`` (C×H×W float32) → C×``height``×``width`` float32 by area averaging
    (``tf.image.resize(method="area")`` of the H×W×C image)."""
    return _resize_planes("area", planes, height, width)


def halve_planes(planes: np.ndarray) -> np.ndarray:
    """The next level of a halving pyramid: :func:`area_resize_planes` to half of each side (at least 1 pixel).
    Where both sides are even, that is the mean of each 2×2 square, taken directly (a third of the time)."""
    _, height, width = planes.shape
    if height % 2 or width % 2:
        return area_resize_planes(planes, max(height // 2, 1), max(width // 2, 1))
    out = planes[:, 0::2] + planes[:, 1::2]
    out = out[:, :, 0::2] + out[:, :, 1::2]
    out *= np.float32(0.25)
    return out


def _bilinear_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output sample: the lower and upper source index and the weight of the upper one."""
    scale = in_size / out_size
    position = (np.arange(out_size, dtype=np.float32) + 0.5) * np.float32(scale) - 0.5
    floor = np.floor(position)
    lower = np.maximum(floor, 0).astype(np.int64)
    upper = np.minimum(np.ceil(position), in_size - 1).astype(np.int64)
    return lower, upper, (position - floor).astype(np.float32)


def bilinear_resize_planes(planes: np.ndarray, height: int, width: int, workers: Executor | None = None) -> np.ndarray:
    """``planes`` (C×H×W float32) → C×``height``×``width`` float32, plain bilinear with half-pixel centres
    (``workers``: see :func:`in_two`)."""
    return _resize_planes("bilinear", planes, height, width, workers)


def antialiased_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (H×W×3 uint8) → float32 ``height``×``width`` with Pillow's (antialiased) bilinear filter.

    On the 8-bit pixels, so each of Pillow's two passes rounds to a whole level: within one level of 255 of
    the same filter in float (a float copy and a resize per channel), and 2–2.8× faster than it on photos of
    9–36 megapixels (BENCHMARKS.md, "The downscale itself").
    """
    from PIL import Image

    return np.asarray(Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8), mode="RGB")
                      .resize((int(width), int(height)), Image.Resampling.BILINEAR), dtype=np.float32)


def crop_and_resize(planes: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Patches (N×C×size×size float32) of ``planes`` (C×H×W) for ``boxes`` (N×4: y1 x1 y2 x2 as fractions of
    ``H - 1`` and ``W - 1``), sampled bilinearly; samples outside the image are 0.  ``planes`` that are a view
    in another order (a turned level) are copied first: pass a contiguous array to sample one many times."""
    channels, height, width = planes.shape
    count = len(boxes)
    if count == 0:
        return np.zeros((0, channels, size, size), np.float32)
    boxes = boxes.astype(np.float32)
    steps = np.arange(size, dtype=np.float32)
    ys = boxes[:, 0:1] * (height - 1) + steps * ((boxes[:, 2:3] - boxes[:, 0:1]) * (height - 1) / (size - 1))
    xs = boxes[:, 1:2] * (width - 1) + steps * ((boxes[:, 3:4] - boxes[:, 1:2]) * (width - 1) / (size - 1))
    inside = ((ys >= 0) & (ys <= height - 1))[:, :, None] & ((xs >= 0) & (xs <= width - 1))[:, None, :]
    floor_y, floor_x = np.floor(ys), np.floor(xs)
    # Flat indices into each plane: one gather per corner (``np.take``) takes half the time of indexing rows and
    # columns apart.
    rows0 = (np.clip(floor_y, 0, height - 1).astype(np.intp) * width)[:, :, None]
    rows1 = (np.clip(np.ceil(ys), 0, height - 1).astype(np.intp) * width)[:, :, None]
    cols0 = np.clip(floor_x, 0, width - 1).astype(np.intp)[:, None, :]
    cols1 = np.clip(np.ceil(xs), 0, width - 1).astype(np.intp)[:, None, :]
    wy = (ys - floor_y)[:, :, None]
    wx = (xs - floor_x)[:, None, :]
    flat = planes.reshape(channels, height * width)
    # C×N×size×size, each plane's samples in one piece.
    top_left, top_right = np.take(flat, rows0 + cols0, axis=1), np.take(flat, rows0 + cols1, axis=1)
    bottom_left, bottom_right = np.take(flat, rows1 + cols0, axis=1), np.take(flat, rows1 + cols1, axis=1)
    top = top_left + (top_right - top_left) * wx
    bottom = bottom_left + (bottom_right - bottom_left) * wx
    patches = np.where(inside, top + (bottom - top) * wy, np.float32(0.0))
    return np.ascontiguousarray(patches.transpose(1, 0, 2, 3), dtype=np.float32)
