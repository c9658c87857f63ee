"""Where faceapp finds its resources and model files: the one helper that knows
about PyInstaller's ``sys._MEIPASS``.
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
    """faceapp's per-user cache folder (what can be made again: thumbnails), each platform's convention."""
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
