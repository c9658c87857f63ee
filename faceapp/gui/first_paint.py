"""The window's first paint: what runs before it, and what waits for it.

The first paint is the comparison view (the People tab's view is built right after it).  Before it, faceapp
reads no ``Qt.*`` value: PySide6 builds the ``Qt`` namespace's 93 Python enum classes the first time
``PySide6.QtCore.Qt`` is read, 25–35 ms here, a fifth of what the window adds to a bare one (BENCHMARKS.md,
"The window: first paint").  So the modules the comparison view is made of import ``PySide6.QtCore`` and
read ``QtCore.Qt.…`` only in code that runs later (events, photos, results), and the few enum-typed
properties they set while being built are set through Qt's property system, as the integers below.
``tests/gui/test_window.py`` checks both: the namespace is not built before the first paint, and each
integer is its enum's value.
"""

from __future__ import annotations

__all__ = ["after_first_paint", "ALIGN_RIGHT", "ALIGN_CENTER", "TEXT_WORD_WRAP", "HORIZONTAL", "RICH_TEXT",
           "SELECTABLE_BY_MOUSE", "CUSTOM_CONTEXT_MENU"]

#: ``Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter``
ALIGN_RIGHT = 0x0002 | 0x0080
#: ``Qt.AlignmentFlag.AlignCenter``
ALIGN_CENTER = 0x0084
#: ``Qt.TextFlag.TextWordWrap`` (``QPainter.drawText`` takes its flags as an ``int``)
TEXT_WORD_WRAP = 0x1000
#: ``Qt.Orientation.Horizontal``
HORIZONTAL = 1
#: ``Qt.TextFormat.RichText``
RICH_TEXT = 1
#: ``Qt.TextInteractionFlag.TextSelectableByMouse``
SELECTABLE_BY_MOUSE = 1
#: ``Qt.ContextMenuPolicy.CustomContextMenu``
CUSTOM_CONTEXT_MENU = 3


def after_first_paint(window, callback) -> None:  # noqa: ANN001 - a shown QWidget, a callable
    """Call ``callback`` once, on the event loop, after ``window``'s first expose has been painted."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    handle = window.windowHandle()
    if handle is None or handle.isExposed():
        QTimer.singleShot(0, callback)
        return

    class _Exposed(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802, ANN001 - Qt API
            if event.type() == QEvent.Type.Expose and handle.isExposed():
                handle.removeEventFilter(self)
                self.deleteLater()
                # The filter runs before the expose is handled; the paint happens
                # while handling it, so the callback goes to the next loop turn.
                QTimer.singleShot(0, callback)
            return False

    handle.installEventFilter(_Exposed(handle))
