"""Your own people: a photo library that knows who is in which photo (Qt-free).

:mod:`.store` is the storage interface (:class:`Library`, the SQL both engines
share); :mod:`.sqlite_store` keeps a library in one SQLite file and
:mod:`.postgres_store` in a PostgreSQL + pgvector database (``Library.open``
chooses by location).  :mod:`.scan` fills it from folders; :mod:`.search` and
:mod:`.cluster` hold the matching and grouping rules; :mod:`.recognition` puts
them together for the CLI and the window.
"""

from __future__ import annotations

from faceapp.core.library.store import Library

__all__ = ["Library"]
