"""The comparison: two photo panes, the verdict, and getting photos in and results out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from faceapp.core.formats import dialog_filter
from faceapp.core.wording import plural
from faceapp.gui import settings as keys
from faceapp.gui.compare.image_pane import ImagePane, drop_items
from faceapp.gui.compare.loader import PhotoLoader, PhotoSource
from faceapp.gui.compare.overlay import annotated_image
from faceapp.gui.compare.verdict_panel import VerdictPanel
from faceapp.gui.engine.engine_client import EngineClient
from faceapp.gui.engine.requests import PaneStep, pane_channel
from faceapp.gui.messages import details, user_message

if TYPE_CHECKING:  # numpy loads with the first photo, not with the window
    import numpy as np

    from faceapp.core.types import AnalysisResult

__all__ = ["CompareView", "PANES"]

PANES = ("A", "B")


class CompareView(QWidget):
    """Photo A, photo B and their verdict; ``status`` carries one-line news for the status bar,
    ``analysed(pane, result)`` each new analysis, ``addToPerson(pane, face index)`` a face to name,
    ``thresholdSaved(threshold)`` once a threshold set with the slider is in ``thresholds.json``."""

    status = Signal(str)
    thresholdSaved = Signal(float)
    analysed = Signal(str, object)
    addToPerson = Signal(str, int)

    def __init__(self, engine: EngineClient, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self.active_pane = "A"
        self.panes = {name: ImagePane(name) for name in PANES}
        self.sources: dict[str, PhotoSource] = {}  # where each pane's photo came from
        for name, pane in self.panes.items():
            pane.dropped.connect(lambda items, n=name: self.take_items(n, items))
            pane.faceSelected.connect(lambda _i, n=name: self._face_chosen(n))
            pane.addToPerson.connect(lambda index, n=name: self.addToPerson.emit(n, index))
        self.verdict = VerdictPanel()
        self.calibration: dict | None = None  # the saved calibration of the current model and crop
        # The threshold lives in thresholds.json only (shared with the CLI); drop the copy older versions kept here.
        settings.remove("threshold")
        self._unsaved: tuple[str, str, float] | None = None  # (model, crop, threshold) moved, not yet saved
        self._reading = False
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(400)  # a slider drag is saved once, when it rests
        self._save_timer.timeout.connect(self.save_threshold)
        self.apply_threshold()
        self.verdict.thresholdChanged.connect(self._threshold_moved)

        splitter = QSplitter()  # side by side (its default: no Qt.* before the first paint, see gui.first_paint)
        for pane in self.panes.values():
            splitter.addWidget(pane)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.verdict)

        self.loader = PhotoLoader(engine.latest, self)  # one record of the newest requests, the engine's
        self.loader.loaded.connect(self._photo_loaded)
        self.loader.failed.connect(self._photo_failed)
        engine.modelLoading.connect(lambda _model: self._waiting_for_model())
        engine.modelReady.connect(lambda _info: (self.apply_threshold(), self.analyze_all()))

    # -- the threshold, per model and crop (one store: faceapp.core.evaluation.thresholds) --------
    def apply_threshold(self) -> None:
        """The current model and crop's threshold as ``thresholds.json`` has it (the CLI's ``evaluate --use``,
        a calibration or the slider saved it there), else the default."""
        from faceapp.core.evaluation import thresholds

        self.save_threshold()  # a value still waiting belongs to the model and crop it was set for
        self.calibration = thresholds.saved(self.engine.model, self.engine.crop)
        self._reading = True  # read, not moved: nothing to save (the library still hears of the change)
        try:
            self.verdict.set_threshold(thresholds.threshold_for(self.engine.model, self.engine.crop))
        finally:
            self._reading = False
        self._show_meaning(self.verdict.threshold)

    def use_calibration(self, threshold: float, how: str, calibration: object) -> None:
        """Make ``threshold`` (chosen from ``calibration``) this model and crop's own."""
        from faceapp.core.evaluation import thresholds
        from faceapp.core.evaluation.calibration_report import compact_curve

        e = calibration.evaluation  # type: ignore[attr-defined]
        self._unsaved = None
        thresholds.save(self.engine.model, self.engine.crop, threshold, how=how, eer=e.eer,
                        source=calibration.source, curve=compact_curve(e.curve))  # type: ignore[attr-defined]
        self.apply_threshold()
        self.status.emit(f"Threshold {threshold:.2f} ({how}) is now {self.engine.model}'s with this crop.")

    def _threshold_moved(self, value: float) -> None:
        if not self._reading:
            self._unsaved = (self.engine.model, self.engine.crop, value)
            self._save_timer.start()
        self._show_meaning(value)

    def save_threshold(self) -> None:
        """Write a threshold set with the slider to ``thresholds.json`` now (the window is closing, or it rested)."""
        from faceapp.core.errors import StorageError
        from faceapp.core.evaluation import thresholds

        self._save_timer.stop()
        if self._unsaved is None:
            return
        (model, crop, value), self._unsaved = self._unsaved, None
        try:
            thresholds.set_by_hand(model, crop, value)
        except StorageError as exc:
            self.status.emit(str(exc))
            return
        self.thresholdSaved.emit(value)

    def _show_meaning(self, value: float) -> None:
        from faceapp.core.evaluation.thresholds import meaning

        self.verdict.set_meaning(meaning(self.calibration, value))

    # -- photos in ------------------------------------------------------------------
    def take_items(self, pane: str, items: list) -> None:
        """Dropped/pasted items: two or more fill both panes, one fills ``pane``."""
        targets = list(PANES) if len(items) >= 2 else [pane]
        for target, (kind, value) in zip(targets, items):
            self.load_source(PhotoSource(pane=target, **{kind: value}))

    def open_paths(self, paths: list[str]) -> None:
        for target, path in zip(PANES, paths):
            self.load_source(PhotoSource(pane=target, path=Path(path)))

    def load_source(self, source: PhotoSource) -> None:
        self.active_pane = source.pane
        self.panes[source.pane].set_busy(True, "opening…")
        if source.path is not None:
            self.settings.setValue(keys.LAST_FOLDER, str(source.path.parent))
        self.loader.load(source)

    def open_dialog(self, pane: str) -> None:
        from PySide6.QtWidgets import QFileDialog  # dialogs load when first asked for, not before the window shows

        folder = str(self.settings.value(keys.LAST_FOLDER, str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, f"Open photo {pane}", folder, dialog_filter())
        if path:
            self.load_source(PhotoSource(pane=pane, path=Path(path)))

    def paste(self) -> None:
        items = drop_items(QGuiApplication.clipboard().mimeData())
        if not items:
            self.status.emit("The clipboard holds no photo; copy an image or an image link first.")
            return
        empty = [name for name, pane in self.panes.items() if pane.rgb is None]
        self.take_items(empty[0] if empty else self.active_pane, items[:1])

    def _photo_loaded(self, source: PhotoSource, rgb: np.ndarray) -> None:
        # An analysis of the previous photo (or its people) may still be running: it must not land on this one.
        self.engine.latest.supersede(pane_channel(PaneStep.ANALYZE, source.pane))
        self.engine.latest.supersede(pane_channel(PaneStep.WHO, source.pane))
        self.sources[source.pane] = source
        self.panes[source.pane].set_photo(rgb, source.label)
        self._update_verdict()
        self.analyze(source.pane)

    def _photo_failed(self, source: PhotoSource, exc: BaseException) -> None:
        pane = self.panes[source.pane]
        pane.set_busy(False)
        pane.show_message(user_message(exc, f"opening {source.label}"), details(exc))

    # -- analysis -------------------------------------------------------------------
    def show_people(self, who) -> None:  # noqa: ANN001 - a PaneWho
        """Your people for the faces of a pane (from the library)."""
        self.panes[who.pane].set_people(list(who.lines))

    def _waiting_for_model(self) -> None:
        for name, pane in self.panes.items():
            self.engine.latest.supersede(pane_channel(PaneStep.ANALYZE, name))  # the previous model's: not wanted
            if pane.rgb is not None:
                pane.set_busy(True, "waiting for the model…")

    def analyze_all(self) -> None:
        for name in PANES:
            self.analyze(name)

    def analyze(self, pane_name: str) -> None:
        pane = self.panes[pane_name]
        if pane.rgb is None:
            return
        if not self.engine.ready:
            pane.set_busy(True, "waiting for the model…")
            return
        # Loaded with the first photo, not before the window's first paint.
        from faceapp.gui.engine.jobs import AnalyzeJob

        pane.set_busy(True)
        self.engine.submit(AnalyzeJob(pane_name, pane.rgb, self.engine.model, self.engine.crop),
                           returned=lambda result, n=pane_name: self._analysed(n, result),
                           errored=lambda exc, n=pane_name: self._analysis_failed(n, exc))

    def _analysed(self, pane_name: str, result: AnalysisResult) -> None:
        self.panes[pane_name].set_result(result)
        self._update_verdict()
        self.analysed.emit(pane_name, result)
        ms = result.timings_ms.get("total", 0.0)
        count = len(result.faces)
        self.status.emit(f"Photo {pane_name}: {plural(count, 'face')} in {ms:.0f} ms.")

    def _analysis_failed(self, pane_name: str, exc: BaseException) -> None:
        pane = self.panes[pane_name]
        pane.set_busy(False)
        pane.show_message(user_message(exc, f"analysing {pane.label}"), details(exc))

    # -- verdict --------------------------------------------------------------------
    def _face_chosen(self, pane: str) -> None:
        self.active_pane = pane
        self._update_verdict()

    def face_label(self, name: str) -> str:
        pane = self.panes[name]
        return f"face {pane.selected + 1} of photo {name} ({pane.label})" if pane.selected is not None else ""

    def _update_verdict(self) -> None:
        a, b = (self.panes[n].selected_descriptor() for n in PANES)
        if a is None or b is None:
            waiting = [n for n, descriptor in zip(PANES, (a, b)) if descriptor is None]
            self.verdict.clear("Choose a face in photo " + " and photo ".join(waiting) + " to compare.")
            return
        from faceapp.core.verification import cosine_distance

        try:
            distance = cosine_distance(a, b)
        except ValueError as exc:
            self.verdict.clear(str(exc))
            return
        self.verdict.set_pair(distance, self.face_label("A"), self.face_label("B"))

    # -- results out ------------------------------------------------------------------
    def result_text(self) -> str:
        from faceapp.core.report import analysis_text

        parts = [analysis_text(f"Photo {name} ({pane.label})", pane.result)
                 for name, pane in self.panes.items() if pane.result is not None]
        parts.append(self.verdict.text())
        return "\n\n".join(parts)

    def copy_result(self) -> None:
        QGuiApplication.clipboard().setText(self.result_text())
        self.status.emit("Result copied as text.")

    def save_annotated(self) -> None:
        pane = self.panes[self.active_pane]
        if pane.rgb is None:
            pane = next((p for p in self.panes.values() if p.rgb is not None), pane)
        if pane.rgb is None:
            self.status.emit("Nothing to save yet; open a photo first.")
            return
        from PySide6.QtWidgets import QFileDialog

        folder = Path(str(self.settings.value(keys.LAST_FOLDER, str(Path.home()))))
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
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(self, "Not saved", f"Could not save {path.name} in {path.parent}; choose another folder.")
            return False
        self.status.emit(f"Saved {path}.")
        return True

    def close_down(self) -> None:
        """Save a threshold just set and wait for photo decoding to finish (the window is closing)."""
        self.save_threshold()
        self.loader.wait()
