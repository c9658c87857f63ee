"""The photo formats faceapp reads: one list for the file dialogs, drops, folder scans and messages.

No heavy imports: the window reads this before NumPy or Pillow load.
"""

from __future__ import annotations

__all__ = ["PHOTO_FORMATS", "PHOTO_SUFFIXES", "SUPPORTED_FORMATS", "UNREADABLE_FORMATS", "is_photo_name",
           "unreadable_format", "dialog_filter"]

#: (format name, file name suffixes), in the order they are offered.
PHOTO_FORMATS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("JPEG", (".jpg", ".jpeg", ".jfif")),
    ("PNG", (".png",)),
    ("WebP", (".webp",)),
    ("TIFF", (".tif", ".tiff")),
    ("BMP", (".bmp",)),
    ("GIF", (".gif",)),
    # From phones: HEIC through pillow-heif (libheif), AVIF through Pillow's own codec (Pillow ≥ 11.3 wheels).
    ("HEIC", (".heic", ".heif", ".hif")),
    ("AVIF", (".avif",)),
)

#: Every suffix above, lower case with the dot.
PHOTO_SUFFIXES: frozenset[str] = frozenset(suffix for _, suffixes in PHOTO_FORMATS for suffix in suffixes)

#: For messages: "JPEG, PNG, WebP, TIFF, BMP, GIF, HEIC or AVIF".
SUPPORTED_FORMATS = ", ".join(name for name, _ in PHOTO_FORMATS[:-1]) + f" or {PHOTO_FORMATS[-1][0]}"


#: Photo formats common in photo folders that faceapp cannot read: camera raw files would give Pillow
#: at best their small embedded preview, and a raw decoder (LibRaw) does not fit the bundle's budget.
#: Scans count them and opening one says so, so that they are never left out in silence.
UNREADABLE_FORMATS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("camera raw", (".cr2", ".cr3", ".nef", ".nrw", ".arw", ".dng", ".orf", ".rw2", ".raf", ".pef", ".srw")),
)


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def unreadable_format(name: str) -> str | None:
    """The format's name ("HEIC", "camera raw") when ``name`` is a photo faceapp cannot read, else None."""
    suffix = _suffix(name)
    return next((kind for kind, suffixes in UNREADABLE_FORMATS if suffix in suffixes), None)


def is_photo_name(name: str) -> bool:
    """True when a file name ends in one of the photo suffixes (any case)."""
    return _suffix(name) in PHOTO_SUFFIXES


def dialog_filter() -> str:
    """A Qt file-dialog filter: ``Photos (*.jpg *.jpeg ...);;All files (*)``."""
    patterns = " ".join(f"*{suffix}" for _, suffixes in PHOTO_FORMATS for suffix in suffixes)
    return f"Photos ({patterns});;All files (*)"
