"""The engine worker: a QObject living on its own QThread that owns the Engine.

Signal vocabulary (after superqt): ``started(job)``, ``returned(job, result)``,
``errored(job, exception)``, ``skipped(job)``; plus ``status(text)`` and
``progress(done, total)`` for long jobs.  Every exception is caught and emitted
as an object; the GUI turns it into one sentence.  A cancelled or stale job
never emits ``returned``.  TensorFlow is imported here, on the worker thread.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from faceapp.gui.jobs import AnalyzeJob, DownloadJob, ImportJob, LoadModelJob

__all__ = ["EngineWorker", "WorkerThread"]

log = logging.getLogger(__name__)


class EngineWorker(QObject):
    """Runs jobs one at a time on its thread; see the module docstring for signals."""

    submitted = Signal(object)  # GUI → worker (queued across threads)
    started = Signal(object)
    returned = Signal(object, object)
    errored = Signal(object, object)
    skipped = Signal(object)
    status = Signal(str)
    progress = Signal(int, object)  # done bytes, total bytes or None

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}
        self._abort = threading.Event()
        self._engine: Any = None
        # (model, crop, models_dir) of _engine; None exactly when there is no engine.
        self._engine_key: tuple[str, str, str | None] | None = None
        self.submitted.connect(self._run)

    # -- GUI-thread API -------------------------------------------------
    def submit(self, job: object) -> None:
        """Queue ``job``; for an AnalyzeJob, every older job of its pane becomes stale."""
        if isinstance(job, AnalyzeJob):
            with self._lock:
                self._latest[job.pane] = job.id
        if isinstance(job, DownloadJob):
            self._abort.clear()
        self.submitted.emit(job)

    def cancel(self) -> None:
        """Ask a running download to stop (it keeps its partial file)."""
        self._abort.set()

    def is_stale(self, job: AnalyzeJob) -> bool:
        with self._lock:
            return self._latest.get(job.pane, job.id) != job.id

    # -- worker thread ----------------------------------------------------
    @Slot(object)
    def _run(self, job: object) -> None:
        if isinstance(job, AnalyzeJob) and self.is_stale(job):
            self.skipped.emit(job)
            return
        self.started.emit(job)
        try:
            result = self._dispatch(job)
        except Exception as exc:  # noqa: BLE001 - workers report, never swallow
            log.warning("job %s failed", type(job).__name__, exc_info=True)
            self.errored.emit(job, exc)
            return
        if isinstance(job, AnalyzeJob) and self.is_stale(job):
            self.skipped.emit(job)  # a newer photo arrived while this one ran
            return
        self.returned.emit(job, result)

    def _dispatch(self, job: object) -> object:
        if isinstance(job, LoadModelJob):
            return self._load(job)
        if isinstance(job, AnalyzeJob):
            return self._analyze(job)
        if isinstance(job, DownloadJob):
            return self._download(job)
        if isinstance(job, ImportJob):
            return self._import(job)
        raise TypeError(f"unknown job {job!r}")

    def _load(self, job: LoadModelJob) -> dict[str, object]:
        from faceapp.core.vggface.catalog import get_spec

        key = (job.model, job.crop, job.models_dir)
        if self._engine_key is not None and self._engine_key[0::2] == key[0::2]:
            self._engine.set_crop(job.crop)  # same model and folder: a new crop needs no new model
        else:
            if "tensorflow" not in sys.modules:
                self.status.emit("Loading TensorFlow…")
            from faceapp.core.engine import Engine

            engine = Engine(model=job.model, crop=job.crop, models_dir=job.models_dir)
            self.status.emit(f"Loading {get_spec(job.model).title}…")
            engine.load()  # raises ModelFilesMissing / WeightsError: keep the old engine then
            self._engine = engine
        self._engine_key = key
        from faceapp.core.engine import backend_version

        model = self._engine.model
        return {"model": job.model, "crop": job.crop, "title": model.spec.title,
                "has_identities": model.has_identities, "weights": str(model.weights_path),
                "tensorflow": backend_version()}

    def _analyze(self, job: AnalyzeJob) -> object:
        if self._engine is None or self._engine_key is None or self._engine_key[:2] != (job.model, job.crop):
            raise RuntimeError("the model is not loaded yet")
        return self._engine.analyze(job.image)

    def _download(self, job: DownloadJob) -> list[str]:
        from faceapp.core.vggface import store
        from faceapp.core.vggface.catalog import RELEASE_URL

        def report(filename: str, done: int, total: int | None) -> None:
            self.progress.emit(done, total)

        self.status.emit("Downloading model files…")
        paths = store.download_model(job.model, models_dir=job.models_dir, base_url=job.base_url or RELEASE_URL,
                                     progress=report, cancel=self._abort.is_set)
        return [str(p) for p in paths]

    def _import(self, job: ImportJob) -> str:
        from faceapp.core.vggface import store

        self.status.emit(f"Checking {job.path.name}…")
        return str(store.import_file(job.path, job.models_dir))


class _PythonLoopThread(QThread):
    """A QThread whose event loop runs inside a Python frame.

    With a plain QThread, PySide creates and destroys a Python thread state for
    every slot call; TensorFlow's pybind11 code caches the first one and, when
    a later call raises inside TF (its fast path does so routinely), tries to
    re-acquire the GIL with the stale state and deadlocks.  Running ``exec()``
    from Python keeps one thread state alive for the thread's whole life.
    """

    def run(self) -> None:
        self.exec()


class WorkerThread:
    """Owns the QThread and the worker; ``stop()`` = abort flag, ``quit()``, ``wait()``."""

    def __init__(self) -> None:
        self.thread = _PythonLoopThread()
        self.thread.setObjectName("faceapp-engine")
        self.worker = EngineWorker()
        self.worker.moveToThread(self.thread)
        self.thread.finished.connect(self.worker.deleteLater)
        self.thread.start()

    def stop(self, timeout_ms: int = 60_000) -> bool:
        """Stop after the current job (a download stops at once); True when the thread ended."""
        self.worker.cancel()
        self.thread.quit()
        return self.thread.wait(timeout_ms)
