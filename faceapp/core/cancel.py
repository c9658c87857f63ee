"""Cancelling long work from another thread: downloads, folder scans, calibrations.

A :class:`CancelToken` is a flag plus callbacks.  Checking the flag is enough for
work that loops; a download blocked in a network read cannot check anything, so
it registers a callback that shuts its socket down, and the read returns at once.
"""

from __future__ import annotations

import threading
from typing import Callable

__all__ = ["CancelToken"]


class CancelToken:
    """Set once with :meth:`cancel`; callable (``token()`` → cancelled?) so it works as a check."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def __call__(self) -> bool:
        return self._event.is_set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        """Set the flag and run every registered callback once (their errors are ignored)."""
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - best effort: the flag is what counts
                pass

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` when cancelled (at once if already); returns a function that unregisters it."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._forget(callback)
        callback()
        return lambda: None

    def _forget(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
