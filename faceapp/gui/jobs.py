"""Requests sent from the GUI thread to the engine worker, and the records they return.

Each request is an immutable snapshot built on the GUI thread and tagged with an
id.  Requests that share a ``channel`` (the photo of pane A, the model to load…)
replace each other: only the newest of a channel may update the view.  The
:class:`LatestRequests` record of each worker is the one place that knows which
request is the newest.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads with the first photo, not with the window
    import numpy as np

__all__ = [
    "Job", "LoadModelJob", "AnalyzeJob", "DownloadJob", "ImportJob", "ModelInfo", "LatestRequests", "next_id",
]

_ids = itertools.count(1)


def next_id() -> int:
    """A new, increasing request id."""
    return next(_ids)


@dataclass(frozen=True, eq=False)
class Job:
    """Base of every request: an id, and the channel whose newest request wins (None: every one counts)."""

    id: int = field(default_factory=next_id, kw_only=True)

    @property
    def channel(self) -> str | None:
        return None

    #: Whether the worker gives this job a cancel token (downloads, scans).
    cancellable = False


@dataclass(frozen=True, eq=False)
class LoadModelJob(Job):
    model: str
    crop: str
    models_dir: str | None

    @property
    def channel(self) -> str:
        return "model"


@dataclass(frozen=True, eq=False)
class AnalyzeJob(Job):
    pane: str  # "A" or "B"
    image: np.ndarray
    model: str
    crop: str

    @property
    def channel(self) -> str:
        return f"analyze:{self.pane}"


@dataclass(frozen=True, eq=False)
class DownloadJob(Job):
    model: str
    models_dir: str | None
    base_url: str | None = None
    cancellable = True


@dataclass(frozen=True, eq=False)
class ImportJob(Job):
    path: Path
    models_dir: str | None


@dataclass(frozen=True)
class ModelInfo:
    """What a finished :class:`LoadModelJob` reports: the model now serving requests."""

    model: str
    crop: str
    title: str
    has_identities: bool
    weights: str
    tensorflow: str


class LatestRequests:
    """The newest request id of every channel; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}

    def mark(self, channel: str, request_id: int) -> None:
        """``request_id`` is now the newest of ``channel``."""
        with self._lock:
            self._latest[channel] = request_id

    def is_current(self, channel: str | None, request_id: int) -> bool:
        """True unless a newer request of the same channel was marked."""
        if channel is None:
            return True
        with self._lock:
            return self._latest.get(channel, request_id) == request_id
