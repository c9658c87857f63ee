"""The photo formats faceapp reads: one list for the file dialogs, drops, folder scans and messages.

No heavy imports: the window reads this before NumPy or Pillow load.
"""

from __future__ import annotations

__all__ = ["PHOTO_FORMATS", "PHOTO_SUFFIXES", "SUPPORTED_FORMATS", "is_photo_name", "dialog_filter"]

#: (format name, file name suffixes), in the order they are offered.
PHOTO_FORMATS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("JPEG", (".jpg", ".jpeg", ".jfif")),
    ("PNG", (".png",)),
    ("WebP", (".webp",)),
    ("TIFF", (".tif", ".tiff")),
    ("BMP", (".bmp",)),
    ("GIF", (".gif",)),
)

#: Every suffix above, lower case with the dot.
PHOTO_SUFFIXES: frozenset[str] = frozenset(suffix for _, suffixes in PHOTO_FORMATS for suffix in suffixes)

#: For messages: "JPEG, PNG, WebP, TIFF, BMP or GIF".
SUPPORTED_FORMATS = ", ".join(name for name, _ in PHOTO_FORMATS[:-1]) + f" or {PHOTO_FORMATS[-1][0]}"


def is_photo_name(name: str) -> bool:
    """True when a file name ends in one of the photo suffixes (any case)."""
    dot = name.rfind(".")
    return dot >= 0 and name[dot:].lower() in PHOTO_SUFFIXES


def dialog_filter() -> str:
    """A Qt file-dialog filter: ``Photos (*.jpg *.jpeg ...);;All files (*)``."""
    patterns = " ".join(f"*{suffix}" for _, suffixes in PHOTO_FORMATS for suffix in suffixes)
    return f"Photos ({patterns});;All files (*)"
