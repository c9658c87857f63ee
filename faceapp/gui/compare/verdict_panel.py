"""The verdict: distance, similarity, MATCH / NO MATCH, and the threshold slider.

The slider re-judges a cached distance on the GUI thread; it never calls the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFrame, QGridLayout, QLabel, QSlider, QWidget

from faceapp.core.defaults import DEFAULT_THRESHOLD, THRESHOLD_MAX, THRESHOLD_MIN, THRESHOLD_STEP
from faceapp.gui.first_paint import ALIGN_CENTER, ALIGN_RIGHT, HORIZONTAL

if TYPE_CHECKING:  # the core's types load with the first comparison, not before the first paint
    from faceapp.core.types import Verdict

__all__ = ["VerdictPanel"]

_STEPS = round((THRESHOLD_MAX - THRESHOLD_MIN) / THRESHOLD_STEP)


class VerdictPanel(QFrame):
    """Shows the verdict for two chosen faces; ``thresholdChanged`` on every change."""

    thresholdChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Verdict")
        self.distance: float | None = None
        self.labels = ("", "")

        self.pair = QLabel("Drop a photo in each pane to compare two faces.")
        self.pair.setWordWrap(True)
        self.verdict = QLabel("—")
        self.verdict.setProperty("alignment", ALIGN_CENTER)  # no Qt.* before the first paint: gui.first_paint
        self.verdict.setMinimumWidth(170)
        self.verdict.setAccessibleName("Same-person verdict")
        self.numbers = QLabel("")
        self.numbers.setAccessibleName("Distance and similarity")

        self.slider = QSlider()
        self.slider.setProperty("orientation", HORIZONTAL)
        self.slider.setRange(0, _STEPS)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(5)
        self.slider.setAccessibleName("Match threshold")
        self.slider.setToolTip("Largest cosine distance still judged the same person")
        self.spin = QDoubleSpinBox()
        self.spin.setRange(THRESHOLD_MIN, THRESHOLD_MAX)
        self.spin.setSingleStep(THRESHOLD_STEP)
        self.spin.setDecimals(2)
        self.spin.setAccessibleName("Match threshold value")
        self.slider.valueChanged.connect(lambda v: self.set_threshold(THRESHOLD_MIN + v * THRESHOLD_STEP))
        self.spin.valueChanged.connect(self.set_threshold)

        self.meaning = QLabel("")
        self.meaning.setAccessibleName("What the threshold means on your photos")
        self.meaning.setToolTip("Measured on the photos of your last calibration (Tools → Calibrate threshold…)")

        grid = QGridLayout(self)
        grid.addWidget(self.verdict, 0, 0, 2, 1)
        grid.addWidget(self.pair, 0, 1, 1, 3)
        grid.addWidget(self.numbers, 1, 1, 1, 3)
        threshold_label = QLabel("&Threshold:")
        threshold_label.setBuddy(self.slider)
        threshold_label.setProperty("alignment", ALIGN_RIGHT)
        grid.addWidget(threshold_label, 2, 0)
        grid.addWidget(self.slider, 2, 1, 1, 2)
        grid.addWidget(self.spin, 2, 3)
        grid.addWidget(self.meaning, 3, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        self.threshold = -1.0
        self.set_threshold(DEFAULT_THRESHOLD)

    def set_threshold(self, value: float) -> None:
        value = round(min(THRESHOLD_MAX, max(THRESHOLD_MIN, float(value))), 2)
        if value == self.threshold:
            return
        self.threshold = value
        for widget, new in ((self.slider, round((value - THRESHOLD_MIN) / THRESHOLD_STEP)), (self.spin, value)):
            widget.blockSignals(True)
            widget.setValue(new)
            widget.blockSignals(False)
        self._render()
        self.thresholdChanged.emit(value)

    def set_meaning(self, text: str) -> None:
        """What the threshold means on the user's photos ("at 0.42: 1 false match in 1,000, …"), or ""."""
        self.meaning.setText(text)
        self.meaning.setVisible(bool(text))

    def set_pair(self, distance: float, label_a: str, label_b: str) -> None:
        """Cache the distance of two chosen faces and judge it."""
        self.distance, self.labels = float(distance), (label_a, label_b)
        self._render()

    def clear(self, reason: str) -> None:
        self.distance = None
        self.pair.setText(reason)
        self._render()

    @property
    def current(self) -> Verdict | None:
        if self.distance is None:
            return None
        # Loaded with the first comparison, not before the window's first paint.
        from faceapp.core.verification import judge

        return judge(self.distance, self.threshold)

    def text(self) -> str:
        from faceapp.core.report import verdict_text

        verdict = self.current
        return verdict_text(verdict, *self.labels) if verdict else self.pair.text()

    def _render(self) -> None:
        verdict = self.current
        if verdict is None:
            self.verdict.setText("—")
            self.verdict.setStyleSheet("font-size: 18pt; padding: 8px;")
            self.numbers.setText("")
            return
        from faceapp.core.report import verdict_numbers, verdict_people, verdict_word

        # Words and a symbol as well as colour: never colour alone.
        symbol = "✓" if verdict.match else "✗"
        colour = "#1e7d32" if verdict.match else "#b3261e"
        self.verdict.setText(f"{symbol} {verdict_word(verdict)}")
        self.verdict.setStyleSheet(f"font-size: 18pt; font-weight: bold; color: white; background: {colour}; "
                                   "border-radius: 6px; padding: 8px;")
        self.pair.setText(f"Comparing {self.labels[0]} with {self.labels[1]}: {verdict_people(verdict)}.")
        numbers = verdict_numbers(verdict)
        self.numbers.setText(numbers[0].upper() + numbers[1:])
