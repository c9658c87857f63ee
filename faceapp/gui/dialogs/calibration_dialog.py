"""Tools → Calibrate threshold…: measure the model on your labelled photos and choose a threshold from it.

The work runs on the engine worker (describing the photos may take minutes; the
library's descriptors are reused); the plots are the report's own SVG.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QRectF, QSettings, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui import settings as keys
from faceapp.gui.engine.engine_client import EngineClient
from faceapp.gui.engine.jobs import CalibrateJob, SpaceRef
from faceapp.gui.messages import user_message

__all__ = ["CalibrationDialog"]

#: Each plot's size on screen (the report's SVG scaled; three side by side fit a 1,280-pixel screen).
_PLOT_W, _PLOT_H = 378, 270


def svg_pixmap(svg: str, width: int, height: int, ratio: float) -> QPixmap:
    """An SVG document drawn into a pixmap (sharp at the screen's pixel ratio)."""
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(int(width * ratio), int(height * ratio), QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    QSvgRenderer(QByteArray(svg.encode("utf-8"))).render(painter, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


class CalibrationDialog(QDialog):
    """``thresholdChosen(threshold, how, calibration)`` when the user picks a threshold from the results."""

    thresholdChosen = Signal(float, str, object)

    def __init__(self, engine: EngineClient, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine, self.settings = engine, settings
        self.result: Any = None
        self.running = False
        self.setWindowTitle("Calibrate the threshold")
        intro = QLabel("<p>Choose a folder with <b>one sub-folder per person</b> (the sub-folder's name is the "
                       "person), a few photos each — the more people and photos, the more the numbers can be "
                       "trusted. faceapp compares every pair and shows how often each threshold confuses two "
                       "people or misses one.</p>")
        intro.setWordWrap(True)
        self.folder_button = QPushButton("Choose &folder…")
        self.folder_button.clicked.connect(self.choose_folder)
        self.pairs_button = QPushButton("Use a &pairs file…")
        self.pairs_button.clicked.connect(self.choose_pairs)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.engine.cancel)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Calibration progress")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plots = [QLabel() for _ in range(3)]
        for label, name in zip(self.plots, ("ROC curve", "DET curve", "Distance histograms")):
            label.setAccessibleName(name)
        self.eer_button = QPushButton()
        self.eer_button.clicked.connect(lambda: self._choose("eer"))
        self.far_choice = QComboBox()
        self.far_choice.setAccessibleName("False accept rate")
        self.far_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.far_label = QLabel("FAR ≤")
        self.far_button = QPushButton("Use the threshold for this false accept rate")
        self.far_button.clicked.connect(lambda: self._choose("far"))
        self.far_note = QLabel("Too few different-person pairs to measure a false accept rate "
                               "(0.1 needs 300): add photos of more people.")
        self.far_note.setWordWrap(True)
        choose = QHBoxLayout()
        choose.addWidget(self.eer_button)
        choose.addStretch(1)
        for widget in (self.far_label, self.far_choice, self.far_button, self.far_note):
            choose.addWidget(widget)
        start = QHBoxLayout()
        for widget in (self.folder_button, self.pairs_button, self.progress, self.cancel_button):
            start.addWidget(widget)
        start.addStretch(1)
        plots = QHBoxLayout()
        for label in self.plots:
            plots.addWidget(label)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(start)
        layout.addWidget(self.summary)
        layout.addLayout(plots)
        layout.addLayout(choose)
        self._set_running(False)
        self._show_result(None)
        self.resize(3 * (_PLOT_W + 12) + 24, 600)

    def choose_folder(self) -> None:
        start = str(self.settings.value(keys.CALIBRATION_FOLDER, str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self, "Folder with one sub-folder per person", start)
        if folder:
            self.settings.setValue(keys.CALIBRATION_FOLDER, folder)
            self.start(folder=folder)

    def choose_pairs(self) -> None:
        start = str(self.settings.value(keys.CALIBRATION_FOLDER, str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Pairs file (path_a, path_b, same)", start,
                                              "Pairs (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.start(pairs=path)

    def start(self, folder: str | None = None, pairs: str | None = None) -> None:
        if not self.engine.ready:
            self.summary.setText("The model is not loaded yet; wait until it is ready, then try again.")
            return
        self._set_running(True)
        self.summary.setText("Describing the photos…")
        job = CalibrateJob(SpaceRef(self.engine.model, self.engine.crop, self.engine.models_dir), folder, pairs)
        self.engine.submit(job, returned=self._finished, errored=self._failed, reported=self._progress)

    def _set_running(self, active: bool) -> None:
        self.running = active
        self.progress.setVisible(active)
        self.cancel_button.setVisible(active)
        self.folder_button.setEnabled(not active)
        self.pairs_button.setEnabled(not active)
        if active:
            self.progress.setRange(0, 0)

    def _progress(self, report: tuple[int, int]) -> None:
        done, total = report
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _failed(self, exc: BaseException) -> None:
        self._set_running(False)
        self.summary.setText(user_message(exc, "calibrating"))

    def _finished(self, calibration: Any) -> None:
        self._set_running(False)
        self._show_result(calibration)

    def _show_result(self, calibration: Any) -> None:
        self.result = calibration
        for widget in (self.eer_button, self.far_label, self.far_choice, self.far_button, self.far_note):
            widget.setVisible(calibration is not None)
        if calibration is None:
            for label in self.plots:
                label.clear()
            return
        from faceapp.core.evaluation.calibration_report import (
            calibration_dict,
            eer_sentence,
            left_out_lines,
            svg_plots,
        )

        data, e = calibration_dict(calibration), calibration.evaluation
        notes = "".join(f"<br>{html.escape(note)}" for note in data["notes"])
        notes += "".join(f"<br>&nbsp;&nbsp;{html.escape(line)}" for line in left_out_lines(data, shown=3))
        self.summary.setText(
            f"{data['people']} people, {data['photos_used']} of {data['photos']} photos, "
            f"{data['pairs']['genuine']:,} same-person and {data['pairs']['impostor']:,} different-person pairs."
            f"{notes}<br><b>{html.escape(eer_sentence(data))}</b>.")
        plots = svg_plots(calibration, e.eer_threshold)
        ratio = self.devicePixelRatioF()
        for label, name in zip(self.plots, ("roc", "det", "histogram")):
            label.setPixmap(svg_pixmap(plots[name], _PLOT_W, _PLOT_H, ratio))
        self.eer_button.setText(f"Use the equal-error threshold ({e.eer_threshold:.2f})")
        self.far_choice.clear()
        for target, row_data in e.at_far.items():
            if isinstance(row_data, dict):
                self.far_choice.addItem(f"{target:g} → {row_data['threshold']:.2f} (TAR {row_data['tar'] * 100:.0f} %)",
                                        target)
        measurable = self.far_choice.count() > 0
        for widget in (self.far_label, self.far_choice, self.far_button):
            widget.setVisible(measurable)
        self.far_note.setVisible(not measurable)
        self.far_button.setEnabled(measurable)

    def _choose(self, how: str) -> None:
        e = self.result.evaluation
        if how == "eer":
            self.thresholdChosen.emit(e.eer_threshold, f"equal error rate ({e.eer * 100:.2f} %)", self.result)
            return
        target = self.far_choice.currentData()
        row = e.at_far.get(target)
        if isinstance(row, dict):
            self.thresholdChosen.emit(row["threshold"], f"false accept rate ≤ {target:g} (TAR {row['tar'] * 100:.1f} %)",
                                      self.result)
