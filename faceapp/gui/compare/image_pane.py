"""One photo pane: drop target, photo with face boxes, per-face identities, messages."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QBuffer, QIODevice, QPointF, QRectF, QSize, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.formats import is_photo_name
from faceapp.core.wording import no_face_found
from faceapp.gui.compare.overlay import paint_faces, qimage_from_rgb
from faceapp.gui.first_paint import ALIGN_CENTER, CUSTOM_CONTEXT_MENU, RICH_TEXT, SELECTABLE_BY_MOUSE, TEXT_WORD_WRAP

if TYPE_CHECKING:  # numpy and the core's types load with the first photo, not with the window
    import numpy as np

    from faceapp.core.types import AnalysisResult

__all__ = ["ImagePane", "FaceCanvas", "drop_items"]

def drop_items(mime) -> list[tuple[str, object]]:  # mime: QMimeData
    """What a drop or paste carries: ``[("path", Path) | ("url", str) | ("data", bytes)]``."""
    items: list[tuple[str, object]] = []
    for url in mime.urls():
        if url.isLocalFile():
            items.append(("path", Path(url.toLocalFile())))
        elif url.scheme() in ("http", "https"):
            items.append(("url", url.toString()))
    if items:
        return items
    for fmt in mime.formats():
        if fmt.startswith("image/"):
            data = bytes(mime.data(fmt).data())
            if data:
                return [("data", data)]
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            buffer = QBuffer()
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            image.save(buffer, "PNG")
            return [("data", bytes(buffer.data().data()))]
    text = mime.text().strip() if mime.hasText() else ""
    if text.lower().startswith(("http://", "https://")) and "\n" not in text:
        return [("url", text)]
    if text and is_photo_name(text) and Path(text).is_file():
        return [("path", Path(text))]
    return []


class FaceCanvas(QWidget):
    """Paints the photo scaled to fit (sharp on HiDPI) with the face boxes."""

    faceClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(240, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Qt fills the background with the palette's Base colour before each paint (no Python call that has
        # to weigh QPainter.fillRect's overloads, one of which makes QGradient's 169 presets on first use).
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        # The placeholder's colour is the painter's own pen: QPainter.setPen would read Qt.PenStyle, which builds
        # the whole Qt namespace before the first paint (gui.first_paint).
        self.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.image: QImage | None = None
        self.result: AnalysisResult | None = None
        self.selected: int | None = None
        self.people: list[str] | None = None  # a short name (or "?") per face, for the box labels
        self.highlight = False
        self.placeholder = "Drop a photo here"
        self._pixmap: QPixmap | None = None
        self._pixmap_key: tuple[int, int, float] | None = None

    def set_image(self, image: QImage | None) -> None:
        self.image, self.result, self.selected, self.people = image, None, None, None
        self._pixmap = None
        self.update()

    def set_result(self, result: AnalysisResult | None, selected: int | None) -> None:
        if result is not self.result:
            self.people = None
        self.result, self.selected = result, selected
        self.update()

    def _geometry(self) -> tuple[float, QPointF]:
        assert self.image is not None
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        offset = QPointF((self.width() - self.image.width() * scale) / 2, (self.height() - self.image.height() * scale) / 2)
        return scale, offset

    def _scaled_pixmap(self, scale: float) -> QPixmap:
        ratio = self.devicePixelRatioF()
        key = (self.width(), self.height(), ratio)
        if self._pixmap is None or self._pixmap_key != key:
            assert self.image is not None
            size = QSize(max(1, round(self.image.width() * scale * ratio)), max(1, round(self.image.height() * scale * ratio)))
            pixmap = QPixmap.fromImage(self.image.scaled(size, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
                                                         QtCore.Qt.TransformationMode.SmoothTransformation))
            pixmap.setDevicePixelRatio(ratio)
            self._pixmap, self._pixmap_key = pixmap, key
        return self._pixmap

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.image is None:  # in the placeholder's colour (the foreground role)
            painter.drawText(self.rect(), ALIGN_CENTER | TEXT_WORD_WRAP, self.placeholder)  # part of the first paint
        else:
            scale, offset = self._geometry()
            painter.drawPixmap(offset, self._scaled_pixmap(scale))
            if self.result is not None:
                paint_faces(painter, self.result, self.selected, scale, offset, people=self.people)
        if self.highlight:
            painter.setPen(QPen(QColor("#2f9bff"), 4, QtCore.Qt.PenStyle.DashLine))
            painter.drawRect(QRectF(self.rect()).adjusted(2, 2, -2, -2))
        painter.end()

    def widget_point(self, x: float, y: float) -> QPointF:
        """Where the photo's pixel (x, y) is drawn on this widget (the inverse of what :meth:`face_at` reads)."""
        scale, offset = self._geometry()
        return QPointF(offset.x() + x * scale, offset.y() + y * scale)

    def face_at(self, x: float, y: float) -> int | None:
        """Index of the smallest face box under widget point (x, y), or None."""
        if self.image is None or self.result is None:
            return None
        scale, offset = self._geometry()
        px, py = (x - offset.x()) / scale, (y - offset.y()) / scale
        hits = [i for i, f in enumerate(self.result.faces) if f.face.box.contains(px, py)]
        return min(hits, key=lambda i: self.result.faces[i].face.box.area) if hits else None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        index = self.face_at(event.position().x(), event.position().y())
        if index is not None and event.button() == QtCore.Qt.MouseButton.LeftButton:
            self.faceClicked.emit(index)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        index = self.face_at(event.position().x(), event.position().y())
        if index is None or self.result is None:
            QToolTip.hideText()
            self.setCursor(QtCore.Qt.CursorShape.ArrowCursor)
            return
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        QToolTip.showText(event.globalPosition().toPoint(), face_details(self.result, index), self)


