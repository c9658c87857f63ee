"""What several GUI test modules share: real drops, signal recorders, what a label shows.

Qt is imported inside each helper, so this module imports without a display.
"""

from __future__ import annotations


def drop(pane, mime):
    """Deliver a real QDropEvent carrying ``mime`` to ``pane``."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    # Qt's own signatures: a QPoint for the drag entering, a QPointF for the drop.
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    pane.dragEnterEvent(enter)
    assert pane.canvas.highlight  # the drop target lights up while dragging
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    pane.dropEvent(event)
    assert not pane.canvas.highlight


def file_mime(*paths):
    from PySide6.QtCore import QMimeData, QUrl

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def recorder():
    """A GUI-thread QObject whose ``record`` slot collects what a (possibly cross-thread) signal sends."""
    from PySide6.QtCore import QObject, Slot

    class Recorder(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.items: list = []

        @Slot(object)
        def record(self, item) -> None:  # noqa: ANN001
            self.items.append(item)

    return Recorder()


def shown_text(label) -> str:  # noqa: ANN001 - a QLabel
    """What a rich-text label shows, as plain text (zero-width break hints removed)."""
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText().replace("\u200b", "")


def assert_every_line_readable(dialog) -> None:
    from PySide6.QtWidgets import QLabel, QPushButton

    visible = [w for w in dialog.findChildren(QLabel) + dialog.findChildren(QPushButton) if w.isVisibleTo(dialog)]
    for widget in visible:
        rect = widget.geometry()
        if isinstance(widget, QLabel) and widget.wordWrap():
            assert rect.height() >= widget.heightForWidth(rect.width()), shown_text(widget)[:60]
        top_left = widget.mapTo(dialog, rect.topLeft() - widget.pos())
        assert top_left.y() + rect.height() <= dialog.height() and top_left.x() + rect.width() <= dialog.width()
    labels = [w for w in visible if isinstance(w, QLabel)]
    for index, first in enumerate(labels):
        for second in labels[index + 1:]:
            assert not first.geometry().intersects(second.geometry()), (shown_text(first)[:40], shown_text(second)[:40])
