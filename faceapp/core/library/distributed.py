"""Scanning on a Dask cluster: the analysis step of a :class:`~faceapp.core.library.scan.Scanner`, elsewhere.

The scanner plans, decides, stores and counts exactly as in a local scan; a
:class:`ClusterAnalyser` only replaces "read, detect, describe" by tasks sent to
``dask.distributed`` workers.  Each worker process loads the model once (an
engine cached per process and per model files) and returns faces, qualities and
descriptors — never the image.  Photos are read by the workers from the path the
client sees (a folder every machine mounts at the same place), or read here and
sent as bytes (``send_photos``).

Losing nothing: the client writes each photo when *its* future's result arrives,
once (the library's per-photo transaction).  A worker that dies mid-task has its
tasks run again by Dask on another worker; a photo that still fails (or that a
worker cannot read) is reported and not recorded, so the next scan does it.

Dask is imported only here, and only when a cluster is asked for: the desktop
install and the bundle do not have it (``pip install "faceapp[server]"``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from faceapp.core.errors import FaceAppError
from faceapp.core.library.scan import Analysed, _decode, _Loaded, _read, _Task
from faceapp.core.runtime import THREADS_ENV, settle_allocator
from faceapp.core.types import Face

__all__ = ["ClusterAnalyser", "ClusterError", "parse_cluster", "CONNECT_TIMEOUT"]

#: Seconds to wait for a scheduler to answer, and then for its first worker.
CONNECT_TIMEOUT = 10.0
#: Photos in flight per worker thread: enough that no worker waits for the client, few enough that
#: Ctrl+C has little to cancel and --send-photos holds few photos in memory.
IN_FLIGHT_PER_THREAD = 3

_INSTALL = 'install it with: pip install "faceapp[server]"'


class ClusterError(FaceAppError):
    """The cluster cannot do the scan (no scheduler, no workers, workers without faceapp or model files)."""


def parse_cluster(address: str) -> tuple[str, int | None]:
    """``("local", N)`` for ``local:N``, else ``(address, None)`` for a scheduler address.

    Raises ClusterError with what to type instead.
    """
    if address.startswith("local:"):
        count = address[len("local:"):]
        if not count.isdigit() or int(count) < 1:
            raise ClusterError(f"'{address}' is not a local cluster; write local:N with N the number of worker "
                               "processes, e.g. local:4.")
        return "local", int(count)
    if "://" not in address:
        raise ClusterError(f"'{address}' is not a cluster address; give the scheduler's, e.g. tcp://host:8786, "
                           "or local:N.")
    return address, None


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"Scanning on a cluster needs dask.distributed, which is not installed; {_INSTALL}.") \
            from None
    return distributed


@dataclass(frozen=True)
class _Settings:
    """What every worker needs to build the same engine as the client's space."""

    model: str
    crop: str
    models_dir: str | None
    fingerprint: str


# -- on the worker --------------------------------------------------------------------------------

_engines: dict[tuple[str, str | None], Any] = {}
_engine_lock = threading.Lock()
#: One photo at a time per process: the model already uses the cores, and MTCNN is not meant to be shared.
_work_lock = threading.Lock()


_this_worker: list[str] = []  # this process's worker address, once known (client.run has no get_worker())


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return _this_worker[0] if _this_worker else "a worker"


def _engine(settings: _Settings) -> Any:
    """This process's engine for ``settings`` (loaded on first use), checked to hold the client's weights."""
    from faceapp.core.engine import Engine

    with _engine_lock:
        key = (settings.model, settings.models_dir)
        engine = _engines.get(key)
        if engine is None:
            settle_allocator()  # undo the nanny's 64 KiB trim threshold before the first photo
            try:
                engine = Engine(model=settings.model, crop=settings.crop, models_dir=settings.models_dir)
                engine.load()
            except FaceAppError as exc:  # re-raised as a plain sentence: it must cross to the client
                raise ClusterError(f"The worker {_worker_name()} cannot load the model: {exc}") from None
            _engines[key] = engine
    if engine.model.fingerprint != settings.fingerprint:
        where = settings.models_dir or "its model folder"
        raise ClusterError(f"The worker {_worker_name()} has other {settings.model} model files than this machine "
                           f"(in {where}); copy the same files to every worker.")
    return engine


