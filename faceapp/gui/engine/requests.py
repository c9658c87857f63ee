"""Which request is the newest: "latest request wins", for the whole window, in one place.

Requests that share a ``channel`` (the photo of pane A, the model to load…)
replace each other: only the newest of a channel may update the view.  One
:class:`LatestRequests` per window is the one place that knows which request is
the newest: the window makes it, and the engine client (with its worker) and the
photo loader all consult that same record.  A compared pane's channels are spelt
by :func:`pane_channel` only.  (A module of its own, without the job classes:
the window's first paint needs this and not them.)
"""

from __future__ import annotations

import itertools
import threading
from typing import Protocol

from faceapp.core.kinds import Kind

__all__ = ["LatestRequests", "Request", "PaneStep", "pane_channel", "next_id"]

_ids = itertools.count(1)


def next_id() -> int:
    """A new, increasing request id."""
    return next(_ids)


class PaneStep(Kind):
    """The steps of a compared pane's photo, each its own channel: a newer request of one step replaces the
    older one of that step only (a who-answer asked again must not drop the pane's analysis)."""

    PHOTO = "photo"  # reading the file, link or pasted data (gui.compare.loader)
    ANALYZE = "analyze"  # finding and describing its faces (AnalyzeJob)
    WHO = "who"  # which of your people they are (WhoJob)


def pane_channel(step: PaneStep | str, pane: str) -> str:
    """The channel of ``step`` for pane ``pane`` ("A" or "B"), e.g. ``analyze:A``: the one spelling."""
    return f"{PaneStep(step)}:{pane}"


class Request(Protocol):
    """What "latest request wins" needs of a request: an id from :func:`next_id` and a channel (None: every
    request counts).  Engine jobs and the photo loader's sources are requests."""

    @property
    def id(self) -> int: ...

    @property
    def channel(self) -> str | None: ...


class LatestRequests:
    """The newest request id of every channel, for a whole window; safe to use from any thread.

    Whoever sends a request calls :meth:`submitted`; whoever is about to start it or to show its result asks
    :meth:`is_current` (a worker before and after running it, a receiver on the GUI thread before painting).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}

    def submitted(self, request: Request) -> None:
        """``request`` is now the newest of its channel: every older one of that channel is stale."""
        if request.channel is not None:
            with self._lock:
                self._latest[request.channel] = request.id

    def supersede(self, channel: str) -> None:
        """Make every request of ``channel`` sent so far stale (what it was for changed; nothing new was sent yet)."""
        with self._lock:
            self._latest[channel] = next_id()

    def is_current(self, request: Request) -> bool:
        """True unless a newer request of the same channel was submitted (or the channel superseded)."""
        if request.channel is None:
            return True
        with self._lock:
            return self._latest.get(request.channel, request.id) == request.id
