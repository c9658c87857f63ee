"""The main window: two photo panes, the verdict, menus, settings, and the wiring to the worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads with the first photo, not with the window
    import numpy as np

import traceback
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget,
)

from faceapp import APP_NAME, __version__
from faceapp.core.defaults import CROP_RECIPES, DEFAULT_CROP, DEFAULT_MODEL, DEFAULT_THRESHOLD
from faceapp.core.errors import DownloadCancelled, DownloadError, FaceAppError, ModelFilesMissing
from faceapp.core.report import analysis_text
from faceapp.core.verification import cosine_distance
from faceapp.core.vggface.catalog import MODELS
from faceapp.gui.image_pane import ImagePane, drop_items
from faceapp.gui.jobs import AnalyzeJob, DownloadJob, ImportJob, LoadModelJob
from faceapp.gui.loader import PhotoLoader, PhotoSource
from faceapp.gui.model_dialog import ModelDialog
from faceapp.gui.overlay import annotated_image
from faceapp.gui.verdict_panel import VerdictPanel
from faceapp.gui.worker import WorkerThread
from faceapp.paths import resource_path

__all__ = ["MainWindow"]

_OPEN_FILTER = "Photos (*.jpg *.jpeg *.png *.webp *.tif *.tiff *.bmp *.gif);;All files (*)"
_CROP_TITLES = {"vggface2": "VGGFace2 authors' crop (box + 30 %)", "tutorial": "Tutorial crop (exact box)"}


def user_message(exc: BaseException, what: str) -> str:
    """One sentence for the user: our own errors speak for themselves."""
    if isinstance(exc, FaceAppError):
        return str(exc)
    return f"Something went wrong while {what}; see the details, and report it if it happens again."


class MainWindow(QMainWindow):
    """faceapp's window.  ``models_dir`` and ``settings`` may be given (tests, ``--models-dir``)."""

    def __init__(self, models_dir: str | None = None, settings: QSettings | None = None,
                 download_url: str | None = None) -> None:
        super().__init__()
        self.models_dir = models_dir
        self.download_url = download_url
        self.settings = settings or QSettings()
        self.setWindowTitle(APP_NAME)
        icon = resource_path("faceapp.png")
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))
        self.model = str(self.settings.value("model", DEFAULT_MODEL))
        if self.model not in MODELS:
            self.model = DEFAULT_MODEL
        self.crop = str(self.settings.value("crop", DEFAULT_CROP))
        if self.crop not in CROP_RECIPES:
            self.crop = DEFAULT_CROP
        self.ready_key: tuple[str, str] | None = None  # (model, crop) the worker has loaded
        self.model_info: dict[str, object] = {}
        self.dialog: ModelDialog | None = None
        self.active_pane = "A"
        self._current_load: dict[str, int] = {}
        self._current_job: dict[str, int] = {}
        self._closing = False

        self.panes = {name: ImagePane(name) for name in ("A", "B")}
        for name, pane in self.panes.items():
            pane.dropped.connect(lambda items, n=name: self.take_items(n, items))
            pane.faceSelected.connect(lambda _i, n=name: self._face_chosen(n))
        self.verdict = VerdictPanel()
        threshold = self.settings.value("threshold", DEFAULT_THRESHOLD)
        try:
            self.verdict.set_threshold(float(threshold))
        except (TypeError, ValueError):
            self.verdict.set_threshold(DEFAULT_THRESHOLD)
        self.verdict.thresholdChanged.connect(lambda value: self.settings.setValue("threshold", value))

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.panes["A"])
        splitter.addWidget(self.panes["B"])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.verdict)
        self.setCentralWidget(central)
        self.status_label = QLabel("Starting…")
        self.status_label.setAccessibleName("Status")
        self.statusBar().addWidget(self.status_label, 1)
        self._build_menus()
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)

        self.loader = PhotoLoader(self)
        self.loader.loaded.connect(self._photo_loaded)
        self.loader.failed.connect(self._photo_failed)
        self.worker_thread: WorkerThread | None = None

    # -- start-up ---------------------------------------------------------------
    def start_worker(self) -> None:
        """Start the engine thread and load the model (call after show())."""
        self.worker_thread = WorkerThread()
        worker = self.worker_thread.worker
        worker.returned.connect(self._job_returned)
        worker.errored.connect(self._job_errored)
        worker.status.connect(self.set_status)
        worker.progress.connect(self._download_progress)
        self.load_model()

    @property
    def worker(self):  # noqa: ANN201 - EngineWorker or None
        return self.worker_thread.worker if self.worker_thread else None

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def load_model(self) -> None:
        self.ready_key = None
        for pane in self.panes.values():
            if pane.rgb is not None:
                pane.set_busy(True, "waiting for the model…")
        self.set_status(f"Loading {MODELS[self.model].title}…")
        if self.worker is not None:
            self.worker.submit(LoadModelJob(self.model, self.crop, self.models_dir))

    # -- menus ----------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open photo A…", lambda: self.open_dialog("A"), QKeySequence.StandardKey.Open)
        self._action(file_menu, "Open photo &B…", lambda: self.open_dialog("B"), "Ctrl+Shift+O")
        self._action(file_menu, "&Paste photo", self.paste, QKeySequence.StandardKey.Paste)
        file_menu.addSeparator()
        self._action(file_menu, "&Save annotated image…", self.save_annotated, QKeySequence.StandardKey.Save)
        self._action(file_menu, "&Copy result as text", self.copy_result, "Ctrl+Shift+C")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        model_menu = bar.addMenu("&Model")
        self.model_actions = QActionGroup(self)
        for name, spec in MODELS.items():
            action = self._action(model_menu, spec.title + (" — default" if name == DEFAULT_MODEL else ""),
                                  lambda _c=False, n=name: self.choose_model(n))
            action.setCheckable(True)
            action.setChecked(name == self.model)
            action.setData(name)
            self.model_actions.addAction(action)
        model_menu.addSeparator()
        self._action(model_menu, "Model &files…", self.load_model)
        model_menu.addSeparator()
        self.crop_actions = QActionGroup(self)
        for recipe in CROP_RECIPES:
            action = self._action(model_menu, _CROP_TITLES[recipe], lambda _c=False, r=recipe: self.choose_crop(r))
            action.setCheckable(True)
            action.setChecked(recipe == self.crop)
            self.crop_actions.addAction(action)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Help", self.show_help, QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, "&About faceapp", self.show_about)

    def choose_model(self, name: str) -> None:
        if name == self.model:
            return
        self.model = name
        self.settings.setValue("model", name)
        self.load_model()

    def choose_crop(self, recipe: str) -> None:
        if recipe == self.crop:
            return
        self.crop = recipe
        self.settings.setValue("crop", recipe)
        self.load_model()

    # -- photos in ------------------------------------------------------------------
    def take_items(self, pane: str, items: list) -> None:
        """Dropped/pasted items: two or more fill both panes, one fills ``pane``."""
        targets = ["A", "B"] if len(items) >= 2 else [pane]
        for target, (kind, value) in zip(targets, items):
            self.load_source(PhotoSource(pane=target, **{kind: value}))

    def open_paths(self, paths: list[str]) -> None:
        for target, path in zip(("A", "B"), paths):
            self.load_source(PhotoSource(pane=target, path=Path(path)))

    def load_source(self, source: PhotoSource) -> None:
        self.active_pane = source.pane
        self._current_load[source.pane] = source.id
        self.panes[source.pane].set_busy(True, "opening…")
        if source.path is not None:
            self.settings.setValue("last_folder", str(source.path.parent))
        self.loader.load(source)

    def open_dialog(self, pane: str) -> None:
        folder = str(self.settings.value("last_folder", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, f"Open photo {pane}", folder, _OPEN_FILTER)
        if path:
            self.load_source(PhotoSource(pane=pane, path=Path(path)))

    def paste(self) -> None:
        items = drop_items(QGuiApplication.clipboard().mimeData())
        if not items:
            self.set_status("The clipboard holds no photo; copy an image or an image link first.")
            return
        empty = [name for name, pane in self.panes.items() if pane.rgb is None]
        self.take_items(empty[0] if empty else self.active_pane, items[:1])

    def _photo_loaded(self, source: PhotoSource, rgb: np.ndarray) -> None:
        if self._current_load.get(source.pane) != source.id:
            return  # a newer photo was asked for meanwhile
        self.panes[source.pane].set_photo(rgb, source.label)
        self._update_verdict()
        self.analyze(source.pane)

    def _photo_failed(self, source: PhotoSource, exc: BaseException) -> None:
        if self._current_load.get(source.pane) != source.id:
            return
        pane = self.panes[source.pane]
        pane.set_busy(False)
        pane.show_message(user_message(exc, f"opening {source.label}"), _details(exc))

    def analyze(self, pane_name: str) -> None:
        pane = self.panes[pane_name]
        if pane.rgb is None:
            return
        if self.ready_key != (self.model, self.crop) or self.worker is None:
            pane.set_busy(True, "waiting for the model…")
            return
        job = AnalyzeJob(pane_name, pane.rgb, self.model, self.crop)
        self._current_job[pane_name] = job.id
        pane.set_busy(True)
        self.worker.submit(job)

    # -- worker results ---------------------------------------------------------------
    def _job_returned(self, job: object, result: object) -> None:
        if self._closing:
            return
        if isinstance(job, LoadModelJob):
            if (job.model, job.crop) != (self.model, self.crop):
                return  # the user chose another model meanwhile
            self.ready_key = (job.model, job.crop)
            self.model_info = dict(result)  # type: ignore[arg-type]
            identities = "" if self.model_info.get("has_identities") else " (descriptor only: identities unavailable)"
            self.set_status(f"{self.model_info.get('title')} ready{identities}.")
            if self.dialog is not None:
                self.dialog.close()
                self.dialog = None
            for name in self.panes:
                self.analyze(name)
        elif isinstance(job, AnalyzeJob):
            if self._current_job.get(job.pane) != job.id:
                return
            self.panes[job.pane].set_result(result)  # type: ignore[arg-type]
            self._update_verdict()
            ms = result.timings_ms.get("total", 0.0)  # type: ignore[attr-defined]
            self.set_status(f"Photo {job.pane}: {len(result.faces)} face(s) in {ms:.0f} ms.")  # type: ignore[attr-defined]
        elif isinstance(job, (DownloadJob, ImportJob)):
            self.set_status("Model files ready; loading…")
            self.load_model()

    def _job_errored(self, job: object, exc: BaseException) -> None:
        if self._closing:
            return
        if isinstance(job, AnalyzeJob):
            if self._current_job.get(job.pane) == job.id:
                pane = self.panes[job.pane]
                pane.set_busy(False)
                pane.show_message(user_message(exc, f"analysing {pane.label}"), _details(exc))
        elif isinstance(job, LoadModelJob):
            if (job.model, job.crop) != (self.model, self.crop):
                return
            missing = exc.missing if isinstance(exc, ModelFilesMissing) else ()
            self.set_status(user_message(exc, "loading the model"))
            self._show_model_dialog(missing, None if isinstance(exc, ModelFilesMissing) else user_message(exc, "loading the model"))
        elif isinstance(job, DownloadJob) and self.dialog is not None:
            if isinstance(exc, DownloadCancelled):
                self.dialog.show_error(str(exc))
            else:
                self.dialog.show_error(user_message(exc, "downloading"), offline=isinstance(exc, DownloadError))
        elif isinstance(job, ImportJob) and self.dialog is not None:
            self.dialog.show_error(user_message(exc, "importing the file"))

    def _show_model_dialog(self, missing: tuple[str, ...], error: str | None) -> None:
        from faceapp.core.vggface.store import default_target_dir

        spec = MODELS[self.model]
        if not missing:
            missing = (spec.weights_file, spec.labels_file)
        if self.dialog is None:
            self.dialog = ModelDialog(self.model, missing, default_target_dir(self.models_dir), self)
            self.dialog.downloadRequested.connect(
                lambda: self.worker.submit(DownloadJob(self.model, self.models_dir, self.download_url)))
            self.dialog.cancelRequested.connect(lambda: self.worker.cancel())
            self.dialog.fileChosen.connect(lambda path: self.worker.submit(ImportJob(path, self.models_dir)))
            self.dialog.quitRequested.connect(self.close)
            self.dialog.finished.connect(self._dialog_closed)
            self.dialog.open()
        else:
            self.dialog.set_downloading(False)
        if error:
            self.dialog.show_error(error)

    def _dialog_closed(self) -> None:
        if self.dialog is not None and self.dialog.cancel_button.isVisible():
            self.worker.cancel()  # closing the dialog stops a download (it resumes next time)
        self.dialog = None
        if self.ready_key is None:
            self.set_status("No model loaded: use Model → Model files… to download or choose the files.")

    def _download_progress(self, done: int, total: object) -> None:
        if self.dialog is not None:
            self.dialog.set_progress(done, total if isinstance(total, int) else None)

    # -- verdict ------------------------------------------------------------------------
    def _face_chosen(self, pane: str) -> None:
        self.active_pane = pane
        self._update_verdict()

    def face_label(self, name: str) -> str:
        pane = self.panes[name]
        return f"face {pane.selected + 1} of photo {name} ({pane.label})" if pane.selected is not None else ""

    def _update_verdict(self) -> None:
        a, b = (self.panes[n].selected_descriptor() for n in ("A", "B"))
        if a is None or b is None:
            waiting = [n for n, descriptor in (("A", a), ("B", b)) if descriptor is None]
            self.verdict.clear("Choose a face in photo " + " and photo ".join(waiting) + " to compare.")
            return
        try:
            distance = cosine_distance(a, b)
        except ValueError as exc:
            self.verdict.clear(str(exc))
            return
        self.verdict.set_pair(distance, self.face_label("A"), self.face_label("B"))

    # -- output ------------------------------------------------------------------------
    def result_text(self) -> str:
        parts = []
        for name, pane in self.panes.items():
            if pane.result is not None:
                parts.append(analysis_text(f"Photo {name} ({pane.label})", pane.result))
        parts.append(self.verdict.text())
        return "\n\n".join(parts)

    def copy_result(self) -> None:
        QGuiApplication.clipboard().setText(self.result_text())
        self.set_status("Result copied as text.")

    def save_annotated(self) -> None:
        pane = self.panes[self.active_pane]
        if pane.rgb is None:
            pane = next((p for p in self.panes.values() if p.rgb is not None), pane)
        if pane.rgb is None:
            self.set_status("Nothing to save yet; open a photo first.")
            return
        folder = Path(str(self.settings.value("last_folder", str(Path.home()))))
        default = folder / f"{Path(pane.label).stem or 'photo'}-faces.png"
        path, _ = QFileDialog.getSaveFileName(self, "Save annotated image", str(default),
                                              "PNG image (*.png);;JPEG image (*.jpg *.jpeg)")
        if path:
            self.save_annotated_to(pane.name, Path(path))

    def save_annotated_to(self, pane_name: str, path: Path) -> bool:
        pane = self.panes[pane_name]
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            path = path.with_suffix(".png")
        image = annotated_image(pane.rgb, pane.result, pane.selected)
        if path.suffix.lower() != ".png":
            image = image.convertToFormat(image.Format.Format_RGB888)
        if not image.save(str(path)):
            QMessageBox.warning(self, "Not saved", f"Could not save {path.name} in {path.parent}; choose another folder.")
            return False
        self.set_status(f"Saved {path}.")
        return True

    def show_help(self) -> None:
        QMessageBox.information(self, "faceapp help", (
            "Drop a photo on each pane (or use File → Open, or paste with Ctrl+V). Dropping two files fills both.\n\n"
            "Every face gets a numbered box and its most likely identities. Click a face to choose it; "
            "the largest face is chosen by default.\n\n"
            "The verdict compares the two chosen faces: MATCH when the cosine distance is at most the threshold. "
            "Move the slider to re-judge at once.\n\nShortcuts: Ctrl+O open A, Ctrl+Shift+O open B, Ctrl+V paste, "
            "Ctrl+S save annotated image, Ctrl+Shift+C copy result, Ctrl+Q quit."))

    def show_about(self) -> None:
        import PySide6
        import sys
        from PySide6.QtCore import qVersion

        tf = self.model_info.get("tensorflow", "not loaded yet")
        QMessageBox.about(self, "About faceapp", (
            f"<b>faceapp {__version__}</b><br>Python {sys.version.split()[0]} · Qt {qVersion()} · "
            f"PySide6 {PySide6.__version__} · TensorFlow {tf}<br><br>"
            "Face detection: mtcnn (MIT). Recognition: keras-vggface weights of the VGGFace / VGGFace2 "
            "models (Oxford VGG), licensed for non-commercial research only.<br>"
            "Identities are a model's guess among 8,631 (VGGFace2) or 2,622 (VGGFace1) public figures: "
            "never proof of who someone is."))

    # -- shutdown ------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self._closing = True
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("model", self.model)
        self.settings.setValue("crop", self.crop)
        self.settings.setValue("threshold", self.verdict.threshold)
        self.settings.sync()
        if self.dialog is not None:
            self.dialog.close()
        self.hide()
        self.loader.wait()
        if self.worker_thread is not None:
            self.worker_thread.stop()
            self.worker_thread = None
        event.accept()


def _details(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip() if isinstance(exc, FaceAppError) \
        else "".join(traceback.format_exception(exc)).strip()
