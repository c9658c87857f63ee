"""The engine worker: a QObject living on its own QThread that owns the Engine.

Signal vocabulary (after superqt): ``started(job)``, ``returned(job, result)``,
``errored(job, exception)``, ``skipped(job)``; plus ``status(text)`` and
``progress(done, total)`` for long jobs.  Every exception is caught and emitted
as an object; the GUI turns it into one sentence.  A stale job (a newer one of
its channel was submitted: the window's :class:`~faceapp.gui.engine.requests.LatestRequests`
says so) never runs and never emits ``returned``.  ONNX Runtime
is imported here, on the worker thread, by the tasks in :mod:`faceapp.gui.engine.tasks`.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from faceapp.core.cancel import CancelToken
from faceapp.core.errors import FaceAppError
from faceapp.gui.engine.requests import LatestRequests

if TYPE_CHECKING:  # the job classes load with the first job, after the window's first paint
    from faceapp.gui.engine.jobs import Job

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
    progress = Signal(int, object)  # download bytes done, total or None
    report = Signal(object, object)  # (job, payload): a job's own progress, for whoever submitted it

    def __init__(self, latest: LatestRequests) -> None:
        super().__init__()
        from faceapp.gui.engine.context import TaskContext

        self.latest = latest  # the window's record of the newest request per channel (shared, not owned)
        self._token_lock = threading.Lock()
        self._tokens: dict[int, CancelToken] = {}  # cancellable jobs queued or running
        self.context = TaskContext(self.status.emit, self.progress.emit, self.report.emit)
        self.submitted.connect(self._run)

    # -- any thread -----------------------------------------------------
    def submit(self, job: Job) -> None:
        """Queue ``job``; every older job of its channel becomes stale."""
        self.latest.submitted(job)
        if job.cancellable:
            # Made now, not when the job starts: a cancel may come while it waits in the queue.
            with self._token_lock:
                self._tokens[job.id] = CancelToken()
        self.submitted.emit(job)

    def cancel(self, job_id: int) -> None:
        """Stop the cancellable job ``job_id``, queued or running, and only it (a download keeps its
        partial file); nothing happens when it already ended."""
        with self._token_lock:
            token = self._tokens.get(job_id)
        if token is not None:
            token.cancel()

    def cancel_all(self) -> None:
        """Stop every cancellable job, queued or running (the window is closing)."""
        with self._token_lock:
            tokens = list(self._tokens.values())
        for token in tokens:
            token.cancel()

    def _forget(self, job: Job) -> None:
        with self._token_lock:
            self._tokens.pop(job.id, None)

    # -- worker thread ----------------------------------------------------
    @Slot(object)
    def _run(self, job: Job) -> None:
        from faceapp.gui.engine.tasks import run_task

        with self._token_lock:
            token = self._tokens.get(job.id)
        if not self.latest.is_current(job):
            self._forget(job)
            self.skipped.emit(job)
            return
        self.started.emit(job)
        try:
            result: Any = run_task(job, self.context, token)
        except FaceAppError as exc:  # expected: missing files, a bad photo, a cancelled download
            log.warning("%s: %s", type(job).__name__, exc)
            self.errored.emit(job, exc)
            return
        except Exception as exc:  # noqa: BLE001 - workers report, never swallow
            log.warning("%s failed unexpectedly", type(job).__name__, exc_info=True)
            self.errored.emit(job, exc)
            return
        finally:
            self._forget(job)
        if not self.latest.is_current(job):
            self.skipped.emit(job)  # a newer request of its channel arrived while this one ran
            return
        self.returned.emit(job, result)


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
    """Owns the QThread and the worker; ``stop()`` = cancel, ``quit()``, ``wait()``."""

    def __init__(self, latest: LatestRequests) -> None:
        self.thread = _PythonLoopThread()
        self.thread.setObjectName("faceapp-engine")
        self.worker = EngineWorker(latest)
        self.worker.moveToThread(self.thread)
        self.thread.finished.connect(self.worker.deleteLater)
        self.thread.start()

    def stop(self, timeout_ms: int = 60_000) -> bool:
        """Stop after the current job (a download or scan stops at once); True when the thread ended within
        ``timeout_ms``.  On False the thread is still finishing its job: keep this object until ``thread.finished``
        (a QThread destroyed while it runs aborts the process)."""
        self.worker.cancel_all()
        self.thread.quit()
        ended = self.thread.wait(timeout_ms)
        library = self.worker.context.library
        if ended and library is not None:
            # A server library's connection is closed, not left to the garbage collector (the server
            # would log an abandoned session); the thread that used it has ended.
            self.worker.context.library = None
            library.close()
        return ended
