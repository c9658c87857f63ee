"""Region geometry against Pillow's own pixel turning, for all eight EXIF orientations."""

from __future__ import annotations

import pytest
from PIL import Image

from faceapp.core.tags.regions import INVERSE, box_to_region, region_to_box, swaps_sides, to_displayed, to_stored
from faceapp.core.tags.xmp import Region
from tests.tagphotos import show_transpose

STORED = (120, 80)
BOX = (10, 20, 30, 15)  # x, y, w, h in the stored image


def _displayed_bbox(orientation: int) -> tuple[int, int, int, int]:
    """Where Pillow puts the stored box's pixels once the orientation is applied."""
    mask = Image.new("L", STORED, 0)
    x, y, w, h = BOX
    mask.paste(255, (x, y, x + w, y + h))
    shown = mask.transpose(show_transpose(orientation)) if orientation != 1 else mask
    left, top, right, bottom = shown.getbbox()
    return shown.size, (left, top, right - left, bottom - top)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_regions_move_exactly_as_the_pixels(orientation):
    (width, height), expected = _displayed_bbox(orientation)
    assert (width, height) == (STORED[::-1] if swaps_sides(orientation) else STORED)
    x, y, w, h = BOX
    region = Region("A", x / STORED[0], y / STORED[1], w / STORED[0], h / STORED[1])
    shown = to_displayed(region, orientation)
    assert region_to_box(shown, width, height).as_list() == list(expected)
    back = to_stored(box_to_region(region_to_box(shown, width, height), width, height, "A"), orientation)
    assert (back.left, back.top, back.width, back.height) == pytest.approx(
        (region.left, region.top, region.width, region.height))
    assert INVERSE[INVERSE[orientation]] == orientation


def test_an_orientation_outside_1_to_8_is_a_value_error():
    with pytest.raises(ValueError, match="1 to 8"):
        to_displayed(Region("A", 0, 0, 0.1, 0.1), 9)
