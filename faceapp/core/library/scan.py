"""Scanning folders into a library: incremental, batched, safe to stop or kill at any moment.

Planning needs no model: folders are walked (symlinked folders followed
once — no loops — hidden folders skipped), every photo file is ``stat``-ed, and a
file whose size and modification time match the library, and whose faces all
have descriptors in the current space, is skipped.  Only the rest is opened:

* a file whose details changed is hashed first — same content (touched, copied
  back) keeps its faces; new content is analysed again (names move to the face
  in the same place);
* a new path whose content the library already has at a path that is gone was
  moved: the record follows the file, faces and names included;
* a photo whose faces lack descriptors in this space (another model or crop) is
  described again without detecting again.

Photos are decoded ahead on a thread while the model works, faces of several
photos go through the model in one batch, and each photo is committed in its
own transaction — killed mid-way, a re-run finishes the job with nothing lost
and nothing twice.  A photo that cannot be read is one recorded error (retried
only when the file changes), not a stopped scan.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from faceapp.core.cancel import CancelToken
from faceapp.core.defaults import MAX_IMAGE_BYTES, PIPELINE_VERSION
from faceapp.core.errors import FaceAppError
from faceapp.core.formats import is_photo_name, unreadable_format
from faceapp.core.library.carry import carry_over
from faceapp.core.library.pathtext import shown
from faceapp.core.library.records import NewFace, PhotoRecord
from faceapp.core.library.store import Library
from faceapp.core.types import DescriptorSpace, Face
from faceapp.core.wording import plural

__all__ = ["Scanner", "ScanSummary", "ScanProgress", "Analysed"]

#: Faces sent through the model together (larger batches gained nothing on 2 cores: BENCHMARKS.md).
BATCH_FACES = 16
#: Photos decoded ahead of the one being analysed.
PREFETCH = 3
#: Photos are hashed while read, this many bytes at a time.
READ_CHUNK = 1024 * 1024


@dataclass
class ScanSummary:
    """What a scan did.  ``errors``: (path, one-sentence message) of photos that could not be read."""

    folders: list[str]
    photos: int = 0
    unchanged: int = 0
    new: int = 0
    updated: int = 0
    moved: int = 0
    described: int = 0
    faces: int = 0
    no_face: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    missing: int = 0
    unreadable_folders: list[tuple[str, str]] = field(default_factory=list)
    #: Files in formats faceapp cannot read (formats.UNREADABLE_FORMATS), by format: left out, but counted.
    unsupported: dict[str, int] = field(default_factory=dict)
    #: Scanned folders that were empty or unreadable while the library knows photos there:
    #: (folder, known photos), kept as they were — not marked missing.
    unmounted: list[tuple[str, int]] = field(default_factory=list)
    #: Names that could not move to the new version of a changed photo: (path, old face number, person).
    detached: list[tuple[str, int, str]] = field(default_factory=list)
    #: The same for faces from tags whose tag no longer marks a place in the new version.
    detached_tags: list[tuple[str, int, str]] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    def unmounted_text(self) -> list[str]:
        """One sentence per folder that looks unmounted."""
        return [f"{shown(folder)} looks unmounted: {plural(known, 'known photo')} not found, kept "
                "(connect the disk or share, or give back the permission, and scan again)." for folder, known in self.unmounted]

    def detached_text(self) -> list[str]:
        """One sentence per name that stayed behind when its photo changed."""
        return [f"{person}: face {number} of {shown(os.path.basename(path))} changed into someone else's (or too "
                "much to tell), so the name was not carried over; name the face again if it is them."
                for path, number, person in self.detached] + [
            f"{person}: face {number} of {shown(os.path.basename(path))} came from a face tag that no longer marks "
            "that place in the changed photo, so the name was not carried over; import the photo's tags again, or "
            "name the face again if it is them." for path, number, person in self.detached_tags]

    def unsupported_text(self) -> str:
        """One sentence on the files left out for their format ("" when there are none)."""
        if not self.unsupported:
            return ""
        counts = [plural(count, f"{kind} file") for kind, count in sorted(self.unsupported.items())]
        them = "them" if sum(self.unsupported.values()) != 1 else "it"
        return (f"{' and '.join(counts)} {'were' if them == 'them' else 'was'} left out: faceapp cannot read "
                f"{'these formats' if len(counts) > 1 else 'this format'}; save {them} as JPEG to include {them}.")

    def headline(self) -> str:
        """How the scan ended, in one short sentence (a status bar)."""
        if self.cancelled:
            return "Scan cancelled; what was done is kept."
        return f"Scan finished: {plural(self.new, 'new photo')}, {plural(self.faces, 'face')} found."

    def sentences(self, prune_hint: str) -> list[str]:
        """The whole summary, one sentence a line, shared by the CLI and the window.

        ``prune_hint`` says how to forget photos whose files are gone (a command or a menu).
        """
        lines = [("Scan cancelled; what was done is kept. " if self.cancelled else "")
                 + f"{plural(self.photos, 'photo')} in {', '.join(map(shown, self.folders))}: {self.new} new, "
                 f"{self.updated} changed, {self.moved} moved, {self.unchanged} unchanged"
                 f"{f', {self.described} described again' if self.described else ''}.",
                 f"{plural(self.faces, 'face')} found; {plural(self.no_face, 'photo')} without a face; "
                 f"{len(self.errors)} could not be read."]
        if self.unreadable_folders:
            lines.append(f"{plural(len(self.unreadable_folders), 'folder')} could not be read.")
        if self.unsupported:
            lines.append(self.unsupported_text())
        lines += self.unmounted_text() + self.detached_text()
        if self.missing:
            lines.append(f"{plural(self.missing, 'photo')} of the library are gone from these folders "
                         f"(kept with their names; {prune_hint} forgets them).")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"folders": self.folders, "photos": self.photos, "unchanged": self.unchanged, "new": self.new,
                "updated": self.updated, "moved": self.moved, "described": self.described, "faces": self.faces,
                "no_face": self.no_face, "errors": [{"path": p, "message": m} for p, m in self.errors],
                "missing": self.missing,
                "unreadable_folders": [{"path": p, "message": m} for p, m in self.unreadable_folders],
                "unsupported": dict(sorted(self.unsupported.items())),
                "unmounted": [{"path": p, "known_photos": n} for p, n in self.unmounted],
                "detached": [{"path": p, "number": n, "person": person, "from_tag": tag}
                             for tag, items in ((False, self.detached), (True, self.detached_tags))
                             for p, n, person in items],
                "cancelled": self.cancelled, "seconds": round(self.seconds, 2)}


@dataclass(frozen=True)
class ScanProgress:
    """``done`` of ``total`` photos to open; ``rate`` photos per second; ``eta`` seconds left (None: unknown)."""

    done: int
    total: int
    rate: float
    eta: float | None
    path: str


@dataclass(frozen=True)
class _Task:
    kind: str  # "new", "changed", "redetect" or "describe"
    path: str
    size: int
    mtime_ns: int
    record: PhotoRecord | None


@dataclass
class Analysed:
    """What a worker elsewhere (distributed.py) found in one photo; the image itself stays there.

    ``face_ids`` set: ``descriptors`` are those of these known faces (described, not detected).
    """

    dims: tuple[int, int]
    faces: list[Face]
    qualities: list[float]
    descriptors: np.ndarray
    face_ids: list[int] | None = None


@dataclass
class _Loaded:
    task: _Task
    digest: str | None = None
    image: np.ndarray | None = None
    error: str | None = None
    analysed: Analysed | None = None
    #: The error is the worker's (it could not read the file), not the photo's: reported, not recorded,
    #: so the next scan tries the photo again.
    retry: bool = False

    @property
    def dims(self) -> tuple[int, int]:
        if self.analysed is not None:
            return self.analysed.dims
        return self.image.shape[1], self.image.shape[0]


@dataclass
class _Pending:
    """A photo waiting for its faces' descriptors."""

    loaded: _Loaded
    faces: list[Face]
    qualities: list[float]
    crops: np.ndarray
    face_ids: list[int] | None = None  # describing known faces: their ids


