"""Finding, downloading and importing model files.

Look-up order: ``--models-dir`` alone when given; otherwise
``$FACEAPP_MODELS_DIR``, keras-vggface's cache (``~/.keras/models/vggface``),
faceapp's user folder, and a folder bundled into a build.  Nothing is ever
downloaded unasked: :func:`locate` raises :class:`ModelFilesMissing` and the
caller decides (the CLI says which command to run; the GUI asks the user).
"""

from __future__ import annotations

import errno
import http.client
import os
import shutil
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from faceapp.core.errors import DownloadCancelled, DownloadError, FaceAppError, ModelFilesMissing, StorageError, WeightsError
from faceapp.core.vggface.catalog import MODELS, RELEASE_URL, ModelSpec, get_spec
from faceapp.paths import MODELS_DIR_ENV, models_search_dirs, user_models_dir

__all__ = [
    "LocatedModel",
    "find_file",
    "locate",
    "download_file",
    "download_model",
    "import_file",
    "default_target_dir",
    "model_status",
    "ProgressCallback",
    "CancelCheck",
]

ProgressCallback = Callable[[int, "int | None"], None]
CancelCheck = Callable[[], bool]

_CHUNK = 256 * 1024


@dataclass(frozen=True)
class LocatedModel:
    """The files found for one model."""

    spec: ModelSpec
    weights: Path
    labels: Path | None
    include_top: bool


def find_file(filename: str, models_dir: str | os.PathLike | None = None) -> Path | None:
    """The first existing ``filename`` in the search folders, or None."""
    for folder in models_search_dirs(models_dir):
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    return None


def default_target_dir(models_dir: str | os.PathLike | None = None) -> Path:
    """Where downloads and imports go: ``--models-dir``, ``$FACEAPP_MODELS_DIR`` or the user folder."""
    if models_dir is not None:
        return Path(models_dir).expanduser()
    env = os.environ.get(MODELS_DIR_ENV)
    return Path(env).expanduser() if env else user_models_dir()


def locate(name: str, models_dir: str | os.PathLike | None = None) -> LocatedModel:
    """The files of model ``name``: the full file (with labels) if present, else ``_notop_``.

    Raises ModelFilesMissing naming the files and the folder to put them in.
    """
    spec = get_spec(name)
    weights = find_file(spec.weights_file, models_dir)
    labels = find_file(spec.labels_file, models_dir)
    if weights is not None and labels is not None:
        return LocatedModel(spec, weights, labels, include_top=True)
    notop = find_file(spec.notop_weights_file, models_dir)
    if notop is not None:
        return LocatedModel(spec, notop, None, include_top=False)
    missing = tuple(f for f, p in ((spec.weights_file, weights), (spec.labels_file, labels)) if p is None)
    target = default_target_dir(models_dir)
    raise ModelFilesMissing(
        f"The {spec.title} model files are not on this machine ({', '.join(missing)}); "
        f"run 'faceapp-cli models download {name}' or put the files in {target}.",
        missing=missing,
    )


def model_status(models_dir: str | os.PathLike | None = None) -> list[dict[str, object]]:
    """For every model: which of its files were found where (for ``models list``)."""
    rows: list[dict[str, object]] = []
    for spec in MODELS.values():
        files = {}
        for filename in (spec.weights_file, spec.notop_weights_file, spec.labels_file):
            found = find_file(filename, models_dir)
            files[filename] = str(found) if found else None
        rows.append({"name": spec.name, "title": spec.title, "classes": spec.classes,
                     "approx_mb": spec.approx_mb(True), "files": files})
    return rows


