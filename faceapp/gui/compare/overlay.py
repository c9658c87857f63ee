"""Painting faces over a photo: used by the pane on screen and by "Save annotated image"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

if TYPE_CHECKING:  # numpy and the core's types load with the first photo, not with the window
    import numpy as np

    from faceapp.core.types import AnalysisResult

__all__ = ["qimage_from_rgb", "paint_faces", "annotated_image", "BOX_COLOR", "SELECTED_COLOR"]

BOX_COLOR = QColor("#2f9bff")
SELECTED_COLOR = QColor("#ffb000")


def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of an RGB uint8 array."""
    import numpy as np

    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def paint_faces(painter: QPainter, result: AnalysisResult, selected: int | None,
                scale: float, offset: QPointF, line_width: float = 2.0, people: list[str] | None = None) -> None:
    """Boxes, numbers and confidences of ``result`` mapped by ``scale`` and ``offset``; with ``people`` (one
    short name or "?" per face, from the library) the label names the person instead of the confidence."""
    font = QFont(painter.font())
    font.setPixelSize(max(11, int(round(13 * line_width / 2.0))))
    font.setBold(True)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    for index, face_result in enumerate(result.faces):
        box = face_result.face.box
        rect = QRectF(offset.x() + box.x * scale, offset.y() + box.y * scale, box.width * scale, box.height * scale)
        chosen = index == selected
        color = SELECTED_COLOR if chosen else BOX_COLOR
        painter.setPen(QPen(color, line_width * (1.75 if chosen else 1.0)))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        turned = f" ↻{face_result.face.rotation}°" if face_result.face.rotation else ""
        detail = people[index] if people and index < len(people) else f"{face_result.face.confidence:.2f}"
        text = f"{index + 1} · {detail}{turned}" + ("  ✓" if chosen else "")
        width = metrics.horizontalAdvance(text) + 8
        height = metrics.height() + 2
        top = rect.top() - height if rect.top() - height >= offset.y() else rect.top()
        label = QRectF(rect.left(), top, width, height)
        painter.fillRect(label, color)
        painter.setPen(QColor("black"))
        painter.drawText(label, QtCore.Qt.AlignmentFlag.AlignCenter, text)


def annotated_image(rgb: np.ndarray, result: AnalysisResult | None, selected: int | None) -> QImage:
    """The photo at full resolution with the faces painted on it."""
    image = qimage_from_rgb(rgb).convertToFormat(QImage.Format.Format_ARGB32)
    if result is not None:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        line = max(2.0, min(image.width(), image.height()) / 300.0)
        paint_faces(painter, result, selected, 1.0, QPointF(0, 0), line_width=line)
        painter.end()
    return image
