"""What the engine worker does for the People view: thin calls into :mod:`faceapp.core.library`.

Runs on the worker thread only, which owns the library connection.  A scan runs
in slices (one ScanJob each) so that comparisons and grid requests queued
meanwhile go between them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from faceapp.core.cancel import CancelToken
from faceapp.core.errors import FaceAppError
from faceapp.gui.engine.context import TaskContext
from faceapp.gui.engine.jobs import (
    CalibrateJob, EditJob, EnrolJob, EraseJob, FacesJob, FacesPage, GroupJob, OpenLibraryJob, OverviewJob, PaneWho,
    PruneJob, PrunePlanJob, ScanJob, SpaceRef, TagsJob, WhoJob,
)

__all__ = ["LIBRARY_TASKS", "SCAN_SLICE_S"]

#: Seconds of scanning per job: long enough to batch faces, short enough that a photo dropped on the
#: comparison meanwhile waits at most this long.
SCAN_SLICE_S = 1.5


def _space(ref: SpaceRef) -> Any:
    from faceapp.core.engine import descriptor_space

    return descriptor_space(ref.model, ref.crop, ref.models_dir)  # the fingerprint is cached after the first call


def _library(context: TaskContext) -> Any:
    if context.library is None:
        raise FaceAppError("No library is open; use File → Open library… or scan a folder.")
    return context.library


def _overview(context: TaskContext, ref: SpaceRef) -> Any:
    from faceapp.core.errors import ModelFilesMissing, WeightsError
    from faceapp.gui.people.view_models import overview

    try:
        space = _space(ref)
    except (ModelFilesMissing, WeightsError):
        space = None  # people and folders can be shown without the model; groups cannot
    return overview(_library(context), space)


def _open(job: OpenLibraryJob, context: TaskContext, _token: CancelToken | None) -> Any:
    from faceapp.core.library import Library

    library = Library.open(job.path, create=job.create)
    if context.library is not None:
        context.library.close()
    context.library, context.scanner = library, None
    return _overview(context, job.space)


def _overview_task(job: OverviewJob, context: TaskContext, _token: CancelToken | None) -> Any:
    return _overview(context, job.space)


def _scan(job: ScanJob, context: TaskContext, token: CancelToken | None) -> Any:
    from faceapp.core.library.scan import Scanner

    library = _library(context)
    if job.folders:
        engine = context.engine
        shared = engine is not None and engine.model_name == job.space.model and engine.models_dir == job.space.models_dir
        context.scanner = Scanner(library, list(job.folders), job.space.model, job.space.crop, job.space.models_dir,
                                  engine=engine if shared else None)
        context.status("Looking through the folders…")
        context.scanner.plan(cancel=token)  # a cancel while walking a large folder stops the walk
    scanner = context.scanner
    if scanner is None:
        raise FaceAppError("The scan was interrupted; start it again with Scan folder….")
    more = scanner.step(SCAN_SLICE_S, progress=context.report, cancel=token)
    if more:
        return None
    context.scanner = None
    return scanner.summary


def _faces(job: FacesJob, context: TaskContext, _token: CancelToken | None) -> FacesPage:
    from faceapp.gui.people import view_models

    library, space = _library(context), _space(job.space)
    if job.kind == "person":
        person = next((p for p in library.people() if p.id == job.key), None)
        if person is None:
            return FacesPage(job.kind, job.key, "", (), ())
        confirmed, suggested = view_models.person_items(library, space, person, job.threshold, job.margin)
        return FacesPage(job.kind, job.key, person.name, tuple(confirmed), tuple(suggested))
    items = view_models.group_items(library, space, job.key)
    return FacesPage(job.kind, job.key, f"Unnamed group {job.key}", tuple(items), ())


def _edit(job: EditJob, context: TaskContext, _token: CancelToken | None) -> Any:
    from faceapp.core.library import recognition

    library = _library(context)
    faces = list(job.face_ids)
    if job.action == "confirm":
        library.confirm(library.add_person(job.name), faces)
    elif job.action == "split":
        if library.person(job.name) is not None:
            raise FaceAppError(f"There already is a person called '{job.name}'; choose a new name to split into.")
        library.confirm(library.add_person(job.name), faces)
    elif job.action == "reject":
        library.reject(library.require_person(job.name), faces)
    elif job.action == "forget":
        library.forget_links(faces, library.require_person(job.name) if job.name else None)
    elif job.action == "rename":
        library.rename_person(job.name, job.other)
    elif job.action == "remove":
        library.remove_person(job.name)
    elif job.action == "merge":
        library.merge_people(job.name, job.other)
    elif job.action == "apart" and job.group_id is not None:
        recognition.keep_apart_from_group(library, _space(job.space), job.group_id, faces)
    else:
        raise ValueError(f"unknown edit {job.action!r}")
    return _overview(context, job.space)


def _group(job: GroupJob, context: TaskContext, _token: CancelToken | None) -> Any:
    from faceapp.core.library import recognition

    context.status("Grouping unnamed faces…")
    recognition.group(_library(context), _space(job.space), job.min_faces, job.max_distance, full=job.full)
    return _overview(context, job.space)


def _who(job: WhoJob, context: TaskContext, _token: CancelToken | None) -> PaneWho:
    from faceapp.core.library import recognition

    library, space = _library(context), _space(job.space)
    names = {p.id: p.name for p in library.people()}
    answers = []
    if job.descriptors:
        # Every photo shown asks "who"; the named faces are read again only when names (or their faces) changed.
        key = (space, library.path, library.names_version())
        if context.people is None or context.people[0] != key:
            context.people = (key, recognition.people_index(library, space))
        answers = recognition.suggest(library, space, list(job.descriptors), job.threshold, job.margin,
                                      index=context.people[1])
    from faceapp.core.report import who_line

    lines = [(answer.status, *who_line(answer, names)) for answer in answers]
    return PaneWho(job.pane, tuple(lines))


def _enrol(job: EnrolJob, context: TaskContext, _token: CancelToken | None) -> Any:
    from faceapp.core.library import recognition

    library, engine = _library(context), context.engine
    if engine is None or engine.model_name != job.space.model:
        raise FaceAppError("The model is not loaded yet; wait until it is ready, then add the face again.")
    path = job.path if job.path is not None else str(recognition.keep_copy(library, job.image))
    engine.set_crop(job.space.crop)
    recognition.enrol(library, engine, job.name, path, job.number)
    return _overview(context, job.space)


def _calibrate(job: CalibrateJob, context: TaskContext, token: CancelToken | None) -> Any:
    from faceapp.core.evaluation import calibration
    engine = context.engine
    if engine is None or engine.model_name != job.space.model:
        raise FaceAppError("The model is not loaded yet; wait until it is ready, then calibrate.")
    engine.set_crop(job.space.crop)
    if job.pairs:
        photos, pairs = calibration.read_pairs_file(job.pairs)
    else:
        photos, pairs = calibration.collect_folder(job.folder), None
    calibration.describe(photos, engine, context.library, progress=lambda done, total: context.report((done, total)),
                         cancel=token)
    return calibration.calibrate(photos, pairs, job.pairs or job.folder or "", engine.space.key)


def _tags(job: TagsJob, context: TaskContext, token: CancelToken | None) -> Any:
    library = _library(context)
    progress = lambda done, total, _path: context.report((done, total))  # noqa: E731
    if job.action == "export":
        from faceapp.core.tags.exporter import export_tags

        context.status("Writing names to photo tags…")
        return export_tags(library, list(job.paths), progress=progress, cancel=token)
    from faceapp.core.tags.importer import import_tags

    engine = context.engine
    shared = engine is not None and engine.model_name == job.space.model and engine.models_dir == job.space.models_dir
    context.status("Reading photo tags (new photos are scanned first)…")
    return import_tags(library, list(job.paths), job.space.model, job.space.crop, job.space.models_dir,
                       engine=engine if shared else None, progress=progress, cancel=token)


def _prune_plan(job: PrunePlanJob, context: TaskContext, _token: CancelToken | None) -> Any:
    from faceapp.core.library.housekeeping import prune_plan

    return prune_plan(_library(context), include_named=job.include_named)


def _prune(job: PruneJob, context: TaskContext, _token: CancelToken | None) -> Any:
    from faceapp.core.library.housekeeping import prune, prune_plan

    library = _library(context)
    # Planned again now: only what the user was shown AND is still to forget goes (a photo back meanwhile stays).
    plan = prune_plan(library, include_named=job.include_named)
    shown = set(job.photo_ids)
    agreed = replace(plan, forget=tuple(record for record in plan.forget if record.id in shown))
    return prune(library, agreed), _overview(context, job.space)


def _erase(job: EraseJob, context: TaskContext, _token: CancelToken | None) -> Any:
    from faceapp.core.library.housekeeping import erase_person

    context.status(f"Erasing {job.name}…")
    erased = erase_person(_library(context), job.name)
    context.people = None  # the named faces changed
    return erased, _overview(context, job.space)


LIBRARY_TASKS: dict[type, Callable[[Any, TaskContext, CancelToken | None], Any]] = {
    OpenLibraryJob: _open, OverviewJob: _overview_task, ScanJob: _scan, FacesJob: _faces, EditJob: _edit,
    GroupJob: _group, WhoJob: _who, EnrolJob: _enrol, CalibrateJob: _calibrate, TagsJob: _tags,
    PrunePlanJob: _prune_plan, PruneJob: _prune, EraseJob: _erase,
}