def face_details(result: AnalysisResult, index: int) -> str:
    """The tooltip / list text of one face."""
    face = result.faces[index]
    box = face.face.box
    lines = [f"Face {index + 1}: {box.width}×{box.height} px at ({box.x}, {box.y}), confidence {face.face.confidence:.2f}"]
    if face.face.rotation:
        lines.append(f"Found with the photo turned {face.face.rotation}° (it lies on its side or upside down).")
    if not result.has_identities:
        lines.append("Identities unavailable: this model file has no classifier.")
    for rank, identity in enumerate(face.identities, start=1):
        lines.append(f"{rank}. {identity.name} — {identity.probability * 100:.1f} %")
    return "\n".join(lines)


class ImagePane(QFrame):
    """Photo pane ``name`` ("A" or "B"); emits what is dropped on it and which face is chosen."""

    dropped = Signal(list)  # list of ("path"|"url"|"data", value)
    faceSelected = Signal(int)
    addToPerson = Signal(int)  # face index: the user wants it named as one of their people

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"Photo {name}")
        self.setAccessibleDescription(f"Drop a photo here to fill pane {name}")
        self.rgb: np.ndarray | None = None
        self.label = ""
        self.result: AnalysisResult | None = None
        self.selected: int | None = None

        self.title = QLabel(f"<b>Photo {name}</b> — drop a photo, press Ctrl+O or paste")
        # Enum-typed properties as integers: no Qt.* before the first paint (gui.first_paint).
        self.title.setProperty("textFormat", RICH_TEXT)
        self.canvas = FaceCanvas(self)
        self.canvas.placeholder = f"Drop photo {name} here\n(or File → Open, Ctrl+V)"
        self.canvas.faceClicked.connect(self.select_face)
        self.canvas.setAccessibleName(f"Photo {name} with face boxes")

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName(f"Message for photo {name}")
        self.details_button = QToolButton(text="Details")
        self.details_button.setCheckable(True)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setProperty("textInteractionFlags", SELECTABLE_BY_MOUSE)
        self.details.hide()
        self.details_button.toggled.connect(self.details.setVisible)
        close = QToolButton(text="✕")
        close.setToolTip("Dismiss this message")
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.clear_message)
        self.message_bar = QFrame()
        self.message_bar.setStyleSheet("QFrame { background: #fff4d6; color: #4a3500; border-radius: 4px; }")
        bar = QHBoxLayout(self.message_bar)
        bar.setContentsMargins(6, 4, 6, 4)
        bar.addWidget(self.message, 1)
        bar.addWidget(self.details_button)
        bar.addWidget(close)
        self.message_bar.hide()

        self.faces = QListWidget()
        self.faces.setAccessibleName(f"Faces in photo {name} and their likely identities")
        self.faces.setMaximumHeight(150)
        self.faces.setWordWrap(True)
        self.faces.currentRowChanged.connect(self._row_changed)
        self.people: list[tuple[str, str]] = []  # (status, text) per face: your people, from the library
        for widget in (self.faces, self.canvas):
            widget.setProperty("contextMenuPolicy", CUSTOM_CONTEXT_MENU)
        self.faces.customContextMenuRequested.connect(
            lambda pos: self._face_menu(self.faces.indexAt(pos).row(), self.faces.viewport().mapToGlobal(pos)))
        self.canvas.customContextMenuRequested.connect(
            lambda pos: self._face_menu(self.canvas.face_at(pos.x(), pos.y()), self.canvas.mapToGlobal(pos)))
        self.add_button = QToolButton(text="Add to person…")
        self.add_button.setToolTip("Name the chosen face as one of your people")
        self.add_button.setAccessibleName(f"Add the chosen face of photo {name} to a person")
        self.add_button.clicked.connect(lambda: self.selected is not None and self.addToPerson.emit(self.selected))
        self.add_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.details)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.faces)
        right = QHBoxLayout()  # the button at the right
        right.addStretch(1)
        right.addWidget(self.add_button)
        layout.addLayout(right)

    # -- state -------------------------------------------------------------
    def set_photo(self, rgb: np.ndarray, label: str) -> None:
        """Show a new photo (no faces yet)."""
        self.rgb, self.label, self.result, self.selected, self.people = rgb, label, None, None, []
        self.add_button.setEnabled(False)
        self.canvas.set_image(qimage_from_rgb(rgb))
        self.faces.clear()
        self.clear_message()
        self.set_busy(True)

    def set_busy(self, busy: bool, text: str = "finding faces…") -> None:
        name = f" — {self.label}" if self.label else ""
        suffix = f" <i>({text})</i>" if busy else ""
        self.title.setText(f"<b>Photo {self.name}</b>{name}{suffix}")

    def set_result(self, result: AnalysisResult) -> None:
        """Show the faces of the photo on screen; the largest face is chosen."""
        self.result, self.people, self.selected = result, [], None
        self.set_busy(False)
        self._fill_faces()
        if not result.faces:
            self.show_message(no_face_found(self.label))
        self.select_face(result.largest_face_index())

    def select_face(self, index: int | None) -> None:
        """Choose face ``index`` (emits ``faceSelected`` when the choice changes)."""
        if self.result is None or index is None or not 0 <= index < len(self.result.faces):
            self.canvas.set_result(self.result, None)
            return
        changed = index != self.selected
        self.selected = index
        self.add_button.setEnabled(True)
        self.canvas.set_result(self.result, index)
        self.faces.blockSignals(True)
        self.faces.setCurrentRow(index)
        self.faces.blockSignals(False)
        if changed:
            self.faceSelected.emit(index)

    def _fill_faces(self) -> None:
        """One list entry per face: your people first (when known), then the celebrity identities."""
        self.faces.blockSignals(True)
        self.faces.clear()
        for index in range(len(self.result.faces) if self.result is not None else 0):
            text = face_details(self.result, index)
            if index < len(self.people):
                text = f"Your people: {self.people[index][2]}\n{text}"
            self.faces.addItem(QListWidgetItem(text.replace("\n", "\n   ")))
        self.faces.blockSignals(False)
        if self.selected is not None:
            self.faces.setCurrentRow(self.selected)

    def set_people(self, lines: list[tuple[str, str, str]]) -> None:
        """Which of your people each face is ((status, label, text) per face, from the library)."""
        if self.result is not None and len(lines) == len(self.result.faces):
            self.people = list(lines)
            self.canvas.people = [label for _status, label, _text in lines]
            self.canvas.update()
            self._fill_faces()

    def _face_menu(self, index: int | None, where) -> None:  # noqa: ANN001 - QPoint
        from PySide6.QtWidgets import QMenu

        if self.result is None or index is None or not 0 <= index < len(self.result.faces):
            return
        self.select_face(index)
        menu = QMenu(self)
        menu.addAction(f"Add face {index + 1} to a person…", lambda: self.addToPerson.emit(index))
        menu.exec(where)

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.select_face(row)

    def selected_descriptor(self) -> np.ndarray | None:
        if self.result is None or self.selected is None:
            return None
        return self.result.faces[self.selected].descriptor

    def show_message(self, text: str, details: str = "") -> None:
        """A non-modal message on this pane, with details on demand."""
        self.message.setText(text)
        self.details.setText(details)
        self.details_button.setVisible(bool(details))
        self.details_button.setChecked(False)
        self.message_bar.show()

    def clear_message(self) -> None:
        self.message_bar.hide()
        self.details.hide()
        self.message.clear()

    # -- drag and drop -------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage() or any(f.startswith("image/") for f in mime.formats()) or mime.hasText():
            event.acceptProposedAction()
            self.canvas.highlight = True
            self.canvas.update()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        self.canvas.highlight = False
        self.canvas.update()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        self.canvas.highlight = False
        self.canvas.update()
        items = drop_items(event.mimeData())
        if not items:
            self.show_message("That is not a photo faceapp can use; drop an image file, image data or an http(s) link.")
            return
        event.acceptProposedAction()
        self.dropped.emit(items)
