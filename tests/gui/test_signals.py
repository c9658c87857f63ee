"""The Qt binding itself: signals emitted from the engine thread must not eat Python's references.

PySide6 6.12.0 drops a reference to ``True`` on every ``emit`` from a QThread; a few thousand
emits (one download's progress) later, Python aborts ("Fatal Python error: bool_dealloc").
pyproject.toml excludes that version; this test fails on any binding that does it again.
"""

from __future__ import annotations

import sys


def test_signals_from_a_thread_keep_python_s_references(qtbot):
    from PySide6.QtCore import QObject, QThread, Signal

    from tests.gui.helpers import wait_for

    class Source(QObject):
        progress = Signal(int, object)

    source, received = Source(), []
    source.progress.connect(lambda done, total: received.append(done))

    class Emitter(QThread):
        def run(self) -> None:
            for done in range(300):
                source.progress.emit(done, 300)

    emitter = Emitter()
    before = sys.getrefcount(True), sys.getrefcount(False)
    with qtbot.waitSignal(emitter.finished, timeout=30_000):
        emitter.start()
    wait_for(qtbot, source.progress, lambda: len(received) == 300, timeout=30_000)
    emitter.wait()
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert after[0] >= before[0] - 20 and after[1] >= before[1] - 20, (before, after)
