"""Your own people: a photo library that knows who is in which photo (Qt-free).

:mod:`.store` keeps photos, faces, descriptors (by descriptor space), people and
what the user said about faces in one SQLite file; :mod:`.scan` fills it from
folders; :mod:`.search` and :mod:`.cluster` hold the matching and grouping rules;
:mod:`.recognition` puts them together for the CLI and the window.
"""

from __future__ import annotations

from faceapp.core.library.sqlite_store import Library

__all__ = ["Library"]
