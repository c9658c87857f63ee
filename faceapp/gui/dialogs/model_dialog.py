"""First run: the model files are missing — download them, choose a file, or quit."""

from __future__ import annotations

import html
import time
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
    QWidget,
)

from faceapp.core.vggface.catalog import RELEASE_URL, get_spec

__all__ = ["ModelDialog", "breakable"]

#: Narrowest the dialog gets, in logical pixels: long enough lines to read comfortably.
_MIN_WIDTH = 540


def breakable(text: str) -> str:
    """``text`` as HTML that may wrap after ``/`` and ``\\``: long paths and links never get clipped.

    The break hints (zero-width spaces) are for display only; the dialog copies
    the real path with its own button.
    """
    return html.escape(text, quote=False).replace("/", "/\u200b").replace("\\", "\\\u200b")


class ModelDialog(QDialog):
    """Explains what is missing; emits the user's choice.  Never downloads unasked.

    ``downloading`` is the dialog's own record of whether a download it started runs.
    """

    downloadRequested = Signal()
    cancelRequested = Signal()
    fileChosen = Signal(Path)
    quitRequested = Signal()

    def __init__(self, model: str, missing: tuple[str, ...], target_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        spec = get_spec(model)
        self.spec, self.missing, self.target_dir = spec, missing, target_dir
        self.downloading = False
        self.setWindowTitle("Model files needed")
        self.setAccessibleName("Model files needed")
        labels_note = " plus its identity names" if spec.labels_file in missing else ""
        licence = ("The VGGFace2 models are licensed for non-commercial research only."
                   if spec.dataset == "VGGFace2" else "The VGGFace model is licensed for non-commercial research only.")
        self.intro = self._label(
            f"<p><b>faceapp needs the {spec.title} model</b> to recognise faces. It is not on this computer yet.</p>"
            f"<p>{spec.title} names {spec.classes:,} people and compares faces. The download is about "
            f"<b>{spec.approx_mb(True)} MB</b>{labels_note}, from the keras-vggface project's releases "
            f"({breakable(RELEASE_URL)}).</p><p>{licence}</p>"
            f"<p>Files are saved in <b>{breakable(str(target_dir))}</b>.</p>"
        )
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Download progress")
        self.speed = QLabel()
        self.error = self._label("")
        self.error.setAccessibleName("Problem")
        self.error.setStyleSheet("color: #b3261e;")

        folder_row = QHBoxLayout()
        copy_folder = QPushButton("Copy folder path")
        copy_folder.clicked.connect(lambda: QGuiApplication.clipboard().setText(str(self.target_dir)))
        open_folder = QPushButton("Open folder")
        open_folder.clicked.connect(self._open_folder)
        folder_row.addWidget(copy_folder)
        folder_row.addWidget(open_folder)
        folder_row.addStretch(1)

        buttons = QDialogButtonBox()
        self.download_button = QPushButton("&Download")
        self.choose_button = QPushButton("&Choose file…")
        self.cancel_button = QPushButton("Cancel download")
        self.quit_button = QPushButton("&Quit")
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
        layout.addWidget(self.intro)
        layout.addLayout(folder_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.speed)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._started = 0.0
        self._first_done = 0
        self.error.hide()
        self.resize(_MIN_WIDTH, 0)
        self.set_downloading(False)  # after the buttons are in the box, which shows them

    @staticmethod
    def _label(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    def _open_folder(self) -> None:
        self.target_dir.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.target_dir)))

    def _download(self) -> None:
        self.set_downloading(True)
        self.downloadRequested.emit()

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model file", str(Path.home()),
                                              "keras-vggface files (*.h5 *.npy);;All files (*)")
        if path:
            self.fileChosen.emit(Path(path))

    def set_downloading(self, active: bool) -> None:
        """Switch between the choice buttons and the progress of a running download."""
        self.downloading = active
        self.download_button.setEnabled(not active)
        self.choose_button.setEnabled(not active)
        self.cancel_button.setVisible(active)
        self.progress.setVisible(active)
        self.speed.setVisible(active)
        if active:
            self.error.hide()
            self.progress.setRange(0, 0)
            self.speed.setText("Connecting…")
            self._started, self._first_done = time.monotonic(), -1
        self._fit()

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
        """A problem in red under the text; ``offline`` adds where to put the files by hand."""
        self.set_downloading(False)
        text = f"<p>{breakable(message)}</p>"
        if offline:
            files = ", ".join(self.missing) or self.spec.weights_file
            text += (f"<p>Without internet: put {html.escape(files)} in <b>{breakable(str(self.target_dir))}</b>, "
                     "then choose one with “Choose file…”.</p>")
        self.error.setText(text)
        self.error.show()
        self._fit()

    def _fit(self) -> None:
        """Never shorter than every line needs at the current width.

        Word-wrapped labels need more height as the dialog narrows, which a
        plain minimum size cannot express: the minimum height follows the width,
        so a message that appears later pushes the buttons down instead of being
        drawn over the text.
        """
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        width = max(self.width(), _MIN_WIDTH)
        needed = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.sizeHint().height()
        self.setMinimumSize(_MIN_WIDTH, needed)
        if self.width() < width or self.height() < needed:
            self.resize(width, max(self.height(), needed))

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        super().resizeEvent(event)
        self._fit()
