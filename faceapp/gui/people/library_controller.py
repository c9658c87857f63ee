"""The window's side of the library: which library is open, what the People view shows, scans in progress.

Every library operation is a job on the engine worker (the worker owns the
library connection); this controller submits them and turns their results into
signals.  It holds no library logic: that is :mod:`faceapp.core.library`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Signal

from faceapp.core.defaults import DEFAULT_THRESHOLD, GROUP_MIN_FACES, MATCH_MARGIN
from faceapp.core.wording import plural
from faceapp.gui import settings as keys
from faceapp.gui.engine.engine_client import EngineClient
from faceapp.gui.messages import user_message
from faceapp.paths import default_library_exists

if TYPE_CHECKING:
    from faceapp.gui.engine.jobs import ScanJob, SpaceRef, TagsJob

__all__ = ["LibraryController"]


def _jobs() -> ModuleType:
    """The job classes, loaded with the first job, not before the window's first paint (creating their dataclasses
    was a large part of its import time; BENCHMARKS.md, "What the window does before its first paint")."""
    from faceapp.gui.engine import jobs

    return jobs


class LibraryController(QObject):
    """Signals: ``overviewChanged(Overview)``, ``pageChanged(FacesPage)``, ``problem(str)`` (the library cannot
    be used; empty when it can again), ``scanProgress(ScanProgress)``, ``scanFinished(summary or exception)``,
    ``paneWho(PaneWho)``, ``status(str)``, ``pruned(count)``, ``erased(Erasure)``, ``tagsProgress((done, total))``,
    ``tagsFinished(summary or exception)`` (an ImportSummary or ExportSummary of :mod:`faceapp.core.tags`)."""

    overviewChanged = Signal(object)
    pageChanged = Signal(object)
    problem = Signal(str)
    scanProgress = Signal(object)
    scanFinished = Signal(object)
    paneWho = Signal(object)
    status = Signal(str)
    tagsProgress = Signal(object)
    tagsFinished = Signal(object)
    pruned = Signal(int)  # how many missing photos were forgotten
    erased = Signal(object)  # a core Erasure: what "Remove and forget their faces" deleted

    def __init__(self, engine: EngineClient, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self.overview: Any = None
        self.page: Any = None
        self.selection: tuple[str, int] | None = None
        self.scanning = False
        self._scan_job: ScanJob | TagsJob | None = None  # the long job queued or running: Cancel scan stops it, and only it
        self._scan_cancelled = False
        self.threshold = DEFAULT_THRESHOLD
        self.margin = MATCH_MARGIN
        self.error = ""
        engine.modelReady.connect(lambda _info: self.refresh())

    # -- which library ------------------------------------------------------------
    @property
    def path(self) -> str | None:
        """The library file chosen in the settings (None: the default place)."""
        value = self.settings.value(keys.LIBRARY_PATH)
        return str(value) if value else None

    @property
    def is_open(self) -> bool:
        return self.overview is not None

    def space(self) -> SpaceRef:
        return _jobs().SpaceRef(self.engine.model, self.engine.crop, self.engine.models_dir)

    def open(self, path: str | None = None, create: bool = False, then: Any = None) -> None:
        """Open the library at ``path`` (None: the one in the settings, else the default); ``create`` makes it.

        A library that does not exist yet is not a problem unless it was chosen: the
        People view then invites a first scan.
        """
        chosen = path if path is not None else self.path
        if path is not None:
            self.settings.setValue(keys.LIBRARY_PATH, path)
        if chosen is None and not create and not default_library_exists():
            self.overviewChanged.emit(None)  # no library yet: the People view invites a first scan
            return

        def opened(overview: Any) -> None:
            self._set_overview(overview)
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            self.overview = None
            self._set_problem(user_message(exc, "opening the library"))
            self.overviewChanged.emit(None)

        self.engine.submit(_jobs().OpenLibraryJob(chosen, create, self.space()), returned=opened, errored=failed)

    def _set_overview(self, overview: Any) -> None:
        self.overview = overview
        self._set_problem("")
        self.overviewChanged.emit(overview)
        if self.selection is not None:
            self.select(*self.selection)

    def _set_problem(self, message: str) -> None:
        self.error = message
        self.problem.emit(message)

    def _failed(self, what: str) -> Any:
        return lambda exc: self.status.emit(user_message(exc, what))

    def refresh(self) -> None:
        if self.is_open:
            self.engine.submit(_jobs().OverviewJob(self.space()), returned=self._set_overview, errored=self._failed("reading the library"))

    # -- the grid -------------------------------------------------------------------
    def select(self, kind: str, key: int) -> None:
        """Show the faces of a person (``kind`` "person") or an unnamed group ("group")."""
        self.selection = (kind, key)
        job = _jobs().FacesJob(kind, key, self.space(), self.threshold, self.margin)
        self.engine.submit(job, returned=self._page, errored=self._failed("reading the faces"))

    def _page(self, page: Any) -> None:
        self.page = page
        self.pageChanged.emit(page)

    def edit(self, action: str, face_ids: tuple[int, ...] = (), name: str = "", other: str = "",
             group_id: int | None = None) -> None:
        """Name, confirm, reject, split, rename, remove, merge or keep faces apart (see EditJob)."""
        job = _jobs().EditJob(action, self.space(), tuple(face_ids), name, other, group_id)
        self.engine.submit(job, returned=self._set_overview, errored=self._failed("changing the library"))

    def group(self, full: bool = False) -> None:
        """Group the unnamed faces (the grouping distance is the threshold in use)."""
        job = _jobs().GroupJob(self.space(), GROUP_MIN_FACES, self.threshold, full)
        self.engine.submit(job, returned=self._grouped, errored=self._failed("grouping faces"))

    def _grouped(self, overview: Any) -> None:
        self._set_overview(overview)
        groups = len(overview.groups)
        self.status.emit(f"{plural(groups, 'group')} of unnamed faces.")

    # -- scanning --------------------------------------------------------------------
    def scan(self, folders: list[str]) -> None:
        """Scan ``folders`` (opening or creating the library first when none is open)."""
        if self.scanning:
            self.status.emit("A scan is running; wait for it or cancel it first.")
            return
        if not folders:
            return
        self.settings.setValue(keys.LIBRARY_LAST_FOLDER, folders[-1])
        if not self.is_open:
            self.open(create=True, then=lambda: self.scan(folders))
            return
        self.scanning, self._scan_cancelled = True, False
        self._scan_slice(tuple(str(Path(f)) for f in folders))

    def rescan(self) -> None:
        if self.overview is not None:
            self.scan([f["path"] for f in self.overview.folders])

    def _scan_slice(self, folders: tuple[str, ...]) -> None:
        self._scan_job = _jobs().ScanJob(folders, self.space())
        self.engine.submit(self._scan_job, returned=self._scan_step, errored=self._scan_failed,
                           reported=self.scanProgress.emit)
        if self._scan_cancelled:  # the cancel came as the previous slice ended: this one ends the scan at once
            self.engine.cancel(self._scan_job)

    def _scan_step(self, summary: Any) -> None:
        if summary is None:  # more to do: the next slice goes behind whatever was queued meanwhile
            self._scan_slice(())
            return
        self.scanning = False
        # The status bar said "Looking through the folders…": say how it ended (the People tab has the details).
        self.status.emit(summary.headline())
        self.scanFinished.emit(summary)
        self.refresh()

    def _scan_failed(self, exc: BaseException) -> None:
        self.scanning = False
        self.status.emit(f"The scan stopped: {user_message(exc, 'scanning')}")
        self.scanFinished.emit(exc)
        self.refresh()

    def cancel_scan(self) -> None:
        """Stop the scan (while it walks the folders too); what was done is kept.  Nothing else is stopped."""
        if self.scanning:
            self._scan_cancelled = True
            self.engine.cancel(self._scan_job)

    # -- forgetting, on purpose (rules: faceapp.core.library.housekeeping) ---------------------
    def prune_plan(self, then: Any) -> None:
        """Ask the core what "Forget missing photos" would forget; ``then(PrunePlan)`` on the GUI thread."""
        self.engine.submit(_jobs().PrunePlanJob(), returned=then, errored=self._failed("listing missing photos"))

    def prune(self, photo_ids: tuple[int, ...], include_named: bool) -> None:
        """Forget the missing photos ``photo_ids`` the user agreed to (``pruned`` follows)."""
        def done(result: Any) -> None:
            count, overview = result
            self._set_overview(overview)
            self.status.emit(f"Forgot {plural(count, 'missing photo')}.")
            self.pruned.emit(count)

        self.engine.submit(_jobs().PruneJob(self.space(), tuple(photo_ids), include_named), returned=done,
                           errored=self._failed("forgetting missing photos"))

    def erase(self, name: str) -> None:
        """Remove ``name`` and forget their faces (``erased`` follows with what was deleted)."""
        def done(result: Any) -> None:
            erasure, overview = result
            if self.selection is not None and self.selection[0] == "person" and self.page is not None \
                    and self.page.title == name:
                self.selection = None
            self._set_overview(overview)
            self.erased.emit(erasure)

        self.engine.submit(_jobs().EraseJob(self.space(), name), returned=done, errored=self._failed(f"erasing {name}"))

    # -- photo tags ------------------------------------------------------------------------
    def tags(self, action: str, paths: list[str] | tuple[str, ...] = ()) -> None:
        """``action`` "import": names from the face tags of ``paths`` (new photos scanned first); "export":
        the library's names into sidecars (of ``paths``, or every named photo).  ``tagsFinished`` follows."""
        if self.scanning:
            self.status.emit("A scan is running; wait for it or cancel it first.")
            return
        if not self.is_open:
            if action == "import":
                self.open(create=True, then=lambda: self.tags(action, paths))
            else:
                self.status.emit("No library is open; scan a folder and name some faces first.")
            return
        self.scanning = True  # one long library job at a time: the scan's Cancel button stops this one too

        def finished(result: Any) -> None:
            self.scanning = False
            self.tagsFinished.emit(result)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.scanning = False
            self.status.emit(user_message(exc, "reading photo tags" if action == "import" else "writing photo tags"))
            self.tagsFinished.emit(exc)
            self.refresh()

        self._scan_job = _jobs().TagsJob(action, self.space(), tuple(str(p) for p in paths))  # "Cancel scan" stops it
        self.engine.submit(self._scan_job, returned=finished, errored=failed, reported=self.tagsProgress.emit)

    # -- the comparison ------------------------------------------------------------------
    def who(self, pane: str, descriptors: list) -> None:
        """Which of your people the faces of a compared photo are (``paneWho`` follows)."""
        if self.is_open:
            job = _jobs().WhoJob(pane, tuple(descriptors), self.space(), self.threshold, self.margin)
            self.engine.submit(job, returned=self.paneWho.emit, errored=self._failed("looking for your people"))

    def enrol(self, name: str, number: int, path: str | None = None, image: Any = None, then: Any = None) -> None:
        """Confirm face ``number`` of a compared photo (a file ``path``, or pasted ``image``) as ``name``."""
        def enrolled(overview: Any) -> None:
            self._set_overview(overview)
            self.status.emit(f"Face {number} added to {name}.")
            if then is not None:
                then()

        def start() -> None:
            job = _jobs().EnrolJob(name, number, self.space(), path, image)
            self.engine.submit(job, returned=enrolled, errored=self._failed("adding the face"))

        if self.is_open:
            start()
        else:
            self.open(create=True, then=start)
