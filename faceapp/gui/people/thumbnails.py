"""Face thumbnails for the grid: made on a thread pool from :mod:`faceapp.core.thumbnails`, kept in memory.

Only what the grid paints is asked for; requests for faces of one photo made
together share one decode.  The GUI thread never decodes a photo.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

__all__ = ["ThumbnailLoader"]

#: Pixmaps kept in memory (LRU): a screenful many times over, a few tens of MB at 128 px.
_KEEP = 3000


class _Signals(QObject):
    made = Signal(object, int, object)  # face id, size, QImage (or None: the photo could not be read)


class _Make(QRunnable):
    def __init__(self, path: str, items: list, size: int, signals: _Signals) -> None:
        super().__init__()
        self.path, self.items, self.size, self.signals = path, items, size, signals

    def run(self) -> None:
        from faceapp.core.thumbnails import face_thumbnails
        from faceapp.gui.compare.overlay import qimage_from_rgb

        try:
            images = face_thumbnails(self.path, [item.face for item in self.items], self.size)
        except Exception:  # noqa: BLE001 - a gone or broken photo shows a placeholder, never an error
            images = [None] * len(self.items)
        for item, rgb in zip(self.items, images):
            self.signals.made.emit(item.face_id, self.size, None if rgb is None else qimage_from_rgb(rgb))


class ThumbnailLoader(QObject):
    """``pixmap(item, size)`` → QPixmap now, or None and a ``ready(face_id)`` when it is made."""

    ready = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[tuple[int, int], QPixmap | None] = OrderedDict()
        self._asked: set[tuple[int, int]] = set()
        self._queue: dict[tuple[str, int], list] = {}
        self._signals = _Signals()
        self._signals.made.connect(self._made)  # a bound method: queued to this (GUI) thread
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        # Requests made while painting are started together once the paint is over.
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self.flush)

    def pixmap(self, item, size: int) -> QPixmap | None:  # noqa: ANN001 - a FaceItem
        key = (item.face_id, size)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key not in self._asked:
            self._asked.add(key)
            self._queue.setdefault((item.path, size), []).append(item)
            self._flush_timer.start()
        return None

    def flush(self) -> None:
        """Start making what was asked for since the last flush (one task per photo)."""
        queue, self._queue = self._queue, {}
        for (path, size), items in queue.items():
            self.pool.start(_Make(path, items, size, self._signals))

    def clear(self) -> None:
        self._cache.clear()
        self._asked.clear()

    def _made(self, face_id: int, size: int, image: QImage | None) -> None:
        key = (face_id, size)
        self._asked.discard(key)
        self._cache[key] = None if image is None else QPixmap.fromImage(image)
        while len(self._cache) > _KEEP:
            self._cache.popitem(last=False)
        self.ready.emit(face_id)

    def wait(self, timeout_ms: int = 10_000) -> bool:
        return self.pool.waitForDone(timeout_ms)
