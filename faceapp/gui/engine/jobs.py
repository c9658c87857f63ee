"""Requests sent from the GUI thread to the engine worker, and the records they return.

Each request is an immutable snapshot built on the GUI thread and tagged with an
id.  Requests that share a ``channel`` (the photo of pane A, the model to load…)
replace each other: only the newest of a channel may update the view.  One
:class:`LatestRequests` per window is the one place that knows which request is
the newest: the window makes it, and the engine client (with its worker) and the
photo loader all consult that same record.  A compared pane's channels are spelt
by :func:`pane_channel` only.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from faceapp.core.types import Kind

if TYPE_CHECKING:  # numpy loads with the first photo, not with the window
    import numpy as np

__all__ = [
    "Job", "LoadModelJob", "AnalyzeJob", "DownloadJob", "ImportJob", "ModelInfo", "LatestRequests", "Request",
    "PaneStep", "pane_channel", "next_id",
    "SpaceRef", "OpenLibraryJob", "OverviewJob", "ScanJob", "FacesJob", "FacesPage", "EditJob", "GroupJob",
    "WhoJob", "PaneWho", "EnrolJob", "CalibrateJob", "TagsJob", "PrunePlanJob", "PruneJob", "EraseJob",
]

_ids = itertools.count(1)


def next_id() -> int:
    """A new, increasing request id."""
    return next(_ids)


class PaneStep(Kind):
    """The steps of a compared pane's photo, each its own channel: a newer request of one step replaces the
    older one of that step only (a who-answer asked again must not drop the pane's analysis)."""

    PHOTO = "photo"  # reading the file, link or pasted data (gui.compare.loader)
    ANALYZE = "analyze"  # finding and describing its faces (AnalyzeJob)
    WHO = "who"  # which of your people they are (WhoJob)


def pane_channel(step: PaneStep | str, pane: str) -> str:
    """The channel of ``step`` for pane ``pane`` ("A" or "B"), e.g. ``analyze:A``: the one spelling."""
    return f"{PaneStep(step)}:{pane}"


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


class Request(Protocol):
    """What "latest request wins" needs of a request: an id from :func:`next_id` and a channel (None: every
    request counts).  Engine jobs and the photo loader's sources are requests."""

    @property
    def id(self) -> int: ...

    @property
    def channel(self) -> str | None: ...


class LatestRequests:
    """The newest request id of every channel, for a whole window; safe to use from any thread.

    Whoever sends a request calls :meth:`submitted`; whoever is about to start it or to show its result asks
    :meth:`is_current` (a worker before and after running it, a receiver on the GUI thread before painting).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}

    def submitted(self, request: Request) -> None:
        """``request`` is now the newest of its channel: every older one of that channel is stale."""
        if request.channel is not None:
            with self._lock:
                self._latest[request.channel] = request.id

    def supersede(self, channel: str) -> None:
        """Make every request of ``channel`` sent so far stale (what it was for changed; nothing new was sent yet)."""
        with self._lock:
            self._latest[channel] = next_id()

    def is_current(self, request: Request) -> bool:
        """True unless a newer request of the same channel was submitted (or the channel superseded)."""
        if request.channel is None:
            return True
        with self._lock:
            return self._latest.get(request.channel, request.id) == request.id
