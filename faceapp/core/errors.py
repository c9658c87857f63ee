"""Exceptions that cross the core boundary.

Every message is one sentence a user can act on: it names the file concerned
and says what to do next.
"""

from __future__ import annotations

__all__ = [
    "FaceAppError",
    "ImageLoadError",
    "WeightsError",
    "ModelFilesMissing",
    "DownloadError",
    "DownloadCancelled",
    "StorageError",
]


class FaceAppError(Exception):
    """Base class of every error faceapp raises on purpose."""


class ImageLoadError(FaceAppError):
    """A photo could not be read (not an image, truncated, too large...)."""


class WeightsError(FaceAppError):
    """A weights or labels file is broken, of another model, or misshaped.

    ``problem`` is the finding alone ("is truncated"), without the file name or
    advice, for messages that wrap it (a failed download names its own file).
    """

    def __init__(self, message: str, problem: str = "") -> None:
        super().__init__(message)
        self.problem = problem or message


class ModelFilesMissing(FaceAppError):
    """The files a model needs are not on this machine (nothing was downloaded)."""

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


class DownloadError(FaceAppError):
    """A download failed (network, HTTP status, or the file did not validate)."""


class DownloadCancelled(FaceAppError):
    """The user cancelled a download; the partial file is kept for resuming."""


class StorageError(FaceAppError):
    """A file or the library could not be written or read (disk full, permissions, damaged)."""
