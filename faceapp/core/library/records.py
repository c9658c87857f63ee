"""The records the library hands out (frozen, engine-independent) and the row → record conversions."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from faceapp.core.types import Box, Face, Landmarks

__all__ = ["PhotoRecord", "FaceRecord", "Person", "NewFace", "photo_from_row", "face_from_row"]


@dataclass(frozen=True)
class PhotoRecord:
    id: int
    path: str
    size: int
    mtime_ns: int
    hash: str | None
    width: int | None
    height: int | None
    status: str  # 'faces', 'no_face' or 'error'
    error: str | None
    pipeline: int
    missing: bool

    def same_file(self, info: os.stat_result) -> bool:
        """Whether the file is as the library last saw it (same size and modification time).

        The one test of "unchanged" every part of faceapp uses: a file that passes is not
        opened again (a scan skips it; who/find/calibrate use its stored faces).
        """
        return (self.size, self.mtime_ns) == (info.st_size, info.st_mtime_ns)


@dataclass(frozen=True)
class FaceRecord:
    """A face as stored: its photo, its number there (from 1, left to right), the detection and a quality score."""

    id: int
    photo_id: int
    number: int
    face: Face
    quality: float


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    confirmed: int  # faces confirmed as this person
    rejected: int  # faces the user said are not this person
    photos: int  # photos with a confirmed face


@dataclass(frozen=True)
class NewFace:
    """A face to store with a photo: the detection, its quality, and its descriptor in the scan's space."""

    face: Face
    quality: float
    descriptor: np.ndarray


def photo_from_row(row: Mapping[str, Any] | None) -> PhotoRecord | None:
    """A :class:`PhotoRecord` from a ``photos`` row (None stays None)."""
    if row is None:
        return None
    return PhotoRecord(int(row["id"]), row["path"], int(row["size"]), int(row["mtime_ns"]), row["hash"], row["width"],
                       row["height"], row["status"], row["error"], int(row["pipeline"]), bool(row["missing"]))


def face_from_row(row: Mapping[str, Any]) -> FaceRecord:
    """A :class:`FaceRecord` from a ``faces`` row."""
    marks = json.loads(row["landmarks"]) if row["landmarks"] else None
    landmarks = Landmarks(**{k: tuple(v) for k, v in marks.items()}) if marks else None
    face = Face(Box(row["x"], row["y"], row["width"], row["height"]), float(row["confidence"]), landmarks,
                row["rotation"])
    return FaceRecord(int(row["id"]), int(row["photo_id"]), int(row["number"]), face, float(row["quality"]))
