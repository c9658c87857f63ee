"""The People view, driven as a user would (offscreen): scan, group, name, reject, split, add from the comparison."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest

from faceapp.gui import settings as keys
from tests.gui.helpers import wait_for, wait_model_ready
from tests.helpers import face_photo, make_folder

pytestmark = pytest.mark.gui


@pytest.fixture()
def library_window(window_factory, models_dir, tmp_path, qtbot, monkeypatch):
    """A ready window whose library is a fresh file in tmp_path; names are typed by ``answers``."""
    from PySide6.QtCore import QSettings

    answers: list[str] = []
    monkeypatch.setattr("faceapp.gui.people.people_view.ask_person_name", lambda *a, **k: answers.pop(0))
    monkeypatch.setattr("faceapp.gui.people.name_dialog.ask_person_name", lambda *a, **k: answers.pop(0))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(keys.LIBRARY_PATH, str(tmp_path / "people.sqlite"))
    window = window_factory(models_dir, settings=settings)
    wait_model_ready(qtbot, window)
    window.answers = answers
    return window


def scan_and_wait(qtbot, window, folder):
    progress = []
    window.library.scanProgress.connect(progress.append)
    with qtbot.waitSignal(window.library.scanFinished, timeout=120_000) as finished:
        window.library.scan([str(folder)])
    return progress, finished.args[0]


def wait_overview(qtbot, window, condition, timeout=30_000):
    """Until ``condition()``, checked as each new overview of the library is shown."""
    wait_for(qtbot, window.library.overviewChanged, condition, timeout=timeout)


def wait_page(qtbot, window, condition, timeout=30_000):
    """Until ``condition(page)`` for the faces page shown (checked as each new one arrives)."""
    wait_for(qtbot, window.library.pageChanged,
             lambda: window.library.page is not None and condition(window.library.page), timeout=timeout)


def test_scan_shows_progress_and_a_summary(qtbot, library_window, tmp_path):
    window = library_window
    photos = make_folder(tmp_path / "photos")
    (photos / "IMG_0001.CR2").write_bytes(bytes(64))
    progress, summary = scan_and_wait(qtbot, window, photos)
    assert summary.new == 5 and summary.faces == 5 and len(summary.errors) == 1
    assert progress and progress[-1].done == progress[-1].total == 6 and progress[-1].rate > 0
    view = window.people
    wait_overview(qtbot, window, lambda: window.library.overview is not None and window.library.overview.counts["faces"] == 5)
    assert "1 could not be read" in view.summary.text() and view.details_button.isVisibleTo(view)
    assert view.summary.text().endswith("1 camera raw file was left out: faceapp cannot read this format; "
                                        "save it as JPEG to include it.")
    assert not view.cancel_button.isVisibleTo(view)
    folders = view.entries("folder")
    assert len(folders) == 1 and "6 photos" in folders[0].text(0)
    assert window.status_label.text() == "Scan finished: 5 new photos, 5 faces found."  # not "Looking through…"


def test_a_folder_dropped_on_the_people_tab_is_scanned(qtbot, library_window, tmp_path):
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QWidget

    window, view = library_window, library_window.people
    assert [c for c in view.findChildren(QWidget) if c.acceptDrops()] == []  # a drop anywhere reaches the tab
    photos = make_folder(tmp_path / "photos")

    def events(path):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        rest = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        return mime, QDragEnterEvent(QPoint(20, 20), *rest), QDropEvent(QPointF(20, 20), *rest)

    photo_mime, enter, _drop = events(photos / "work" / "obama.jpg")  # a photo is for Compare, not a scan
    view.dragEnterEvent(enter)
    assert not enter.isAccepted()
    folder_mime, enter, dropped = events(photos)  # the events point at their mime data: keep it alive
    view.dragEnterEvent(enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.library.scanFinished, timeout=120_000) as finished:
        view.dropEvent(dropped)
    assert finished.args[0].new == 5 and finished.args[0].folders == [str(photos)]


def test_who_reads_the_named_faces_again_only_when_the_library_changed(tmp_path, models_dir, monkeypatch):
    from faceapp.core.engine import descriptor_space
    from faceapp.core.library import Library, recognition
    from faceapp.gui.engine.context import TaskContext
    from faceapp.gui.engine.jobs import SpaceRef, WhoJob
    from faceapp.gui.engine.tasks import run_task  # what the worker runs a job with

    built = []
    index = recognition.people_index
    monkeypatch.setattr(recognition, "people_index", lambda *args: built.append(1) or index(*args))
    ref = SpaceRef("resnet50", "vggface2", str(models_dir))
    space = descriptor_space(ref.model, ref.crop, ref.models_dir)
    context = TaskContext(status=lambda text: None, progress=lambda *args: None)
    context.library = Library.open(tmp_path / "people.sqlite")
    vector = np.zeros(space.dim, np.float32)
    vector[0] = 1.0
    job = WhoJob(pane="a", descriptors=(vector,), space=ref, threshold=0.5, margin=0.05)
    try:
        assert run_task(job, context, None).lines == (("nobody", "?", "unknown (no one named yet)"),)
        run_task(job, context, None)
        assert len(built) == 1  # the second photo reuses the index
        context.library.add_person("Anna")
        run_task(job, context, None)
        assert len(built) == 2  # the library changed: read again
    finally:
        context.library.close()


def test_cancel_keeps_what_was_scanned(qtbot, library_window, tmp_path):
    from tests.helpers import many_photos

    window = library_window
    many_photos(tmp_path / "many", 14)
    window.library.scanProgress.connect(lambda p: p.done >= 2 and window.people.cancel_button.click())
    with qtbot.waitSignal(window.library.scanFinished, timeout=120_000) as finished:
        window.library.scan([str(tmp_path / "many")])
    assert finished.args[0].cancelled and "Scan cancelled" in window.people.summary.text()
    assert window.status_label.text() == "Scan cancelled; what was done is kept."
    with sqlite3.connect(tmp_path / "people.sqlite") as db:
        assert 2 <= db.execute("SELECT COUNT(*) FROM photos").fetchone()[0] < 14


def test_name_a_group_reject_a_face_and_it_stays_rejected(qtbot, library_window, tmp_path):
    window, view = library_window, library_window.people
    scan_and_wait(qtbot, window, make_folder(tmp_path / "photos"))
    window.library.group()  # generated weights: every face looks alike, so the four unnamed faces are one group
    wait_overview(qtbot, window, lambda: len(view.entries("group")) == 1)
    view.sidebar.setCurrentItem(view.entries("group")[0])
    wait_page(qtbot, window, lambda page: len(page.confirmed) == 5)
    view.confirmed.selectAll()
    window.answers.append("Anna")
    view.buttons["name"].click()
    wait_overview(qtbot, window, lambda: [p.name for p in window.library.overview.people] == ["Anna"])
    assert window.library.overview.people[0].confirmed == 5 and not window.library.overview.groups

    anna = view.entries("person")[0]
    view.sidebar.setCurrentItem(anna)
    wait_page(qtbot, window, lambda page: page.kind == "person" and len(page.confirmed) == 5)
    view.confirmed.setFocus()
    view.confirmed.setCurrentIndex(view.confirmed.model().index(0, 0))
    rejected = view.confirmed.selected_items()[0].face_id
    from PySide6.QtCore import Qt

    qtbot.keyClick(view.confirmed, Qt.Key.Key_Delete)  # not this person
    wait_page(qtbot, window, lambda page: len(page.confirmed) == 4)
    # The rejected face is unnamed again and may be grouped: the grouping's overview, then Anna's page read
    # again after it (nothing else is pending: the page after the reject was the last one asked for)...
    with qtbot.waitSignals([(window.library.overviewChanged, "overviewChanged"), (window.library.pageChanged, "pageChanged")],
                           order="strict", timeout=30_000):
        window.library.group(full=True)
    page = window.library.page
    assert page.kind == "person" and page.title == "Anna"
    ids = {f.face_id for f in page.confirmed + page.suggested}
    assert rejected not in ids and len(page.confirmed) == 4  # ...but never suggested as Anna again


def test_split_into_a_new_person(qtbot, library_window, tmp_path):
    window, view = library_window, library_window.people
    scan_and_wait(qtbot, window, make_folder(tmp_path / "photos"))
    window.library.group()
    wait_overview(qtbot, window, lambda: len(view.entries("group")) == 1)
    view.sidebar.setCurrentItem(view.entries("group")[0])
    wait_page(qtbot, window, lambda page: len(page.confirmed) == 5)
    grid = view.confirmed
    for row in (0, 1):
        grid.selectionModel().select(grid.model().index(row, 0), grid.selectionModel().SelectionFlag.Select)
    window.answers.append("Bob")
    view.buttons["split"].click()
    wait_overview(qtbot, window, lambda: [p.name for p in window.library.overview.people] == ["Bob"])
    assert window.library.overview.people[0].confirmed == 2
    window.answers.append("Bob")
    grid.selectAll()
    with qtbot.waitSignal(window.library.status, timeout=30_000):
        view.buttons["split"].click()  # a name that exists cannot be split into
    assert "already is a person called 'Bob'" in window.status_label.text()


def test_add_a_compared_face_to_a_person(qtbot, library_window, tmp_path):
    from PySide6.QtCore import QMimeData

    from tests.gui.helpers import drop

    window = library_window
    pasted = QMimeData()
    pasted.setData("image/jpeg", face_photo("obama_small.jpg").read_bytes())
    drop(window.compare.panes["B"], pasted)  # no file: the library keeps a copy of the photo
    window.compare.open_paths([str(face_photo("two_people.jpg"))])
    wait_for(qtbot, window.compare.analysed, lambda: all(p.result is not None for p in window.compare.panes.values()),
             timeout=60_000)
    window.answers.append("Joe")
    window.compare.panes["A"].addToPerson.emit(1)
    wait_overview(qtbot, window, lambda: window.library.overview is not None and bool(window.library.overview.people),
                  timeout=60_000)
    window.answers.append("Joe")
    window.compare.panes["B"].add_button.click()
    wait_overview(qtbot, window, lambda: window.library.overview.people[0].confirmed == 2, timeout=60_000)
    pane = window.compare.panes["A"]
    wait_for(qtbot, window.library.paneWho, lambda: len(pane.people) == 2)
    assert "Your people: Joe" in pane.faces.item(1).text() and pane.canvas.people[1] == "Joe"  # the box label too
    assert (tmp_path / "people-imported").is_dir() and len(list((tmp_path / "people-imported").iterdir())) == 1


def test_thousands_of_faces_load_only_what_is_shown(qtbot, window_factory, models_dir, tmp_path):
    from PySide6.QtCore import QCoreApplication, QSettings, QTimer

    from faceapp.core.types import Box, Face
    from faceapp.gui.people.view_models import FaceItem

    photos = []
    for index in range(25):
        path = tmp_path / "photos" / f"p{index}.jpg"
        path.parent.mkdir(exist_ok=True)
        shutil.copy(face_photo("two_people.jpg"), path)
        photos.append(str(path))
    # 5,000 different faces (photo, box): thumbnails are keyed by what they show, so two alike would share one.
    items = [FaceItem(n, photos[n % 25], n, Face(Box(40 + n % 10, 30 + n // 50, 120, 150), 0.99), 0.5, "confirmed")
             for n in range(5000)]
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = window_factory(models_dir, settings=settings)
    view = window.people
    window.tabs.setCurrentWidget(view)
    made = []
    view.loader.ready.connect(made.append)
    with qtbot.waitSignal(view.loader.ready, timeout=30_000):  # the grid was painted and asked for what it shows
        view.confirmed.set_items(items)
    view.loader.wait()  # every thumbnail asked for is made; their signals are delivered next
    QCoreApplication.processEvents()
    assert 0 < len(made) < 300  # only the faces on screen were made, not 5,000
    # The grid lays its rows out in batches while the event loop runs: keep going to the bottom until
    # the last faces are the ones shown (and asked for).
    follow = QTimer()
    follow.timeout.connect(view.confirmed.scrollToBottom)
    follow.start(50)
    with qtbot.waitSignal(view.loader.ready, timeout=30_000, check_params_cb=lambda face_id: face_id >= 4900):
        view.confirmed.scrollToBottom()
    follow.stop()


@pytest.mark.parametrize("problem", ["not sqlite", "newer", "missing"])
def test_a_bad_library_leaves_the_comparison_working(qtbot, window_factory, models_dir, tmp_path, problem):
    from PySide6.QtCore import QSettings

    from faceapp.core.library import Library

    path = tmp_path / "people.sqlite"
    if problem == "not sqlite":
        path.write_text("a shopping list\n" * 40)
    elif problem == "newer":
        Library.open(path).close()
        with sqlite3.connect(path) as db:
            db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue(keys.LIBRARY_PATH, str(path))
    window = window_factory(models_dir, settings=settings)
    view = window.people
    wait_for(qtbot, window.library.problem, lambda: view.problem.isVisibleTo(view), timeout=60_000)
    expected = {"not sqlite": "is not a faceapp library", "newer": "newer faceapp", "missing": "no library at"}
    assert expected[problem] in view.problem.text() and "Traceback" not in view.problem.text()
    if problem == "not sqlite":
        assert path.read_text() == "a shopping list\n" * 40
    with qtbot.waitSignal(window.compare.analysed, timeout=60_000):
        window.compare.open_paths([str(face_photo("obama_small.jpg"))])
    assert len(window.compare.panes["A"].result.faces) == 1


def test_a_server_library_opens_from_the_file_menu(qtbot, window_factory, models_dir, tmp_path, pg_url, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QInputDialog

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = window_factory(models_dir, settings=settings)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (pg_url, True)))
    with qtbot.waitSignal(window.library.overviewChanged, timeout=60_000,
                          check_params_cb=lambda overview: overview is not None):
        window.open_server_library()
    assert window.library.overview.path.startswith("postgresql://") and window.library.overview.counts["photos"] == 0
    assert settings.value("library/path") == pg_url
