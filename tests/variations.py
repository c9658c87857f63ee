"""Generated detection cases with known face boxes, made from the shared photos.

The ten shared photos are too few to choose a detector constant on; these
variations (scale from 20-pixel faces to the whole frame, tight portraits with
camera grain, blur, light, JPEG, grayscale, tilt, quarter turns, group shots,
and photos with no face at all) are what the recall tests check and what
``benchmarks/detect_policy.py`` measures.  Ground truth: the reference ``mtcnn``
package's boxes at full resolution (``tests/data/faces/boxes.json``), moved with
each transformation.  Deterministic: everything random is seeded.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from faceapp.core.types import Box
from tests.testdata import FACES, KNOWN_FACES

__all__ = ["Case", "ground_truth", "photo", "all_cases", "scaled", "portrait", "group_shot", "no_face_cases",
           "lone_small"]


@dataclass(frozen=True, eq=False)
class Case:
    """One image, the faces it shows (boxes in its pixels), and how it was made."""

    name: str
    kind: str
    image: np.ndarray
    faces: tuple[Box, ...]
    params: dict = field(default_factory=dict)


@lru_cache(maxsize=None)
def ground_truth() -> dict[str, tuple[Box, ...]]:
    raw = json.loads((FACES / "boxes.json").read_text())
    return {name: tuple(Box(*box) for box in boxes) for name, boxes in raw.items()}


@lru_cache(maxsize=None)
def photo(name: str) -> np.ndarray:
    from faceapp.core.images import load_image

    return load_image(FACES / name)


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(image))


def _scale_box(box: Box, fx: float, fy: float, dx: float = 0.0, dy: float = 0.0) -> Box:
    return Box(int(round((box.x - dx) * fx)), int(round((box.y - dy) * fy)),
               int(round(box.width * fx)), int(round(box.height * fy)))


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    _pil(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def scaled(name: str, face_width: float) -> Case:
    """The whole photo resized so that its widest face is ``face_width`` pixels wide."""
    image, boxes = photo(name), ground_truth()[name]
    factor = face_width / max(box.width for box in boxes)
    height, width = image.shape[:2]
    size = (max(24, int(round(width * factor))), max(24, int(round(height * factor))))
    resized = np.asarray(_pil(image).resize(size, Image.Resampling.LANCZOS))
    fx, fy = size[0] / width, size[1] / height
    return Case(f"{name}@face{face_width:g}", "scale", resized, tuple(_scale_box(b, fx, fy) for b in boxes),
                {"face_width": face_width})


def portrait(name: str, fraction: float, width: int = 2400, grain: float = 6.0, seed: int = 0) -> Case:
    """A studio-style portrait: a tight crop where the face is ``fraction`` of the width, scaled up to
    ``width`` pixels, sharpened, with sensor-like grain, saved as JPEG (what a camera's portrait looks like)."""
    image, box = photo(name), ground_truth()[name][0]
    crop_w = box.width / fraction
    crop_h = crop_w * 1.25
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    x0 = int(max(0, min(image.shape[1] - crop_w, cx - crop_w / 2)))
    y0 = int(max(0, min(image.shape[0] - crop_h, cy - crop_h * 0.45)))
    crop = image[y0:int(y0 + crop_h), x0:int(x0 + crop_w)]
    factor = width / crop.shape[1]
    big = _pil(crop).resize((width, int(round(crop.shape[0] * factor))), Image.Resampling.BICUBIC)
    big = big.filter(ImageFilter.UnsharpMask(radius=2, percent=150, threshold=0))
    rng = np.random.default_rng(seed)
    noisy = np.asarray(big, np.float32) + rng.normal(0.0, grain, (big.size[1], big.size[0], 1)).astype(np.float32)
    result = _jpeg(np.clip(noisy, 0, 255).astype(np.uint8), 88)
    return Case(f"{name}@portrait{fraction:g}", "portrait", result, (_scale_box(box, factor, factor, x0, y0),),
                {"fraction": fraction})


def _adjusted(base: Case, kind: str, label: str, image: np.ndarray, **params: object) -> Case:
    return Case(f"{base.name}+{label}", kind, image, base.faces, {**base.params, **params})


def degraded(base: Case, seed: int = 0) -> list[Case]:
    """Blur, light, noise, JPEG and grayscale versions of ``base`` (same boxes)."""
    rng = np.random.default_rng(seed)
    pil = _pil(base.image)
    cases = [
        _adjusted(base, "blur", "blur1.5", np.asarray(pil.filter(ImageFilter.GaussianBlur(1.5))), blur=1.5),
        _adjusted(base, "blur", "blur3", np.asarray(pil.filter(ImageFilter.GaussianBlur(3))), blur=3),
        _adjusted(base, "light", "dark", np.asarray(ImageEnhance.Brightness(pil).enhance(0.35)), light=0.35),
        _adjusted(base, "light", "bright", np.asarray(ImageEnhance.Brightness(pil).enhance(1.6)), light=1.6),
        _adjusted(base, "jpeg", "jpeg25", _jpeg(base.image, 25), jpeg=25),
        _adjusted(base, "gray", "gray", np.asarray(pil.convert("L").convert("RGB"))),
    ]
    low = base.image.astype(np.float32) * 0.2 + rng.normal(0, 4.0, base.image.shape)
    cases.append(_adjusted(base, "light", "lowlight", np.clip(low, 0, 255).astype(np.uint8), light=0.2))
    return cases


def tilted(base: Case, degrees: float) -> Case:
    """``base`` rotated by a small angle (canvas grown); boxes become the bounds of the turned corners."""
    pil = _pil(base.image)
    turned = pil.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(128, 128, 128))
    angle = np.deg2rad(degrees)
    cx, cy = pil.width / 2, pil.height / 2
    ncx, ncy = turned.width / 2, turned.height / 2
    boxes = []
    for box in base.faces:
        xs = np.array([box.x, box.x + box.width, box.x, box.x + box.width]) - cx
        ys = np.array([box.y, box.y, box.y + box.height, box.y + box.height]) - cy
        # PIL turns counter-clockwise for positive angles, with y pointing down.
        rx = xs * np.cos(angle) + ys * np.sin(angle) + ncx
        ry = -xs * np.sin(angle) + ys * np.cos(angle) + ncy
        boxes.append(Box(int(rx.min()), int(ry.min()), int(rx.max() - rx.min()), int(ry.max() - ry.min())))
    return Case(f"{base.name}+tilt{degrees:g}", "tilt", np.asarray(turned), tuple(boxes), {**base.params, "tilt": degrees})


