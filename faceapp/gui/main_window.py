"""The main window: menus, the views, the status bar, settings, and shutdown.

The concerns live elsewhere: :mod:`compare_view` (photos and the verdict),
:mod:`people_view` and :mod:`library_controller` (your people, the library),
:mod:`model_files` (the first-run dialog, downloads and imports),
:mod:`engine_client` (the worker thread and which model is loaded).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from faceapp import APP_NAME, __version__
from faceapp.core.defaults import CROP_RECIPES, DEFAULT_CROP, DEFAULT_MODEL
from faceapp.core.vggface.catalog import MODELS
from faceapp.gui import settings as keys
from faceapp.gui.compare.compare_view import CompareView
from faceapp.gui.dialogs.model_files import ModelFilesController
from faceapp.gui.engine.engine_client import EngineClient
from faceapp.gui.engine.requests import LatestRequests
from faceapp.gui.first_paint import after_first_paint
from faceapp.gui.people.library_controller import LibraryController
from faceapp.paths import is_server_location, resource_path

if TYPE_CHECKING:  # the job classes load with the first job, the People view right after the first paint
    from PySide6.QtGui import QAction, QActionGroup

    from faceapp.gui.engine.jobs import ModelInfo
    from faceapp.gui.people.people_view import PeopleView

__all__ = ["MainWindow"]

_CROP_TITLES = {"vggface2": "VGGFace2 authors' crop (box + 30 %)", "tutorial": "Tutorial crop (exact box)"}


def _setting(settings: QSettings, key: str, default: str, allowed) -> str:  # noqa: ANN001 - a container
    value = str(settings.value(key, default))
    return value if value in allowed else default


class MainWindow(QMainWindow):
    """faceapp's window.  ``models_dir`` and ``settings`` may be given (tests, ``--models-dir``)."""

    def __init__(self, models_dir: str | None = None, settings: QSettings | None = None,
                 download_url: str | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.setWindowTitle(APP_NAME)
        # "Latest request wins" has one record for the whole window: the engine client and its worker, and the
        # comparison's photo loader (through the client), all read and write this one.
        self.engine = EngineClient(_setting(self.settings, "model", DEFAULT_MODEL, MODELS),
                                   _setting(self.settings, "crop", DEFAULT_CROP, CROP_RECIPES), models_dir,
                                   LatestRequests(), self)
        self.compare = CompareView(self.engine, self.settings)
        self.model_files = ModelFilesController(self.engine, self, download_url)
        self.library = LibraryController(self.engine, self.settings, self)
        self.calibration_dialog = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self.compare, "&Compare")
        # The People tab's view is built right after the window's first paint (or when first asked for): the
        # window opens on the comparison, and the view's classes and widgets are a tenth of the first paint.
        self._people: PeopleView | None = None
        self._people_placeholder = QWidget()
        self.tabs.addTab(self._people_placeholder, "&People")
        self.setCentralWidget(self.tabs)
        self._connect_views()

        self.status_label = QLabel("Starting…")
        self.status_label.setAccessibleName("Status")
        self.statusBar().addWidget(self.status_label, 1)
        for source in (self.engine.status, self.compare.status, self.model_files.status, self.library.status):
            source.connect(self.set_status)
        self.engine.modelLoading.connect(lambda model: self.set_status(f"Loading {MODELS[model].title}…"))
        self.engine.modelReady.connect(self._model_ready)
        self._closing = False  # close() was asked for; the window closes once the engine thread ended
        self.engine.stopped.connect(self._engine_stopped)
        self.model_files.quitRequested.connect(self.close)
        # The menus' titles are part of the first paint; their items are added right after it (_after_first_paint).
        self._menus = [self.menuBar().addMenu(title) for title in ("&File", "&Model", "&Tools", "&Help")]
        self._started = False
        geometry = self.settings.value(keys.GEOMETRY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)

    @property
    def people(self) -> PeopleView:
        """The People tab's view, built the first time it is asked for (at the latest right after the first paint)."""
        if self._people is None:
            from faceapp.gui.people.people_view import PeopleView

            view = PeopleView(self.library, self.settings)
            view.openPhoto.connect(self.show_photo)
            index, current = self.tabs.indexOf(self._people_placeholder), self.tabs.currentIndex()
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, view, "&People")
            self.tabs.setCurrentIndex(current)
            self._people_placeholder.deleteLater()
            self._people = view
        return self._people

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not self._started:
            self._started = True
            after_first_paint(self, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """What the first paint does not show: the window's icon, the menus' items, the People tab's view."""
        from PySide6.QtGui import QIcon

        icon = resource_path("faceapp.png")
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))
        self._fill_menus()
        self.people  # noqa: B018 - built here, at the latest

    def _connect_views(self) -> None:
        compare, library = self.compare, self.library
        library.threshold = compare.verdict.threshold  # one threshold means "same person" everywhere
        compare.verdict.thresholdChanged.connect(lambda value: setattr(library, "threshold", value))
        compare.analysed.connect(lambda pane, result: library.who(pane, [f.descriptor for f in result.faces]))
        library.paneWho.connect(compare.show_people)
        library.overviewChanged.connect(lambda _overview: self._ask_people_again())
        compare.addToPerson.connect(self.add_to_person)

    def _ask_people_again(self) -> None:
        """Names changed: the compared faces may now be someone."""
        for name, pane in self.compare.panes.items():
            if pane.result is not None and pane.result.faces:
                self.library.who(name, [f.descriptor for f in pane.result.faces])

    def add_to_person(self, pane_name: str, index: int) -> None:
        """Name face ``index`` of a compared photo as one of your people (new or existing)."""
        from faceapp.gui.people.name_dialog import ask_person_name  # dialogs load when opened

        pane, source = self.compare.panes[pane_name], self.compare.sources.get(pane_name)
        if pane.result is None or source is None:
            return
        names = [p.name for p in self.library.overview.people] if self.library.overview else []
        name = ask_person_name(self, f"Add face {index + 1} of {pane.label} to", names)
        if name:
            path = str(source.path) if source.path is not None else None
            self.library.enrol(name, index + 1, path=path, image=None if path else pane.rgb)

    def show_photo(self, path: str) -> None:
        """Show a library photo in the comparison (pane A), with its faces and your people."""
        self.compare.open_paths([path])
        self.tabs.setCurrentWidget(self.compare)

    def start_worker(self) -> None:
        """Start the engine thread, load the model and open the library (call after show())."""
        self.engine.start()
        self.library.open()

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def _model_ready(self, info: ModelInfo) -> None:
        identities = "" if info.has_identities else " (descriptor only: identities unavailable)"
        self.set_status(f"{info.title} ready{identities}.")

    # -- menus ----------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:  # noqa: ANN001
        from PySide6.QtGui import QAction, QKeySequence

        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _choice_group(self, menu, choices: dict[str, str], current: str, slot) -> QActionGroup:  # noqa: ANN001
        from PySide6.QtGui import QActionGroup

        group = QActionGroup(self)
        for value, title in choices.items():
            action = self._action(menu, title, lambda _c=False, v=value: slot(v))
            action.setCheckable(True)
            action.setChecked(value == current)
            action.setData(value)
            group.addAction(action)
        return group

    def _fill_menus(self) -> None:
        from PySide6.QtGui import QKeySequence

        file_menu, model_menu, tools_menu, help_menu = self._menus
        compare = self.compare
        self._action(file_menu, "&Open photo A…", lambda: compare.open_dialog("A"), QKeySequence.StandardKey.Open)
        self._action(file_menu, "Open photo &B…", lambda: compare.open_dialog("B"), "Ctrl+Shift+O")
        self._action(file_menu, "&Paste photo", compare.paste, QKeySequence.StandardKey.Paste)
        file_menu.addSeparator()
        self._action(file_menu, "&Save annotated image…", compare.save_annotated, QKeySequence.StandardKey.Save)
        self._action(file_menu, "&Copy result as text", compare.copy_result, "Ctrl+Shift+C")
        file_menu.addSeparator()
        self._action(file_menu, "Scan &folder into the library…", lambda: self.people.choose_folder(), "Ctrl+Shift+F")
        self._action(file_menu, "Open &library…", self.open_library)
        self._action(file_menu, "Open &server library…", self.open_server_library)
        self._action(file_menu, "&New library…", self.new_library)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        titles = {name: spec.title + (" — default" if name == DEFAULT_MODEL else "") for name, spec in MODELS.items()}
        self.model_actions = self._choice_group(model_menu, titles, self.engine.model, self.choose_model)
        model_menu.addSeparator()
        self._action(model_menu, "Model &files…", self.engine.load_model)
        model_menu.addSeparator()
        self.crop_actions = self._choice_group(model_menu, _CROP_TITLES, self.engine.crop, self.choose_crop)

        self._action(tools_menu, "&Calibrate threshold…", self.calibrate)

        self._action(help_menu, "&Help", self.show_help, QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, "&About faceapp", self.show_about)

    def calibrate(self) -> None:
        """Tools → Calibrate threshold… (one dialog; it stays open while the work runs)."""
        if self.calibration_dialog is None:
            from faceapp.gui.dialogs.calibration_dialog import CalibrationDialog

            self.calibration_dialog = CalibrationDialog(self.engine, self.settings, self)
            self.calibration_dialog.thresholdChosen.connect(self.compare.use_calibration)
        self.calibration_dialog.show()
        self.calibration_dialog.raise_()

    def _library_folder(self) -> str:
        current = self.library.overview.path if self.library.overview else self.library.path
        return str(Path(current).parent) if current and not is_server_location(current) else str(Path.home())

    def open_library(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # dialogs load when first asked for, not before the window shows

        path, _ = QFileDialog.getOpenFileName(self, "Open a faceapp library", self._library_folder(),
                                              "faceapp library (*.sqlite *.db);;All files (*)")
        if path:
            self.library.open(path, create=False)
            self.tabs.setCurrentWidget(self.people)

    def open_server_library(self) -> None:
        """A library on a PostgreSQL + pgvector server, shared with other people and machines (its tables are
        made in an empty database)."""
        from PySide6.QtWidgets import QInputDialog, QMessageBox

        current = self.library.path if is_server_location(self.library.path) else "postgresql://"
        url, accepted = QInputDialog.getText(self, "Open a server library",
                                             "PostgreSQL connection string "
                                             "(postgresql://USER:PASSWORD@HOST:PORT/DATABASE):", text=current)
        if accepted and url.strip():
            if not is_server_location(url):
                QMessageBox.warning(self, "Library not opened", "A server library's address starts with "
                                    "postgresql://; give one like postgresql://anna@photos.local/family.")
                return
            self.library.open(url.strip(), create=True)
            self.tabs.setCurrentWidget(self.people)

    def new_library(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        path, _ = QFileDialog.getSaveFileName(self, "New faceapp library", str(Path(self._library_folder()) / "people.sqlite"),
                                              "faceapp library (*.sqlite)")
        if path:
            if Path(path).exists():
                QMessageBox.warning(self, "Library not made", f"{Path(path).name} already exists; choose a new name, "
                                    "or use Open library… to open it.")
                return
            self.library.open(path, create=True)
            self.tabs.setCurrentWidget(self.people)

    def choose_model(self, name: str) -> None:
        self.settings.setValue(keys.MODEL, name)
        self.engine.set_model(name, self.engine.crop)

    def choose_crop(self, recipe: str) -> None:
        self.settings.setValue(keys.CROP, recipe)
        self.engine.set_model(self.engine.model, recipe)

    def show_help(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(self, "faceapp help", (
            "Drop a photo on each pane (or use File → Open, or paste with Ctrl+V). Dropping two files fills both.\n\n"
            "Every face gets a numbered box and its most likely identities. Click a face to choose it; "
            "the largest face is chosen by default.\n\n"
            "The verdict compares the two chosen faces: MATCH when the cosine distance is at most the threshold. "
            "Move the slider to re-judge at once.\n\nShortcuts: Ctrl+O open A, Ctrl+Shift+O open B, Ctrl+V paste, "
            "Ctrl+S save annotated image, Ctrl+Shift+C copy result, Ctrl+Q quit."))

    def show_about(self) -> None:
        import PySide6
        from PySide6.QtCore import qVersion
        from PySide6.QtWidgets import QMessageBox

        runtime = self.engine.info.runtime if self.engine.info else "not loaded yet"
        QMessageBox.about(self, "About faceapp", (
            f"<b>faceapp {__version__}</b><br>Python {sys.version.split()[0]} · Qt {qVersion()} · "
            f"PySide6 {PySide6.__version__} · ONNX Runtime {runtime}<br><br>"
            "Face detection: mtcnn (MIT). Recognition: keras-vggface weights of the VGGFace / VGGFace2 "
            "models (Oxford VGG), licensed for non-commercial research only.<br>"
            "Identities are a model's guess among 8,631 (VGGFace2) or 2,622 (VGGFace1) public figures: "
            "never proof of who someone is."))

    # -- shutdown ------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if not self._closing:
            self._closing = True
            self.settings.setValue(keys.GEOMETRY, self.saveGeometry())
            self.settings.setValue(keys.MODEL, self.engine.model)
            self.settings.setValue(keys.CROP, self.engine.crop)
            self.model_files.close_dialog()
            self.hide()
            self.compare.close_down()
            if self._people is not None:
                self._people.loader.wait()
            self.settings.sync()
        # A scan stops at its next photo and keeps every photo it finished (one transaction each).
        if not self.engine.stop():
            # The engine is inside a step that cannot stop half-way (faces going through the model, a model
            # loading).  The window is already off the screen; it closes for good when the engine thread has
            # ended (engine.stopped): destroying a running QThread would abort the whole process.
            event.ignore()
            return
        event.accept()

    def _engine_stopped(self) -> None:
        if self._closing:
            self.close()
