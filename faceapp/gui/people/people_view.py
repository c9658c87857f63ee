"""The People view: your people, unnamed groups and scanned folders; a face grid to name faces in bulk.

Everything long runs on the engine worker through :class:`LibraryController`;
this module only shows what comes back and turns clicks and keys into requests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.wording import plural
from faceapp.gui import settings as keys
from faceapp.gui.people.face_grid import THUMBNAIL_SIZES, FaceGrid
from faceapp.gui.people.housekeeping import ask_prune, confirm_erase, show_erased
from faceapp.gui.people.library_controller import LibraryController
from faceapp.gui.people.name_dialog import ask_person_name
from faceapp.gui.people.thumbnails import ThumbnailLoader

__all__ = ["PeopleView"]

_KEY = Qt.ItemDataRole.UserRole


class PeopleView(QWidget):
    """Emits ``openPhoto(path)`` when the user wants a photo shown (the window opens it in the comparison)."""

    openPhoto = Signal(str)

    def __init__(self, library: LibraryController, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library, self.settings = library, settings
        self.loader = ThumbnailLoader(self)
        self._shown_library: str | None = None  # the library whose faces the view shows
        self.loader.ready.connect(self._cover_ready)
        self._covers: dict[int, QTreeWidgetItem] = {}
        self.setAcceptDrops(True)  # a folder dropped here is scanned

        self.scan_button = QPushButton("&Scan folder…")
        self.scan_button.clicked.connect(self.choose_folder)
        self.rescan_button = QPushButton("&Rescan all")
        self.rescan_button.clicked.connect(library.rescan)
        self.group_button = QPushButton("&Group unnamed faces")
        self.group_button.clicked.connect(lambda: library.group())
        self.place = QLabel()
        self.place.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        from faceapp.gui.people.tags_button import TagsButton

        self.tags_button = TagsButton(library, self.show_tags)
        for widget in (self.scan_button, self.rescan_button, self.group_button, self.tags_button):
            top.addWidget(widget)
        top.addWidget(self.place, 1)

        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.setAccessibleName("Library problem")
        self.empty = QLabel("No library yet. Scan a folder of photos to start one: faceapp finds the faces, "
                            "then you name them here.")
        self.empty.setWordWrap(True)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Scan progress")
        self.progress_text = QLabel()
        self.cancel_button = QPushButton("Cancel scan")
        self.cancel_button.clicked.connect(library.cancel_scan)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self._show_scan_details)
        scan_row = QHBoxLayout()
        for widget in (self.progress, self.progress_text, self.cancel_button):
            scan_row.addWidget(widget)
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.summary, 1)
        summary_row.addWidget(self.details_button)
        self._scan_errors: list[tuple[str, str]] = []

        self.sidebar = QTreeWidget()
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setAccessibleName("People, groups and folders")
        self.sidebar.currentItemChanged.connect(lambda item, _old: self._chosen(item))
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sidebar.customContextMenuRequested.connect(self._sidebar_menu)

        self.title = QLabel("Choose a person or a group.")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.buttons = {
            "name": QPushButton("&Name / Move to person…"), "confirm": QPushButton("&Confirm"),
            "reject": QPushButton("Not &this person"), "split": QPushButton("S&plit into new person…"),
            "open": QPushButton("&Open photo"),
        }
        self.buttons["name"].clicked.connect(self.name_selected)
        self.buttons["confirm"].clicked.connect(self.confirm_selected)
        self.buttons["reject"].clicked.connect(self.reject_selected)
        self.buttons["split"].clicked.connect(self.split_selected)
        self.buttons["open"].clicked.connect(self.open_selected)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(0, len(THUMBNAIL_SIZES) - 1)
        self.size_slider.setAccessibleName("Thumbnail size")
        size = int(settings.value(keys.THUMBNAIL_SIZE, 128))
        self.size_slider.setValue(THUMBNAIL_SIZES.index(size) if size in THUMBNAIL_SIZES else 2)
        self.size_slider.valueChanged.connect(self._resize_thumbnails)
        actions = QHBoxLayout()
        for button in self.buttons.values():
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(QLabel("Size:"))
        actions.addWidget(self.size_slider)

        self.confirmed_label = QLabel()
        self.confirmed = FaceGrid(self.loader, "Confirmed faces")
        self.suggested_label = QLabel()
        self.suggested = FaceGrid(self.loader, "Suggested faces")
        for grid in (self.confirmed, self.suggested):
            grid.confirmRequested.connect(self.confirm_selected)
            grid.rejectRequested.connect(self.reject_selected)
            grid.activated.connect(lambda _index: self.open_selected())
            grid.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.addWidget(self.title)
        page_layout.addLayout(actions)
        page_layout.addWidget(self.confirmed_label)
        page_layout.addWidget(self.confirmed, 1)
        page_layout.addWidget(self.suggested_label)
        page_layout.addWidget(self.suggested, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.sidebar)
        splitter.addWidget(page)
        splitter.setSizes([260, 900])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.problem)
        layout.addWidget(self.empty)
        layout.addLayout(scan_row)
        layout.addLayout(summary_row)
        layout.addWidget(splitter, 1)

        library.overviewChanged.connect(self.show_overview)
        library.pageChanged.connect(self.show_page)
        library.problem.connect(self.show_problem)
        library.scanProgress.connect(self.show_progress)
        library.scanFinished.connect(self.show_scan_result)
        library.erased.connect(self._erased)
        self._set_scanning(False)
        self.summary.hide()
        self.details_button.hide()
        self.show_overview(library.overview)  # the library may be open already (this view is built late)
        self.show_problem(library.error)
        self._resize_thumbnails(self.size_slider.value())

    # -- what the library says ---------------------------------------------------------------------
    @property
    def thumbnail_size(self) -> int:
        return THUMBNAIL_SIZES[self.size_slider.value()]

    def show_problem(self, message: str) -> None:
        self.problem.setText(message + ("\nUse File → Open library… or New library…; the comparison still works."
                                        if message else ""))
        self.problem.setVisible(bool(message))

    def show_overview(self, overview: Any) -> None:
        library = overview.path if overview is not None else None
        if library != self._shown_library:  # another library: none of the faces shown belong to it
            self._shown_library = library
            self.loader.clear()
            for grid in (self.confirmed, self.suggested):
                grid.set_items([])
        self.empty.setVisible(overview is None and not self.library.error)
        self.rescan_button.setEnabled(bool(overview and overview.folders))
        self.group_button.setEnabled(overview is not None)
        self.place.setText(f"Library: {overview.path}" if overview else "")
        selected = self.library.selection
        self.sidebar.blockSignals(True)
        self.sidebar.clear()
        self._covers.clear()
        if overview is not None:
            people = self._section(f"People ({len(overview.people)})")
            for person in overview.people:
                self._entry(people, f"{person.name} — {plural(person.confirmed, 'face')}", ("person", person.id),
                            person.cover)
            groups = self._section(f"Unnamed groups ({len(overview.groups)})")
            for group in overview.groups:
                self._entry(groups, f"Group {group.id} — {plural(group.size, 'face')}", ("group", group.id), group.cover)
            folders = self._section(f"Folders ({len(overview.folders)})")
            for folder in overview.folders:
                gone = "" if folder["present"] else " (not found)"
                self._entry(folders, f"{folder['path']} — {plural(folder['photos'], 'photo')}{gone}",
                            ("folder", folder["path"]), None)
            self.sidebar.expandAll()
            if selected is not None:
                for item in self.entries(selected[0]):
                    if item.data(0, _KEY) == selected:
                        self.sidebar.setCurrentItem(item)
        self.sidebar.blockSignals(False)
        self.loader.flush()

    def _section(self, text: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.sidebar, [text])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        return item

    def _entry(self, parent: QTreeWidgetItem, text: str, key: tuple, cover: Any) -> None:
        item = QTreeWidgetItem(parent, [text])
        item.setToolTip(0, text)
        item.setData(0, _KEY, key)
        if cover is not None:
            self._covers[cover.face_id] = item
            item.setData(0, _KEY + 1, cover)
            pixmap = self.loader.pixmap(cover, 64)
            if pixmap is not None:
                item.setIcon(0, QIcon(pixmap))

    def entries(self, kind: str | None = None) -> list[QTreeWidgetItem]:
        """The sidebar's entries as shown (not its section headings): every one, or those of ``kind`` ("person",
        "group" or "folder").  An entry's ``data(0, Qt.ItemDataRole.UserRole)`` is its (kind, key)."""
        items = [self.sidebar.topLevelItem(i).child(j) for i in range(self.sidebar.topLevelItemCount())
                 for j in range(self.sidebar.topLevelItem(i).childCount())]
        return [item for item in items if kind is None or item.data(0, _KEY)[0] == kind]

    def _cover_ready(self, face_id: int) -> None:
        item = self._covers.get(face_id)
        if item is not None:
            pixmap = self.loader.pixmap(item.data(0, _KEY + 1), 64)
            if pixmap is not None:
                item.setIcon(0, QIcon(pixmap))

    def _chosen(self, item: QTreeWidgetItem | None) -> None:
        key = item.data(0, _KEY) if item is not None else None
        if key and key[0] in ("person", "group"):
            self.library.select(*key)

    def show_page(self, page: Any) -> None:
        person = page.kind == "person"
        if not page.title:
            self.title.setText("This person or group no longer exists; choose another.")
        elif person:
            self.title.setText(f"<b>{page.title}</b> — {plural(len(page.confirmed), 'confirmed face')}, "
                               f"{plural(len(page.suggested), 'suggestion')}")
        else:
            self.title.setText(f"<b>{page.title}</b> — {plural(len(page.confirmed), 'face')} that look like "
                               "one person: select and name them (Ctrl+A selects all)")
        self.confirmed_label.setText("Confirmed" if person else "Faces")
        self.suggested_label.setText("Suggestions — faces faceapp would give this person: Enter confirms, "
                                     "Delete says not this person" if person else "")
        self.confirmed.set_items(list(page.confirmed))
        self.suggested.set_items(list(page.suggested))
        self.suggested.setVisible(person)
        self.suggested_label.setVisible(person)
        self.buttons["confirm"].setVisible(person)
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = bool(self._selection())
        for name, button in self.buttons.items():
            button.setEnabled(selected)

    # -- actions ---------------------------------------------------------------------------------
    def _selection(self) -> list:
        focus = self.suggested if self.suggested.hasFocus() and self.suggested.selected_items() else None
        grids = [focus] if focus else [self.confirmed, self.suggested]
        return [item for grid in grids for item in grid.selected_items()]

    def _ids(self) -> tuple[int, ...]:
        return tuple(item.face_id for item in self._selection())

    def _names(self) -> list[str]:
        return [p.name for p in self.library.overview.people] if self.library.overview else []

    def name_selected(self) -> None:
        ids = self._ids()
        if not ids:
            return
        name = ask_person_name(self, f"Name {plural(len(ids), 'face')}", self._names())
        if name:
            self.library.edit("confirm", ids, name)

    def confirm_selected(self) -> None:
        page, ids = self.library.page, self._ids()
        if not ids or page is None:
            return
        if page.kind == "person":
            self.library.edit("confirm", ids, page.title)
        else:
            self.name_selected()

    def reject_selected(self) -> None:
        page, ids = self.library.page, self._ids()
        if not ids or page is None:
            return
        if page.kind == "person":
            self.library.edit("reject", ids, page.title)  # remembered: never suggested as this person again
        else:
            self.library.edit("apart", ids, group_id=page.key)

    def split_selected(self) -> None:
        ids = self._ids()
        if ids:
            name = ask_person_name(self, "Split into a new person", [], new_only=True)
            if name:
                self.library.edit("split", ids, name)

    def open_selected(self) -> None:
        selection = self._selection()
        if selection:
            self.openPhoto.emit(selection[0].path)

    # -- a folder dragged onto the tab is scanned, as with Scan folder… --------------------
    @staticmethod
    def _dropped_folders(event: Any) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and Path(url.toLocalFile()).is_dir()]

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        if self._dropped_folders(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        if self._dropped_folders(event):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        folders = self._dropped_folders(event)
        if folders:
            event.acceptProposedAction()
            self.library.scan(folders)

    def choose_folder(self) -> None:
        start = str(self.settings.value(keys.LIBRARY_LAST_FOLDER, str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self, "Scan a folder of photos", start)
        if folder:
            self.library.scan([folder])

    def _sidebar_menu(self, position) -> None:  # noqa: ANN001 - QPoint
        item = self.sidebar.itemAt(position)
        key = item.data(0, _KEY) if item is not None else None
        if not key:
            return
        menu = QMenu(self)
        if key[0] == "person":
            name = next(p.name for p in self.library.overview.people if p.id == key[1])
            menu.addAction("Rename…", lambda: self._rename(name))
            menu.addAction("Merge into…", lambda: self._merge(name))
            menu.addAction("Remove (faces stay, unnamed)", lambda: self.library.edit("remove", name=name))
            menu.addAction("Remove and forget their faces…", lambda: self.erase_person(name))
        elif key[0] == "group":
            menu.addAction("Name this group…", lambda: (self.confirmed.selectAll(), self.name_selected()))
        else:
            menu.addAction("Scan again", lambda: self.library.scan([key[1]]))
            menu.addAction("Forget missing photos…", self.forget_missing)
        menu.exec(self.sidebar.viewport().mapToGlobal(position))

    def forget_missing(self) -> None:
        """List the photos whose files are gone and forget those the user agrees to (named ones only if ticked)."""
        def planned(plan: Any) -> None:
            if not plan.forget and not plan.kept_named:
                self.library.status.emit("No missing photos: nothing to forget.")
                return
            answer = ask_prune(self, plan)
            if answer is not None:
                self.library.prune(*answer)

        self.library.prune_plan(planned)

    def erase_person(self, name: str) -> None:
        """Remove ``name`` and forget their faces, after asking; then say what was deleted."""
        person = next((p for p in self.library.overview.people if p.name == name), None)
        if person is not None and confirm_erase(self, name, person.confirmed):
            self.library.erase(name)

    def _erased(self, erasure: Any) -> None:
        self.loader.clear()  # no thumbnail of the erased faces stays in memory either
        for grid in (self.confirmed, self.suggested):
            grid.set_items([])
        show_erased(self, erasure)

    def _rename(self, name: str) -> None:
        new = ask_person_name(self, f"Rename {name}", [], new_only=True, default=name)
        if new and new != name:
            self.library.edit("rename", name=name, other=new)

    def _merge(self, name: str) -> None:
        into = ask_person_name(self, f"Merge {name} into", [n for n in self._names() if n != name], existing_only=True)
        if into:
            self.library.edit("merge", name=name, other=into)

    def _resize_thumbnails(self, position: int) -> None:
        size = THUMBNAIL_SIZES[position]
        self.settings.setValue(keys.THUMBNAIL_SIZE, size)
        for grid in (self.confirmed, self.suggested):
            grid.set_thumbnail_size(size)

    # -- scanning ------------------------------------------------------------------------------------
    def _set_scanning(self, active: bool) -> None:
        for widget in (self.progress, self.progress_text, self.cancel_button):
            widget.setVisible(active)
        self.scan_button.setEnabled(not active)
        self.rescan_button.setEnabled(not active and bool(self.library.overview and self.library.overview.folders))
        if active:
            self.progress.setRange(0, 0)
            self.progress_text.setText("Looking through the folders…")
            self.summary.hide()
            self.details_button.hide()

    def show_progress(self, progress: Any) -> None:
        self._set_scanning(True)
        self.progress.setRange(0, max(1, progress.total))
        self.progress.setValue(progress.done)
        left = f" · about {progress.eta / 60:.0f} min left" if progress.eta and progress.eta > 90 else \
            (f" · {progress.eta:.0f} s left" if progress.eta else "")
        self.progress_text.setText(f"{progress.done} of {progress.total} photos · {progress.rate:.1f} photos/s{left}")

    def show_scan_result(self, result: Any) -> None:
        self._set_scanning(False)
        if isinstance(result, BaseException):
            from faceapp.gui.messages import user_message

            self.summary.setText(f"The scan stopped: {user_message(result, 'scanning')}")
            self._scan_errors = []
        else:
            self.summary.setText(" ".join(result.sentences("Forget missing photos")))
            self._scan_errors = list(result.errors) + list(result.unreadable_folders)
        self.summary.show()
        self.details_button.setVisible(bool(self._scan_errors))

    def show_tags(self, text: str, details: list[str], busy: tuple[int, int] | None) -> None:
        """Photo tags: progress while ``busy`` (done, total), else the summary (``details``: photos' problems)."""
        if busy is not None:
            self._set_scanning(True)
            self.progress.setRange(0, max(1, busy[1]) if busy[1] else 0)
            self.progress.setValue(busy[0])
            self.progress_text.setText(text)
            return
        self._set_scanning(False)
        self.summary.setText(text.replace("\n", " "))
        self._scan_errors = [("", d) for d in details]
        self.summary.show()
        self.details_button.setVisible(bool(details))

    def _show_scan_details(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Photos that could not be read",
                          f"{plural(len(self._scan_errors), 'photo or folder')} could not be read; "
                          "they are retried when they change.", parent=self)
        box.setDetailedText("\n".join(message for _, message in self._scan_errors))
        box.exec()