def quarter_turned(base: Case, quarter: int) -> Case:
    """``base`` turned ``quarter`` quarter turns clockwise; the boxes stay those of the photo *as displayed*."""
    from faceapp.core.detection.turns import box_from_turned, box_to_turned, turn

    height, width = base.image.shape[:2]
    image = np.ascontiguousarray(turn(base.image, quarter))
    boxes = tuple(box_to_turned(box, quarter, width, height) for box in base.faces)
    assert all(box_from_turned(b, quarter, width, height) == a for a, b in zip(base.faces, boxes))
    return Case(f"{base.name}+turn{90 * quarter}", "turn", image, boxes, {**base.params, "turn": 90 * quarter})


def lone_small(image: np.ndarray, quarter: int = 0, side: int = 150, canvas: int = 1000) -> np.ndarray:
    """A portrait (any RGB photo) shrunk to ``side``×``side`` on a ``canvas``-pixel grey square with seeded grain,
    turned ``quarter`` quarter turns clockwise: a photo whose only face is small (the detector's lone small face)."""
    shrunk = np.asarray(_pil(image).resize((side, side), Image.LANCZOS))
    out = np.clip(np.random.default_rng(0).normal(120, 12, (canvas, canvas, 3)), 0, 255).astype(np.uint8)
    top, left = int(0.4 * canvas), int(0.3 * canvas)
    out[top:top + side, left:left + side] = shrunk
    return np.ascontiguousarray(np.rot90(out, k=-quarter))


