"""A grid of square face crops: multi-select, keyboard, lazy thumbnails (smooth with thousands of faces)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from faceapp.gui.people.thumbnails import ThumbnailLoader

__all__ = ["FaceGridModel", "FaceGrid", "THUMBNAIL_SIZES"]

#: The thumbnail sizes the grid offers (pixels; the disk cache keeps one file per size).
THUMBNAIL_SIZES = (64, 96, 128, 192)

FaceItemRole = Qt.ItemDataRole.UserRole + 1


class FaceGridModel(QAbstractListModel):
    """Rows are FaceItems; the decoration is the thumbnail (a grey square until it is made)."""

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.items: list = []
        self.size = 128
        self._rows: dict[int, int] = {}
        self._placeholder: QPixmap | None = None
        loader.ready.connect(self._thumbnail_ready)

    def set_items(self, items: list, size: int | None = None) -> None:
        self.beginResetModel()
        self.items = list(items)
        if size is not None:
            self.size = size
        self._rows = {item.face_id: row for row, item in enumerate(self.items)}
        self._placeholder = None
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201
        if not index.isValid() or index.row() >= len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.loader.pixmap(item, self.size) or self._grey()
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            from pathlib import Path

            distance = f", distance {item.distance:.2f}" if item.distance is not None else ""
            tag = ", from the photo's face tag" if item.source == "tag" else ""
            return (f"Face {item.number} of {Path(item.path).name} ({item.state}{distance}{tag}, "
                    f"quality {item.quality:.2f})")
        if role == Qt.ItemDataRole.DisplayRole:
            # Faces named from tags, where the detector found no face, are marked under their thumbnail.
            return "from tag" if item.source == "tag" else None
        if role == FaceItemRole:
            return item
        return None

    def _grey(self) -> QPixmap:
        if self._placeholder is None:
            self._placeholder = QPixmap(self.size, self.size)
            self._placeholder.fill(QColor("#d0d0d0"))
        return self._placeholder

    def _thumbnail_ready(self, face_id: int) -> None:
        row = self._rows.get(face_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class FaceGrid(QListView):
    """Faces in a grid.  Arrows move, Space (or Ctrl+click) selects, Enter confirms, Delete says
    "not this person", Ctrl+A selects all; ``activated`` (double-click) opens the photo."""

    confirmRequested = Signal()
    rejectRequested = Signal()

    def __init__(self, loader: ThumbnailLoader, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.grid_model = FaceGridModel(loader, self)
        self.setModel(self.grid_model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setAcceptDrops(False)  # icon mode turns drops on; a folder dropped here is for the People tab (a scan)
        self.setUniformItemSizes(True)  # lays out thousands of faces without asking each for its size
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(False)
        self.setSpacing(4)
        self.set_thumbnail_size(128)

    def set_thumbnail_size(self, size: int) -> None:
        self.setIconSize(QSize(size, size))
        self.setGridSize(QSize(size + 10, size + 10))
        self.grid_model.set_items(self.grid_model.items, size)

    def set_items(self, items: list) -> None:
        self.grid_model.set_items(items)

    def selected_items(self) -> list:
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        return [self.grid_model.items[row] for row in rows]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key = event.key()
        if key == Qt.Key.Key_Space and self.currentIndex().isValid():
            self.selectionModel().select(self.currentIndex(), self.selectionModel().SelectionFlag.Toggle)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.confirmRequested.emit()
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.rejectRequested.emit()
            return
        super().keyPressEvent(event)
