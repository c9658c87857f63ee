"""Requests sent from the GUI thread to the engine worker, and the records they return.

Each request is an immutable snapshot built on the GUI thread and tagged with an
id (:func:`~faceapp.gui.engine.requests.next_id`); which request of a channel is
the newest is :mod:`faceapp.gui.engine.requests`'s business.  The window imports
these classes where it makes a job, not at start-up: creating their frozen
dataclasses was a large part of the window's import time (BENCHMARKS.md, "What
the window does before its first paint").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from faceapp.core.kinds import Kind
from faceapp.gui.engine.requests import PaneStep, next_id, pane_channel

if TYPE_CHECKING:  # numpy loads with the first photo, not with the window
    import numpy as np

__all__ = [
    "Job", "LoadModelJob", "AnalyzeJob", "DownloadJob", "ImportJob", "ModelInfo",
    "SpaceRef", "OpenLibraryJob", "OverviewJob", "ScanJob", "FacesJob", "FacesPage", "EditJob", "GroupJob",
    "WhoJob", "PaneWho", "EnrolJob", "CalibrateJob", "TagsJob", "PrunePlanJob", "PruneJob", "EraseJob",
]

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
        return pane_channel(PaneStep.ANALYZE, self.pane)


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
class SpaceRef:
    """Which descriptors a library job works with: the window's model, crop recipe and model folder."""

    model: str
    crop: str
    models_dir: str | None


@dataclass(frozen=True, eq=False)
class OpenLibraryJob(Job):
    """Open (``create``: or make) the library at ``path`` (None: the default place); returns an Overview."""

    path: str | None
    create: bool
    space: SpaceRef

    @property
    def channel(self) -> str:
        return "library"


@dataclass(frozen=True, eq=False)
class OverviewJob(Job):
    space: SpaceRef

    @property
    def channel(self) -> str:
        return "overview"


@dataclass(frozen=True, eq=False)
class ScanJob(Job):
    """One slice of a folder scan (``folders`` given: a new scan; empty: go on); reports ScanProgress,
    returns the summary when done or None while there is more."""

    folders: tuple[str, ...]
    space: SpaceRef
    cancellable = True


class FacesKind(Kind):
    PERSON = "person"
    GROUP = "group"


class EditAction(Kind):
    CONFIRM = "confirm"
    REJECT = "reject"
    FORGET = "forget"
    SPLIT = "split"
    RENAME = "rename"
    REMOVE = "remove"
    MERGE = "merge"
    APART = "apart"


@dataclass(frozen=True, eq=False)
class FacesJob(Job):
    """The faces of a person (``kind`` "person", ``key`` its id) or an unnamed group (``kind`` "group")."""

    kind: FacesKind
    key: int
    space: SpaceRef
    threshold: float
    margin: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FacesKind(self.kind))  # a misspelt kind fails here, not in the worker

    @property
    def channel(self) -> str:
        return "faces"


@dataclass(frozen=True)
class FacesPage:
    """What the face grid shows for one person or group."""

    kind: str
    key: int
    title: str
    confirmed: tuple  # FaceItem, best first (a group's faces, for a group)
    suggested: tuple  # FaceItem, nearest first (empty for a group)


@dataclass(frozen=True, eq=False)
class EditJob(Job):
    """A change the user makes: ``action`` is one of confirm, reject, forget, split, rename, remove, merge,
    apart (faces leave an unnamed group ``group_id``).  Returns the new Overview."""

    action: EditAction
    space: SpaceRef
    face_ids: tuple[int, ...] = ()
    name: str = ""
    other: str = ""
    group_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", EditAction(self.action))  # a misspelt action fails here


@dataclass(frozen=True, eq=False)
class GroupJob(Job):
    space: SpaceRef
    min_faces: int
    max_distance: float
    full: bool = False


@dataclass(frozen=True, eq=False)
class WhoJob(Job):
    """Which of your people the faces of a compared photo are (descriptors from its analysis)."""

    pane: str
    descriptors: tuple
    space: SpaceRef
    threshold: float
    margin: float

    @property
    def channel(self) -> str:
        return pane_channel(PaneStep.WHO, self.pane)


@dataclass(frozen=True)
class PaneWho:
    """One line per face: the status, the label on its box ("Anna", "?") and the text ("Anna · 0.31")."""

    pane: str
    lines: tuple[tuple[str, str, str], ...]  # (status, label, text)


@dataclass(frozen=True, eq=False)
class EnrolJob(Job):
    """Confirm face ``number`` of a compared photo as ``name`` (a file, or pasted image data to keep)."""

    name: str
    number: int
    space: SpaceRef
    path: str | None = None
    image: object = None  # RGB array of a pasted or downloaded photo


@dataclass(frozen=True, eq=False)
class CalibrateJob(Job):
    """Evaluate the model on a labelled folder (one sub-folder per person) or a pairs file; reports
    (done, total) photos described, returns a Calibration."""

    space: SpaceRef
    folder: str | None = None
    pairs: str | None = None
    cancellable = True

    @property
    def channel(self) -> str:
        return "calibrate"


@dataclass(frozen=True, eq=False)
class TagsJob(Job):
    """Names from photos' face tags (``action`` "import": of ``paths``, scanning new photos first) or into
    them ("export": sidecars, of ``paths`` or every named photo when empty); reports (done, total) photos,
    returns the ImportSummary or ExportSummary."""

    action: str
    space: SpaceRef
    paths: tuple[str, ...] = ()
    cancellable = True

    @property
    def channel(self) -> str:
        return "tags"


@dataclass(frozen=True, eq=False)
class PrunePlanJob(Job):
    """What "Forget missing photos" would forget (core ``housekeeping.prune_plan``); returns a PrunePlan."""

    include_named: bool = False


@dataclass(frozen=True, eq=False)
class PruneJob(Job):
    """Forget the missing photos ``photo_ids`` the user was shown and agreed to (those still missing);
    ``include_named``: the user ticked that photos with a named face go too.  Returns (count, Overview)."""

    space: SpaceRef
    photo_ids: tuple[int, ...]
    include_named: bool = False


@dataclass(frozen=True, eq=False)
class EraseJob(Job):
    """Remove the person ``name`` and forget their faces (core ``housekeeping.erase_person``);
    returns (Erasure, Overview)."""

    space: SpaceRef
    name: str


@dataclass(frozen=True)
class ModelInfo:
    """What a finished :class:`LoadModelJob` reports: the model now serving requests."""

    model: str
    crop: str
    title: str
    has_identities: bool
    weights: str
    runtime: str  # ONNX Runtime's version
