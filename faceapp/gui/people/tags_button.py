"""The People view's "Photo tags" button: import names from photos' face tags, write names to them.

Both run on the engine worker (:class:`~faceapp.gui.engine.jobs.TagsJob`) through the
library controller; this widget only asks for a folder and shows progress and the
same summary the command line prints (:mod:`faceapp.core.tags`).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtWidgets import QFileDialog, QMenu, QPushButton, QWidget

from faceapp.gui import settings as keys
from faceapp.gui.people.library_controller import LibraryController

__all__ = ["TagsButton"]


class TagsButton(QPushButton):
    """``show(text, details, busy)`` is the view's way to show progress (``busy`` (done, total)) or a summary."""

    def __init__(self, library: LibraryController, show: Callable[[str, list[str], Any], None],
                 parent: QWidget | None = None) -> None:
        super().__init__("Photo &tags", parent)
        self.library, self._show = library, show
        menu = QMenu(self)
        self.import_action = menu.addAction("Import names from photo tags…", self.choose_import)
        self.export_action = menu.addAction("Write names to photo tags…", self.export)
        self.setMenu(menu)
        self.setToolTip("Face names other programs wrote into photos (digiKam, Lightroom, Picasa, Windows), "
                        "and faceapp's names written back as sidecar files (photo.jpg.xmp)")
        library.tagsProgress.connect(self._progress)
        library.tagsFinished.connect(self._finished)

    def choose_import(self) -> None:
        start = str(self.library.settings.value(keys.LIBRARY_LAST_FOLDER, "") or "")
        folder = QFileDialog.getExistingDirectory(self, "Import names from the face tags of a folder", start)
        if folder:
            self.import_from([folder])

    def import_from(self, paths: list[str]) -> None:
        self._show("Reading photo tags (new photos are scanned first)…", [], (0, 0))
        self.library.tags("import", paths)

    def export(self) -> None:
        """Write every named face into its photo's sidecar (photo.jpg.xmp); photos are never modified here."""
        self._show("Writing names to photo tags…", [], (0, 0))
        self.library.tags("export")

    def _progress(self, progress: Any) -> None:
        done, total = progress
        self._show(f"{done} of {total} photos", [], (done, total))

    def _finished(self, result: Any) -> None:
        if isinstance(result, BaseException):
            from faceapp.gui.messages import user_message

            self._show(user_message(result, "using photo tags"), [], None)
            return
        details = [p for photo in result.photos for p in getattr(photo, "problems", [])]
        details += [photo.problem for photo in result.photos if getattr(photo, "problem", "")]
        details += [message for _, message in getattr(result, "errors", [])]
        self._show(result.text(), details, None)
