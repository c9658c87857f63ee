"""Face thumbnails for the grid: made on a thread pool from :mod:`faceapp.core.thumbnails`, kept in memory.

Only what the grid paints is asked for; requests for faces of one photo made
together share one decode.  The GUI thread never decodes a photo.

A thumbnail is keyed by what it shows (photo path, face box and turn, size), not by
the face's id: ids restart in every library, so an id-keyed cache showed the faces
of the library open before (issue 16).  The cache is also emptied when another
library is opened, so no face of it stays in memory.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

__all__ = ["ThumbnailLoader"]

#: Pixmaps kept in memory (LRU): a screenful many times over, a few tens of MB at 128 px.
_KEEP = 3000


Key = tuple  # (photo path, (x, y, width, height), rotation, size)


def _key(item, size: int) -> Key:  # noqa: ANN001 - a FaceItem
    box = item.face.box
    return item.path, (box.x, box.y, box.width, box.height), item.face.rotation, size


class _Signals(QObject):
    made = Signal(object, int, object, int)  # key, face id, QImage (or None: unreadable photo), generation


class _Make(QRunnable):
    def __init__(self, path: str, items: list, size: int, signals: _Signals, generation: int) -> None:
        super().__init__()
        self.path, self.items, self.size, self.signals, self.generation = path, items, size, signals, generation

    def run(self) -> None:
        from faceapp.core.thumbnails import face_thumbnails
        from faceapp.gui.compare.overlay import qimage_from_rgb

        try:
            images = face_thumbnails(self.path, [item.face for item in self.items], self.size)
        except Exception:  # noqa: BLE001 - a gone or broken photo shows a placeholder, never an error
            images = [None] * len(self.items)
        for item, rgb in zip(self.items, images):
            self.signals.made.emit(_key(item, self.size), item.face_id, None if rgb is None else qimage_from_rgb(rgb),
                                   self.generation)


class ThumbnailLoader(QObject):
    """``pixmap(item, size)`` → QPixmap now, or None and a ``ready(face_id)`` when it is made."""

    ready = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[Key, QPixmap | None] = OrderedDict()
        self._asked: dict[Key, set[int]] = {}  # made now; the faces (ids) waiting for it
        self._generation = 0  # bumped by clear(): thumbnails asked for before it are dropped when they arrive
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
        key = _key(item, size)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key not in self._asked:
            self._asked[key] = set()
            self._queue.setdefault((item.path, size), []).append(item)
            self._flush_timer.start()
        self._asked[key].add(item.face_id)
        return None

    def flush(self) -> None:
        """Start making what was asked for since the last flush (one task per photo)."""
        queue, self._queue = self._queue, {}
        for (path, size), items in queue.items():
            self.pool.start(_Make(path, items, size, self._signals, self._generation))

    def clear(self) -> None:
        """Forget every thumbnail in memory and every request under way (another library was opened)."""
        self._cache.clear()
        self._asked.clear()
        self._queue.clear()
        self._generation += 1

    def _made(self, key: Key, face_id: int, image: QImage | None, generation: int) -> None:
        if generation != self._generation:
            return  # asked for by the library open before
        waiting = self._asked.pop(key, {face_id})
        self._cache[key] = None if image is None else QPixmap.fromImage(image)
        while len(self._cache) > _KEEP:
            self._cache.popitem(last=False)
        for waiting_id in sorted(waiting):
            self.ready.emit(waiting_id)

    def wait(self, timeout_ms: int = 10_000) -> bool:
        return self.pool.waitForDone(timeout_ms)