def _open_url(url: str, offset: int, timeout: float):  # noqa: ANN202 - urllib response
    request = urllib.request.Request(url, headers={"User-Agent": "faceapp"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - fixed https URL or a test's


def _shutdown_on_cancel(response: object, cancel: CancelCheck | None) -> Callable[[], None]:
    """Make a cancel interrupt a read that is blocked waiting for data.

    A blocked ``recv`` cannot poll a flag; shutting the socket down from the
    cancelling thread makes it return at once.  urllib keeps the socket at
    ``response.fp.raw._sock`` (stable since Python 3.0); without it, a cancel
    waits for the next chunk or the read timeout.
    """
    on_cancel = getattr(cancel, "on_cancel", None)
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if on_cancel is None or sock is None:
        return lambda: None

    def shutdown() -> None:
        sock.shutdown(socket.SHUT_RDWR)

    return on_cancel(shutdown)


def _cannot_write(filename: str, target_dir: Path, exc: OSError) -> str:
    """One sentence for a failed write of a model file (download or import)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"There is not enough free disk space for {filename} in {target_dir}; free some space and try again."
    return (f"Cannot write {filename} in {target_dir} ({exc.strerror or exc}); "
            "choose another models folder or check its permissions.")


def _make_folder(target_dir: Path, filename: str, error: type[FaceAppError]) -> None:
    """Create the models folder that ``filename`` goes into; ``error`` (one sentence) when it cannot be."""
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(_cannot_write(filename, target_dir, exc)) from None


def download_file(filename: str, target_dir: str | os.PathLike, *, base_url: str = RELEASE_URL,
                  progress: ProgressCallback | None = None, cancel: CancelCheck | None = None,
                  validate: Callable[[Path], None] | None = None, timeout: float = 30.0) -> Path:
    """Download ``base_url + filename`` into ``target_dir``.

    Streams to ``filename.part``, resumes it with an HTTP Range request when a
    previous attempt was interrupted, calls ``validate(part_path)`` and only
    then renames atomically, so a file under the official name is always whole
    and checked.  ``progress(done, total)`` is called per chunk; ``cancel()``
    returning True stops with DownloadCancelled (the ``.part`` file is kept for
    resuming; a :class:`~faceapp.core.cancel.CancelToken` also interrupts a
    stalled read).  ``timeout``: seconds without data before giving up.
    Every failure is a DownloadError in one sentence; a part that fails
    validation, or that a full disk cut short, is deleted.
    """
    target_dir = Path(target_dir)
    _make_folder(target_dir, filename, DownloadError)
    final = target_dir / filename
    part = target_dir / (filename + ".part")
    offset = part.stat().st_size if part.exists() else 0
    url = base_url + filename
    try:
        response = _open_url(url, offset, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the part file is already complete
            response = None
        else:
            raise DownloadError(f"Download of {filename} failed (HTTP {exc.code}); try again later "
                                f"or put the file in {target_dir} yourself.") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"Download of {filename} failed ({reason}); check the internet connection "
                            f"or put the file in {target_dir} yourself.") from None
    if response is not None:
        with response:
            _receive(response, filename, target_dir, part, offset, progress, cancel, timeout)
    if validate is not None:
        try:
            validate(part)
        except WeightsError as exc:
            part.unlink(missing_ok=True)
            raise DownloadError(f"The downloaded {filename} {exc.problem}; try the download again later "
                                f"or put the file in {target_dir} yourself.") from None
    os.replace(part, final)
    return final


def _receive(response: Any, filename: str, target_dir: Path, part: Path, offset: int,
             progress: ProgressCallback | None, cancel: CancelCheck | None, timeout: float) -> None:
    """Stream ``response`` into ``part`` (appending at ``offset`` when the server honoured Range)."""
    if "text/html" in (response.headers.get("Content-Type") or "").lower():
        # A captive portal, proxy or error page answering 200: not the file.
        raise DownloadError(f"Download of {filename} failed: the server sent a web page instead of the file; "
                            f"check the internet connection or put the file in {target_dir} yourself.")
    if offset and response.status != 206:
        offset = 0  # the server ignored Range: start again
    length = response.headers.get("Content-Length")
    total = offset + int(length) if length and length.isdigit() else None
    done = offset
    forget = _shutdown_on_cancel(response, cancel)
    cancelled = DownloadCancelled(f"Download of {filename} cancelled; it resumes where it stopped next time.")
    try:
        with open(part, "ab" if offset else "wb") as out:
            while True:
                if cancel is not None and cancel():
                    raise cancelled
                try:
                    chunk = response.read1(_CHUNK)  # what has arrived: progress on slow links
                except (socket.timeout, TimeoutError):
                    if cancel is not None and cancel():
                        raise cancelled from None
                    raise DownloadError(f"Download of {filename} stalled (no data for {timeout:g} s); "
                                        "try again to resume it.") from None
                except (OSError, http.client.HTTPException) as exc:
                    if cancel is not None and cancel():
                        raise cancelled from None
                    raise DownloadError(f"Download of {filename} was interrupted ({exc}); "
                                        "try again to resume it.") from None
                if not chunk:
                    break
                try:
                    out.write(chunk)
                except OSError as exc:
                    out.close()
                    part.unlink(missing_ok=True)
                    raise DownloadError(_cannot_write(filename, target_dir, exc)) from None
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except OSError as exc:  # opening or closing the part file
        raise DownloadError(_cannot_write(filename, target_dir, exc)) from None
    finally:
        forget()
    if cancel is not None and cancel():
        raise cancelled
    if total is not None and done < total:
        raise DownloadError(f"Download of {filename} stopped at {done:,} of {total:,} bytes; try again to resume it.")


def _validator(name: str, filename: str) -> Callable[[Path], None]:
    from faceapp.core.vggface.labels import load_labels
    from faceapp.core.vggface.weights import check_weights_file

    spec = get_spec(name)
    include_top = filename == spec.weights_file

    def validate(path: Path) -> None:
        if filename == spec.labels_file:
            load_labels(path, spec.classes)
        else:
            check_weights_file(path, name, include_top)

    return validate


def download_model(name: str, include_top: bool = True, models_dir: str | os.PathLike | None = None, *,
                   base_url: str = RELEASE_URL, progress: Callable[[str, int, "int | None"], None] | None = None,
                   cancel: CancelCheck | None = None, timeout: float = 30.0) -> list[Path]:
    """Download what model ``name`` needs and is not already found; returns the files' paths."""
    spec = get_spec(name)
    wanted = [spec.weights_filename(include_top)] + ([spec.labels_file] if include_top else [])
    target = default_target_dir(models_dir)
    paths = []
    for filename in wanted:
        existing = find_file(filename, models_dir)
        if existing is not None:
            paths.append(existing)
            continue
        report = (lambda done, total, f=filename: progress(f, done, total)) if progress else None
        paths.append(download_file(filename, target, base_url=base_url, progress=report, cancel=cancel,
                                   validate=_validator(name, filename), timeout=timeout))
    return paths


def _identify(path: Path) -> tuple[str, str]:
    """(model name, official file name) of a user-chosen weights or labels file."""
    from faceapp.core.vggface.labels import load_labels
    from faceapp.core.vggface.weights import inspect_weights_file

    if path.suffix.lower() == ".npy":
        names = load_labels(path)
        for spec in MODELS.values():
            if len(names) == spec.classes:
                return spec.name, spec.labels_file
        raise WeightsError(f"Labels file '{path.name}' has {len(names)} names, which matches no model; "
                           "choose rcmalli_vggface_labels_v1.npy or _v2.npy.")
    info = inspect_weights_file(path)
    if info.model is None:
        raise WeightsError(f"Weights file '{path.name}' is not a VGGFace model faceapp knows; "
                           "choose one of the rcmalli_vggface_tf_*.h5 files.")
    return info.model, MODELS[info.model].weights_filename(info.include_top)


def import_file(path: str | os.PathLike, models_dir: str | os.PathLike | None = None) -> Path:
    """Validate a user-chosen weights or labels file and copy it in under its official name."""
    from faceapp.core.vggface.weights import check_weights_file

    source = Path(path).expanduser()
    if not source.is_file():
        raise WeightsError(f"'{source.name}' does not exist; choose the downloaded model file.")
    name, official = _identify(source)
    spec = get_spec(name)
    if official != spec.labels_file:
        check_weights_file(source, name, official == spec.weights_file)
    target_dir = default_target_dir(models_dir)
    _make_folder(target_dir, official, StorageError)
    final = target_dir / official
    if final.exists() and final.resolve() == source.resolve():
        return final
    part = target_dir / (official + ".import")
    try:
        shutil.copyfile(source, part)
        os.replace(part, final)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise StorageError(_cannot_write(official, target_dir, exc)) from None
    return final
