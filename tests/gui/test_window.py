"""The window, driven as a user would: drops, clicks, the slider, the first-run dialog, closing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.helpers import drop, file_mime, recorder, shown_text, wait_for, wait_model_ready
from tests.helpers import face_photo

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]


def wait_results(qtbot, window, *panes, timeout=90_000):
    """Until each of ``panes`` shows an analysis (``analysed`` follows every one painted)."""
    wait_for(qtbot, window.compare.analysed, lambda: all(window.compare.panes[p].result is not None for p in panes),
             timeout=timeout)


def wait_dialog(qtbot, window, timeout=60_000):
    """Until the model-files dialog is open: the model failed to load (``modelFailed``) and it was shown."""
    dialog = window.model_files
    wait_for(qtbot, window.engine.modelFailed, lambda: dialog.dialog is not None and dialog.dialog.isVisible(),
             timeout=timeout)
    return dialog.dialog


def wait_dialog_error(qtbot, window, timeout=30_000):
    """Until the model-files dialog shows a problem (the status bar says so after the dialog does)."""
    dialog = window.model_files.dialog
    wait_for(qtbot, window.model_files.status, lambda: dialog.error.isVisibleTo(dialog), timeout=timeout)


def test_window_appears_before_any_model_runtime_is_imported():
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM']='offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from faceapp.gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "print(w.isVisible(), 'tensorflow' in sys.modules, 'keras' in sys.modules, 'mtcnn' in sys.modules,\n"
        "      'numpy' in sys.modules, 'onnxruntime' in sys.modules, 'onnx' in sys.modules)\n"
        "w.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "False", "False", "False", "False", "False", "False"], out.stderr


def test_first_paint_reads_no_qt_enum_and_the_rest_follows_it(tmp_path):
    """The comparison view reaches its first paint without building PySide6's ``Qt`` namespace (93 enum classes,
    gui.first_paint); right after it the menus get their items and the People tab its view."""
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM']='offscreen'\n"
        "import PySide6.QtCore as QtCore\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from faceapp.gui.first_paint import after_first_paint\n"
        "app = QApplication([])\n"
        "from faceapp.gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show()\n"
        "def painted():\n"
        "    print('at-first-paint', 'Qt' in QtCore.__dict__, flush=True)\n"
        "    QtCore.QTimer.singleShot(0, after)\n"
        "def after():\n"
        "    items = [len(menu.actions()) for menu in w.menuBar().findChildren(type(w.menuBar().actions()[0].menu()))]\n"
        "    print('after', w._people is not None, min(items) > 0, w.tabs.widget(1) is w._people, flush=True)\n"
        "    os._exit(0)\n"
        "after_first_paint(w, painted); app.exec()\n"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    lines = [line.split() for line in out.stdout.splitlines()]
    assert lines == [["at-first-paint", "False"], ["after", "True", "True", "True"]], out.stderr


def test_first_paint_integers_are_their_enums_values():
    """The integers the comparison view sets before its first paint stand for the enums they name."""
    from PySide6.QtCore import Qt

    from faceapp.gui import first_paint

    align = Qt.AlignmentFlag
    assert first_paint.ALIGN_RIGHT == (align.AlignRight | align.AlignVCenter).value
    assert first_paint.ALIGN_CENTER == align.AlignCenter.value
    assert first_paint.TEXT_WORD_WRAP == Qt.TextFlag.TextWordWrap.value
    assert first_paint.HORIZONTAL == Qt.Orientation.Horizontal.value
    assert first_paint.RICH_TEXT == Qt.TextFormat.RichText.value
    assert first_paint.SELECTABLE_BY_MOUSE == Qt.TextInteractionFlag.TextSelectableByMouse.value
    assert first_paint.CUSTOM_CONTEXT_MENU == Qt.ContextMenuPolicy.CustomContextMenu.value


def test_the_comparison_view_is_built_as_its_properties_say(ready_window):
    """Set through Qt's property system, the comparison view's enum properties took: the slider lies flat,
    the verdict is centred, the title is rich text, the faces list has its own context menu."""
    from PySide6.QtCore import Qt

    verdict, pane = ready_window.compare.verdict, ready_window.compare.panes["A"]
    assert verdict.slider.orientation() == Qt.Orientation.Horizontal
    assert verdict.verdict.alignment() == Qt.AlignmentFlag.AlignCenter
    assert pane.title.textFormat() == Qt.TextFormat.RichText
    assert pane.faces.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    assert pane.details.textInteractionFlags() == Qt.TextInteractionFlag.TextSelectableByMouse


def test_dropping_two_files_fills_both_panes_and_judges(qtbot, ready_window):
    window = ready_window
    drop(window.compare.panes["A"], file_mime(face_photo("obama.jpg"), face_photo("two_people.jpg")))
    wait_results(qtbot, window, "A", "B")
    assert window.compare.panes["A"].label == "obama.jpg" and window.compare.panes["B"].label == "two_people.jpg"
    assert len(window.compare.panes["B"].result.faces) == 2
    assert window.compare.panes["B"].selected == window.compare.panes["B"].result.largest_face_index()
    assert window.compare.verdict.current is not None
    assert "face 1 of photo A (obama.jpg)" in window.compare.verdict.pair.text()
    assert window.compare.panes["B"].faces.count() == 2  # one identity list per face
    assert window.compare.panes["A"].faces.item(0).text().count("%") == 5


def test_drop_image_data_and_qimage(qtbot, ready_window):
    from PySide6.QtCore import QMimeData
    from PySide6.QtGui import QImage

    window = ready_window
    mime = QMimeData()
    mime.setData("image/jpeg", face_photo("obama_small.jpg").read_bytes())
    drop(window.compare.panes["B"], mime)
    wait_results(qtbot, window, "B")
    assert window.compare.panes["B"].label == "pasted image" and len(window.compare.panes["B"].result.faces) == 1

    mime = QMimeData()
    mime.setImageData(QImage(str(face_photo("obama2.jpg"))))
    drop(window.compare.panes["A"], mime)
    wait_results(qtbot, window, "A")
    assert window.compare.panes["A"].rgb.shape == (1200, 626, 3)


def test_bad_file_gets_a_message_and_the_app_goes_on(qtbot, ready_window, tmp_path):
    window = ready_window
    bad = tmp_path / "holiday.jpg"
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg")
    with qtbot.waitSignal(window.compare.loader.failed, timeout=20_000):
        drop(window.compare.panes["A"], file_mime(bad))
    assert window.compare.panes["A"].message_bar.isVisibleTo(window.compare.panes["A"])
    message = window.compare.panes["A"].message.text()
    assert "'holiday.jpg'" in message and message.count(".") >= 1 and "Traceback" not in message
    drop(window.compare.panes["A"], file_mime(face_photo("obama_small.jpg")))
    wait_results(qtbot, window, "A")
    assert not window.compare.panes["A"].message_bar.isVisibleTo(window.compare.panes["A"])


def test_no_face_message(qtbot, ready_window, tmp_path):
    from PIL import Image

    wall = tmp_path / "wall.png"
    Image.new("RGB", (300, 200), (200, 200, 200)).save(wall)
    drop(ready_window.compare.panes["B"], file_mime(wall))
    wait_results(qtbot, ready_window, "B")
    assert "No face found in wall.png" in ready_window.compare.panes["B"].message.text()
    assert "Choose a face in photo" in ready_window.compare.verdict.pair.text()


def test_stale_requests_are_skipped_not_painted(qtbot, ready_window):
    """Two photos for one pane in quick succession: only the newer one reaches the view."""
    from faceapp.core.images import load_image
    from faceapp.gui.engine.jobs import AnalyzeJob

    engine = ready_window.engine
    delivered, skipped = recorder(), recorder()
    engine.worker.skipped.connect(skipped.record)
    older = AnalyzeJob("A", load_image(face_photo("two_people.jpg")), engine.model, engine.crop)
    newer = AnalyzeJob("A", load_image(face_photo("obama_small.jpg")), engine.model, engine.crop)
    engine.submit(older, returned=lambda r: delivered.record(("older", r)))
    engine.submit(newer, returned=lambda r: delivered.record(("newer", r)))
    # The worker runs one job at a time: older is skipped (or returns) before newer returns, and both news reach
    # the GUI thread in that order.  Once newer is delivered, whatever happens to older has happened: no sleep.
    wait_for(qtbot, delivered.recorded, lambda: any(name == "newer" for name, _ in delivered.items), timeout=60_000)
    assert [name for name, _ in delivered.items] == ["newer"] and len(delivered.items[0][1].faces) == 1
    assert older in skipped.items
    assert not engine.latest.is_current(older) and engine.latest.is_current(newer)


def test_slider_rejudges_without_calling_the_worker(qtbot, ready_window):
    window = ready_window
    window.compare.open_paths([str(face_photo("obama.jpg")), str(face_photo("biden.jpg"))])
    wait_results(qtbot, window, "A", "B")
    submitted = recorder()  # on the GUI thread, at once (a plain callable would run later, on the worker's thread)
    window.engine.worker.submitted.connect(submitted.record)
    distance = window.compare.verdict.distance
    assert distance is not None and distance > 0
    window.compare.verdict.slider.setValue(0)
    assert window.compare.verdict.threshold == 0.0 and window.compare.verdict.verdict.text() == "✗ NO MATCH"
    window.compare.verdict.slider.setValue(100)
    assert window.compare.verdict.spin.value() == 1.0 and window.compare.verdict.verdict.text() == "✓ MATCH"
    # The last thing the slider sets going is saving the threshold once it rests (a timer): when that is done,
    # every consequence of the moves has run, and none may have asked the worker for anything.
    with qtbot.waitSignal(window.compare.thresholdSaved, timeout=10_000):
        window.compare.verdict.spin.setValue(0.25)
        assert window.compare.verdict.slider.value() == 25
        assert window.compare.verdict.current.match == (distance <= 0.25)
    assert submitted.items == []


def test_clicking_a_face_chooses_it(qtbot, ready_window):
    from PySide6.QtCore import QPoint, Qt

    window = ready_window
    window.compare.open_paths([str(face_photo("obama.jpg")), str(face_photo("two_people.jpg"))])
    wait_results(qtbot, window, "A", "B")
    pane = window.compare.panes["B"]
    assert pane.selected == 1
    canvas = pane.canvas
    where = canvas.widget_point(*pane.result.faces[0].face.box.center)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(where.x()), int(where.y())))
    assert pane.selected == 0
    assert "face 1 of photo B (two_people.jpg)" in window.compare.verdict.pair.text()


def test_save_annotated_and_copy_text(qtbot, ready_window, tmp_path):
    from PySide6.QtGui import QGuiApplication, QImage

    window = ready_window
    window.compare.open_paths([str(face_photo("two_people.jpg"))])
    wait_results(qtbot, window, "A")
    for name in ("out.png", "out.jpg"):
        assert window.compare.save_annotated_to("A", tmp_path / name)
        saved = QImage(str(tmp_path / name))
        assert (saved.width(), saved.height()) == (1126, 661)
    window.compare.copy_result()
    text = QGuiApplication.clipboard().text()
    assert "Photo A (two_people.jpg): 2 faces" in text and "face 2:" in text


def test_settings_are_remembered(qtbot, tmp_path, models_dir, window_factory):
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "remember.ini"), QSettings.Format.IniFormat)
    first = window_factory(models_dir, settings=settings)
    wait_model_ready(qtbot, first)
    first.choose_crop("tutorial")
    wait_model_ready(qtbot, first)
    first.compare.verdict.spin.setValue(0.37)  # each model and crop keeps its own threshold
    first.close()
    second = window_factory(models_dir, settings=QSettings(str(tmp_path / "remember.ini"), QSettings.Format.IniFormat))
    assert second.compare.verdict.threshold == 0.37 and second.engine.crop == "tutorial"
    wait_model_ready(qtbot, second)
    second.choose_crop("vggface2")
    wait_model_ready(qtbot, second)
    assert second.compare.verdict.threshold == 0.5


def test_first_run_dialog_downloads_and_loads(qtbot, tmp_path, window_factory, server):
    from PySide6.QtCore import Qt

    empty = tmp_path / "fresh-models"
    window = window_factory(empty, download_url=server)
    dialog = wait_dialog(qtbot, window)
    text = shown_text(dialog.intro)
    assert "ResNet-50" in text and "MB" in text and "non-commercial" in text and str(empty) in text
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    wait_model_ready(qtbot, window)
    assert (empty / "rcmalli_vggface_tf_resnet50.h5").is_file() and window.model_files.dialog is None


def test_offline_dialog_names_files_and_folder(qtbot, tmp_path, window_factory):
    empty = tmp_path / "offline-models"
    window = window_factory(empty, download_url="http://127.0.0.1:9/")
    wait_dialog(qtbot, window).download_button.click()
    wait_dialog_error(qtbot, window)
    message = shown_text(window.model_files.dialog.error)
    assert "rcmalli_vggface_tf_resnet50.h5" in message and str(empty) in message
    assert window.model_files.dialog.download_button.isEnabled()


def test_choose_file_imports_and_loads(qtbot, tmp_path, window_factory, models_dir):
    import shutil

    empty = tmp_path / "import-models"
    window = window_factory(empty)
    dialog = wait_dialog(qtbot, window)
    picked = tmp_path / "downloaded labels.npy"
    shutil.copy(models_dir / "rcmalli_vggface_labels_v2.npy", picked)
    with qtbot.waitSignal(window.engine.modelFailed, timeout=60_000) as failed:  # the labels are in: loads again
        dialog.fileChosen.emit(picked)
    assert failed.args[0].missing == ("rcmalli_vggface_tf_resnet50.h5",)  # only the weights are still missing
    assert "not on this machine" in window.status_label.text()
    weights = tmp_path / "weights.h5"
    shutil.copy(models_dir / "rcmalli_vggface_tf_resnet50.h5", weights)
    window.model_files.dialog.fileChosen.emit(weights)
    wait_model_ready(qtbot, window)


def test_broken_chosen_file_is_refused_by_name(qtbot, tmp_path, window_factory):
    window = window_factory(tmp_path / "m")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"nope")
    wait_dialog(qtbot, window).fileChosen.emit(junk)
    wait_dialog_error(qtbot, window)
    assert "'junk.h5'" in shown_text(window.model_files.dialog.error)


def test_notop_model_says_identities_unavailable(qtbot, window_factory, notop_models_dir):
    window = window_factory(notop_models_dir)
    wait_model_ready(qtbot, window)
    assert "identities unavailable" in window.status_label.text()
    window.compare.open_paths([str(face_photo("obama_small.jpg"))])
    wait_results(qtbot, window, "A")
    assert "Identities unavailable" in window.compare.panes["A"].faces.item(0).text()


def test_model_change_reloads_and_asks_for_missing_files(qtbot, ready_window):
    window = ready_window
    window.compare.open_paths([str(face_photo("obama_small.jpg"))])
    wait_results(qtbot, window, "A")
    before = window.compare.panes["A"].result
    window.choose_model("senet50")
    assert not window.engine.ready
    assert "SE-ResNet-50" in wait_dialog(qtbot, window).spec.title
    window.model_files.dialog.close()  # closing the dialog leaves the app running
    assert window.model_files.dialog is None and window.isVisible() and "No model loaded" in window.status_label.text()
    window.choose_model("resnet50")
    wait_model_ready(qtbot, window, timeout=60_000)
    assert window.engine.info.model == "resnet50"
    # The photo is analysed again with the model back (its old result stayed on screen meanwhile).
    wait_for(qtbot, window.compare.analysed, lambda: window.compare.panes["A"].result is not before, timeout=60_000)


def test_closing_while_working_exits_cleanly(qtbot, ready_window):
    from faceapp.gui.engine.jobs import AnalyzeJob

    window = ready_window
    with qtbot.waitSignal(window.engine.worker.started, timeout=60_000,
                          check_params_cb=lambda job: isinstance(job, AnalyzeJob)):
        window.compare.open_paths([str(face_photo("obama3.jpg")), str(face_photo("biden.jpg"))])
    thread = window.engine.worker.thread()
    if not window.close():  # an analysis cannot stop half-way: the window is hidden, and closes once it ended
        with qtbot.waitSignal(window.engine.stopped, timeout=60_000):
            pass
    assert not window.isVisible() and not window.engine.running and thread.isFinished()


def test_dropped_link_is_downloaded_off_the_gui_thread(qtbot, ready_window, server):
    from PySide6.QtCore import QMimeData, QUrl

    from tests.helpers import FileServer

    FileServer.files["portrait.jpg"] = face_photo("obama_small.jpg").read_bytes()
    mime = QMimeData()
    mime.setUrls([QUrl(server + "portrait.jpg")])
    drop(ready_window.compare.panes["B"], mime)
    wait_results(qtbot, ready_window, "B")
    assert ready_window.compare.panes["B"].label == "portrait.jpg" and len(ready_window.compare.panes["B"].result.faces) == 1


def test_link_size_cap_and_bad_links(server, monkeypatch):
    from faceapp.core.errors import ImageLoadError
    from faceapp.gui.compare import loader
    from tests.helpers import FileServer

    FileServer.files["big.jpg"] = b"\xff" * 5000
    with pytest.raises(ImageLoadError, match="larger than"):
        loader.fetch_url(server + "big.jpg", max_bytes=4000)
    with pytest.raises(ImageLoadError, match="HTTP 404"):
        loader.fetch_url(server + "missing.jpg")
    with pytest.raises(ImageLoadError, match="only http and https"):
        loader.fetch_url("ftp://example.invalid/x.jpg")


def test_faceapp_command_line_answers_without_a_window():
    from faceapp import __version__

    version = subprocess.run([sys.executable, "-m", "faceapp", "--version"], cwd=REPO, capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.strip() == f"faceapp {__version__}"
    three = subprocess.run([sys.executable, "-m", "faceapp", "a.jpg", "b.jpg", "c.jpg"], cwd=REPO,
                           capture_output=True, text=True)
    assert three.returncode == 2 and "at most two photos" in three.stderr and "Traceback" not in three.stderr


def test_paste_fills_the_first_empty_pane(qtbot, ready_window):
    from PySide6.QtCore import QMimeData
    from PySide6.QtGui import QGuiApplication

    window = ready_window
    mime = QMimeData()
    mime.setData("image/jpeg", face_photo("obama_small.jpg").read_bytes())
    QGuiApplication.clipboard().setMimeData(mime)
    window.compare.paste()
    wait_results(qtbot, window, "A")
    window.compare.paste()
    wait_results(qtbot, window, "B")
    assert window.compare.verdict.current is not None and window.compare.verdict.current.distance == pytest.approx(0.0, abs=1e-5)
    QGuiApplication.clipboard().setText("just some words")
    window.compare.paste()
    assert "no photo" in window.status_label.text()


def test_crop_change_reanalyses_without_reloading_the_model(qtbot, ready_window):
    window = ready_window
    window.compare.open_paths([str(face_photo("obama_small.jpg"))])
    wait_results(qtbot, window, "A")
    before = window.compare.panes["A"].result
    news = []
    window.engine.status.connect(news.append)  # the worker says "Loading …" only when it builds a model
    window.choose_crop("tutorial")
    wait_for(qtbot, window.compare.analysed,
             lambda: window.compare.panes["A"].result is not before and window.compare.panes["A"].result is not None,
             timeout=60_000)
    assert window.compare.panes["A"].result.crop == "tutorial"
    assert not [text for text in news if text.startswith("Loading")], news
