"""Plain frozen dataclasses that cross the core boundary.

Box convention (the only one in faceapp): ``Box(x, y, width, height)`` in whole
pixels of the photo *as displayed* (after EXIF rotation), ``(x, y)`` the
top-left corner, x to the right, y down.  Landmarks use the same pixel space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing the types stays cheap
    import numpy as np

__all__ = ["Box", "Landmarks", "Face", "Identity", "FaceResult", "AnalysisResult", "Verdict", "DescriptorSpace", "choose_face"]


@dataclass(frozen=True)
class Box:
    """A face box: top-left corner and size, in pixels of the displayed photo."""

    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.width / 2.0, self.y + self.height / 2.0)

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.width, self.height]

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.width and self.y <= py < self.y + self.height

    def iou(self, other: Box) -> float:
        """Intersection over union with ``other``: 0 (apart) to 1 (the same box)."""
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1, y1 = min(self.x + self.width, other.x + other.width), min(self.y + self.height, other.y + other.height)
        inter = max(0, x1 - x0) * max(0, y1 - y0)
        return inter / float(self.area + other.area - inter) if inter else 0.0


@dataclass(frozen=True)
class Landmarks:
    """Five facial points, named from the *subject's* side.

    mtcnn 1.0 names its eyes from the viewer's side; the detector swaps them
    so that ``left_eye`` is the subject's left eye (on the right of the photo).
    """

    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    nose: tuple[float, float]
    mouth_left: tuple[float, float]
    mouth_right: tuple[float, float]

    def as_dict(self) -> dict[str, list[float]]:
        return {
            name: [round(float(v), 1) for v in getattr(self, name)]
            for name in ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
        }


@dataclass(frozen=True)
class Face:
    """A detected face: where it is and how sure the detector is.

    ``rotation``: 0, 90, 180 or 270 — how far (degrees clockwise) the photo had
    to be turned for the face to stand upright (a scan or a phone photo whose
    orientation was lost).  ``box`` and ``landmarks`` are always in the photo as
    displayed; crops for the model are cut from the turned photo.
    """

    box: Box
    confidence: float
    landmarks: Landmarks | None = None
    rotation: int = 0


@dataclass(frozen=True)
class Identity:
    """One candidate identity for a face."""

    name: str
    probability: float


@dataclass(frozen=True, eq=False)
class FaceResult:
    """A face with its L2-normalised descriptor and its most likely identities.

    ``identities`` is empty when the model has no classifier (``_notop_`` files).
    """

    face: Face
    descriptor: np.ndarray
    identities: tuple[Identity, ...] = ()


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """Everything faceapp knows about one photo."""

    image_size: tuple[int, int]  # (width, height)
    faces: tuple[FaceResult, ...]
    model: str
    crop: str
    has_identities: bool
    timings_ms: dict[str, float] = field(default_factory=dict)

    def largest_face_index(self) -> int | None:
        """Index of the face with the largest box, or None when there is no face."""
        if not self.faces:
            return None
        return max(range(len(self.faces)), key=lambda i: self.faces[i].face.box.area)


@dataclass(frozen=True)
class Verdict:
    """A same-person decision for two descriptors."""

    distance: float
    threshold: float

    @property
    def match(self) -> bool:
        return self.distance <= self.threshold

    @property
    def similarity(self) -> float:
        return 1.0 - self.distance


@dataclass(frozen=True)
class DescriptorSpace:
    """Which descriptors can be compared with which: same model, same weights, same crop, same pipeline.

    ``weights``: the fingerprint of the model's weights (two files for one model
    give different descriptors).  ``pipeline``: faceapp's ``PIPELINE_VERSION``
    (decoding, detection, cropping, preprocessing).  ``dim``: descriptor length.
    A library stores every descriptor under its space and never compares across spaces.
    """

    model: str
    weights: str
    crop: str
    pipeline: int
    dim: int

    @property
    def key(self) -> str:
        """A short readable name: ``resnet50@1a2b3c4d/vggface2/p1``."""
        return f"{self.model}@{self.weights[:8]}/{self.crop}/p{self.pipeline}"


def choose_face(boxes: Sequence[Box], number: int | None, label: str, option: str = "--face") -> int:
    """The face a command works on: ``number`` (from 1) when given, else the largest.

    ``label`` names the photo and ``option`` the setting that chose the number, in the
    sentence a user sees when there is no face or the number is out of range.
    """
    from faceapp.core.errors import ImageLoadError
    from faceapp.core.wording import no_face_found, plural

    if not boxes:
        raise ImageLoadError(no_face_found(label))
    if number is None:
        return max(range(len(boxes)), key=lambda i: boxes[i].area)
    if not 1 <= number <= len(boxes):
        raise ImageLoadError(f"{option} {number} is out of range: {label} has {plural(len(boxes), 'face')}; "
                             f"give a number from 1 to {len(boxes)}.")
    return number - 1