def group_shot(face_widths: list[int], seed: int = 0, size: tuple[int, int] = (1600, 1000)) -> Case:
    """Several faces (head-and-shoulders crops from the shared photos) pasted on a background from them."""
    rng = np.random.default_rng(seed)
    background = _pil(photo("obama3.jpg")[1400:2300, 0:1434]).resize(size, Image.Resampling.BILINEAR)
    canvas = background.copy()
    sources = [(name, box) for name, boxes in ground_truth().items() if "partial" not in name for box in boxes]
    boxes: list[Box] = []
    x = 20
    for index, target in enumerate(face_widths):
        name, box = sources[int(rng.integers(len(sources)))]
        image = photo(name)
        margin_x, margin_top, margin_bottom = box.width * 0.6, box.height * 0.5, box.height * 0.9
        x0, y0 = int(max(0, box.x - margin_x)), int(max(0, box.y - margin_top))
        x1 = int(min(image.shape[1], box.x + box.width + margin_x))
        y1 = int(min(image.shape[0], box.y + box.height + margin_bottom))
        factor = target / box.width
        tile = _pil(image[y0:y1, x0:x1]).resize((max(1, int((x1 - x0) * factor)), max(1, int((y1 - y0) * factor))),
                                                Image.Resampling.LANCZOS)
        if x + tile.width > size[0]:
            break
        y = int(rng.integers(10, max(11, size[1] - tile.height - 10)))
        canvas.paste(tile, (x, y))
        boxes.append(_scale_box(box, factor, factor, x0 - x / factor, y0 - y / factor))
        x += tile.width + int(rng.integers(5, 40))
    return Case(f"group{len(boxes)}-{seed}", "group", np.asarray(canvas), tuple(boxes), {"face_widths": face_widths})


def no_face_cases() -> list[Case]:
    """Regions of the shared photos that show no face (suits, curtains, chandeliers, flags), at several sizes."""
    regions = [("obama3.jpg", (0, 700, 1434, 2333)), ("biden.jpg", (0, 700, 970, 2204)),
               ("two_people.jpg", (0, 300, 1126, 661)), ("obama.jpg", (0, 480, 910, 1137)),
               ("obama3.jpg", (0, 0, 600, 650)), ("obama-480p.jpg", (0, 0, 380, 480))]
    cases = []
    for index, (name, (x0, y0, x1, y1)) in enumerate(regions):
        region = photo(name)[y0:y1, x0:x1]
        for target in (400, 1024, 2400):
            factor = target / max(region.shape[:2])
            size = (max(24, int(region.shape[1] * factor)), max(24, int(region.shape[0] * factor)))
            image = np.asarray(_pil(region).resize(size, Image.Resampling.LANCZOS))
            cases.append(Case(f"noface{index}@{target}", "noface", image, ()))
    return cases


def all_cases() -> list[Case]:
    """The full measurement set (a few hundred images; benchmarks/detect_policy.py)."""
    cases: list[Case] = []
    photos = [name for name in KNOWN_FACES if name != "32bit.png"]  # 32bit.png is obama2.jpg again
    for name in photos:
        for width in (20, 28, 40, 60, 100, 160, 250, 400):
            cases.append(scaled(name, width))
        for fraction in (0.25, 0.35, 0.45, 0.6, 0.8):
            cases.append(portrait(name, fraction, seed=len(cases)))
        base = scaled(name, 120)
        cases += degraded(base, seed=len(cases))
        cases += [tilted(base, angle) for angle in (-15, -8, 8, 15)]
        cases += degraded(portrait(name, 0.4, seed=len(cases)), seed=len(cases))
    for seed in range(6):
        widths = [int(w) for w in np.random.default_rng(100 + seed).integers(24, 130, 12)]
        cases.append(group_shot(widths, seed=seed))
    for seed in range(3):  # a crowd on a large photo: small faces where downscaling hurts most
        widths = [int(w) for w in np.random.default_rng(200 + seed).integers(40, 72, 30)]
        cases.append(group_shot(widths, seed=10 + seed, size=(3200, 2000)))
    cases += no_face_cases()
    return cases
