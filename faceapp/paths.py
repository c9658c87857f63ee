"""Every folder faceapp uses, and the one helper that knows about PyInstaller's ``sys._MEIPASS``.

What faceapp writes about people (the library, imported photo copies, face
thumbnails, calibrated thresholds) is created owner-only on POSIX: folders 0700,
files 0600 (:func:`make_private_dir`, :func:`create_private_file`) — whatever the
umask says, since the library holds biometric data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from faceapp import APP_NAME

__all__ = [
    "resources_dir",
    "resource_path",
    "user_data_dir",
    "user_models_dir",
    "keras_vggface_cache_dir",
    "bundled_models_dir",
    "models_search_dirs",
    "MODELS_DIR_ENV",
    "LIBRARY_ENV",
    "library_path",
    "imported_dir",
    "thumbnails_dir",
    "make_private_dir",
    "create_private_file",
    "is_server_location",
    "default_library_exists",
    "mtcnn_weights_dir",
]

#: Environment variable naming a folder that holds (or receives) model files.
MODELS_DIR_ENV = "FACEAPP_MODELS_DIR"
#: Environment variable naming the library file (``--library`` wins over it).
LIBRARY_ENV = "FACEAPP_LIBRARY"


def resources_dir() -> Path:
    """The ``resources/`` folder, in a source checkout, a wheel or a PyInstaller bundle."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        return Path(bundle_root) / "resources"
    packaged = Path(__file__).resolve().parent / "resources"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(name: str) -> Path:
    """Path of one file in :func:`resources_dir`."""
    return resources_dir() / name


def mtcnn_weights_dir() -> Path | None:
    """The folder of the ``mtcnn`` package's shipped weights (``{pnet,rnet,onet}.lz4``), None when the
    package is not installed.  Found without importing ``mtcnn``: its ``__init__`` imports TensorFlow."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        return Path(bundle_root) / "mtcnn" / "assets" / "weights"
    import importlib.util

    spec = importlib.util.find_spec("mtcnn")  # a top-level package: located, not executed
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / "weights"


def user_data_dir() -> Path:
    """faceapp's per-user data folder, following each platform's convention."""
    home = Path.home()
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / APP_NAME


def user_cache_dir() -> Path:
    """faceapp's per-user cache folder (``$XDG_CACHE_HOME/faceapp`` on Linux): only what can be made again."""
    home = Path.home()
    if sys.platform.startswith("win"):
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / APP_NAME / "cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / APP_NAME
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / APP_NAME


def user_models_dir() -> Path:
    """Where faceapp downloads and imports model files by default."""
    return user_data_dir() / "models"


def keras_vggface_cache_dir() -> Path:
    """keras-vggface's own cache, so files a user already downloaded are reused."""
    keras_home = os.environ.get("KERAS_HOME")
    base = Path(keras_home) if keras_home else Path.home() / ".keras"
    return base / "models" / "vggface"


def bundled_models_dir() -> Path:
    """Model files bundled into a PyInstaller build for offline installs."""
    return resources_dir() / "models"


def models_search_dirs(explicit: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for model files, most specific first.

    An explicit folder (``--models-dir``) is searched alone; otherwise
    ``$FACEAPP_MODELS_DIR``, keras-vggface's cache, faceapp's user folder and
    the folder bundled into a build.
    """
    if explicit is not None:
        return [Path(explicit).expanduser()]
    dirs: list[Path] = []
    env = os.environ.get(MODELS_DIR_ENV)
    if env:
        dirs.append(Path(env).expanduser())
    dirs += [keras_vggface_cache_dir(), user_models_dir(), bundled_models_dir()]
    return dirs


def library_path(explicit: str | os.PathLike | None = None) -> Path:
    """The library file: ``explicit`` (``--library``), else ``$FACEAPP_LIBRARY``, else ``library.sqlite``
    in faceapp's user data folder."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(LIBRARY_ENV)
    return Path(env).expanduser() if env else user_data_dir() / "library.sqlite"


def imported_dir(library: str | os.PathLike) -> Path:
    """Where copies of pasted or downloaded photos named into ``library`` are kept: a folder beside it,
    ``<library name>-imported`` (so a copy of the library folder takes them along)."""
    if is_server_location(library):  # a server library has no folder of its own: this user's data folder
        return user_data_dir() / "imported"
    library = Path(library)
    return library.parent / f"{library.stem}-imported"


def thumbnails_dir() -> Path:
    """The face thumbnails cache (crops of faces: made again when deleted)."""
    return user_cache_dir() / "thumbnails"


def make_private_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` and any missing parent as owner-only folders (0700 on POSIX); folders that already
    exist are left as they are (they may be the user's own, e.g. ~/Documents)."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made meanwhile by another process
        if os.name == "posix":
            os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    return path


def create_private_file(path: str | os.PathLike) -> bool:
    """Create ``path`` empty and owner-only (0600 on POSIX) unless it exists; True when it was created.
    SQLite gives its -wal and -shm files the permissions of the library file, so this covers them too."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        if os.name == "posix":
            os.fchmod(handle, 0o600)
    finally:
        os.close(handle)
    return True
def is_server_location(location: str | os.PathLike | None) -> bool:
    """Whether ``location`` names a library on a PostgreSQL server (a ``postgresql://`` or ``postgres://`` URL)."""
    return location is not None and str(location).strip().lower().startswith(("postgresql://", "postgres://"))


def default_library_exists() -> bool:
    """Whether the default library ($FACEAPP_LIBRARY, else the user data folder's) is there to open
    (a server library is assumed to be: opening it says otherwise)."""
    return is_server_location(os.environ.get(LIBRARY_ENV)) or library_path().exists()
