"""Immutable requests sent from the GUI thread to the engine worker.

Each is built on the GUI thread and tagged with an id; only the newest id of
a pane may update the view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads with the first photo, not with the window
    import numpy as np

import itertools
from dataclasses import dataclass, field
from pathlib import Path


__all__ = ["LoadModelJob", "AnalyzeJob", "DownloadJob", "ImportJob", "next_id"]

_ids = itertools.count(1)


def next_id() -> int:
    """A new, increasing request id (GUI thread only)."""
    return next(_ids)


@dataclass(frozen=True)
class LoadModelJob:
    model: str
    crop: str
    models_dir: str | None
    id: int = field(default_factory=next_id)


@dataclass(frozen=True, eq=False)
class AnalyzeJob:
    pane: str  # "A" or "B"
    image: "np.ndarray"
    model: str
    crop: str
    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class DownloadJob:
    model: str
    models_dir: str | None
    base_url: str | None = None
    id: int = field(default_factory=next_id)


@dataclass(frozen=True)
class ImportJob:
    path: Path
    models_dir: str | None
    id: int = field(default_factory=next_id)
