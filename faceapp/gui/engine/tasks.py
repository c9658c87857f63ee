"""What the engine worker does for each kind of job: thin calls into :mod:`faceapp.core`.

Runs on the worker thread only.  :class:`TaskContext` holds what lives across
jobs there (the Engine), and lets a task report status and progress.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from faceapp.core.cancel import CancelToken
from faceapp.gui.engine.context import TaskContext
from faceapp.gui.engine.jobs import (
    AnalyzeJob,
    DownloadJob,
    ImportJob,
    Job,
    LoadModelJob,
    ModelInfo,
)
from faceapp.gui.engine.library_tasks import LIBRARY_TASKS

__all__ = ["run_task"]


def _load_model(job: LoadModelJob, context: TaskContext, _token: CancelToken | None) -> ModelInfo:
    from faceapp.core.vggface.catalog import get_spec

    engine = context.engine
    if engine is None or (engine.model_name, engine.models_dir) != (job.model, job.models_dir):
        if "tensorflow" not in sys.modules:
            context.status("Loading TensorFlow…")
        from faceapp.core.engine import Engine

        candidate = Engine(model=job.model, crop=job.crop, models_dir=job.models_dir)
        context.status(f"Loading {get_spec(job.model).title}…")
        candidate.load()  # ModelFilesMissing / WeightsError: the previous engine stays
        context.engine = engine = candidate
    engine.set_crop(job.crop)  # same model and folder: a new crop needs no new model
    from faceapp.core.engine import backend_version

    model = engine.model
    return ModelInfo(model=job.model, crop=job.crop, title=model.spec.title, has_identities=model.has_identities,
                     weights=str(model.weights_path), tensorflow=backend_version())


def _analyze(job: AnalyzeJob, context: TaskContext, _token: CancelToken | None) -> Any:
    return context.engine_for(job.model, job.crop).analyze(job.image)


def _download(job: DownloadJob, context: TaskContext, token: CancelToken | None) -> list[str]:
    from faceapp.core.vggface import model_files as store
    from faceapp.core.vggface.catalog import RELEASE_URL

    context.status("Downloading model files…")
    paths = store.download_model(job.model, models_dir=job.models_dir, base_url=job.base_url or RELEASE_URL,
                                 progress=lambda _name, done, total: context.progress(done, total), cancel=token)
    return [str(p) for p in paths]


def _import(job: ImportJob, context: TaskContext, _token: CancelToken | None) -> str:
    from faceapp.core.vggface import model_files as store
    context.status(f"Checking {job.path.name}…")
    return str(store.import_file(job.path, job.models_dir))


_TASKS: dict[type, Callable[[Any, TaskContext, CancelToken | None], Any]] = {
    LoadModelJob: _load_model,
    AnalyzeJob: _analyze,
    DownloadJob: _download,
    ImportJob: _import,
}


def run_task(job: Job, context: TaskContext, token: CancelToken | None) -> Any:
    """Run ``job``; its exceptions propagate to the worker, which emits them."""
    task = _TASKS.get(type(job)) or LIBRARY_TASKS.get(type(job))
    if task is None:
        raise TypeError(f"no task for {type(job).__name__}")
    context.job = job
    try:
        return task(job, context, token)
    finally:
        context.job = None
