"""Region geometry: the stored image's frame ⇄ the photo as displayed, for all eight EXIF orientations.

Per the MWG guidelines a region applies to the image *as stored*; faceapp's
boxes (:class:`~faceapp.core.types.Box`) are in the photo *as displayed*, after
the EXIF orientation is applied (:func:`faceapp.core.images.load_image`).  The
orientation moves a region exactly as it moves the pixels:

====  ==========================  ==========================
 o     stored → displayed (x, y)   Pillow's transpose
====  ==========================  ==========================
 1     (x, y)                      —
 2     (1 − x, y)                  FLIP_LEFT_RIGHT
 3     (1 − x, 1 − y)              ROTATE_180
 4     (x, 1 − y)                  FLIP_TOP_BOTTOM
 5     (y, x)                      TRANSPOSE
 6     (1 − y, x)                  ROTATE_270 (90° clockwise)
 7     (1 − y, 1 − x)              TRANSVERSE
 8     (y, 1 − x)                  ROTATE_90 (90° anticlockwise)
====  ==========================  ==========================

Coordinates are normalised (0–1), so only 5–8 swap width and height.
"""

from __future__ import annotations

from faceapp.core.tags.xmp import Region
from faceapp.core.types import Box

__all__ = ["to_displayed", "to_stored", "region_to_box", "box_to_region", "swaps_sides", "INVERSE"]

#: The orientation that undoes each one (6 and 8 undo each other; the rest undo themselves).
INVERSE = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}


def _point(orientation: int, x: float, y: float) -> tuple[float, float]:
    return {
        1: (x, y), 2: (1 - x, y), 3: (1 - x, 1 - y), 4: (x, 1 - y),
        5: (y, x), 6: (1 - y, x), 7: (1 - y, 1 - x), 8: (y, 1 - x),
    }[orientation]


def swaps_sides(orientation: int) -> bool:
    """True when ``orientation`` turns the image a quarter (width and height swap)."""
    return orientation in (5, 6, 7, 8)


def _check(orientation: int) -> int:
    if orientation not in INVERSE:
        raise ValueError(f"an EXIF orientation is 1 to 8, not {orientation!r}")
    return orientation


def _move(region: Region, orientation: int) -> Region:
    ax, ay = _point(orientation, region.left, region.top)
    bx, by = _point(orientation, region.left + region.width, region.top + region.height)
    left, top = min(ax, bx), min(ay, by)
    return Region(region.name, left, top, abs(bx - ax), abs(by - ay), region.kind, region.form)


def to_displayed(region: Region, orientation: int) -> Region:
    """``region`` of the stored image, moved to the photo as displayed with EXIF ``orientation``."""
    return _move(region, _check(orientation))


def to_stored(region: Region, orientation: int) -> Region:
    """``region`` of the displayed photo, moved back to the stored image (the inverse of :func:`to_displayed`)."""
    return _move(region, INVERSE[_check(orientation)])


def region_to_box(region: Region, width: int, height: int) -> Box:
    """A displayed-frame region as a pixel Box of a ``width``×``height`` displayed photo (at least 1×1 pixel)."""
    x0, y0 = round(region.left * width), round(region.top * height)
    x1, y1 = round((region.left + region.width) * width), round((region.top + region.height) * height)
    x0, y0 = min(max(0, x0), width - 1), min(max(0, y0), height - 1)
    return Box(x0, y0, max(1, min(width, x1) - x0), max(1, min(height, y1) - y0))


def box_to_region(box: Box, width: int, height: int, name: str) -> Region:
    """A pixel Box of a ``width``×``height`` displayed photo as a normalised displayed-frame face region."""
    return Region(name, box.x / width, box.y / height, box.width / width, box.height / height, "Face", "mwg")
