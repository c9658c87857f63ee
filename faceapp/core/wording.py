"""Words shared by every front-end: counts with their plurals and the sentences said most often.

The CLI, the window and the core's own errors say the same things the same way;
each sentence that more than one place says is written here once.
"""

from __future__ import annotations

__all__ = ["plural", "no_face_found"]


def plural(count: int, word: str, many: str | None = None) -> str:
    """``"1 face"``, ``"3 faces"``; ``many`` for words whose plural is not ``word + "s"``."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def no_face_found(label: str) -> str:
    """The one sentence for a photo where detection found nothing (``label``: a file name or a pane)."""
    return f"No face found in {label}; choose a photo where a face is clearly visible."
