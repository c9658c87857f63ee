"""What several GUI test modules share: waiting on signals, real drops, signal recorders, what a label shows.

Qt is imported inside each helper, so this module imports without a display.
"""

from __future__ import annotations


def wait_for(qtbot, signals, condition, timeout=60_000):
    """Return once ``condition()`` holds: at once when it already does, otherwise at the first emission of
    ``signals`` (one signal or a tuple: any of them) after which it does; a timeout fails the test.

    Use a signal emitted on the GUI thread after the state the condition reads has changed (the view's own
    slots are connected first, so they have run when the check runs).  No race: the GUI-thread slots that
    change that state run only while this waits, so nothing can happen between the first check and the wait.
    """
    __tracebackhide__ = True
    if condition():
        return
    signals = signals if isinstance(signals, (tuple, list)) else (signals,)
    blocker = qtbot.waitSignal(signals[0], timeout=timeout, raising=True,
                               check_params_cb=lambda *_args: bool(condition()))
    for signal in signals[1:]:
        blocker.connect(signal)
    try:
        blocker.wait()
    except qtbot.TimeoutError:
        names = ", ".join(repr(signal).split()[1] for signal in signals)  # "<…SignalInstance modelReady(PyObject) at …>"
        raise AssertionError(f"the condition was still false after {timeout} ms of waiting on {names} "
                             f"({len(blocker.all_args)} emissions)") from None


def wait_model_ready(qtbot, window, timeout=90_000):
    """Until the window's engine has the wanted model and crop loaded (``modelReady``)."""
    __tracebackhide__ = True
    wait_for(qtbot, window.engine.modelReady, lambda: window.engine.ready, timeout)


def process_posted_events():
    """Deliver what is already queued (layout requests, the resize a window system posted), without waiting for
    time to pass: a few rounds, as delivering some events posts others."""
    from PySide6.QtCore import QCoreApplication

    for _ in range(3):
        QCoreApplication.sendPostedEvents()
        QCoreApplication.processEvents()


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
    """A GUI-thread QObject whose ``record`` slot collects what a (possibly cross-thread) signal or a callback
    sends, and says so with its own ``recorded`` signal (on the GUI thread: something :func:`wait_for` can wait on)."""
    from PySide6.QtCore import QObject, Signal, Slot

    class Recorder(QObject):
        recorded = Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.items: list = []

        @Slot(object)
        def record(self, item) -> None:  # noqa: ANN001
            self.items.append(item)
            self.recorded.emit(item)

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
