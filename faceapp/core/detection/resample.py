"""The resampling MTCNN needs, in NumPy (and Pillow), defined as TensorFlow's image ops define it.

The ``mtcnn`` package — faceapp's reference — builds its P-Net pyramid with
``tf.image.resize(method="area")`` and cuts R-/O-Net patches with
``tf.image.crop_and_resize`` (bilinear, corners aligned to pixel centres).
faceapp runs without TensorFlow, so these are the same definitions restated:
the tests compare each against TensorFlow (to about 1e-5 on values in [-1, 1]).

* :func:`area_resize` — each output pixel is the mean of the input rectangle it
  covers, partial pixels weighted by the covered fraction.  Computed from
  running sums (one cumulative sum per axis, then differences interpolated at
  the rectangle edges), in float64 so that the differences lose nothing.
* :func:`bilinear_resize` — plain bilinear with half-pixel centres (TF 2's
  default): two taps per axis, no low-pass filter.
* :func:`antialiased_resize` — bilinear whose triangle widens with the
  reduction, over every source pixel; this is Pillow's ``BILINEAR`` resize
  (TF's ``antialias=True`` is the same kernel), run per channel in float.
* :func:`crop_and_resize` — bilinear samples on a ``size``×``size`` grid whose
  corners are the box corners; samples outside the image are 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["area_resize", "bilinear_resize", "antialiased_resize", "crop_and_resize", "halve"]


def _area_axis(values: np.ndarray, out_size: int, axis: int) -> np.ndarray:
    """Area resampling of ``values`` (float64) along ``axis`` to ``out_size`` samples."""
    in_size = values.shape[axis]
    if in_size == out_size:
        return values
    scale = in_size / out_size
    # running[k] = sum of the first k input samples: running[b] - running[a] is the sum over [a, b).
    running = np.concatenate([np.zeros_like(np.take(values, [0], axis=axis)), np.cumsum(values, axis=axis)], axis=axis)
    edges = np.minimum(np.arange(out_size + 1, dtype=np.float64) * scale, in_size)
    whole = np.minimum(np.floor(edges).astype(np.int64), in_size - 1)
    part = (edges - whole)
    shape = [1] * values.ndim
    shape[axis] = out_size + 1
    # The running sum at a fractional edge: whole pixels, plus the covered fraction of the next one.
    at_edges = np.take(running, whole, axis=axis) + part.reshape(shape) * np.take(values, whole, axis=axis)
    lower = [slice(None)] * values.ndim
    upper = [slice(None)] * values.ndim
    lower[axis], upper[axis] = slice(0, out_size), slice(1, out_size + 1)
    return (at_edges[tuple(upper)] - at_edges[tuple(lower)]) / scale


def area_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (H×W×C float) → ``height``×``width`` by area averaging (``tf.image.resize(method="area")``)."""
    values = image.astype(np.float64, copy=False)
    values = _area_axis(values, int(height), 0)
    values = _area_axis(values, int(width), 1)
    return values.astype(np.float32)


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


def bilinear_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (H×W×C) → float32 ``height``×``width``, plain bilinear with half-pixel centres."""
    values = image.astype(np.float32, copy=False)
    low, high, weight = _bilinear_taps(values.shape[0], int(height))
    top, bottom = values[low], values[high]
    values = top + (bottom - top) * weight[:, None, None]
    low, high, weight = _bilinear_taps(values.shape[1], int(width))
    left, right = values[:, low], values[:, high]
    return left + (right - left) * weight[None, :, None]


def antialiased_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (H×W×3 uint8) → float32 ``height``×``width`` with Pillow's (antialiased) bilinear filter,
    computed in float per channel so that no rounding to 8 bits happens between the two passes."""
    from PIL import Image

    channels = [Image.fromarray(np.ascontiguousarray(image[:, :, c], dtype=np.float32), mode="F")
                .resize((int(width), int(height)), Image.Resampling.BILINEAR) for c in range(image.shape[2])]
    return np.stack([np.asarray(channel, dtype=np.float32) for channel in channels], axis=2)


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
