"""First run: the model files are missing — download them, choose a file, or quit."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from faceapp.core.vggface.catalog import RELEASE_URL, get_spec

__all__ = ["ModelDialog"]


class ModelDialog(QDialog):
    """Explains what is missing; emits the user's choice.  Never downloads unasked."""

    downloadRequested = Signal()
    cancelRequested = Signal()
    fileChosen = Signal(Path)
    quitRequested = Signal()

    def __init__(self, model: str, missing: tuple[str, ...], target_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        spec = get_spec(model)
        self.spec, self.missing, self.target_dir = spec, missing, target_dir
        self.setWindowTitle("Model files needed")
        self.setAccessibleName("Model files needed")
        labels_note = " plus its identity names" if spec.labels_file in missing else ""
        licence = ("The VGGFace2 models are licensed for non-commercial research only."
                   if spec.dataset == "VGGFace2" else "The VGGFace model is licensed for non-commercial research only.")
        intro = QLabel(
            f"<p><b>faceapp needs the {spec.title} model</b> to recognise faces. It is not on this computer yet.</p>"
            f"<p>{spec.title} names {spec.classes:,} people and compares faces. The download is about "
            f"<b>{spec.approx_mb(True)} MB</b>{labels_note}, from the keras-vggface project's releases "
            f"(<code>{RELEASE_URL}</code>).</p><p>{licence}</p>"
            f"<p>Files are saved in <code>{target_dir}</code>.</p>"
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Download progress")
        self.progress.hide()
        self.speed = QLabel()
        self.speed.hide()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()

        buttons = QDialogButtonBox()
        self.download_button = QPushButton("&Download")
        self.choose_button = QPushButton("&Choose file…")
        self.cancel_button = QPushButton("Cancel download")
        self.quit_button = QPushButton("&Quit")
        self.cancel_button.hide()
        for button, role in ((self.download_button, QDialogButtonBox.ButtonRole.AcceptRole),
                             (self.choose_button, QDialogButtonBox.ButtonRole.ActionRole),
                             (self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole),
                             (self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)):
            buttons.addButton(button, role)
        self.download_button.setDefault(True)
        self.download_button.clicked.connect(self._download)
        self.choose_button.clicked.connect(self._choose)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.quit_button.clicked.connect(self.quitRequested)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.progress)
        layout.addWidget(self.speed)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._started = 0.0
        self._first_done = 0
        self.resize(560, self.sizeHint().height())

    def _download(self) -> None:
        self.set_downloading(True)
        self.downloadRequested.emit()

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model file", str(Path.home()),
                                              "keras-vggface files (*.h5 *.npy);;All files (*)")
        if path:
            self.fileChosen.emit(Path(path))

    def set_downloading(self, active: bool) -> None:
        self.download_button.setEnabled(not active)
        self.choose_button.setEnabled(not active)
        self.cancel_button.setVisible(active)
        self.progress.setVisible(active)
        self.speed.setVisible(active)
        if active:
            self.error.hide()
            self.progress.setRange(0, 0)
            self._started, self._first_done = time.monotonic(), -1

    def set_progress(self, done: int, total: int | None) -> None:
        if self._first_done < 0:
            self._first_done = done  # a resumed download starts above zero
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(done * 1000 / total))
        elapsed = max(1e-3, time.monotonic() - self._started)
        rate = (done - self._first_done) / elapsed / 1e6
        amount = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
        self.speed.setText(f"{amount} · {rate:.1f} MB/s")

    def show_error(self, message: str, offline: bool = False) -> None:
        self.set_downloading(False)
        text = message
        if offline:
            files = ", ".join(self.missing) or self.spec.weights_file
            text += f"\n\nWithout internet: put {files} in {self.target_dir}, then choose one with “Choose file…”."
        self.error.setText(text)
        self.error.show()