def local_worker_env(workers: int) -> dict[str, str]:
    """The environment of ``local:N``'s worker processes: each pass on its share of this machine's cores
    (``FACEAPP_THREADS``, unless this process already sets it), so N workers do not each take all of them."""
    share = max(1, (os.cpu_count() or 1) // max(1, workers))
    return {THREADS_ENV: os.environ.get(THREADS_ENV) or str(share)}


def check_worker(settings: _Settings, dask_worker: Any = None) -> str:
    """Load and warm the model on this worker now (photos then do not wait for it); returns its address.

    ``dask_worker``: given by ``Client.run``.
    """
    from faceapp.core.detection.align import CROP_SIZE

    if dask_worker is not None and not _this_worker:
        _this_worker.append(dask_worker.address)

    with _work_lock:
        engine = _engine(settings)
        engine.model.run(np.zeros((1, CROP_SIZE, CROP_SIZE, 3), np.uint8))  # the first pass traces the graph
    return _worker_name()


def analyse(task: _Task, data: bytes | None, settings: _Settings, detect: bool = True,
            known: tuple[list[Face], list[int]] | None = None) -> _Loaded:
    """On a worker: read (unless ``data`` was sent), hash, decode; then detect and describe, or describe ``known``.

    ``detect`` False: only the hash and size (the client decides what to describe).
    """
    if data is None:
        try:
            with open(task.path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            return _Loaded(task, error=f"The worker {_worker_name()} cannot read '{task.path}' "
                                       f"({exc.strerror or exc}); make its folder available at the same path on "
                                       "every worker, or scan again with --send-photos.", retry=True)
    loaded = _decode(task, data)
    if loaded.error is not None:
        return loaded
    image, loaded.image = loaded.image, None  # the image stays here: only what was found goes back
    dims = (int(image.shape[1]), int(image.shape[0]))
    if known is None and not detect:
        loaded.analysed = Analysed(dims, [], [], np.zeros((0, 0), np.float32))
        return loaded
    with _work_lock:
        engine = _engine(settings)
        if known is not None:
            faces, face_ids = known
            descriptors, _ = engine.model.run(engine.crops_of(image, faces, settings.crop))
            loaded.analysed = Analysed(dims, list(faces), [], descriptors, list(face_ids))
            return loaded
        from faceapp.core.detection.quality import face_quality

        faces = engine.detector.detect(image)
        qualities = [face_quality(image, face) for face in faces]
        descriptors = engine.model.run(engine.crops_of(image, faces, settings.crop))[0] if faces else \
            np.zeros((0, 0), np.float32)
    loaded.analysed = Analysed(dims, faces, qualities, descriptors)
    return loaded


# -- on the client --------------------------------------------------------------------------------

class _Ready:
    """A result known without the cluster (the client could not read a photo to send): future-like."""

    def __init__(self, loaded: _Loaded) -> None:
        self.loaded = loaded

    def done(self) -> bool:
        return True

    def result(self) -> _Loaded:
        return self.loaded

    def cancel(self) -> None:
        pass


class ClusterAnalyser:
    """The analysis step of a scan on a Dask cluster; pass it to ``Scanner(analyser=...)``.

    Use as a context manager (or call :meth:`close`): it owns its client, and the
    local cluster it started for ``local:N``.
    """

    def __init__(self, address: str, model: str, crop: str, models_dir: str | os.PathLike | None = None,
                 send_photos: bool = False, timeout: float = CONNECT_TIMEOUT) -> None:
        from faceapp.core.engine import descriptor_space
        from faceapp.paths import MODELS_DIR_ENV

        target, local_workers = parse_cluster(address)
        distributed = _dask()
        space = descriptor_space(model, crop, models_dir)  # the client's files decide; workers must match
        folder = models_dir if models_dir is not None else os.environ.get(MODELS_DIR_ENV)
        # An explicit folder (option or environment) is passed on; else each worker looks in its own defaults.
        self.settings = _Settings(model, crop, os.path.abspath(os.path.expanduser(str(folder))) if folder else None,
                                  space.weights)
        self.address, self.send_photos = address, send_photos
        self._cluster: Any = None
        self._tasks: dict[str, _Task] = {}
        #: (path, sentence) of photos the cluster did not analyse (not recorded: the next scan does them).
        self.left_out: list[tuple[str, str]] = []
        if local_workers is not None:
            # Single-threaded worker processes: each holds its own model; one photo at a time each, its passes
            # on its share of this machine's cores (unless FACEAPP_THREADS already says how many).
            self._cluster = distributed.LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                                                     dashboard_address=":0", silence_logs=logging.ERROR,
                                                     env=local_worker_env(local_workers))
            target = self._cluster.scheduler_address
        try:
            self.client = distributed.Client(target, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise ClusterError(f"No Dask scheduler answered at {address} within {timeout:g} s; start one there "
                               "with 'dask scheduler' (and workers with 'dask worker ADDRESS'), or check the "
                               "address.") from exc
        try:
            self._check_workers(timeout)
        except BaseException:
            self.close()
            raise

    def _check_workers(self, timeout: float) -> None:
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, asyncio.TimeoutError):  # the same class from Python 3.11 on
            raise ClusterError(f"The Dask scheduler at {self.address} has no workers; start some with "
                               f"'dask worker {self.client.scheduler.address}' on each machine.") from None
        answers = self.client.run(check_worker, self.settings, on_error="return")
        for worker, answer in answers.items():
            if isinstance(answer, ClusterError):
                raise answer
            if isinstance(answer, BaseException):
                raise ClusterError(self._why(worker, answer)) from None

    @staticmethod
    def _why(worker: str, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, ImportError) or "faceapp" in text and ("No module named" in text or "import of" in text):
            return f"The worker {worker} cannot import faceapp; {_INSTALL} on that machine, then restart the worker."
        return f"The worker {worker} failed ({text}); check its log, then scan again."

    def as_dict(self) -> dict[str, Any]:
        """The ``cluster`` part of ``scan --json`` (README.md)."""
        workers = len(self.client.nthreads()) if self.client is not None else 0
        return {"address": self.address, "workers": workers, "send_photos": self.send_photos,
                "left_out": [{"path": path, "message": message} for path, message in self.left_out]}

    @property
    def window(self) -> int:
        """How many photos to keep in flight (grows when workers join)."""
        threads = sum(self.client.nthreads().values()) or 1
        return IN_FLIGHT_PER_THREAD * threads

    def submit(self, task: _Task) -> Any:
        """Send one planned photo to the cluster; returns a future of its :class:`_Loaded`."""
        return self._submit(task, detect=task.kind != "describe")

    def describe(self, task: _Task, faces: Sequence[Face], face_ids: Sequence[int]) -> Any:
        """Describe known faces of a photo on the cluster (a new model or crop; detection kept)."""
        return self._submit(task, detect=False, known=(list(faces), list(face_ids)))

    def _submit(self, task: _Task, detect: bool, known: tuple[list[Face], list[int]] | None = None) -> Any:
        data = None
        if self.send_photos:
            try:
                with open(task.path, "rb") as handle:
                    data = handle.read()
            except OSError:
                return _Ready(_read(task))  # the same error a local scan records
        # pure=False: every submission its own key, so a cancelled or repeated photo never shares a result.
        future = self.client.submit(analyse, task, data, self.settings, detect, known, pure=False)
        self._tasks[future.key] = task
        return future

    def next_done(self, reading: deque) -> _Loaded:
        """Wait for the first of ``reading`` to finish, take it out, and return its photo's result."""
        ready = next((item for item in reading if isinstance(item, _Ready)), None)
        if ready is not None:
            reading.remove(ready)
            return ready.result()
        done, _ = _dask().wait(list(reading), return_when="FIRST_COMPLETED")
        future = next(item for item in reading if item in done)
        reading.remove(future)
        task = self._tasks.pop(future.key)
        try:
            loaded = future.result()
        except ClusterError:
            raise
        except Exception as exc:  # noqa: BLE001 - a lost or failing task costs one photo, reported, not the scan
            if isinstance(exc, ImportError):
                raise ClusterError(self._why("of this cluster", exc)) from None
            reason = f"{type(exc).__name__}: {exc}".rstrip(".")
            loaded = _Loaded(task, error=f"'{os.path.basename(task.path)}' could not be analysed on the cluster "
                                         f"({reason}); the next scan tries it again.", retry=True)
        if loaded.retry:
            self.left_out.append((task.path, loaded.error or ""))
        return loaded

    def close(self) -> None:
        """Disconnect (cancelling what is still running for this scan) and stop a local cluster."""
        client, self.client = getattr(self, "client", None), None
        if client is not None:
            client.close()
        self._close_cluster()

    def _close_cluster(self) -> None:
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.close()

    def __enter__(self) -> ClusterAnalyser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
