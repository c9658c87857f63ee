"""What the engine thread keeps between jobs: the loaded engine, the open library, a scan in progress."""

from __future__ import annotations

from typing import Any, Callable

from faceapp.gui.engine.jobs import Job

__all__ = ["TaskContext"]


class TaskContext:
    """Worker-thread state: the Engine (one at a time), the open library, a scan in progress, and the
    status/progress reporters."""

    def __init__(self, status: Callable[[str], None], progress: Callable[[int, object], None],
                 report: Callable[[object, object], None] | None = None) -> None:
        self.status = status
        self.progress = progress
        self._report = report
        self.job: Job | None = None  # the job running now
        self.engine: Any = None  # faceapp.core.engine.Engine, built by a LoadModelJob
        self.library: Any = None  # faceapp.core.library.Library, opened by an OpenLibraryJob
        self.scanner: Any = None  # faceapp.core.library.scan.Scanner between the slices of a scan
        #: ((space, library path, library version), PeopleIndex): "who" reuses it until the library changes.
        self.people: tuple[Any, Any] | None = None

    def report(self, payload: object) -> None:
        """Send ``payload`` to whoever submitted the running job."""
        if self._report is not None:
            self._report(self.job, payload)

    def engine_for(self, model: str, crop: str) -> Any:
        """The loaded engine, set to ``crop``; RuntimeError if ``model`` is not the one loaded."""
        if self.engine is None or self.engine.model_name != model:
            raise RuntimeError("the model is not loaded yet")
        self.engine.set_crop(crop)
        return self.engine
