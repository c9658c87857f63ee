"""The resampling MTCNN needs, in NumPy (and Pillow), defined as TensorFlow's image ops define it.

The ``mtcnn`` package — faceapp's reference — builds its P-Net pyramid with
``tf.image.resize(method="area")`` and cuts R-/O-Net patches with
``tf.image.crop_and_resize`` (bilinear, corners aligned to pixel centres).
faceapp runs without TensorFlow, so these are the same definitions restated:
the tests compare each against TensorFlow (to about 1e-5 on values in [-1, 1]).

* :func:`area_resize` — each output pixel is the mean of the input rectangle it
  covers, partial pixels weighted by the covered fraction; one axis at a time,
  as a few whole-row (then whole-column) gathers.  :func:`area_resize_planes`
  is the same resize of channel planes (C×H×W, the networks' layout).
* :func:`bilinear_resize_planes` — plain bilinear with half-pixel centres (TF 2's
  default): two taps per axis, no low-pass filter.
* The ``_planes`` resizes are small matrix products: each axis's weights, a band,
  cut into blocks of outputs (BENCHMARKS.md, "On ONNX Runtime").
* :func:`antialiased_resize` — bilinear whose triangle widens with the
  reduction, over every source pixel; this is Pillow's ``BILINEAR`` resize
  (TF's ``antialias=True`` is the same kernel), on 8-bit RGB (within one level).
* :func:`crop_and_resize` — bilinear samples on a ``size``×``size`` grid whose
  corners are the box corners; samples outside the image are 0.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["area_resize", "area_resize_planes", "bilinear_resize_planes", "antialiased_resize", "crop_and_resize",
           "halve"]

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


def _along(weights: np.ndarray, axis: int) -> np.ndarray:
    """Per-sample weights shaped to multiply an H×W×C array along ``axis`` (0: rows, 1: columns)."""
    return weights[:, None, None] if axis == 0 else weights[None, :, None]


def _area_along(values: np.ndarray, out_size: int, axis: int) -> np.ndarray:
    """Area resampling along ``axis``: one gather of whole rows or columns per tap, each weighted and summed
    (columns gathered in place: no transposed copies, the same sums in the same order)."""
    if values.shape[axis] == out_size:
        return values
    index, weight = _area_taps(values.shape[axis], out_size)
    shape = list(values.shape)
    shape[axis] = out_size
    out = np.zeros(shape, np.float32)
    for tap in range(index.shape[1]):
        out += _along(weight[:, tap], axis) * np.take(values, index[:, tap], axis=axis)
    return out


def area_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (H×W×C float) → ``height``×``width`` by area averaging (``tf.image.resize(method="area")``)."""
    return _area_along(_area_along(image.astype(np.float32, copy=False), int(height), 0), int(width), 1)


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


def _resize_planes(kind: str, planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """``planes`` (C×H×W float32) resized the ``kind`` way, rows then columns, a matrix product per block."""
    channels, rows_in, columns_in = planes.shape
    rows = planes
    if rows_in != height:
        rows = np.empty((channels, height, columns_in), np.float32)
        for start, stop, first, end, block in _blocks(kind, rows_in, int(height)):
            np.matmul(block, planes[:, first:end, :], out=rows[:, start:stop, :])
    if columns_in == width:
        return rows if rows is not planes else planes.astype(np.float32)  # always a new array
    out = np.empty((channels, height, width), np.float32)
    for start, stop, first, end, block in _blocks(kind, columns_in, int(width)):
        np.matmul(rows[:, :, first:end], block.T, out=out[:, :, start:stop])
    return out


def area_resize_planes(planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """``planes`` (C×H×W float32) → C×``height``×``width`` float32: :func:`area_resize` of channel planes
    (equal to float32 round-off)."""
    return _resize_planes("area", planes, height, width)


def halve(image: np.ndarray) -> np.ndarray:
    """The next level of a halving pyramid: area resize to half of each side (at least 1 pixel)."""
    height, width = image.shape[:2]
    return area_resize(image, max(height // 2, 1), max(width // 2, 1))


def _bilinear_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output sample: the lower and upper source index and the weight of the upper one."""
    scale = in_size / out_size
    position = (np.arange(out_size, dtype=np.float32) + 0.5) * np.float32(scale) - 0.5
    floor = np.floor(position)
    lower = np.maximum(floor, 0).astype(np.int64)
    upper = np.minimum(np.ceil(position), in_size - 1).astype(np.int64)
    return lower, upper, (position - floor).astype(np.float32)


def bilinear_resize_planes(planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """``planes`` (C×H×W float32) → C×``height``×``width`` float32, plain bilinear with half-pixel centres."""
    return _resize_planes("bilinear", planes, height, width)


def antialiased_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (H×W×3 uint8) → float32 ``height``×``width`` with Pillow's (antialiased) bilinear filter.

    On the 8-bit pixels, so each of Pillow's two passes rounds to a whole level: within one level of 255 of
    the same filter in float (a float copy and a resize per channel), and 2–2.8× faster than it on photos of
    9–36 megapixels (BENCHMARKS.md, "The downscale itself").
    """
    from PIL import Image

    return np.asarray(Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8), mode="RGB")
                      .resize((int(width), int(height)), Image.Resampling.BILINEAR), dtype=np.float32)


def crop_and_resize(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Patches (N×size×size×C float32) of ``image`` (H×W×C) for ``boxes`` (N×4: y1 x1 y2 x2 as fractions of
    ``H - 1`` and ``W - 1``), sampled bilinearly; samples outside the image are 0."""
    height, width = image.shape[:2]
    count = len(boxes)
    if count == 0:
        return np.zeros((0, size, size, image.shape[2]), np.float32)
    boxes = boxes.astype(np.float32)
    steps = np.arange(size, dtype=np.float32)
    ys = boxes[:, 0:1] * (height - 1) + steps * ((boxes[:, 2:3] - boxes[:, 0:1]) * (height - 1) / (size - 1))
    xs = boxes[:, 1:2] * (width - 1) + steps * ((boxes[:, 3:4] - boxes[:, 1:2]) * (width - 1) / (size - 1))
    inside = ((ys >= 0) & (ys <= height - 1))[:, :, None] & ((xs >= 0) & (xs <= width - 1))[:, None, :]
    y0 = np.clip(np.floor(ys), 0, height - 1).astype(np.int64)
    x0 = np.clip(np.floor(xs), 0, width - 1).astype(np.int64)
    y1 = np.clip(np.ceil(ys), 0, height - 1).astype(np.int64)
    x1 = np.clip(np.ceil(xs), 0, width - 1).astype(np.int64)
    wy = (ys - np.floor(ys))[:, :, None, None]
    wx = (xs - np.floor(xs))[:, None, :, None]
    rows0, rows1 = y0[:, :, None], y1[:, :, None]
    cols0, cols1 = x0[:, None, :], x1[:, None, :]
    top_left, top_right = image[rows0, cols0], image[rows0, cols1]
    bottom_left, bottom_right = image[rows1, cols0], image[rows1, cols1]
    top = top_left + (top_right - top_left) * wx
    bottom = bottom_left + (bottom_right - bottom_left) * wx
    patches = top + (bottom - top) * wy
    return np.where(inside[:, :, :, None], patches, 0.0).astype(np.float32)
