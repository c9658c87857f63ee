"""The model-files flow: when a model cannot load, ask the user; download or import; load again.

One home for the first-run dialog, the download and import jobs and what the
status bar says about them.  The window only forwards ``status``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from faceapp.core.errors import DownloadCancelled, DownloadError, FaceAppError, ModelFilesMissing
from faceapp.gui.engine.engine_client import EngineClient
from faceapp.gui.messages import finding, user_message

if TYPE_CHECKING:  # the dialog and the job classes load when needed, not before the window's first paint
    from faceapp.gui.dialogs.model_dialog import ModelDialog
    from faceapp.gui.engine.jobs import DownloadJob

__all__ = ["ModelFilesController"]

NO_MODEL = "No model loaded: use Model → Model files… to download or choose the files."


class ModelFilesController(QObject):
    """Shows :class:`ModelDialog` when the engine's model fails to load, and carries out the user's choice."""

    status = Signal(str)
    quitRequested = Signal()

    def __init__(self, engine: EngineClient, parent_widget: QWidget, download_url: str | None = None) -> None:
        super().__init__(parent_widget)
        self.engine = engine
        self.parent_widget = parent_widget
        self.download_url = download_url
        self.dialog: ModelDialog | None = None
        self.download: DownloadJob | None = None  # the download running, for its own Cancel
        engine.modelFailed.connect(self._model_failed)
        engine.modelReady.connect(lambda _info: self.close_dialog())
        engine.progress.connect(self._progress)

    def _model_failed(self, exc: BaseException) -> None:
        self.status.emit(user_message(exc, "loading the model"))
        if isinstance(exc, ModelFilesMissing):
            self.show_dialog(exc.missing, None)
        else:
            self.show_dialog((), user_message(exc, "loading the model"))

    def show_dialog(self, missing: tuple[str, ...] = (), error: str | None = None) -> None:
        """Open (or update) the dialog for the engine's wanted model."""
        from faceapp.core.vggface.catalog import get_spec
        from faceapp.core.vggface.model_files import default_target_dir
        from faceapp.gui.dialogs.model_dialog import ModelDialog

        spec = get_spec(self.engine.model)
        if not missing:
            missing = (spec.weights_file, spec.labels_file)
        if self.dialog is not None and self.dialog.spec.name != spec.name:
            self.close_dialog()
        if self.dialog is None:
            dialog = ModelDialog(spec.name, missing, default_target_dir(self.engine.models_dir), self.parent_widget)
            dialog.downloadRequested.connect(self._download)
            dialog.cancelRequested.connect(self.cancel_download)
            dialog.fileChosen.connect(self._import)
            dialog.quitRequested.connect(self.quitRequested)
            dialog.finished.connect(lambda _result, d=dialog: self._closed(d))
            self.dialog = dialog
            dialog.open()
        if error:
            self.dialog.show_error(error)

    def close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.close()  # → finished → _closed

    def _closed(self, dialog: ModelDialog) -> None:
        if dialog.downloading:
            self.cancel_download()  # closing the dialog stops its download (it resumes next time)
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
        if not self.engine.ready:
            self.status.emit(NO_MODEL)

    def _download(self) -> None:
        from faceapp.gui.engine.jobs import DownloadJob

        self.status.emit("Downloading model files…")
        self.download = DownloadJob(self.engine.model, self.engine.models_dir, self.download_url)
        self.engine.submit(self.download, returned=self._files_ready, errored=self._download_failed)

    def cancel_download(self) -> None:
        """Stop the download (and nothing else: a scan or calibration goes on)."""
        self.engine.cancel(self.download)

    def _import(self, path: Path) -> None:
        from faceapp.gui.engine.jobs import ImportJob

        self.engine.submit(ImportJob(path, self.engine.models_dir),
                           returned=self._files_ready, errored=self._import_failed)

    def _files_ready(self, _result: object) -> None:
        if self.dialog is not None:
            self.dialog.set_downloading(False)
        self.status.emit("Model files ready; loading…")
        self.engine.load_model()

    # The dialog shows the problem first, then the status bar speaks ("the model files dialog says why"): whoever
    # hears ``status`` finds the dialog already saying it.
    def _download_failed(self, exc: BaseException) -> None:
        message = user_message(exc, "downloading")
        dialog = self.dialog
        if dialog is not None:
            offline = isinstance(exc, DownloadError)  # the dialog's own hint says where to put the files
            dialog.show_error(finding(message) if offline else message, offline=offline)
        if isinstance(exc, DownloadCancelled):
            self.status.emit("Download cancelled; use Model → Model files… to resume it.")
        elif dialog is not None:
            self.status.emit("Download failed; the model files dialog says why.")
        else:
            self.status.emit(f"Download failed: {message}")

    def _import_failed(self, exc: BaseException) -> None:
        message = user_message(exc, "importing the file")
        if self.dialog is not None:
            self.dialog.show_error(message)
        self.status.emit(message if isinstance(exc, FaceAppError) else "The chosen file could not be imported.")

    def _progress(self, done: int, total: object) -> None:
        if self.dialog is not None and self.dialog.downloading:
            self.dialog.set_progress(done, total if isinstance(total, int) else None)
