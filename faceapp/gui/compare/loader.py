"""Reading photos off the GUI thread: files, dropped image data and http(s) URLs.

Decoding needs no model, so photos appear at once, even while the model
is still loading.  Each load is a request on its pane's ``photo`` channel; the
window's :class:`~faceapp.gui.engine.requests.LatestRequests` (the record the engine
client uses too) says which is the newest, and only that one is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from faceapp.core.errors import ImageLoadError
from faceapp.gui.engine.requests import LatestRequests, PaneStep, next_id, pane_channel

__all__ = ["PhotoSource", "PhotoLoader", "MAX_URL_BYTES", "URL_TIMEOUT_S"]

#: Largest photo fetched from a URL, and how long a fetch may take to answer.
MAX_URL_BYTES = 50 * 1024 * 1024
URL_TIMEOUT_S = 15.0


@dataclass(frozen=True, eq=False)
class PhotoSource:
    """Where a pane's photo comes from: a path, encoded bytes, or an http(s) URL."""

    pane: str
    path: Path | None = None
    data: bytes | None = None
    url: str | None = None
    id: int = field(default_factory=next_id)

    @property
    def channel(self) -> str:
        """A newer photo for the same pane replaces this one."""
        return pane_channel(PaneStep.PHOTO, self.pane)

    @property
    def label(self) -> str:
        if self.path is not None:
            return self.path.name
        if self.url is not None:
            return self.url.rsplit("/", 1)[-1].split("?", 1)[0] or self.url
        return "pasted image"


def fetch_url(url: str, max_bytes: int = MAX_URL_BYTES, timeout: float = URL_TIMEOUT_S) -> bytes:
    """The bytes at an http(s) URL, capped in size and time; ImageLoadError otherwise."""
    import urllib.error
    import urllib.request

    name = url.rsplit("/", 1)[-1][:60] or url
    if not url.lower().startswith(("http://", "https://")):
        raise ImageLoadError(f"Cannot open '{name}': only http and https links can be dropped; save the photo and drop the file.")
    request = urllib.request.Request(url, headers={"User-Agent": "faceapp"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - user's own link
            data = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise ImageLoadError(f"Cannot open '{name}': the server answered HTTP {exc.code}; check the link.") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ImageLoadError(f"Cannot open '{name}': the download failed ({reason}); check the connection or save the photo and drop the file.") from None
    if len(data) > max_bytes:
        limit = f"{max_bytes / 1e6:.0f} MB" if max_bytes >= 1e6 else f"{max_bytes / 1e3:.0f} kB"
        raise ImageLoadError(f"Cannot open '{name}': it is larger than {limit}; save a smaller copy and drop that.")
    return data


class _Signals(QObject):
    loaded = Signal(object, object)  # PhotoSource, RGB ndarray
    failed = Signal(object, object)  # PhotoSource, exception


class _LoadTask(QRunnable):
    def __init__(self, source: PhotoSource, signals: _Signals, latest: LatestRequests) -> None:
        super().__init__()
        self.source = source
        self.signals = signals
        self.latest = latest

    def run(self) -> None:
        from faceapp.core.images import load_image

        if not self.latest.is_current(self.source):
            return  # a newer photo for this pane was asked for before this one started
        try:
            source = self.source
            if source.url is not None:
                image = load_image(fetch_url(source.url))
            elif source.data is not None:
                image = load_image(source.data)
            else:
                image = load_image(source.path)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - reported to the pane, never lost
            self.signals.failed.emit(self.source, exc)
            return
        self.signals.loaded.emit(self.source, image)


class PhotoLoader(QObject):
    """Decodes photos on a thread pool; emits ``loaded``/``failed`` on the GUI thread.

    Sources share a channel per pane: only the newest source of a pane is
    reported, so a slow decode never replaces a photo dropped after it.
    ``latest`` is the window's record of the newest requests (shared with the engine client).
    """

    loaded = Signal(object, object)
    failed = Signal(object, object)

    def __init__(self, latest: LatestRequests, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.latest = latest
        self._signals = _Signals()
        # Bound methods of this GUI-thread object: queued, so they run on the GUI thread.
        self._signals.loaded.connect(self._on_loaded)
        self._signals.failed.connect(self._on_failed)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)

    def load(self, source: PhotoSource) -> None:
        self.latest.submitted(source)
        self.pool.start(_LoadTask(source, self._signals, self.latest))

    def _on_loaded(self, source: PhotoSource, image: object) -> None:
        if self.latest.is_current(source):
            self.loaded.emit(source, image)

    def _on_failed(self, source: PhotoSource, exc: object) -> None:
        if self.latest.is_current(source):
            self.failed.emit(source, exc)

    def wait(self, timeout_ms: int = 20_000) -> bool:
        return self.pool.waitForDone(timeout_ms)
