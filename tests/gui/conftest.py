"""GUI fixtures: offscreen Qt, a window on generated weights, real QMimeData drops."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _clear_clipboard(qapp):
    """Tests put Python-made mime data on the clipboard; left there, Qt frees it after
    Python has shut down and the test process crashes at exit (PYSIDE-2254)."""
    yield
    qapp.clipboard().clear()


def make_window(qtbot, tmp_path, models_dir, **kwargs):
    from PySide6.QtCore import QSettings

    from faceapp.gui.main_window import MainWindow

    settings = kwargs.pop("settings", None) or QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models_dir=str(models_dir), settings=settings, **kwargs)
    window.show()
    window.start_worker()
    return window


@pytest.fixture()
def window_factory(qtbot, tmp_path):
    windows = []

    def factory(models_dir, **kwargs):
        window = make_window(qtbot, tmp_path, models_dir, **kwargs)
        windows.append(window)
        return window

    yield factory
    for window in windows:
        if not window.close():  # the engine is finishing a step that cannot stop half-way: it closes after
            with qtbot.waitSignal(window.engine.stopped, timeout=120_000):
                pass
        assert not window.engine.running and not window.isVisible()  # the engine thread ended


@pytest.fixture()
def ready_window(window_factory, models_dir, qtbot):
    from tests.gui.helpers import wait_model_ready

    window = window_factory(models_dir)
    wait_model_ready(qtbot, window)
    return window