def _read(task: _Task) -> _Loaded:
    """Read, hash and decode one photo (runs on the prefetch thread; Pillow releases the GIL).

    The size is checked before a byte is read, and the hash is computed chunk by chunk while reading,
    so a huge file costs neither its size in memory nor a stopped scan."""
    loaded = _Loaded(task)
    name = shown(os.path.basename(task.path))
    try:
        with open(task.path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_IMAGE_BYTES:
                loaded.error = (f"'{name}' is too large ({_megabytes(size)}; faceapp reads photos up to "
                                f"{_megabytes(MAX_IMAGE_BYTES)}): it was left out; save a smaller copy to include it.")
                return loaded
            data, digest = bytearray(), hashlib.sha256()
            while chunk := handle.read(READ_CHUNK):
                digest.update(chunk)
                data += chunk
                if len(data) > MAX_IMAGE_BYTES:  # grew while being read
                    loaded.error = f"'{name}' is too large (more than {_megabytes(MAX_IMAGE_BYTES)}): it was left out."
                    return loaded
    except FileNotFoundError:
        loaded.error = f"Cannot open '{name}': it disappeared during the scan."
        return loaded
    except OSError as exc:
        loaded.error = f"Cannot open '{name}': it could not be read ({exc.strerror or exc})."
        return loaded
    except MemoryError:
        loaded.error = f"Cannot open '{name}': there was not enough memory to read it; close other programs and scan again."
        return loaded
    return _decode(task, bytes(data), digest.hexdigest())


def _decode(task: _Task, data: bytes, digest: str | None = None) -> _Loaded:
    """Hash (unless ``digest`` is known) and decode the bytes of one photo (here, or on a cluster's worker)."""
    from faceapp.core.images import load_image

    loaded = _Loaded(task)
    name = shown(os.path.basename(task.path))
    loaded.digest = digest or hashlib.sha256(data).hexdigest()
    try:
        loaded.image = load_image(data) if data else None
        if loaded.image is None:
            loaded.error = f"Cannot open '{name}': the file is empty."
    except FaceAppError as exc:
        loaded.error = str(exc).replace("the pasted image", f"'{name}'")
    except MemoryError:
        loaded.error = f"Cannot open '{name}': there was not enough memory to decode it; close other programs and scan again."
    return loaded


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


class Scanner:
    """Scan ``folders`` into ``library`` with ``model``/``crop``.

    ``engine``: an Engine to use (a window passes the one it has loaded); without
    one, an Engine is built only if some photo needs describing.  ``analyser``:
    runs the analysis elsewhere instead (``distributed.ClusterAnalyser``: a Dask
    cluster); planning, decisions, storing and the summary stay here.  :meth:`run` does
    everything; :meth:`plan` then :meth:`step` do it in slices (the window's
    worker runs one slice per job so other requests can go between).
    """

    def __init__(self, library: Library, folders: Sequence[str | os.PathLike], model: str, crop: str,
                 models_dir: str | os.PathLike | None = None, engine: Any = None,
                 batch_faces: int = BATCH_FACES, threshold: float | None = None, analyser: Any = None) -> None:
        from faceapp.core.evaluation.thresholds import threshold_for

        self.library = library
        self.folders = [os.path.abspath(os.path.expanduser(str(f))) for f in folders]
        self.model, self.crop, self.models_dir = model, crop, models_dir
        self._engine = engine
        self._analyser = analyser
        self.batch_faces = batch_faces
        #: Same-person threshold in use: a changed photo's names move only to faces this near the old ones.
        self.threshold = threshold if threshold is not None else threshold_for(model, crop)
        self.summary = ScanSummary(self.folders)
        self.space: DescriptorSpace | None = None
        self._tasks: deque[_Task] = deque()
        self._total = 0
        self._done = 0
        self._started = 0.0
        self._pool: ThreadPoolExecutor | None = None
        self._reading: deque[Future] = deque()
        self._batch: list[_Pending] = []
        self._gone: set[int] = set()
        self._planned = False
        self._unsupported: dict[str, str] = {}  # path -> format, of files left out (one count per file)
        self._cancel: CancelToken | Callable[[], bool] | None = None  # checked while planning

    # -- planning (no model) ------------------------------------------------------
    def plan(self, cancel: CancelToken | Callable[[], bool] | None = None) -> int:
        """Walk the folders and decide what to open; returns how many photos will be opened.

        ``cancel`` is checked between folders and files: walking a large or slow (network) folder stops
        at once, marks nothing missing (a part-walked folder says nothing about what is gone) and leaves
        the scan ``cancelled`` with nothing to open.
        """
        from faceapp.core.engine import descriptor_space

        self._cancel = cancel

        started = time.perf_counter()
        self.space = descriptor_space(self.model, self.crop, self.models_dir)
        undescribed = self.library.faces_without(self.space)
        for folder in self.folders:
            if os.path.isfile(folder) and is_photo_name(folder):  # a single photo (faceapp-cli tags import)
                self._decide(os.path.realpath(folder), undescribed)
                continue
            if not os.path.isdir(folder):
                why = "does not exist" if not os.path.exists(folder) else "is not a folder"
                self.summary.unreadable_folders.append((folder, f"The folder '{folder}' {why}; check the path."))
                continue
            self.library.folder_scanned(os.path.realpath(folder), finished=False)
            known = self.library.photos_under(os.path.realpath(folder))
            seen: set[str] = set()
            unlisted: list[str] = []  # folders that could not be listed: what is under them is unknown, not gone
            found = self._walk(folder, unlisted)
            for path in found:
                if self._cancelled():
                    break
                seen.add(path)
                self._decide(path, undescribed)
            if self._cancelled():  # a part-walked folder says nothing about what is gone
                self.summary.cancelled = True
                self._tasks.clear()
                break
            present = [r for r in known.values() if not r.missing]
            if present and not found and not any(p in self._unsupported for p in self._unsupported_under(folder)):
                # An unmounted disk or share, or a revoked permission, looks like an empty folder: saying
                # "every photo is gone" would let a prune forget every name.  Keep them as they are.
                self.summary.unmounted.append((folder, len(present)))
                self.summary.unreadable_folders = [u for u in self.summary.unreadable_folders if u[0] != folder]
                continue
            hidden = tuple(p.rstrip(os.sep) + os.sep for p in unlisted)
            gone = [record.id for path, record in known.items()
                    if path not in seen and not record.missing and not path.startswith(hidden)]
            if gone:
                self.library.mark_missing(gone)
                self._gone.update(gone)
        self.summary.missing = len(self._gone)
        self.summary.unsupported = dict(Counter(self._unsupported.values()))
        self._total = len(self._tasks)
        self._planned = True
        self.summary.seconds += time.perf_counter() - started
        return self._total

    def _unsupported_under(self, folder: str) -> list[str]:
        prefix = os.path.realpath(folder).rstrip(os.sep) + os.sep
        return [p for p in self._unsupported if p.startswith(prefix)]

    def _walk(self, folder: str, unlisted: list[str]) -> list[str]:
        """Photo files under ``folder`` (real paths); folders that could not be listed go to ``unlisted``."""
        visited: set[tuple[int, int]] = set()
        found: list[str] = []

        def unreadable(error: OSError) -> None:
            where = error.filename or folder
            unlisted.append(os.path.realpath(where))
            self.summary.unreadable_folders.append(
                (where, f"The folder '{shown(str(where))}' could not be read ({error.strerror}); "
                        "its photos were left out and kept as they were."))

        for root, dirs, files in os.walk(folder, onerror=unreadable, followlinks=True):
            if self._cancelled():
                break
            try:
                info = os.stat(root)
            except OSError:
                dirs[:] = []
                continue
            if (info.st_dev, info.st_ino) in visited:
                dirs[:] = []  # a symlink back into a folder already walked
                continue
            visited.add((info.st_dev, info.st_ino))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                if is_photo_name(name):
                    found.append(os.path.realpath(os.path.join(root, name)))
                elif kind := unreadable_format(name):
                    self._unsupported[os.path.realpath(os.path.join(root, name))] = kind
        return list(dict.fromkeys(found))  # a file reached twice (through a link) counts once

    def _cancelled(self) -> bool:
        return self._cancel is not None and bool(self._cancel())

    def _decide(self, path: str, undescribed: dict[int, list[int]]) -> None:
        try:
            info = os.stat(path)
        except OSError:
            return
        if not os.path.isfile(path):
            return
        self.summary.photos += 1
        record = self.library.photo_by_path(path)
        task = _Task("new", path, info.st_size, info.st_mtime_ns, record)
        if record is not None:
            if not record.same_file(info):
                task = _Task("changed", path, info.st_size, info.st_mtime_ns, record)
            elif record.pipeline != PIPELINE_VERSION and record.status != "error":
                task = _Task("redetect", path, info.st_size, info.st_mtime_ns, record)
            elif record.id in undescribed:
                task = _Task("describe", path, info.st_size, info.st_mtime_ns, record)
            else:
                if record.missing:
                    self.library.mark_missing([record.id], missing=False)
                self.summary.unchanged += 1
                return
        self._tasks.append(task)

    # -- running ----------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._planned and not self._tasks and not self._reading and not self._batch

    def run(self, progress: Callable[[ScanProgress], None] | None = None,
            cancel: CancelToken | Callable[[], bool] | None = None) -> ScanSummary:
        """Plan and scan everything; returns the summary (``cancelled`` when stopped early)."""
        if not self._planned:
            self.plan(cancel)
        try:
            while self.step(None, progress, cancel):
                pass
        finally:
            self.close()
        return self.summary

    def step(self, budget_s: float | None = 1.0, progress: Callable[[ScanProgress], None] | None = None,
             cancel: CancelToken | Callable[[], bool] | None = None) -> bool:
        """Work for about ``budget_s`` seconds (None: to the end); True while there is more to do."""
        if not self._planned:
            self.plan(cancel)
        started = time.perf_counter()
        if not self._started:
            self._started = started
        if self._pool is None and self._tasks and self._analyser is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faceapp-scan-read")
        try:
            while self._tasks or self._reading:
                if cancel is not None and cancel():
                    self.summary.cancelled = True
                    self._stop_reading()
                    break
                self._start_reading()
                loaded = self._next_loaded()
                try:
                    self._process(loaded)
                except MemoryError:  # one photo too large to analyse: recorded, and the scan goes on
                    loaded.image = None
                    loaded.error = (f"Cannot analyse '{shown(os.path.basename(loaded.task.path))}': there was not "
                                    "enough memory; close other programs and scan again.")
                    self._process(loaded)
                if loaded.analysed is None or loaded.analysed.face_ids is None:  # not a photo's second part
                    self._done += 1
                    if progress is not None:
                        progress(self._progress(loaded.task.path))
                if budget_s is not None and time.perf_counter() - started >= budget_s:
                    break
            if not self._tasks and not self._reading or self.summary.cancelled:
                self._flush()
        finally:
            self.summary.seconds += time.perf_counter() - started
        more = not self.summary.cancelled and not self.done
        if not more:
            self.close()
            self._finish()
        return more

    def _finish(self) -> None:
        if not self.summary.cancelled:
            unreadable = {path for path, _ in self.summary.unreadable_folders + self.summary.unmounted}
            for folder in self.folders:
                if folder not in unreadable and os.path.isdir(folder):
                    self.library.folder_scanned(os.path.realpath(folder), finished=True)

    def close(self) -> None:
        """Stop the prefetch thread (photos read but not stored are simply scanned again next time)."""
        self._stop_reading()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _start_reading(self) -> None:
        if self._analyser is not None:
            while self._tasks and len(self._reading) < self._analyser.window:
                self._reading.append(self._analyser.submit(self._tasks.popleft()))
            return
        while self._tasks and len(self._reading) < PREFETCH and self._pool is not None:
            self._reading.append(self._pool.submit(_read, self._tasks.popleft()))

    def _next_loaded(self) -> _Loaded:
        if self._analyser is not None:  # whichever worker finishes first
            return self._analyser.next_done(self._reading)
        return self._reading.popleft().result()

    def _stop_reading(self) -> None:
        while self._reading:
            self._reading.popleft().cancel()

    def _progress(self, path: str) -> ScanProgress:
        elapsed = max(1e-6, time.perf_counter() - self._started)
        rate = self._done / elapsed
        eta = (self._total - self._done) / rate if rate > 0 else None
        return ScanProgress(self._done, self._total, rate, eta, path)

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from faceapp.core.engine import Engine

            self._engine = Engine(model=self.model, crop=self.crop, models_dir=self.models_dir)
        if self._engine.model_name != self.model:
            raise ValueError("the engine given to the scanner has another model")
        # The engine may be shared (the window's): its crop recipe can change meanwhile, so crops name
        # their own; the weights must be the ones the scan's space was planned with.
        if self._engine.model.fingerprint != self.space.weights:
            raise FaceAppError("The model files changed during the scan; start the scan again.")
        return self._engine

    def _process(self, loaded: _Loaded) -> None:
        task, record = loaded.task, loaded.task.record
        if loaded.error is not None:
            if not loaded.retry:
                self.library.save_photo(task.path, task.size, task.mtime_ns, loaded.digest, None, PIPELINE_VERSION,
                                        error=loaded.error)
            self.summary.errors.append((task.path, loaded.error))
            return
        if loaded.analysed is not None and loaded.analysed.face_ids is not None:  # known faces, described elsewhere
            self.library.add_descriptors(self.space, list(zip(loaded.analysed.face_ids, loaded.analysed.descriptors)))
            return
        if task.kind == "changed" and record is not None and record.hash == loaded.digest \
                and record.pipeline == PIPELINE_VERSION and record.status != "error":
            self.library.touch_photo(record.id, task.size, task.mtime_ns)  # same content: keep everything
            self._describe_if_needed(loaded, record)
            self.summary.unchanged += 1
            return
        if task.kind == "new":
            moved = next((r for r in self.library.photos_by_hash(loaded.digest or "")
                          if r.pipeline == PIPELINE_VERSION and r.status != "error" and not os.path.exists(r.path)), None)
            if moved is not None:
                self.library.touch_photo(moved.id, task.size, task.mtime_ns, path=task.path)
                if moved.id in self._gone:  # marked missing while planning: it was only moved
                    self._gone.discard(moved.id)
                    self.summary.missing = len(self._gone)
                self._describe_if_needed(loaded, moved)
                self.summary.moved += 1
                return
        if task.kind == "describe" and record is not None:
            self._describe_if_needed(loaded, record)
            return
        self._analyse(loaded)

    def _analyse(self, loaded: _Loaded) -> None:
        from faceapp.core.detection.quality import face_quality

        analysed = loaded.analysed
        faces = analysed.faces if analysed is not None else self.engine.detector.detect(loaded.image)
        if loaded.task.kind == "new":
            self.summary.new += 1
        else:
            self.summary.updated += 1
        if not faces:
            self._store(loaded, [], [], None)
            self.summary.no_face += 1
            return
        self.summary.faces += len(faces)
        if analysed is not None:
            self._store(loaded, faces, analysed.qualities, analysed.descriptors)
            return
        image = loaded.image
        self._queue(_Pending(loaded, faces, [face_quality(image, f) for f in faces],
                             self.engine.crops_of(image, faces, self.crop)))

    def _describe_if_needed(self, loaded: _Loaded, record: PhotoRecord) -> None:
        if self._describe_missing(loaded, record.id):
            self.summary.described += 1

    def _describe_missing(self, loaded: _Loaded, photo_id: int) -> bool:
        """Describe the photo's faces that have no descriptor in this space (queued); False when none."""
        wanted = set(self.library.faces_without(self.space, [photo_id]).get(photo_id, []))
        if not wanted:
            return False
        faces = [f for f in self.library.faces_of(photo_id) if f.id in wanted]
        if self._analyser is not None:  # the photo is on a worker: describe these faces there
            self._reading.append(self._analyser.describe(loaded.task, [f.face for f in faces], [f.id for f in faces]))
            return True
        crops = self.engine.crops_of(loaded.image, [f.face for f in faces], self.crop)
        self._queue(_Pending(loaded, [f.face for f in faces], [f.quality for f in faces], crops, [f.id for f in faces]))
        return True

    def _queue(self, pending: _Pending) -> None:
        self._batch.append(pending)
        if sum(len(p.crops) for p in self._batch) >= self.batch_faces:
            self._flush()

    def _flush(self) -> None:
        """One forward pass for the batch's faces, then each photo stored in its own transaction."""
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        descriptors, _ = self.engine.model.run(np.concatenate([p.crops for p in batch]))
        start = 0
        for pending in batch:
            vectors = descriptors[start:start + len(pending.crops)]
            start += len(pending.crops)
            if pending.face_ids is not None:
                self.library.add_descriptors(self.space, list(zip(pending.face_ids, vectors)))
            else:
                self._store(pending.loaded, pending.faces, pending.qualities, vectors)

    def _store(self, loaded: _Loaded, faces: list[Face], qualities: list[float], vectors: np.ndarray | None) -> None:
        task = loaded.task
        new_faces = [NewFace(face, quality, vectors[i]) for i, (face, quality) in enumerate(zip(faces, qualities))]
        same_content = task.record is not None and task.record.hash == loaded.digest
        carry = carry_over(self.library, task.path, self.space, new_faces, self.threshold, same_content, loaded.dims)
        photo_id = self.library.save_photo(task.path, task.size, task.mtime_ns, loaded.digest, loaded.dims,
                                           PIPELINE_VERSION, new_faces, self.space, carry=carry.mapping,
                                           tags=carry.tags)
        self.summary.detached += [(task.path, number, person) for number, person in carry.detached]
        self.summary.detached_tags += [(task.path, number, person) for number, person in carry.detached_tags]
        if carry.tags:  # faces from tags kept: described from the new version's crops
            self._describe_missing(loaded, photo_id)
