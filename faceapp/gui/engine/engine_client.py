"""The GUI thread's side of the engine worker: which model is wanted, whether it is ready,
and delivering each job's result to whoever asked for it.

Views submit a job with two callbacks; the client calls one of them on the GUI
thread, and only while the job is still the newest of its channel.  The window's
:class:`~faceapp.gui.engine.requests.LatestRequests` (``latest``, given to the client and
its worker) decides, at both ends: the worker skips a stale job, the client drops a
stale result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Signal

from faceapp.gui.engine.requests import LatestRequests
from faceapp.gui.engine.worker import WorkerThread

if TYPE_CHECKING:  # the job classes load with the first job, after the window's first paint
    from faceapp.gui.engine.jobs import Job, ModelInfo

__all__ = ["EngineClient"]

Returned = Callable[[Any], None]
Errored = Callable[[BaseException], None]
Reported = Callable[[Any], None]


class EngineClient(QObject):
    """Owns the worker thread; ``modelReady``/``modelFailed`` follow every model load.

    ``latest``: the window's one record of the newest request per channel (the photo loader reads it too)."""

    modelReady = Signal(object)  # ModelInfo
    modelFailed = Signal(object)  # the exception
    modelLoading = Signal(str)  # model name
    status = Signal(str)
    progress = Signal(int, object)
    stopped = Signal()  # the engine thread ended after stop() returned False

    def __init__(self, model: str, crop: str, models_dir: str | None, latest: LatestRequests,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model, self.crop, self.models_dir = model, crop, models_dir
        self.latest = latest
        self.info: ModelInfo | None = None
        self._thread: WorkerThread | None = None
        self._stopping = False  # stop() returned False; stopped follows
        self._callbacks: dict[int, tuple[Returned | None, Errored | None, Reported | None]] = {}

    # -- lifecycle -------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def worker(self):  # noqa: ANN201 - EngineWorker | None
        """The worker object (its signals are public; it lives on the engine thread)."""
        return self._thread.worker if self._thread is not None else None

    def start(self) -> None:
        """Start the worker thread and load the model (call once the window is on screen)."""
        if self._thread is not None:
            return
        self._thread = WorkerThread(self.latest)
        worker = self._thread.worker
        worker.returned.connect(self._returned)
        worker.errored.connect(self._errored)
        # Bound methods of this GUI-thread object, so Qt queues them to the GUI thread
        # (a lambda would run on the worker thread, racing with submit()).
        worker.skipped.connect(self._skipped)
        worker.report.connect(self._reported)
        worker.status.connect(self.status)
        worker.progress.connect(self.progress)
        self.load_model()

    def stop(self, timeout_ms: int = 2_000) -> bool:
        """Cancel every job, end the thread after the current one; True when it ended within ``timeout_ms``.

        False: the thread is finishing a job that cannot stop half-way (a batch of faces going through
        the model, a model load); ``stopped`` follows when it ends, and ``running`` stays True until then.
        Never blocks longer than ``timeout_ms``: the window closes without waiting for a model pass.
        """
        self._callbacks.clear()  # nothing is shown any more: results still coming are dropped
        thread = self._thread
        if thread is None:
            return True
        if thread.stop(timeout_ms):
            self._thread = None
            return True
        if not self._stopping:
            self._stopping = True
            thread.thread.finished.connect(self._finished_late)  # a bound method: queued to the GUI thread
        return False

    def _finished_late(self) -> None:
        if self._thread is not None:
            self._thread.thread.wait()  # finished is emitted as the thread ends: this returns at once
            self._thread = None
        self._stopping = False
        self.stopped.emit()

    def cancel(self, job: Job | None) -> None:
        """Stop ``job`` (a download, a scan slice, a calibration) and no other: each job has its own cancel."""
        if self._thread is not None and job is not None:
            self._thread.worker.cancel(job.id)

    # -- the model -------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """True when the wanted model and crop are loaded."""
        return self.info is not None and (self.info.model, self.info.crop) == (self.model, self.crop)

    def set_model(self, model: str, crop: str) -> None:
        """Want ``model`` with ``crop``; loads it if it is not what is loaded."""
        if (model, crop) == (self.model, self.crop) and (self.ready or self._thread is None):
            return
        self.model, self.crop = model, crop
        self.load_model()

    def load_model(self) -> None:
        """(Re)load the wanted model; ``modelReady`` or ``modelFailed`` follows."""
        self.info = None
        self.modelLoading.emit(self.model)
        if self._thread is not None:
            from faceapp.gui.engine.jobs import LoadModelJob

            self.submit(LoadModelJob(self.model, self.crop, self.models_dir),
                        returned=self._model_loaded, errored=self.modelFailed.emit)

    def _model_loaded(self, info: ModelInfo) -> None:
        self.info = info
        self.modelReady.emit(info)

    # -- jobs ------------------------------------------------------------------
    def submit(self, job: Job, returned: Returned | None = None, errored: Errored | None = None,
               reported: Reported | None = None) -> bool:
        """Queue ``job``; False (and nothing queued) when the worker is not running.

        ``reported`` receives what the job reports while it runs (a scan's progress)."""
        if self._thread is None:
            return False
        self._callbacks[job.id] = (returned, errored, reported)
        self._thread.worker.submit(job)
        return True

    def _take(self, job: Job) -> tuple[Returned | None, Errored | None, Reported | None]:
        callbacks = self._callbacks.pop(job.id, (None, None, None))
        # The result was queued before a newer request of its channel: drop it.
        return callbacks if self.latest.is_current(job) else (None, None, None)

    def _skipped(self, job: Job) -> None:
        self._callbacks.pop(job.id, None)

    def _reported(self, job: Job, payload: object) -> None:
        callbacks = self._callbacks.get(job.id)
        if callbacks is not None and callbacks[2] is not None and self.latest.is_current(job):
            callbacks[2](payload)

    def _returned(self, job: Job, result: object) -> None:
        returned = self._take(job)[0]
        if returned is not None:
            returned(result)

    def _errored(self, job: Job, exc: BaseException) -> None:
        errored = self._take(job)[1]
        if errored is not None:
            errored(exc)
