"""Quarter turns of a photo, and mapping points between the turned and the displayed photo.

One convention: ``quarter`` counts clockwise quarter turns (0–3); coordinates are
continuous pixel-edge coordinates (a W×H photo spans 0…W × 0…H).
"""

from __future__ import annotations

import numpy as np

from faceapp.core.types import Box

__all__ = ["turn", "points_from_turned", "points_to_turned", "box_from_turned", "box_to_turned", "QUARTERS"]

QUARTERS = (0, 1, 2, 3)


def turn(image: np.ndarray, quarter: int, axes: tuple[int, int] = (0, 1)) -> np.ndarray:
    """``image`` turned ``quarter`` quarter turns clockwise (a view; cheap).  ``axes``: its rows and columns
    ((1, 2) for channel planes)."""
    return np.rot90(image, k=-(quarter % 4), axes=axes)


def points_from_turned(xs: np.ndarray, ys: np.ndarray, quarter: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in the photo turned ``quarter`` times → the displayed photo (``width``×``height``)."""
    quarter %= 4
    if quarter == 1:
        return ys, height - xs
    if quarter == 2:
        return width - xs, height - ys
    if quarter == 3:
        return width - ys, xs
    return xs, ys


def points_to_turned(xs: np.ndarray, ys: np.ndarray, quarter: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in the displayed photo (``width``×``height``) → the photo turned ``quarter`` times."""
    quarter %= 4
    if quarter == 1:
        return height - ys, xs
    if quarter == 2:
        return width - xs, height - ys
    if quarter == 3:
        return ys, width - xs
    return xs, ys


def _box_through(box: Box, mapping, quarter: int, width: int, height: int) -> Box:  # noqa: ANN001 - a mapping above
    xs = np.array([box.x, box.x + box.width], np.float64)
    ys = np.array([box.y, box.y + box.height], np.float64)
    mx, my = mapping(xs, ys, quarter, width, height)
    x0, y0 = int(round(min(mx))), int(round(min(my)))
    return Box(x0, y0, int(round(max(mx))) - x0, int(round(max(my))) - y0)


def box_from_turned(box: Box, quarter: int, width: int, height: int) -> Box:
    """A box in the turned photo → the displayed photo (``width``×``height`` as displayed)."""
    return _box_through(box, points_from_turned, quarter, width, height)


def box_to_turned(box: Box, quarter: int, width: int, height: int) -> Box:
    """A box in the displayed photo (``width``×``height``) → the photo turned ``quarter`` times."""
    return _box_through(box, points_to_turned, quarter, width, height)
