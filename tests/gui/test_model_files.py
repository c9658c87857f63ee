"""The first-run dialog and the model-files flow, as a user meets them (issue: hardening)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.gui.helpers import assert_every_line_readable, process_posted_events, recorder, shown_text, wait_for

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]


def _open_dialog(qtbot, window_factory, folder, **kwargs):
    """A window whose model cannot load (``modelFailed``), and the dialog it opened."""
    window = window_factory(folder, **kwargs)
    wait_for(qtbot, window.engine.modelFailed,
             lambda: window.model_files.dialog is not None and window.model_files.dialog.isVisible(), timeout=60_000)
    return window, window.model_files.dialog


def _wait_status(qtbot, window, condition, timeout=30_000):
    """Until ``condition()``, checked whenever the model-files flow reports to the status bar (it does so
    last, once the dialog shows how a download or import ended)."""
    wait_for(qtbot, window.model_files.status, condition, timeout=timeout)


def test_cancel_button_appears_only_while_downloading(qtbot, tmp_path, window_factory, server):
    from tests.helpers import FileServer

    FileServer.stall_after = 10_000
    window, dialog = _open_dialog(qtbot, window_factory, tmp_path / "m", download_url=server)
    assert not dialog.cancel_button.isVisible() and dialog.download_button.isVisible()
    assert not dialog.downloading
    dialog.download_button.click()
    assert dialog.cancel_button.isVisible() and dialog.downloading and not dialog.download_button.isEnabled()
    dialog.cancel_button.click()
    _wait_status(qtbot, window, lambda: not dialog.downloading, timeout=10_000)
    assert not dialog.cancel_button.isVisible() and dialog.download_button.isEnabled()
    assert "cancelled" in shown_text(dialog.error)


def test_failed_download_message_is_readable_with_a_long_folder(qtbot, tmp_path, window_factory):
    folder = tmp_path.joinpath(*(["a-rather-long-folder-name-as-people-make-them"] * 6), "models")
    window, dialog = _open_dialog(qtbot, window_factory, folder, download_url="http://127.0.0.1:9/")
    process_posted_events()  # the resize the dialog asked for, and the layout after it
    assert_every_line_readable(dialog)
    dialog.download_button.click()
    _wait_status(qtbot, window, lambda: dialog.error.isVisibleTo(dialog))
    process_posted_events()
    assert_every_line_readable(dialog)
    message = shown_text(dialog.error)
    assert str(folder) in message and "rcmalli_vggface_tf_resnet50.h5" in message
    assert "Downloading" not in window.status_label.text() and "Download failed" in window.status_label.text()


def test_dialog_fits_at_double_scale():
    """The same check at 200 % (QT_SCALE_FACTOR=2), in a process of its own."""
    code = f"""
import os, sys
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from faceapp.gui.dialogs.model_dialog import ModelDialog
from tests.gui.helpers import assert_every_line_readable
folder = Path('/home/someone').joinpath(*(['a-rather-long-folder-name-as-people-make-them'] * 6), 'models')
dialog = ModelDialog('resnet50', ('rcmalli_vggface_tf_resnet50.h5',), folder)
dialog.show(); app.processEvents()
assert_every_line_readable(dialog)
dialog.show_error('Download of rcmalli_vggface_tf_resnet50.h5 failed (no route to host); check the internet '
                  'connection or put the file in ' + str(folder) + ' yourself.', offline=True)
app.processEvents()
assert_every_line_readable(dialog)
print('ok', dialog.devicePixelRatioF())
"""
    # A 3840×2160 screen at 200 %: the offscreen platform's default screen is too small to hold the dialog.
    screens = Path(__file__).parent / "screen_4k.json"
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screens}", "QT_SCALE_FACTOR": "2"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.stdout.split() == ["ok", "2.0"], out.stderr


@pytest.mark.wallclock
def test_closing_the_dialog_cancels_its_download(qtbot, tmp_path, window_factory, server):
    from tests.helpers import FileServer

    FileServer.stall_after = 30_000
    folder = tmp_path / "m"
    window, dialog = _open_dialog(qtbot, window_factory, folder, download_url=server)
    part = folder / "rcmalli_vggface_tf_resnet50.h5.part"
    # Every byte the server sends before it goes silent has arrived (progress is reported after each write).
    with qtbot.waitSignal(window.engine.progress, timeout=30_000, check_params_cb=lambda done, _total: done >= 30_000):
        dialog.download_button.click()
    started = time.monotonic()
    dialog.close()
    assert window.model_files.dialog is None
    _wait_status(qtbot, window,
                 lambda: "Download cancelled; use Model → Model files… to resume it." == window.status_label.text(),
                 timeout=10_000)
    assert time.monotonic() - started < 5  # the stalled read was interrupted, not waited out
    assert part.stat().st_size == 30_000  # kept for resuming


def test_missing_model_is_logged_in_one_line(qtbot, tmp_path, window_factory, caplog):
    caplog.set_level(logging.WARNING, logger="faceapp.gui.engine.worker")
    _open_dialog(qtbot, window_factory, tmp_path / "empty")
    records = [r for r in caplog.records if r.name == "faceapp.gui.engine.worker"]
    assert len(records) == 1 and records[0].exc_info is None
    assert "\n" not in records[0].getMessage() and "not on this machine" in records[0].getMessage()


def test_unexpected_errors_keep_their_traceback(qtbot, ready_window, caplog):
    from faceapp.gui.engine.jobs import AnalyzeJob

    caplog.set_level(logging.WARNING, logger="faceapp.gui.engine.worker")
    errors = recorder()
    with qtbot.waitSignal(errors.recorded, timeout=30_000):
        ready_window.engine.submit(AnalyzeJob("A", "not an image", ready_window.engine.model, ready_window.engine.crop),
                                   errored=errors.record)
    assert [r for r in caplog.records if r.exc_info is not None]


def test_callback_runs_after_the_first_paint(qtbot):
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QLabel

    from faceapp.gui.app import after_first_paint

    events, called = [], recorder()

    class Watch(QObject):
        def eventFilter(self, watched, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                events.append("paint")
            return False

    label = QLabel("hello")
    qtbot.addWidget(label)
    watch = Watch()
    label.installEventFilter(watch)
    label.show()

    def callback() -> None:
        events.append("callback")
        called.record("callback")

    with qtbot.waitSignal(called.recorded, timeout=5_000):
        after_first_paint(label, callback)
        assert "callback" not in events
    assert events.index("paint") < events.index("callback")
